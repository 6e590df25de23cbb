import { describe, expect, it } from 'vitest';
import { MY_REPORTS_KEY, MY_REPORTS_MAX, loadMyReports, parseMyReports, trackHref, updateMyReports, withReport, withStatus, type MyReport } from './my_reports.js';

const LAMP = { code: '0603', name: '路灯不亮', name_en: 'Streetlight out' };
const report = (case_no: string, reported_at: string, extra: Partial<MyReport> = {}): MyReport => ({ case_no, category: LAMP, reported_at, ...extra });

/** A Storage of one map. */
function memoryStorage(): Pick<Storage, 'getItem' | 'setItem'> {
  const items = new Map<string, string>();
  return { getItem: (k) => items.get(k) ?? null, setItem: (k, v) => void items.set(k, v) };
}

describe('parseMyReports', () => {
  it('reads the stored list', () => {
    const list = [report('20260101000001', '2026-01-01T08:00:00Z', { check_code: '7KQ2PX' })];
    expect(parseMyReports(JSON.stringify(list))).toEqual(list);
  });

  it('answers an empty list for nothing, bad JSON or something else', () => {
    expect(parseMyReports(null)).toEqual([]);
    expect(parseMyReports('{not json')).toEqual([]);
    expect(parseMyReports('{"case_no":"1"}')).toEqual([]);
  });

  it('drops entries that are not reports', () => {
    const good = report('20260101000001', '2026-01-01T08:00:00Z');
    expect(parseMyReports(JSON.stringify([good, null, 7, { case_no: 3 }, { case_no: 'x', reported_at: 'y' }]))).toEqual([good]);
  });
});

describe('withReport', () => {
  it('puts the newest report first', () => {
    const list = withReport([report('20260101000001', '2026-01-01T08:00:00Z')], report('20260102000001', '2026-01-02T08:00:00Z'));
    expect(list.map((r) => r.case_no)).toEqual(['20260102000001', '20260101000001']);
  });

  it('updates a case already kept, keeping its check code', () => {
    const list = withReport([report('20260101000001', '2026-01-01T08:00:00Z', { check_code: '7KQ2PX' })], report('20260101000001', '2026-01-01T08:00:00Z', { status: 'closed' }));
    expect(list).toEqual([report('20260101000001', '2026-01-01T08:00:00Z', { check_code: '7KQ2PX', status: 'closed' })]);
  });

  it(`keeps at most ${MY_REPORTS_MAX}, dropping the oldest`, () => {
    let list: MyReport[] = [];
    for (let i = 0; i < MY_REPORTS_MAX + 5; i++) list = withReport(list, report(`2026010100${String(i).padStart(4, '0')}`, new Date(Date.UTC(2026, 0, 1, 0, i)).toISOString()));
    expect(list).toHaveLength(MY_REPORTS_MAX);
    expect(list.at(-1)!.case_no).toBe('20260101000005');
  });
});

describe('withStatus', () => {
  it('records the status last seen of one case', () => {
    const list = [report('20260101000001', '2026-01-01T08:00:00Z'), report('20260101000002', '2026-01-01T09:00:00Z')];
    expect(withStatus(list, '20260101000002', 'handled', 'grid')[1]).toMatchObject({ status: 'handled', level: 'grid' });
    expect(withStatus(list, '20260101000002', 'handled', 'grid')[0].status).toBeUndefined();
  });
});

describe('trackHref', () => {
  it('links the track page with the check code, as the receipt does', () => {
    expect(trackHref('20260101000001', '7KQ2PX')).toBe('#/track/20260101000001?k=7KQ2PX');
    expect(trackHref('20260101000001')).toBe('#/track/20260101000001');
    expect(trackHref('20260101000001', null)).toBe('#/track/20260101000001');
  });
});

describe('storage', () => {
  it('keeps the list under its key and reads it back', () => {
    const storage = memoryStorage();
    expect(updateMyReports((l) => withReport(l, report('20260101000001', '2026-01-01T08:00:00Z')), storage)).toBe(true);
    expect(JSON.parse(storage.getItem(MY_REPORTS_KEY)!)).toHaveLength(1);
    expect(loadMyReports(storage).map((r) => r.case_no)).toEqual(['20260101000001']);
  });

  it('answers false and keeps going when storage is refused', () => {
    const refusing = { getItem: () => null, setItem: () => { throw new Error('QuotaExceededError'); } };
    expect(updateMyReports((l) => l, refusing)).toBe(false);
    expect(loadMyReports({ getItem: () => { throw new Error('SecurityError'); } })).toEqual([]);
  });
});
