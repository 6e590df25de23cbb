/**
 * The demo office's fixed inputs (paths, seed, names, counts, tolerances, asset layers) and the records
 * the generator writes. Every other module of scripts/demo_office reads its settings from here.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AreaLevel } from '../../server/areas/levels.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const SOURCE_BOUNDARY = 'data/source/shenhe-district.geojson';
export const OUT_DIR = path.join(ROOT, 'data/demo');

export const SEED = 20240607;
export const OFFICE = { code: '210103007', name: '沈河区示范街道', name_en: 'Shenhe Demo Street Office' };
export const COMMUNITY_NAMES: Array<[string, string]> = [
  ['文化路', 'Wenhualu'],
  ['青年大街', 'Qingniandajie'],
  ['五爱', 'Wuai'],
  ['风雨坛', 'Fengyutan'],
  ['大南', 'Danan'],
  ['万泉', 'Wanquan'],
  ['朱剪炉', 'Zhujianlu'],
  ['彩塔', 'Caita'],
  ['南塔', 'Nanta'],
  ['滨河', 'Binhe'],
];
export const COMMUNITY_COUNT = COMMUNITY_NAMES.length;
export const GRID_COUNT = 91;
export const MIN_GRIDS_PER_COMMUNITY = 6;
export const COMMUNITY_LLOYD_ITERATIONS = 12;
export const GRID_LLOYD_ITERATIONS = 4;
/** Seedings tried per region; the one with the most even cell areas is kept. */
export const SEEDING_ATTEMPTS = 6;
/** UTM zone 51N: metres for Voronoi, Lloyd and offsets (the office lies at 123.4–123.6 E). */
export const UTM_SRID = 32651;
/** How far past the region the Voronoi diagram extends, metres. */
export const VORONOI_MARGIN_M = 5000;
/** Detached parts smaller than this are flagged as slivers (any part sharing an edge with a neighbour is merged into it). */
export const SLIVER_M2 = 50;
export const MAX_OVERLAP_M2 = 1;
/** Metres per degree of latitude (mean); for turning small planar lon/lat areas into m². */
export const M_PER_DEGREE = 111_195;
export const MAX_AREA_REL_ERROR = 1e-6;
export const AREA_PRECISION = 15;
export const POINT_DECIMALS = 7;
/** No asset lies closer than this to a grid edge, metres. */
export const MIN_EDGE_OFFSET_M = 3;
/** Interior assets (in blocks, not on streets) keep at least this far from grid edges, metres. */
export const INTERIOR_OFFSET_M = 20;

/** An asset line along the streets: a category at a fixed offset inside each grid edge, with a target count. */
interface StreetLayer {
  category: string;
  offsetM: number;
  target: number;
}
export const STREET_LAYERS: StreetLayer[] = [
  { category: '0102', offsetM: 4, target: 300 },
  { category: '0103', offsetM: 6, target: 280 },
  { category: '0101', offsetM: 7, target: 260 },
  { category: '0110', offsetM: 8, target: 220 },
  { category: '0111', offsetM: 9, target: 170 },
  { category: '0105', offsetM: 10, target: 180 },
  { category: '0107', offsetM: 11, target: 200 },
  { category: '0104', offsetM: 12, target: 520 },
  { category: '0120', offsetM: 13, target: 1300 },
  { category: '0304', offsetM: 15, target: 500 },
];
/** Manhole covers inside blocks (residential compounds), by category weight. */
export const INTERIOR_COVER_TARGET = 250;
export const INTERIOR_COVER_WEIGHTS: Array<[string, number]> = [
  ['0102', 4],
  ['0101', 3],
  ['0110', 2],
  ['0111', 1],
];
export const GARBAGE_GATE_TARGET = 160;
export const NOTICE_BOARD_COUNT = 197;
export const NOTICE_BOARDS_PER_GRID = 2;
export const COVER_CATEGORIES = ['0101', '0102', '0103', '0105', '0107', '0110', '0111'];

export const CLEANER_COUNT = 69;
export const CADRE_COUNT = 60;
export const POLICE_COUNT = 6;
export const VOLUNTEER_COUNT = 20;
export const PARTY_MEMBER_COUNT = 20;
/** Department accounts: code and display name, as in migrations/002_dictionaries.sql. */
export const DEPARTMENT_USERS: Array<[string, string]> = [
  ['municipal', '市政管理处'],
  ['sanitation', '环卫中心'],
  ['city_management', '城管执法中队'],
  ['police', '公安派出所'],
];

export type XY = [number, number];
export type MultiPolygon = { type: 'MultiPolygon'; coordinates: number[][][][] };

/** One area as written to areas.geojson. */
export interface AreaRecord {
  code: string;
  name: string;
  name_en: string;
  level: AreaLevel;
  parent_code: string | null;
}

/** One staff member as written to staff.json. */
export interface StaffRecord {
  code: string;
  name: string;
  name_en: string;
  role: 'chief' | 'grid_leader' | 'cleaner' | 'cadre' | 'party_member' | 'volunteer' | 'police';
  phone: string;
  areas: string[];
  department_code?: string;
}

/** One login as written to users.json (the loader sets the demo password). */
export interface UserRecord {
  username: string;
  display_name: string;
  role: 'admin' | 'planner' | 'community' | 'chief' | 'department' | 'staff';
  scope: string[];
  department_code?: string;
  staff_code?: string;
}

/** One asset as written to assets.geojson. */
export interface AssetRecord {
  code: string;
  category_code: string;
  status: 'normal' | 'damaged' | 'missing';
  attrs: Record<string, string | number | boolean>;
  grid: string;
  utm: XY;
  lonlat?: XY;
}

/** A grid with what the later steps need. */
export interface GridInfo {
  code: string;
  communityCode: string;
  areaM2: number;
}
