import type { Request, Response } from 'express';

/**
 * This server's public base URL, without a trailing slash: every absolute URL the server writes (OGC
 * links, TileJSON `tiles`, …) starts with it. It is the configured PUBLIC_URL when there is one, so that
 * no client can make the server print links to another host by sending its own `Host`. Without it, it is
 * the address the request came to: the scheme and host the client used (`X-Forwarded-Proto` and
 * `X-Forwarded-Host` count only from a proxy the app trusts, `trust proxy`, i.e. one on loopback), and
 * the answer is marked as varying with those headers, so that no shared cache hands links built for one
 * host to a client of another.
 */
export function publicBaseUrl(req: Request, res: Response, publicUrl: string | null): string {
  if (publicUrl) return publicUrl;
  res.vary('Host').vary('X-Forwarded-Host').vary('X-Forwarded-Proto');
  return `${req.protocol}://${req.host}`;
}
