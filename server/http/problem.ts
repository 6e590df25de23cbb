import type { ErrorRequestHandler, RequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import { statusOf } from './errors.js';

/** Media type of every error body (RFC 9457). */
export const PROBLEM_TYPE = 'application/problem+json';

/** A problem document as sent to clients. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  [extension: string]: unknown;
}

/** Send a problem document with the right media type. */
export function sendProblem(res: Response, problem: Problem): void {
  res.status(problem.status).type(PROBLEM_TYPE).send(JSON.stringify(problem));
}

/** 404 for any route nobody handled. */
export const handleUnknownRoute: RequestHandler = (req, res) => {
  sendProblem(res, {
    type: 'about:blank',
    title: 'Not found',
    status: 404,
    detail: `There is no ${req.method} ${req.path}. The API is described at /api/openapi.json (browse it at /api/docs).`,
    instance: req.originalUrl,
  });
};

// Errors raised by express's own body parsers, with what to tell the client.
const PARSER_ERRORS: Record<string, (err: { limit?: number; type: string }) => [number, string]> = {
  'entity.too.large': (e) => [413, `The request body is larger than the limit of ${e.limit} bytes; send a smaller body.`],
  'entity.parse.failed': () => [400, 'The request body is not valid JSON; check quotes, commas and brackets.'],
  'encoding.unsupported': () => [415, 'The request body encoding is not supported; send UTF-8.'],
  'charset.unsupported': () => [415, 'The request body charset is not supported; send UTF-8.'],
};

/** Map every error to a problem document: typed errors by the error table, the rest as 500 (logged, not shown). */
export function handleErrors(logger: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    const known = statusOf(err);
    if (known) {
      sendProblem(res, {
        type: 'about:blank',
        title: known.title,
        status: known.status,
        detail: err.message,
        instance: req.originalUrl,
        ...err.extra,
      });
      return;
    }
    const parser = err && typeof err.type === 'string' ? PARSER_ERRORS[err.type] : undefined;
    if (parser) {
      const [status, detail] = parser(err);
      sendProblem(res, { type: 'about:blank', title: status === 413 ? 'Content too large' : 'Bad request', status, detail, instance: req.originalUrl });
      return;
    }
    logger.error({ err, url: req.originalUrl }, 'unhandled error');
    sendProblem(res, {
      type: 'about:blank',
      title: 'Internal server error',
      status: 500,
      detail: 'Something went wrong on the server; it has been logged. Try again, and report it if it persists.',
      instance: req.originalUrl,
    });
  };
}
