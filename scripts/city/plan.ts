/**
 * The plan of the synthetic city: offices, communities and grids with names, chiefs and asset counts.
 * Pure part: the city as data, the same for the same options.
 */
import { makeRng, personName, pick } from '../../server/demo/synthetic.js';
import { AREA_LEVELS, type AreaLevel } from '../../server/areas/levels.js';
import { Lattice } from './lattice.js';

/** Leading digits of every area code of the synthetic city; 99 is no Chinese province, so no real office starts so. */
export const CITY_PREFIX = '9901';

// Hierarchy: an office is a block of 10×10 cells cut into 2×5 communities of 5×2 cells (10 grids each).
const COMMUNITY_COLS = 5;
const COMMUNITY_ROWS = 2;
const COMMUNITIES_ACROSS = 2;
const COMMUNITIES_DOWN = 5;
const OFFICE_COLS = COMMUNITY_COLS * COMMUNITIES_ACROSS;
const OFFICE_ROWS = COMMUNITY_ROWS * COMMUNITIES_DOWN;
const GRIDS_PER_COMMUNITY = COMMUNITY_COLS * COMMUNITY_ROWS;
const GRIDS_PER_OFFICE = OFFICE_COLS * OFFICE_ROWS;

/** Place-name syllables with their pinyin. */
const SYLLABLES: [string, string][] = [
  ['华', 'hua'], ['新', 'xin'], ['安', 'an'], ['康', 'kang'], ['兴', 'xing'], ['和', 'he'], ['平', 'ping'],
  ['东', 'dong'], ['西', 'xi'], ['南', 'nan'], ['北', 'bei'], ['明', 'ming'], ['光', 'guang'], ['福', 'fu'],
  ['泰', 'tai'], ['宁', 'ning'], ['长', 'chang'], ['青', 'qing'], ['云', 'yun'], ['海', 'hai'], ['江', 'jiang'],
  ['湖', 'hu'], ['山', 'shan'], ['桥', 'qiao'], ['园', 'yuan'], ['林', 'lin'], ['春', 'chun'], ['秋', 'qiu'],
  ['祥', 'xiang'], ['瑞', 'rui'], ['龙', 'long'], ['凤', 'feng'], ['金', 'jin'], ['玉', 'yu'], ['文', 'wen'],
  ['德', 'de'], ['嘉', 'jia'], ['盛', 'sheng'], ['丰', 'feng'], ['永', 'yong'], ['乐', 'le'], ['清', 'qing'],
  ['源', 'yuan'], ['星', 'xing'], ['月', 'yue'], ['阳', 'yang'], ['泉', 'quan'], ['松', 'song'], ['柳', 'liu'],
  ['梅', 'mei'], ['兰', 'lan'], ['竹', 'zhu'], ['枫', 'feng'], ['荷', 'he'], ['塘', 'tang'], ['港', 'gang'],
];

/** What to generate. */
export interface CityOptions {
  grids: number;
  assets: number;
  seed: number;
}

/** One area of the city, its boundary one counter-clockwise ring of [lon, lat]. */
export interface CityArea {
  code: string;
  level: AreaLevel;
  name: string;
  name_en: string;
  parent_code: string | null;
  ring: number[][];
}

/** A grid of the city: its area, the office it belongs to, its lattice cell and its chief. */
export interface CityGrid {
  area: CityArea;
  officeCode: string;
  col: number;
  row: number;
  chief: { code: string; name: string; name_en: string; phone: string };
  assetCount: number;
}

/** The whole city except the assets, which `gridAssets` makes grid by grid. */
export interface CityPlan {
  options: CityOptions;
  lattice: Lattice;
  offices: CityArea[];
  communities: CityArea[];
  grids: CityGrid[];
}

/** A two-syllable place name not used yet, in Chinese and pinyin. */
function placeName(rng: () => number, used: Set<string>): { zh: string; en: string } {
  for (;;) {
    const a = pick(rng, SYLLABLES);
    const b = pick(rng, SYLLABLES);
    const zh = a[0] + b[0];
    if (a[0] === b[0] || used.has(zh)) {
      if (used.size >= SYLLABLES.length * (SYLLABLES.length - 1)) return { zh, en: pinyin(a[1], b[1]) };
      continue;
    }
    used.add(zh);
    return { zh, en: pinyin(a[1], b[1]) };
  }
}

/** Join two pinyin syllables into a capitalised name, with the apostrophe before a/e/o (Xi'an). */
function pinyin(a: string, b: string): string {
  const joined = /^[aeo]/.test(b) ? `${a}'${b}` : a + b;
  return joined[0].toUpperCase() + joined.slice(1);
}

/** A person's name in Chinese and pinyin, and an 11-digit mobile number. */
function personOf(rng: () => number): { name: string; name_en: string; phone: string } {
  let phone = `1${pick(rng, ['3', '5', '7', '8', '9'])}`;
  for (let d = 0; d < 9; d++) phone += Math.floor(rng() * 10);
  return { ...personName(rng), phone };
}

/** Split `total` into integer parts proportional to `weights` (largest remainder, ties by index). */
export function apportion(total: number, weights: number[]): number[] {
  const sum = weights.reduce((a, b) => a + b, 0);
  const exact = weights.map((w) => (total * w) / sum);
  const parts = exact.map(Math.floor);
  let left = total - parts.reduce((a, b) => a + b, 0);
  const order = exact.map((e, i) => [e - Math.floor(e), i]).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (let j = 0; left > 0; j++, left--) parts[order[j % order.length][1]]++;
  return parts;
}

/** Lay out the city: offices, communities, grids with their chiefs and asset counts. Pure and deterministic. */
export function planCity(options: CityOptions): CityPlan {
  const { grids: gridTotal, assets: assetTotal, seed } = options;
  const officeCount = Math.ceil(gridTotal / GRIDS_PER_OFFICE);
  const blocksAcross = Math.ceil(Math.sqrt(officeCount));
  const blocksDown = Math.ceil(officeCount / blocksAcross);
  const lattice = new Lattice(blocksAcross * OFFICE_COLS, blocksDown * OFFICE_ROWS, makeRng(seed, 'lattice'));
  const names = makeRng(seed, 'names');
  const people = makeRng(seed, 'people');
  const density = makeRng(seed, 'density');
  const usedNames = new Set<string>();

  const offices: CityArea[] = [];
  const communities: CityArea[] = [];
  const grids: CityGrid[] = [];
  const weights: number[] = [];
  for (let o = 0; o < officeCount; o++) {
    const officeCode = `${CITY_PREFIX}${String(o + 1).padStart(5, '0')}`;
    const officeName = placeName(names, usedNames);
    const officeGrids = Math.min(GRIDS_PER_OFFICE, gridTotal - o * GRIDS_PER_OFFICE);
    const bx = (o % blocksAcross) * OFFICE_COLS;
    const by = Math.floor(o / blocksAcross) * OFFICE_ROWS;
    const officeCells: { col: number; row: number }[] = [];
    for (let q = 0; q * GRIDS_PER_COMMUNITY < officeGrids; q++) {
      const communityCode = `${officeCode}${String(q + 1).padStart(3, '0')}`;
      const communityName = placeName(names, usedNames);
      const cx = bx + (q % COMMUNITIES_ACROSS) * COMMUNITY_COLS;
      const cy = by + Math.floor(q / COMMUNITIES_ACROSS) * COMMUNITY_ROWS;
      const communityCells: { col: number; row: number }[] = [];
      for (let p = 0; p < Math.min(GRIDS_PER_COMMUNITY, officeGrids - q * GRIDS_PER_COMMUNITY); p++) {
        const col = cx + (p % COMMUNITY_COLS);
        const row = cy + Math.floor(p / COMMUNITY_COLS);
        const code = `${communityCode}${String(p + 1).padStart(3, '0')}`;
        communityCells.push({ col, row });
        grids.push({
          area: {
            code,
            level: AREA_LEVELS.grid,
            name: `${communityName.zh}社区第${p + 1}网格`,
            name_en: `${communityName.en} Community Grid ${p + 1}`,
            parent_code: communityCode,
            ring: lattice.cellRing(col, row),
          },
          officeCode,
          col,
          row,
          chief: { code: `C${code}`, ...personOf(people) },
          assetCount: 0,
        });
        // Denser towards the centre of the city, with a grid-to-grid spread (parks, water, new towns).
        const d = Math.hypot(col + 0.5 - lattice.cols / 2, row + 0.5 - lattice.rows / 2) / Math.max(lattice.cols, lattice.rows);
        weights.push((0.35 + Math.exp(-((d / 0.3) ** 2))) * (0.4 + 1.2 * density()));
      }
      communities.push({
        code: communityCode,
        level: AREA_LEVELS.community,
        name: `${communityName.zh}社区`,
        name_en: `${communityName.en} Community`,
        parent_code: officeCode,
        ring: lattice.unionRing(communityCells),
      });
      officeCells.push(...communityCells);
    }
    offices.push({
      code: officeCode,
      level: AREA_LEVELS.office,
      name: `${officeName.zh}街道`,
      name_en: `${officeName.en} Subdistrict`,
      parent_code: null,
      ring: lattice.unionRing(officeCells),
    });
  }
  const counts = apportion(assetTotal, weights);
  grids.forEach((g, i) => (g.assetCount = counts[i]));
  return { options, lattice, offices, communities, grids };
}
