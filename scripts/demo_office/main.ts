/** The run of the demo office generator: read the source boundary, build and check everything, write data/demo. */
import fs from 'node:fs';
import path from 'node:path';
import { importBoundary } from '../../server/areas/boundary.js';
import { openDatabase } from '../../server/db/connect.js';
import { areaFeatures, buildAreas } from './areas.js';
import { assetFeatures, buildAssets } from './assets.js';
import { OUT_DIR, ROOT, SOURCE_BOUNDARY } from './constants.js';
import { countBy, fail } from './helpers.js';
import { readmeText } from './readme.js';
import { createWorkTables } from './sql.js';
import { buildStaff, buildUsers } from './staff.js';
import { describeExtraParts, extraParts, loadCheckAreas, verifyAreas, verifyAssets } from './verify.js';

/** Read the published boundary (invalid as published) from the repository. */
function readSourceBoundary(): unknown {
  const fc = JSON.parse(fs.readFileSync(path.join(ROOT, SOURCE_BOUNDARY), 'utf8'));
  const geometry = fc?.features?.[0]?.geometry;
  if (!geometry) fail(`${SOURCE_BOUNDARY} has no feature with a geometry`);
  return geometry;
}

/** A FeatureCollection as text with one feature per line (valid JSON, readable diffs). */
function featureCollectionText(features: unknown[]): string {
  return `{"type":"FeatureCollection","features":[\n${features.map((f) => JSON.stringify(f)).join(',\n')}\n]}\n`;
}

/** Write a file under data/demo. */
function writeOut(name: string, text: string): void {
  fs.writeFileSync(path.join(OUT_DIR, name), text);
}

/** Generate everything and write the files. */
export async function main(): Promise<void> {
  const started = Date.now();
  const db = await openDatabase({ memory: true });
  try {
    const knex = db.knex;
    const imported = await importBoundary(knex, readSourceBoundary());
    const report = imported.report;
    const loc = report.location ? `${report.location[0]} E ${report.location[1]} N` : '-';
    console.log(`boundary: ${report.valid ? 'valid' : `invalid (${report.reason} at ${loc}), repaired`}; ${report.parts} parts, ${(report.area_m2 / 1e6).toFixed(3)} km²`);

    await createWorkTables(knex);
    const { records, grids, strayMoves } = await buildAreas(knex, JSON.stringify(imported.geometry));
    const features = await areaFeatures(knex, records);
    await loadCheckAreas(knex, features);
    const facts = await verifyAreas(knex, report.area_m2);
    const detached = await extraParts(knex);

    const assets = await buildAssets(knex, grids);
    const assetFacts = await verifyAssets(knex, assets);
    const staff = buildStaff(records);
    const users = buildUsers(records, staff);

    fs.mkdirSync(OUT_DIR, { recursive: true });
    writeOut('boundary_report.json', `${JSON.stringify({ source: SOURCE_BOUNDARY, ...report }, null, 2)}\n`);
    writeOut('areas.geojson', featureCollectionText(features));
    writeOut('staff.json', `${JSON.stringify(staff, null, 2)}\n`);
    writeOut('users.json', `${JSON.stringify(users, null, 2)}\n`);
    writeOut('assets.geojson', featureCollectionText(assetFeatures(assets)));
    writeOut('README.md', readmeText(report, facts, detached, staff, users, assets));

    console.log(`areas: 1 office ${(facts.office_m2 / 1e6).toFixed(3)} km², ${facts.communities} communities, ${facts.grids} grids; ` +
      `grids ${(facts.min_grid_m2 / 1e6).toFixed(3)}–${(facts.max_grid_m2 / 1e6).toFixed(3)} km²; ${strayMoves} stray parts merged`);
    console.log(`checks: grid areas sum off by ${Math.abs(facts.grids_m2 - facts.office_m2).toExponential(2)} m²; ` +
      `max grid overlap ${facts.max_overlap_m2.toExponential(2)} m² over ${facts.overlap_pairs} touching pairs; ` +
      `office vs repaired boundary ${facts.source_gap_m2.toExponential(2)} m²`);
    for (const line of describeExtraParts(detached)) console.log(`  multipart ${line}`);
    console.log(`staff: ${staff.length} ${JSON.stringify(countBy(staff, (s) => s.role))}`);
    console.log(`users: ${users.length}`);
    console.log(`assets: ${assets.length} ${JSON.stringify(countBy(assets, (a) => a.category_code))}; nearest to an edge ${assetFacts.min_edge_m.toFixed(2)} m`);
    console.log(`wrote ${path.relative(ROOT, OUT_DIR)}/ in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  } finally {
    await db.close();
  }
}
