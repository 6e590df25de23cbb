import { z } from 'zod';
import { PROBLEM_CODES, statusesOf, type ProblemCode, type ProblemCodeEntry } from './problem_codes.js';

const CODES = Object.keys(PROBLEM_CODES) as [ProblemCode, ...ProblemCode[]];

/** One line of the code's entry for the document: status, params and meaning. */
function codeLine(code: ProblemCode): string {
  const entry: ProblemCodeEntry = PROBLEM_CODES[code];
  const params = entry.params?.length ? ` Params: ${entry.params.join(', ')}.` : '';
  return `${statusesOf(code).join('/')}: ${entry.meaning}${params}`;
}

/** An RFC 9457 problem document, as every error answers. */
export const problemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    code: z.enum(CODES).meta({
      description:
        'Stable machine-readable code: clients translate by it. Each code, its status and meaning:\n\n' +
        CODES.map((c) => `- \`${c}\` (${codeLine(c)})`).join('\n'),
      'x-enumDescriptions': Object.fromEntries(CODES.map((c) => [c, codeLine(c)])),
    }),
    params: z
      .record(z.string(), z.unknown())
      .meta({ description: 'The values the code’s message needs (their names are listed with each code), e.g. {"point": [123.4, 41.8]}' }),
    detail: z.string().meta({ description: 'What went wrong and what to change, in English' }),
    instance: z.string().optional(),
  })
  .catchall(z.unknown())
  .meta({ id: 'Problem' });

/** Shorthand for an error response in a route spec. */
export const problem = (description: string) => ({ description, schema: problemSchema });

/** The bytes of a file (an image, a tile, an uploaded file), in a response or a multipart form. */
export const binary = z.string().meta({ format: 'binary' });
