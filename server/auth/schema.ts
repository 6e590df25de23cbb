import { z } from 'zod';
import { ROLES } from './store.js';

/**
 * A username as the server reads it: NFKC (full-width letters and digits as ASCII) and without white space
 * around it. The login schema and the failed-login limit both read it so, so that `" chief05"` or
 * `"ｃｈｉｅｆ05"` is the same user to the limit as to the lookup.
 */
export function normalizeUsername(raw: unknown): string {
  return typeof raw === 'string' ? raw.normalize('NFKC').trim() : '';
}

/** Body of POST /api/auth/login. */
export const loginBody = z
  .object({
    username: z.string({ error: 'username is required' }).transform(normalizeUsername).pipe(z.string().min(1, 'username is required').max(100)),
    password: z.string({ error: 'password is required' }).min(1, 'password is required').max(1000),
  })
  .meta({ id: 'LoginRequest' });

/** The logged-in user, as GET /api/me answers. */
export const meSchema = z
  .object({
    id: z.number().int(),
    username: z.string(),
    display_name: z.string(),
    role: z.enum(ROLES),
    department_code: z.string().nullable(),
    scope: z.array(z.string()).meta({ description: 'Area codes the user may see and act on (and everything under them)' }),
    expires_at: z.string().meta({ description: 'When the session expires (ISO 8601)' }),
  })
  .meta({ id: 'Me' });

/** Answer of a successful login. */
export const loginResponse = z
  .object({
    token: z.string().meta({ description: 'Send as "Authorization: Bearer <token>"; also set as an httpOnly cookie' }),
    expires_at: z.string(),
    user: meSchema.omit({ expires_at: true }),
  })
  .meta({ id: 'LoginResponse' });
