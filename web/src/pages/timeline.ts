/** The public timeline of a case in plain words: what happened at each step and who has the case after it. */
import type { Holder, PublicStep } from '../api/public_contract.js';
import { nameOf, t, tf, type Key } from '../i18n.js';

/** The words of each workflow step a resident may see. */
const STEP_WORDS: Record<string, Key> = {
  report: 'stepReport',
  escalate: 'stepEscalate',
  dispatch: 'stepDispatch',
  handle: 'stepHandle',
  confirm: 'stepConfirm',
  reject: 'stepReject',
  cancel: 'stepCancel',
  merge: 'stepMerge',
  defer: 'stepDefer',
  supported: 'stepSupported',
  rerouted: 'stepRerouted',
};

/** Steps that are staff's bookkeeping, not progress on the problem. */
const UNSHOWN = new Set(['photo_hidden', 'photo_shown']);

/**
 * Who has the case after a step, in words: the holder the server names (kind null: nobody, the case is
 * finished).
 */
export function holderText(holder: Holder | null | undefined): string | null {
  const kind = holder?.kind ?? null;
  const name = holder?.name ? nameOf({ name: holder.name, name_en: holder.name_en }) : null;
  switch (kind) {
    case 'grid':
      return name ? tf('holderGrid', { name }) : t('holderGridNoName');
    case 'community':
      return name ?? t('holderCommunity');
    case 'centre':
      return name ?? t('holderCentre');
    case 'department':
      return name ?? t('holderDepartment');
    default:
      return null;
  }
}

/** One line of the timeline: when, what happened, and who has the case now when that changed. */
export interface TimelineEntry {
  at: string;
  action: string;
  what: string;
  who: string | null;
}

/**
 * The steps of a case as a resident reads them, oldest first: each in plain words, with the new holder
 * ("交给环卫中心") only where the case changed hands, and without staff's bookkeeping steps.
 */
export function timeline(steps: PublicStep[]): TimelineEntry[] {
  const out: TimelineEntry[] = [];
  let last: string | null = null;
  for (const s of steps) {
    if (UNSHOWN.has(s.action)) continue;
    const holder = holderText(s.holder);
    out.push({ at: s.at, action: s.action, what: t(STEP_WORDS[s.action] ?? 'stepOther'), who: holder && holder !== last ? holder : null });
    if (holder) last = holder;
  }
  return out;
}

/**
 * Where a case stands, in plain words ("处理中：网格长正在处理"); an open case with its steps names who has
 * it when the server names the holder ("处理中：环卫中心正在处理").
 */
export function statusText(status: string, level: string, steps: PublicStep[] = []): string {
  if (status === 'open') {
    const named = [...steps].reverse().find((s) => s.holder?.name && !UNSHOWN.has(s.action));
    if (named) return tf('statusOpenWith', { who: holderText(named.holder)! });
    const byLevel: Record<string, Key> = { grid: 'statusOpenGrid', community: 'statusOpenCommunity', centre: 'statusOpenCentre', department: 'statusOpenDepartment' };
    return t(byLevel[level] ?? 'statusOpenGrid');
  }
  const byStatus: Record<string, Key> = { handled: 'statusHandled', closed: 'statusClosed', cancelled: 'statusCancelled', merged: 'statusMerged' };
  return t(byStatus[status] ?? 'stepOther');
}
