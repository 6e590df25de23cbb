/**
 * Deterministic randomness and synthetic people for the demo office and the generated city: the same
 * seed and stream name always give the same sequence, so generated data is reproducible.
 */

/** A random source answering floats in [0, 1). */
export type Rng = () => number;

/** Hash text to 32 bits (FNV-1a followed by a murmur3 finaliser). */
export function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** A seeded PRNG (mulberry32) from a 32-bit state. */
export function mulberry32(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A PRNG for one named stream of a seed, so that changing one step does not reshuffle the others. */
export function makeRng(seed: number, ...stream: (string | number)[]): Rng {
  return mulberry32(hash32(`${seed}/${stream.join('/')}`));
}

/** A random element of a list. */
export function pick<T>(rng: Rng, items: ArrayLike<T>): T {
  return items[Math.floor(rng() * items.length)];
}

/** Common surnames with their pinyin. */
export const SURNAMES: ReadonlyArray<[string, string]> = [
  ['王', 'Wang'], ['李', 'Li'], ['张', 'Zhang'], ['刘', 'Liu'], ['陈', 'Chen'], ['杨', 'Yang'], ['赵', 'Zhao'],
  ['黄', 'Huang'], ['周', 'Zhou'], ['吴', 'Wu'], ['徐', 'Xu'], ['孙', 'Sun'], ['胡', 'Hu'], ['朱', 'Zhu'],
  ['高', 'Gao'], ['林', 'Lin'], ['何', 'He'], ['郭', 'Guo'], ['马', 'Ma'], ['罗', 'Luo'], ['梁', 'Liang'],
  ['宋', 'Song'], ['郑', 'Zheng'], ['谢', 'Xie'], ['韩', 'Han'], ['唐', 'Tang'], ['冯', 'Feng'], ['于', 'Yu'],
  ['董', 'Dong'], ['程', 'Cheng'], ['曹', 'Cao'], ['袁', 'Yuan'], ['邓', 'Deng'], ['傅', 'Fu'], ['沈', 'Shen'],
  ['彭', 'Peng'], ['孟', 'Meng'], ['金', 'Jin'], ['白', 'Bai'], ['崔', 'Cui'],
];

/** Given-name characters; every pinyin syllable starts with a consonant, so joined names need no apostrophe. */
export const GIVEN_CHARS: ReadonlyArray<[string, string]> = [
  ['伟', 'wei'], ['芳', 'fang'], ['娜', 'na'], ['秀', 'xiu'], ['英', 'ying'], ['敏', 'min'], ['静', 'jing'],
  ['丽', 'li'], ['强', 'qiang'], ['磊', 'lei'], ['军', 'jun'], ['洋', 'yang'], ['勇', 'yong'], ['艳', 'yan'],
  ['杰', 'jie'], ['娟', 'juan'], ['涛', 'tao'], ['明', 'ming'], ['超', 'chao'], ['霞', 'xia'], ['平', 'ping'],
  ['刚', 'gang'], ['桂', 'gui'], ['华', 'hua'], ['建', 'jian'], ['国', 'guo'], ['玉', 'yu'], ['兰', 'lan'],
  ['红', 'hong'], ['志', 'zhi'], ['海', 'hai'], ['春', 'chun'], ['晓', 'xiao'], ['燕', 'yan'], ['鹏', 'peng'],
  ['辉', 'hui'], ['宁', 'ning'], ['凤', 'feng'], ['淑', 'shu'], ['佳', 'jia'], ['文', 'wen'], ['博', 'bo'],
  ['浩', 'hao'], ['宇', 'yu'], ['婷', 'ting'], ['雪', 'xue'], ['新', 'xin'], ['成', 'cheng'], ['东', 'dong'],
  ['云', 'yun'], ['丹', 'dan'], ['荣', 'rong'], ['梅', 'mei'], ['岩', 'yan'], ['立', 'li'], ['振', 'zhen'],
];

/** A synthetic person name in Chinese and pinyin; unique within `taken` when a set is given. */
export function personName(rng: Rng, taken?: Set<string>): { name: string; name_en: string } {
  for (;;) {
    const [sn, sp] = pick(rng, SURNAMES);
    const given = rng() < 0.7 ? [pick(rng, GIVEN_CHARS), pick(rng, GIVEN_CHARS)] : [pick(rng, GIVEN_CHARS)];
    const name = sn + given.map(([c]) => c).join('');
    if (taken?.has(name) || given[0][0] === given[1]?.[0]) continue;
    taken?.add(name);
    const g = given.map(([, p]) => p).join('');
    return { name, name_en: `${sp} ${g[0].toUpperCase()}${g.slice(1)}` };
  }
}
