import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loginAs, useTestApp } from '../../test/app.js';

const t = useTestApp();
let admin: string;
let chief: string;
const auth = (token: string) => ({ Authorization: `Bearer ${token}` });
// Friday 2099-01-02, 16:00 in Shanghai (UTC+8); the next days are Saturday 3, Sunday 4, Monday 5.
const FRIDAY_4PM = '2099-01-02T08:00:00.000Z';

const deadline = (hours: number, kind = 'working', from = FRIDAY_4PM) =>
  request(t.app).get('/api/work-calendar/deadline').query({ hours, kind, from });

beforeAll(async () => {
  admin = await loginAs(t.app, 'admin');
  chief = await loginAs(t.app, 'chief01');
});
afterAll(async () => {
  await t.db.knex('work_calendar').where('day', '>=', '2099-01-01').delete();
});

describe('GET /api/work-calendar', () => {
  it('answers the working periods of a working day in Asia/Shanghai', async () => {
    const res = await request(t.app).get('/api/work-calendar?from=2099-01-01');
    expect(res.status).toBe(200);
    expect(res.type).toBe('application/json');
    expect(res.body).toMatchObject({
      time_zone: 'Asia/Shanghai',
      periods: [{ starts: '08:30', ends: '12:00' }, { starts: '13:30', ends: '17:30' }],
      hours_per_day: 7.5,
      days: [],
    });
  });

  it('refuses a day that does not exist', async () => {
    const res = await request(t.app).get('/api/work-calendar?from=2099-02-30');
    expect(res.status).toBe(400);
    expect(res.type).toBe('application/problem+json');
    expect(res.body.detail).toMatch(/no such day/);
  });
});

describe('GET /api/work-calendar/deadline', () => {
  it('counts working hours over the weekend: Friday 16:00 + 4 h is Monday 11:00', async () => {
    const res = await deadline(4);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ from: FRIDAY_4PM, hours: 4, kind: 'working', due_at: '2099-01-05T03:00:00.000Z' });
  });

  it('counts calendar hours straight through', async () => {
    expect((await deadline(4, 'calendar')).body.due_at).toBe('2099-01-02T12:00:00.000Z');
  });

  it('skips the lunch break and starts a report made out of hours at the next period', async () => {
    // Saturday 10:00 → Monday 08:30 + 3.5 h = 12:00 exactly, the end of the morning period.
    expect((await deadline(3.5, 'working', '2099-01-03T02:00:00.000Z')).body.due_at).toBe('2099-01-05T04:00:00.000Z');
    // Monday 11:00 + 2 h: one hour before lunch, one after it → 14:30.
    expect((await deadline(2, 'working', '2099-01-05T03:00:00.000Z')).body.due_at).toBe('2099-01-05T06:30:00.000Z');
  });

  it('refuses a missing or negative number of hours and an unknown kind', async () => {
    for (const q of [{}, { hours: -1 }, { hours: 'soon' }, { hours: 2, kind: 'lunar' }, { hours: 2, from: 'yesterday' }]) {
      const res = await request(t.app).get('/api/work-calendar/deadline').query(q);
      expect(res.status, JSON.stringify(q)).toBe(400);
      expect(res.type).toBe('application/problem+json');
    }
  });
});

describe('PUT /api/work-calendar/days/{day}', () => {
  it('a holiday moves a deadline past it, a worked Sunday pulls it in, and deleting restores it', async () => {
    const holiday = await request(t.app).put('/api/work-calendar/days/2099-01-05').set(auth(admin)).send({ working: false, note: '元旦' });
    expect(holiday.status).toBe(200);
    expect(holiday.body).toEqual({ day: '2099-01-05', working: false, note: '元旦' });
    expect((await deadline(4)).body.due_at).toBe('2099-01-06T03:00:00.000Z');

    expect((await request(t.app).put('/api/work-calendar/days/2099-01-04').set(auth(admin)).send({ working: true, note: '元旦调休' })).status).toBe(200);
    expect((await deadline(4)).body.due_at).toBe('2099-01-04T03:00:00.000Z');

    const listed = await request(t.app).get('/api/work-calendar?from=2099-01-01&to=2099-01-31');
    expect(listed.body.days).toEqual([
      { day: '2099-01-04', working: true, note: '元旦调休' },
      { day: '2099-01-05', working: false, note: '元旦' },
    ]);

    for (const day of ['2099-01-04', '2099-01-05']) {
      expect((await request(t.app).delete(`/api/work-calendar/days/${day}`).set(auth(admin))).status).toBe(204);
    }
    expect((await deadline(4)).body.due_at).toBe('2099-01-05T03:00:00.000Z');
    const again = await request(t.app).delete('/api/work-calendar/days/2099-01-05').set(auth(admin));
    expect(again.status).toBe(404);
    expect(again.type).toBe('application/problem+json');
  });

  it('is the admin\'s alone', async () => {
    const body = { working: false };
    expect((await request(t.app).put('/api/work-calendar/days/2099-01-06').send(body)).status).toBe(401);
    const res = await request(t.app).put('/api/work-calendar/days/2099-01-06').set(auth(chief)).send(body);
    expect(res.status).toBe(403);
    expect(await t.db.knex('work_calendar').where({ day: '2099-01-06' }).first()).toBeUndefined();
  });

  it('refuses a bad day or body', async () => {
    for (const [day, body] of [['2099-13-01', { working: true }], ['tomorrow', { working: true }], ['2099-01-06', {}], ['2099-01-06', { working: 'yes' }]] as const) {
      const res = await request(t.app).put(`/api/work-calendar/days/${day}`).set(auth(admin)).send(body);
      expect(res.status, `${day} ${JSON.stringify(body)}`).toBe(400);
      expect(res.type).toBe('application/problem+json');
    }
  });
});

describe('PUT /api/work-calendar/periods', () => {
  it('replaces the periods, and deadlines follow them', async () => {
    const res = await request(t.app).put('/api/work-calendar/periods').set(auth(admin)).send([{ starts: '09:00', ends: '17:00' }]);
    try {
      expect(res.status).toBe(200);
      expect(res.body).toEqual([{ starts: '09:00', ends: '17:00' }]);
      // Friday 16:00 + 4 h of 09:00–17:00 days: one hour on Friday, three on Monday → 12:00.
      expect((await deadline(4)).body.due_at).toBe('2099-01-05T04:00:00.000Z');
    } finally {
      await request(t.app).put('/api/work-calendar/periods').set(auth(admin)).send([{ starts: '08:30', ends: '12:00' }, { starts: '13:30', ends: '17:30' }]);
    }
  });

  it('refuses no period, overlapping periods, a period that ends before it starts and a bad time, changing nothing', async () => {
    for (const body of [[], [{ starts: '08:00', ends: '12:00' }, { starts: '11:00', ends: '14:00' }], [{ starts: '12:00', ends: '08:00' }], [{ starts: '8:30', ends: '12:00' }], [{ starts: '08:30', ends: '24:00' }]]) {
      const res = await request(t.app).put('/api/work-calendar/periods').set(auth(admin)).send(body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.type).toBe('application/problem+json');
    }
    const after = await request(t.app).get('/api/work-calendar');
    expect(after.body.periods).toEqual([{ starts: '08:30', ends: '12:00' }, { starts: '13:30', ends: '17:30' }]);
    expect(after.body.hours_per_day).toBe(7.5);
  });

  it('is the admin\'s alone', async () => {
    const res = await request(t.app).put('/api/work-calendar/periods').set(auth(chief)).send([{ starts: '09:00', ends: '17:00' }]);
    expect(res.status).toBe(403);
  });
});
