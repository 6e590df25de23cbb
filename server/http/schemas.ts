import { z } from 'zod';

/** An RFC 9457 problem document, as every error answers. */
export const problemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().meta({ description: 'What went wrong and what to change' }),
    instance: z.string().optional(),
  })
  .catchall(z.unknown())
  .meta({ id: 'Problem' });

/** Shorthand for an error response in a route spec. */
export const problem = (description: string) => ({ description, schema: problemSchema });
