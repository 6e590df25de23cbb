/**
 * "My reports": the cases a resident filed or joined from this device, kept in localStorage (there is no
 * account), with the check code that opens their details and the status last seen.
 */

/** One report kept on the device. */
export interface MyReport {
  case_no: string;
  /** The check code of the receipt; absent for a case the resident joined ("me too") or before the server gave codes. */
  check_code?: string;
  category: { code: string; name: string; name_en: string };
  reported_at: string;
  /** The status and level last seen (`open`/`grid`…), to list them without asking the server first. */
  status?: string;
  level?: string;
  /** The resident added themself to someone else's report instead of filing one. */
  joined?: boolean;
}

/** The localStorage key of the list. */
export const MY_REPORTS_KEY = 'gridwork.myReports';

/** How many reports are kept (the oldest go first). */
export const MY_REPORTS_MAX = 50;

/** The list as stored; an empty list for nothing, bad JSON or entries that are not reports. */
export function parseMyReports(text: string | null): MyReport[] {
  if (!text) return [];
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return [];
  }
  if (!Array.isArray(data)) return [];
  return data.filter((r): r is MyReport =>
    !!r && typeof r === 'object' && typeof r.case_no === 'string' && typeof r.reported_at === 'string'
    && !!r.category && typeof r.category.name === 'string');
}

/** The list with a report added or updated (by case number), newest first, at most MY_REPORTS_MAX; a known check code is kept. */
export function withReport(list: MyReport[], report: MyReport): MyReport[] {
  const old = list.find((r) => r.case_no === report.case_no);
  const merged: MyReport = { ...old, ...report, check_code: report.check_code ?? old?.check_code };
  if (merged.check_code === undefined) delete merged.check_code;
  return [merged, ...list.filter((r) => r.case_no !== report.case_no)]
    .sort((a, b) => b.reported_at.localeCompare(a.reported_at))
    .slice(0, MY_REPORTS_MAX);
}

/** The list with the status and level of one case as last seen; the list itself when the case is not in it. */
export function withStatus(list: MyReport[], caseNo: string, status: string, level: string): MyReport[] {
  return list.map((r) => (r.case_no === caseNo ? { ...r, status, level } : r));
}

/** The track page of a case, with its check code when there is one (`#/track/2026…?k=7KQ2PX`), as the receipt's track_url. */
export function trackHref(caseNo: string, checkCode?: string | null): string {
  return `#/track/${encodeURIComponent(caseNo)}${checkCode ? `?k=${encodeURIComponent(checkCode)}` : ''}`;
}

/** The reports kept on this device. */
export function loadMyReports(storage: Pick<Storage, 'getItem'> = localStorage): MyReport[] {
  try {
    return parseMyReports(storage.getItem(MY_REPORTS_KEY));
  } catch {
    // Storage can be refused (private browsing, blocked cookies): then nothing is kept.
    return [];
  }
}

/** Change the kept list; answers whether it could be stored. */
export function updateMyReports(change: (list: MyReport[]) => MyReport[], storage: Pick<Storage, 'getItem' | 'setItem'> = localStorage): boolean {
  try {
    storage.setItem(MY_REPORTS_KEY, JSON.stringify(change(loadMyReports(storage))));
    return true;
  } catch {
    return false;
  }
}

/** What a report page keeps beside a report sent later from the outbox, to list it once the server has it. */
export interface ReportMeta {
  category: MyReport['category'];
  reported_at: string;
}

/** The server's receipt of a resident's report, as far as "My reports" reads it. */
interface Receipt {
  case_no: string;
  check_code?: string | null;
  status?: string;
  level?: string;
}

/** Keep a report the server has taken (at once, or later from the outbox) in "My reports"; answers whether it could be stored. */
export function rememberReport(receipt: Receipt, meta: ReportMeta, storage: Pick<Storage, 'getItem' | 'setItem'> = localStorage): boolean {
  return updateMyReports((list) => withReport(list, {
    case_no: receipt.case_no,
    ...(receipt.check_code ? { check_code: receipt.check_code } : {}),
    category: meta.category,
    reported_at: meta.reported_at,
    ...(receipt.status ? { status: receipt.status } : {}),
    ...(receipt.level ? { level: receipt.level } : {}),
  }), storage);
}

/** The meta a kept report carries, if it is one (the outbox keeps it as plain JSON). */
export function asReportMeta(meta: unknown): ReportMeta | null {
  const m = meta as Partial<ReportMeta> | null | undefined;
  return m && typeof m.reported_at === 'string' && m.category && typeof m.category.code === 'string' && typeof m.category.name === 'string' ? (m as ReportMeta) : null;
}
