/**
 * Generate the demo street office in data/demo/: areas (1 office, 10 communities, 91 grids), staff,
 * users, assets, the boundary repair report and a README. Deterministic: every random choice comes
 * from a seeded PRNG, every SQL result is ordered, so two runs write byte-identical files.
 *
 * Run with `npm run make:demo`. Uses the embedded PGlite+PostGIS in memory; nothing is stored.
 */
import { main } from './demo_office/main.js';

await main();
