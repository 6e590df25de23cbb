import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { PublicStep } from '../api/public_contract.js';
import { holderText, statusText, timeline } from './timeline.js';

/** A browser whose saved language is `lang`. */
function lang(lang: 'zh' | 'en'): void {
  vi.stubGlobal('localStorage', { getItem: () => lang, setItem: () => undefined, removeItem: () => undefined });
  vi.stubGlobal('navigator', { languages: [], language: '' });
}

afterEach(() => {
  vi.unstubAllGlobals();
});

const nobody = { kind: null, name: null, name_en: null };
const step = (action: string, extra: Partial<PublicStep> = {}): PublicStep => ({ action, to_status: null, to_level: null, at: '2026-01-05T02:00:00.000Z', holder: nobody, ...extra });
const grid = { kind: 'grid' as const, name: '北市第三网格', name_en: 'Beishi grid 3' };
const community = { kind: 'community' as const, name: '北市社区', name_en: 'Beishi community' };
const centre = { kind: 'centre' as const, name: '指挥中心', name_en: 'Command centre' };
const sanitation = { kind: 'department' as const, name: '环卫中心', name_en: 'Sanitation centre' };

describe('the timeline in Chinese', () => {
  beforeEach(() => lang('zh'));

  it('reads reported → grid chief → community → command centre → 环卫中心 → handled → confirmed from the holders', () => {
    const steps = [
      step('report', { to_status: 'open', to_level: 'grid', holder: grid }),
      step('escalate', { to_level: 'community', holder: community }),
      step('escalate', { to_level: 'centre', holder: centre }),
      step('dispatch', { to_level: 'department', holder: sanitation }),
      step('handle', { to_status: 'handled', holder: grid }),
      step('confirm', { to_status: 'closed', holder: nobody }),
    ];
    expect(timeline(steps).map((e) => [e.what, e.who])).toEqual([
      ['已上报', '北市第三网格的网格长'],
      ['转交上级', '北市社区'],
      ['转交上级', '指挥中心'],
      ['派给处置部门', '环卫中心'],
      ['已处置，等待网格长核查', '北市第三网格的网格长'],
      ['核查通过，已办结', null],
    ]);
  });

  it('names the holder only where the case changed hands', () => {
    const steps = [step('report', { holder: grid }), step('supported', { holder: grid }), step('defer', { holder: grid })];
    expect(timeline(steps).map((e) => e.who)).toEqual(['北市第三网格的网格长', null, null]);
  });

  it('names nobody after a step the server says leaves nobody holding the case, whatever its level', () => {
    const steps = [step('report', { to_level: 'grid', holder: grid }), step('confirm', { to_status: 'closed', to_level: 'grid', holder: nobody })];
    expect(timeline(steps).map((e) => e.who)).toEqual(['北市第三网格的网格长', null]);
  });

  it('leaves out staff bookkeeping and says an unknown step in plain words, never its code', () => {
    const steps = [step('report'), step('photo_hidden'), step('reopened')];
    expect(timeline(steps).map((e) => e.what)).toEqual(['已上报', '处理有进展']);
  });

  it('says where the case stands', () => {
    expect(statusText('open', 'grid')).toBe('处理中：网格长正在处理');
    expect(statusText('open', 'department')).toBe('处理中：处置部门正在处理');
    expect(statusText('handled', 'grid')).toBe('已处置，等待网格长核查');
    expect(statusText('closed', 'grid')).toBe('已办结');
  });

  it('names who has an open case when the server names the holder', () => {
    const steps = [step('report', { holder: grid }), step('escalate', { holder: centre }), step('dispatch', { holder: sanitation }), step('supported', { holder: nobody })];
    expect(statusText('open', 'department', steps)).toBe('处理中：环卫中心正在处理');
    expect(statusText('open', 'grid', [step('report', { holder: grid })])).toBe('处理中：北市第三网格的网格长正在处理');
    expect(statusText('open', 'grid', [step('report', { to_level: 'grid' })])).toBe('处理中：网格长正在处理');
  });
});

describe('the timeline in English', () => {
  beforeEach(() => lang('en'));

  it('takes the English names of the holders', () => {
    expect(holderText(grid)).toBe('the grid chief of Beishi grid 3');
    expect(holderText(sanitation)).toBe('Sanitation centre');
    expect(holderText({ kind: 'department', name: '环卫中心', name_en: null })).toBe('环卫中心');
    expect(holderText(null)).toBeNull();
  });
});
