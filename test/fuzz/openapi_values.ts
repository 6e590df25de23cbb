/**
 * Values for fuzzing, generated from an OpenAPI 3.1 document: a sample that a parameter's or a body's
 * JSON Schema takes, and the hostile values to put in its place (wrong types, NUL bytes, very long text,
 * unicode edge cases, injection-shaped strings, boundary numbers). Pure: no HTTP, no database.
 */

/** A JSON Schema as the document writes it (only the keywords the generator reads). */
export interface JsonSchema {
  $ref?: string;
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  default?: unknown;
  example?: unknown;
  examples?: unknown[];
  format?: string;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  items?: JsonSchema;
  prefixItems?: JsonSchema[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
}

/** Pick up to `n` items of a list, in their order, by a random number generator. */
export function pickSome<T>(items: readonly T[], n: number, random: () => number): T[] {
  if (items.length <= n) return [...items];
  const chosen = new Set<number>();
  while (chosen.size < n) chosen.add(Math.floor(random() * items.length));
  return [...chosen].sort((a, b) => a - b).map((i) => items[i]);
}

/** Follow a `$ref` (and an `allOf` of one) to the schema it names in the document. */
export function resolve(schema: JsonSchema | undefined, doc: { components?: { schemas?: Record<string, JsonSchema> } }): JsonSchema {
  let s = schema ?? {};
  for (let depth = 0; s.$ref && depth < 20; depth++) {
    const name = s.$ref.replace('#/components/schemas/', '');
    s = doc.components?.schemas?.[name] ?? {};
  }
  if (s.allOf?.length === 1) return resolve(s.allOf[0], doc);
  return s;
}

/** The types a schema allows (`type`, or the types of its `anyOf`/`oneOf` branches). */
function typesOf(s: JsonSchema): string[] {
  if (Array.isArray(s.type)) return s.type;
  if (s.type) return [s.type];
  if (s.enum) return [...new Set(s.enum.map((v) => (v === null ? 'null' : typeof v)))];
  if (s.const !== undefined) return [typeof s.const];
  return [];
}

// Strings for formats a pattern-less string schema declares.
const FORMAT_SAMPLES: Record<string, string> = {
  'date-time': '2026-03-02T08:00:00Z',
  date: '2026-03-02',
  email: 'someone@example.org',
  uri: 'https://example.org/x',
  uuid: '6f1c9a52-3a3e-4d6e-9b43-2b1d8f0f7a11',
};

/** A value the schema takes, as far as the generator can tell (its example, default, enum or a plain value of its type). */
export function sampleOf(schema: JsonSchema | undefined, doc: Parameters<typeof resolve>[1], depth = 0): unknown {
  const s = resolve(schema, doc);
  if (s.example !== undefined) return s.example;
  if (s.examples?.length) return s.examples[0];
  if (s.default !== undefined) return s.default;
  if (s.const !== undefined) return s.const;
  if (s.enum?.length) return s.enum[0];
  const branch = s.anyOf ?? s.oneOf;
  if (branch?.length) return sampleOf(branch.find((b) => resolve(b, doc).type !== 'null') ?? branch[0], doc, depth + 1);
  const type = typesOf(s).find((t) => t !== 'null');
  switch (type) {
    case 'integer':
    case 'number': {
      const min = s.minimum ?? (s.exclusiveMinimum !== undefined ? s.exclusiveMinimum + 1 : 1);
      return Math.min(Math.max(min, 1), s.maximum ?? Number.MAX_SAFE_INTEGER);
    }
    case 'boolean':
      return true;
    case 'array': {
      if (s.prefixItems) return s.prefixItems.map((p) => sampleOf(p, doc, depth + 1));
      return depth > 6 ? [] : Array.from({ length: s.minItems ?? 1 }, () => sampleOf(s.items, doc, depth + 1));
    }
    case 'object': {
      if (depth > 6) return {};
      const out: Record<string, unknown> = {};
      for (const [k, p] of Object.entries(s.properties ?? {})) if (s.required?.includes(k)) out[k] = sampleOf(p, doc, depth + 1);
      return out;
    }
    case 'string':
      return s.format && FORMAT_SAMPLES[s.format] ? FORMAT_SAMPLES[s.format] : 'x'.repeat(Math.max(1, s.minLength ?? 1));
    default:
      return 'x';
  }
}

/** Text values that break careless code: NUL bytes, length, unicode edge cases, injection-shaped strings. */
export const HOSTILE_TEXT: readonly string[] = [
  'a\u0000b',
  '\u0000',
  'x'.repeat(100_000),
  '',
  ' ',
  '\ud800',
  '\udfff\ud800',
  '\u202e\u0645\u0631\u062d\u0628\u0627',
  '\ufeff\u200b\u200d',
  'e\u0301\u0301\u0301\u0301\u0301',
  '😀'.repeat(300),
  'ＡＢＣ１２３',
  "' or 1=1 --",
  '"; drop table incidents; --',
  '<script>alert(1)</script>',
  '${7*7}{{7*7}}',
  '../../../../etc/passwd',
  '%00%ff%c0%af',
  '\r\nSet-Cookie: x=1',
  'javascript:alert(1)',
  'file:///etc/passwd',
  '1e5',
  '0x10',
  '-0',
  'NaN',
  'Infinity',
  '9'.repeat(40),
];

/** Numbers at the edges: zero, negatives, past 32 and 53 bits, fractions, the largest double. */
export const HOSTILE_NUMBERS: readonly number[] = [0, -1, 1.5, 2 ** 31, 2 ** 53 + 2, -(2 ** 63), 1e308, -1e-308];

/** Values of the wrong JSON type, for body fields. */
const WRONG_TYPES: readonly unknown[] = [null, true, 12345, 'text', [], {}, [[[[[[[[[[[]]]]]]]]]]], { $gt: '' }];

/** Hostile values for a body field of this schema: wrong types, and hostile text or numbers. */
export function hostileBodyValues(schema: JsonSchema | undefined, doc: Parameters<typeof resolve>[1]): unknown[] {
  const s = resolve(schema, doc);
  const types = typesOf(s);
  const out: unknown[] = [...WRONG_TYPES, ...HOSTILE_TEXT];
  if (types.includes('integer') || types.includes('number') || types.length === 0) out.push(...HOSTILE_NUMBERS);
  if (types.includes('array')) out.push(Array.from({ length: 10_000 }, () => sampleOf(s.items, doc, 1)), [HOSTILE_TEXT[0]]);
  if (types.includes('object')) out.push(Object.fromEntries(Array.from({ length: 2_000 }, (_, i) => [`k${i}`, 'v'])), { a: '\u0000' });
  return out;
}

/** Hostile values for a path, query or header parameter: text (long, but within the 16 KB that Node takes for a request head), and numbers written as text. */
export function hostileParamValues(): string[] {
  return [...HOSTILE_TEXT.map((t) => (t.length > 6000 ? t.slice(0, 6000) : t)), ...HOSTILE_NUMBERS.map(String)];
}

/** The paths (lists of keys) of the fields of a body schema, to the given depth: `[['note'], ['location', 'lon']]`. */
export function fieldPaths(schema: JsonSchema | undefined, doc: Parameters<typeof resolve>[1], depth = 2, prefix: string[] = []): string[][] {
  const s = resolve(schema, doc);
  const props = s.properties ?? resolve((s.anyOf ?? s.oneOf)?.find((b) => resolve(b, doc).properties), doc).properties;
  if (!props || depth === 0) return [];
  return Object.entries(props).flatMap(([k, p]) => [[...prefix, k], ...fieldPaths(p, doc, depth - 1, [...prefix, k])]);
}

/** A copy of a JSON value with the field at `path` set to `value` (objects made along the way as needed). */
export function withField(body: unknown, path: string[], value: unknown): unknown {
  if (path.length === 0) return value;
  const base = body && typeof body === 'object' && !Array.isArray(body) ? { ...(body as Record<string, unknown>) } : {};
  base[path[0]] = withField(base[path[0]], path.slice(1), value);
  return base;
}
