/** Area levels by name: an office holds communities, a community holds grids. */
export const AREA_LEVELS = { office: 1, community: 2, grid: 3 } as const;
/** The name of an area level. */
export type AreaLevelName = keyof typeof AREA_LEVELS;
/** The number of an area level. */
export type AreaLevel = (typeof AREA_LEVELS)[AreaLevelName];
/** Area level names by number. */
export const AREA_LEVEL_NAMES: Record<number, AreaLevelName> = { 1: 'office', 2: 'community', 3: 'grid' };
/** Area level names, top down. */
export const AREA_LEVEL_LIST = ['office', 'community', 'grid'] as const satisfies readonly AreaLevelName[];
