/** The order categories are offered in: those that fit the asset first, then the ones this device uses most, then the dictionary's. */

/** What the ordering needs of a category. */
export interface Pickable {
  code: string;
  asset_category_code: string | null;
}

/** Where the counts of use are kept on the device. */
const USE_KEY = 'gridwork.category-use';

/**
 * The categories in the order to offer them: those of the asset's category first (a streetlight: 路灯不亮),
 * then by how often they were used (most first), then in the dictionary's order; ties keep the dictionary's.
 */
export function rankCategories<T extends Pickable>(categories: readonly T[], uses: Record<string, number>, assetCategory?: string | null): T[] {
  const fits = (c: T) => (assetCategory && c.asset_category_code === assetCategory ? 1 : 0);
  return categories
    .map((c, i) => ({ c, i }))
    .sort((a, b) => fits(b.c) - fits(a.c) || (uses[b.c.code] ?? 0) - (uses[a.c.code] ?? 0) || a.i - b.i)
    .map(({ c }) => c);
}

/** How often each category was picked on this device. */
export function categoryUses(storage: Pick<Storage, 'getItem'> = localStorage): Record<string, number> {
  try {
    const v = JSON.parse(storage.getItem(USE_KEY) ?? '{}');
    return v && typeof v === 'object' ? (v as Record<string, number>) : {};
  } catch {
    return {};
  }
}

/** Count one more use of a category on this device. */
export function recordCategoryUse(code: string, storage: Pick<Storage, 'getItem' | 'setItem'> = localStorage): void {
  const uses = categoryUses(storage);
  uses[code] = (uses[code] ?? 0) + 1;
  storage.setItem(USE_KEY, JSON.stringify(uses));
}
