/**
 * Generate a deterministic synthetic city (offices → communities → grids, one chief per grid, point
 * assets) into the configured database, so that tiles, exports and appraisal can be measured at scale.
 *
 *   npm run generate:city -- --grids 10000 --assets 1000000 [--seed 1] [--replace]
 *
 * The city is a lattice of jittered quadrilateral cells whose edges are shared polylines: neighbouring
 * grids use the very same vertices, so grids tile their community and communities their office exactly.
 * Every area code starts with CITY_PREFIX, which no real office code can start with.
 */
import { main } from './city/cli.js';

main().catch((err) => {
  console.error('generate:city failed:', err);
  process.exit(1);
});
