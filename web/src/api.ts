/** Calls to the Gridwork API: JSON in and out, the session in its cookie, problems as typed errors. */
import { apiUrl, type Answer, type ApiRequest, type PathWith, type RequestArgs, type Schema, type UrlParams } from './api/contract.js';

/** What the pages need of the API's contract, from the one place they call it. */
export { queryString, type Answer, type Params, type Schema } from './api/contract.js';

import { problemMessage } from './i18n.js';

/**
 * An error answer of the API (RFC 9457 problem), with its status and what to fix: `message` is the text of
 * its `code` in the page's language, `detail` the server's English text.
 */
export class ApiError extends Error {
  /** The problem's stable code (server/http/problem_codes.ts), when the answer had one. */
  readonly code?: string;
  /** The values the code's message needs. */
  readonly params: Record<string, unknown>;
  constructor(
    readonly status: number,
    readonly detail: string,
    readonly url: string,
    /** The whole problem document (some carry more, e.g. an import's bad rows). */
    readonly body?: Record<string, unknown>,
  ) {
    const code = typeof body?.code === 'string' ? body.code : undefined;
    const params = body?.params && typeof body.params === 'object' ? (body.params as Record<string, unknown>) : {};
    super(problemMessage({ code, params, detail }));
    this.code = code;
    this.params = params;
  }
}

/** The answer's JSON, or an ApiError for an error status. */
function answer<T>(status: number, statusText: string, text: string, url: string): T {
  if (status === 204) return undefined as T;
  let body: Record<string, unknown> | undefined;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    if (status < 400) throw new ApiError(status, `${url} answered something other than JSON`, url);
  }
  if (status >= 400) throw new ApiError(status, typeof body?.detail === 'string' ? body.detail : statusText, url, body);
  return body as T;
}

/** A fetch answer's JSON, or an ApiError for an error status (for callers that fetch themselves, e.g. the outbox). */
export async function parseAnswer<T>(res: Response, url: string): Promise<T> {
  return answer<T>(res.status, res.statusText, await res.text(), url);
}

/** A request's JSON body, or its FormData as multipart. */
function bodyOf(init: RequestInit, body: unknown): RequestInit {
  if (body instanceof FormData) return { ...init, body };
  if (body === undefined) return init;
  return { ...init, body: JSON.stringify(body), headers: { 'content-type': 'application/json' } };
}

/** GET a JSON resource by its path in the API document: `getJson('/api/assets/{id}', { path: { id } })`. */
export async function getJson<P extends PathWith<'get'>>(path: P, ...[request]: RequestArgs<P, 'get'>): Promise<Answer<P, 'get'>> {
  const url = apiUrl(path, request as UrlParams);
  return parseAnswer(await fetch(url, { credentials: 'same-origin', headers: { accept: 'application/json' } }), url);
}

/** POST JSON (or a FormData as multipart) and read the JSON answer. */
export async function postJson<P extends PathWith<'post'>>(path: P, ...[request]: RequestArgs<P, 'post'>): Promise<Answer<P, 'post'>> {
  const url = apiUrl(path, request as UrlParams);
  return parseAnswer(await fetch(url, bodyOf({ method: 'POST', credentials: 'same-origin' }, request?.body)), url);
}

/** PATCH with a JSON body and read the JSON answer. */
export async function patchJson<P extends PathWith<'patch'>>(path: P, ...[request]: RequestArgs<P, 'patch'>): Promise<Answer<P, 'patch'>> {
  const url = apiUrl(path, request as UrlParams);
  return parseAnswer(await fetch(url, bodyOf({ method: 'PATCH', credentials: 'same-origin' }, request?.body)), url);
}

/**
 * POST a form (multipart) and read the JSON answer, telling how much of the upload has gone (0..1); `headers`
 * adds request headers (an `Idempotency-Key`, so that sending again after a lost answer files nothing twice).
 */
export function postForm<P extends PathWith<'post'>>(
  path: P,
  request: ApiRequest<P, 'post'> & { body: FormData },
  onProgress: (sent: number) => void,
  headers: Record<string, string> = {},
): Promise<Answer<P, 'post'>> {
  return postFormTo<Answer<P, 'post'>>(apiUrl(path, request as UrlParams), request.body, onProgress, headers);
}

/**
 * POST a form to a URL already made (the outbox keeps URLs), telling how far the upload is (0..1). No answer at
 * all (no signal, the server unreachable) rejects with an ApiError of status 0.
 */
export function postFormTo<T>(url: string, body: FormData, onProgress: (sent: number) => void = () => undefined, headers: Record<string, string> = {}): Promise<T> {
  // fetch cannot tell how far an upload is; a file of a million assets, or three photos on a weak signal, takes a while
  // to send. Where there is no XMLHttpRequest (a worker, Node), fetch sends it without progress.
  if (typeof XMLHttpRequest === 'undefined') {
    return fetch(url, { method: 'POST', body, credentials: 'same-origin', headers: { accept: 'application/json', ...headers } }).then(
      (res) => parseAnswer<T>(res, url),
      () => Promise.reject(new ApiError(0, 'the upload failed (network)', url)),
    );
  }
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', url);
    xhr.withCredentials = true;
    xhr.setRequestHeader('accept', 'application/json');
    for (const [name, value] of Object.entries(headers)) xhr.setRequestHeader(name, value);
    xhr.upload.addEventListener('progress', (e) => e.lengthComputable && onProgress(e.loaded / e.total));
    xhr.addEventListener('load', () => {
      try {
        resolve(answer<T>(xhr.status, xhr.statusText, xhr.responseText, url));
      } catch (err) {
        reject(err);
      }
    });
    xhr.addEventListener('error', () => reject(new ApiError(0, 'the upload failed (network)', url)));
    xhr.send(body);
  });
}

/** The logged-in user, as /api/me and the login answer it. */
export type Me = Schema<'LoginResponse'>['user'];

let me: Promise<Me | null> | undefined;

// The session cookie is httpOnly. This key holds the user as /api/me last answered: whether asking is worth a
// request, and who is signed in while there is no signal (a chief on patrol opens the app without one).
const SESSION_HINT = 'gridwork.session';

/** The user kept under SESSION_HINT, if it is one (older builds kept "1"). */
function keptUser(): Me | null {
  try {
    const kept = JSON.parse(localStorage.getItem(SESSION_HINT) ?? 'null') as Partial<Me> | null;
    return kept && typeof kept === 'object' && typeof kept.role === 'string' && typeof kept.username === 'string' ? (kept as Me) : null;
  } catch {
    return null;
  }
}

/** The logged-in user, or null (asked once per page load, and again after login/logout; callers meanwhile share the one request). */
export function currentUser(): Promise<Me | null> {
  me ??= askMe();
  return me;
}

async function askMe(): Promise<Me | null> {
  if (!localStorage.getItem(SESSION_HINT)) return null;
  try {
    const user = await getJson('/api/me');
    localStorage.setItem(SESSION_HINT, JSON.stringify(user));
    return user;
  } catch (err) {
    // Without signal the session is not known to be over: the user last seen goes on (the server still checks
    // every request), and the next load asks again.
    if (!(err instanceof ApiError) || err.status === 0) return keptUser();
    localStorage.removeItem(SESSION_HINT);
    return null;
  }
}

/** Log in (the server sets the session cookie). */
export async function login(username: string, password: string): Promise<Me> {
  const res = await postJson('/api/auth/login', { body: { username, password } });
  me = Promise.resolve(res.user);
  localStorage.setItem(SESSION_HINT, JSON.stringify(res.user));
  return res.user;
}

/** End the session. */
export async function logout(): Promise<void> {
  await postJson('/api/auth/logout').catch(() => undefined);
  localStorage.removeItem(SESSION_HINT);
  me = Promise.resolve(null);
}
