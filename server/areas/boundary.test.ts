import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../db/connect.js';
import { openTestDb } from '../../test/app.js';
import { importBoundary } from './boundary.js';

const SOURCE = path.resolve(import.meta.dirname, '../../data/source/shenhe-district.geojson');

let db: Db;
beforeAll(async () => {
  db = await openTestDb();
});
afterAll(async () => {
  await db.close();
});

describe('importBoundary', () => {
  it('detects the self-intersection of the published district boundary, says where, and repairs it', async () => {
    const fc = JSON.parse(fs.readFileSync(SOURCE, 'utf8'));
    const { geometry, report } = await importBoundary(db.knex, fc.features[0].geometry);
    expect(report.valid).toBe(false);
    expect(report.reason).toMatch(/Self-intersection/i);
    expect(report.location![0]).toBeCloseTo(123.4287, 3);
    expect(report.location![1]).toBeCloseTo(41.7793, 3);
    expect(report.repaired).toBe(true);
    expect(report.area_m2).toBeGreaterThan(55e6);
    expect(report.area_m2).toBeLessThan(65e6);
    expect(geometry.type).toBe('MultiPolygon');
    const { rows } = await db.knex.raw(`select ST_IsValid(ST_GeomFromGeoJSON(?)) as ok`, [JSON.stringify(geometry)]);
    expect(rows[0].ok).toBe(true);
  });

  it('passes a valid polygon through unchanged, as a MultiPolygon', async () => {
    const square = { type: 'Polygon', coordinates: [[[123.4, 41.8], [123.41, 41.8], [123.41, 41.81], [123.4, 41.81], [123.4, 41.8]]] };
    const { geometry, report } = await importBoundary(db.knex, square);
    expect(report).toMatchObject({ valid: true, reason: null, location: null, repaired: false, parts: 1 });
    expect(geometry.coordinates).toEqual([square.coordinates]);
  });

  it('repairs a bow-tie into polygons only', async () => {
    const bowtie = { type: 'Polygon', coordinates: [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]] };
    const { geometry, report } = await importBoundary(db.knex, bowtie);
    expect(report.valid).toBe(false);
    expect(report.location).toEqual([0.5, 0.5]);
    expect(report.parts).toBe(2);
    expect(geometry.type).toBe('MultiPolygon');
  });

  it('refuses what is not a polygon, and unreadable GeoJSON', async () => {
    await expect(importBoundary(db.knex, { type: 'LineString', coordinates: [[0, 0], [1, 1]] })).rejects.toThrow(/Polygon or MultiPolygon/);
    await expect(importBoundary(db.knex, null)).rejects.toThrow(/Polygon or MultiPolygon/);
    await expect(importBoundary(db.knex, { type: 'Polygon', coordinates: [[[0, 0], [1]]] })).rejects.toThrow();
  });
});
