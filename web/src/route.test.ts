import { describe, expect, it } from 'vitest';
import { afterLogin, isCurrent, navFor, parseRoute } from './route.js';

describe('parseRoute', () => {
  it('reads the page name, the decoded path argument and the query', () => {
    const r = parseRoute('#/track/2026%2F001?lang=en&x=1');
    expect(r.name).toBe('track');
    expect(r.arg).toBe('2026/001');
    expect([...r.query]).toEqual([['lang', 'en'], ['x', '1']]);
  });

  it('keeps the rest of a longer path as the argument', () => {
    expect(parseRoute('#/board/210103/007').arg).toBe('210103/007');
  });

  it('reads the map (an empty name) from an empty hash, "#" and "#/"', () => {
    for (const hash of ['', '#', '#/']) expect(parseRoute(hash)).toMatchObject({ name: '', arg: '' });
  });

  it('takes a query whose values hold "?" and an encoded hash whole', () => {
    const r = parseRoute('#/login?next=%23%2Fcentre%3Fstatus%3Dopen&q=a?b');
    expect(r.name).toBe('login');
    expect(r.query.get('next')).toBe('#/centre?status=open');
    expect(r.query.get('q')).toBe('a?b');
  });
});

describe('isCurrent', () => {
  it('marks the link of the page shown, whatever its argument or query', () => {
    expect(isCurrent('#/track/2026001', '#/track')).toBe(true);
    expect(isCurrent('#/centre?status=open', '#/centre')).toBe(true);
  });

  it('does not mark another page that starts with the same letters, nor the map', () => {
    expect(isCurrent('#/chiefs', '#/chief')).toBe(false);
    expect(isCurrent('#/', '#/')).toBe(false);
  });
});

describe('afterLogin', () => {
  it('goes where the user was heading', () => {
    expect(afterLogin('#/appraisal?month=2026-05', 'admin')).toBe('#/appraisal?month=2026-05');
  });

  it("goes to the role's page instead of the map, the login page or nowhere", () => {
    expect(afterLogin('#/', 'chief')).toBe('#/chief');
    expect(afterLogin('#/login?next=%23%2F', 'planner')).toBe('#/planner');
    expect(afterLogin(null, 'department')).toBe('#/centre');
    expect(afterLogin('https://elsewhere.example/', 'community')).toBe('#/centre');
  });

  it('goes to the map for a role without a page of its own', () => {
    expect(afterLogin(null, 'staff')).toBe('#/');
  });
});

describe('navFor', () => {
  const hrefs = (role: string | null) => navFor(role).map(([href]) => href);
  const STAFF_PAGES = ['#/chief', '#/centre', '#/planner', '#/assets', '#/appraisal'];

  it('shows a resident (no session) only the public pages, the report first', () => {
    expect(hrefs(null)).toEqual(['#/report', '#/track', '#/']);
    for (const page of STAFF_PAGES) expect(hrefs(null)).not.toContain(page);
  });

  it("gives each role its own pages, its home first, and none it may not open", () => {
    expect(hrefs('chief')[0]).toBe('#/chief');
    expect(hrefs('chief')).not.toContain('#/planner');
    expect(hrefs('chief')).not.toContain('#/centre');
    expect(hrefs('department')).not.toContain('#/chief');
    expect(hrefs('planner')[0]).toBe('#/planner');
    expect(hrefs('planner')).not.toContain('#/centre');
  });

  it("gives an unknown role the resident's pages", () => {
    expect(navFor('intruder')).toEqual(navFor(null));
  });
});
