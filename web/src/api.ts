/** Calls to the Gridwork API: JSON in and out, the session in its cookie, problems as typed errors. */

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

async function parse<T>(res: Response, url: string): Promise<T> {
  return answer<T>(res.status, res.statusText, await res.text(), url);
}

/** GET a JSON resource. */
export async function getJson<T>(url: string): Promise<T> {
  return parse<T>(await fetch(url, { credentials: 'same-origin', headers: { accept: 'application/json' } }), url);
}

/** POST JSON (or a FormData as multipart) and read the JSON answer. */
export async function postJson<T>(url: string, body?: unknown): Promise<T> {
  const init: RequestInit = { method: 'POST', credentials: 'same-origin' };
  if (body instanceof FormData) init.body = body;
  else if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers = { 'content-type': 'application/json' };
  }
  return parse<T>(await fetch(url, init), url);
}

/** PATCH with a JSON body and read the JSON answer. */
export async function patchJson<T>(url: string, body: unknown): Promise<T> {
  const init: RequestInit = { method: 'PATCH', credentials: 'same-origin', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } };
  return parse<T>(await fetch(url, init), url);
}

/** POST a form (multipart) and read the JSON answer, telling how much of the upload has gone (0..1). */
export function postForm<T>(url: string, form: FormData, onProgress: (sent: number) => void): Promise<T> {
  // fetch cannot tell how far an upload is; a file of a million assets takes a while to send.
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', url);
    xhr.withCredentials = true;
    xhr.setRequestHeader('accept', 'application/json');
    xhr.upload.addEventListener('progress', (e) => e.lengthComputable && onProgress(e.loaded / e.total));
    xhr.addEventListener('load', () => {
      try {
        resolve(answer<T>(xhr.status, xhr.statusText, xhr.responseText, url));
      } catch (err) {
        reject(err);
      }
    });
    xhr.addEventListener('error', () => reject(new ApiError(0, 'the upload failed (network)', url)));
    xhr.send(form);
  });
}

/** The logged-in user as /api/me answers. */
export interface Me {
  id: number;
  username: string;
  display_name: string;
  role: 'admin' | 'planner' | 'community' | 'chief' | 'department' | 'staff';
  scope: string[];
}

let me: Me | null | undefined;

// The session cookie is httpOnly; this flag only says whether asking /api/me is worth a request.
const SESSION_HINT = 'gridwork.session';

/** The logged-in user, or null (asked once per page load, and again after login/logout). */
export async function currentUser(): Promise<Me | null> {
  if (me !== undefined) return me;
  if (!localStorage.getItem(SESSION_HINT)) return (me = null);
  try {
    me = await getJson<Me>('/api/me');
  } catch {
    me = null;
    localStorage.removeItem(SESSION_HINT);
  }
  return me;
}

/** Log in (the server sets the session cookie). */
export async function login(username: string, password: string): Promise<Me> {
  const res = await postJson<{ user: Me }>('/api/auth/login', { username, password });
  me = res.user;
  localStorage.setItem(SESSION_HINT, '1');
  return me;
}

/** End the session. */
export async function logout(): Promise<void> {
  await postJson('/api/auth/logout').catch(() => undefined);
  localStorage.removeItem(SESSION_HINT);
  me = null;
}

/** A grid, community or office as /api/areas answers. */
export interface AreaFeature {
  type: 'Feature';
  id: string;
  properties: {
    code: string;
    name: string;
    name_en: string;
    level: 'office' | 'community' | 'grid';
    parent_code: string | null;
    chief?: { name: string; name_en?: string; phone: string | null } | null;
  };
  geometry: { type: 'MultiPolygon'; coordinates: number[][][][] };
}

/** An incident as GET /api/incidents lists it. */
export interface IncidentSummary {
  id: number;
  case_no: string;
  status: string;
  level: string;
  category: { code: string; name: string; name_en: string };
  description: string;
  lon: number;
  lat: number;
  grid: { code: string; name: string } | null;
  department: { code: string; name: string } | null;
  assignee: { name: string; phone: string | null } | null;
  due_at: string | null;
  overdue: boolean;
  version: number;
  reported_at: string;
}

/** An incident category. */
export interface Category {
  code: string;
  name: string;
  name_en: string;
  class_name: string;
  class_name_en: string;
}

/** Bounds [w, s, e, n] of a GeoJSON geometry. */
export function boundsOf(geometry: { coordinates: unknown }): [number, number, number, number] {
  const b: [number, number, number, number] = [Infinity, Infinity, -Infinity, -Infinity];
  const walk = (c: unknown): void => {
    if (Array.isArray(c) && typeof c[0] === 'number') {
      b[0] = Math.min(b[0], c[0]);
      b[1] = Math.min(b[1], c[1] as number);
      b[2] = Math.max(b[2], c[0]);
      b[3] = Math.max(b[3], c[1] as number);
    } else if (Array.isArray(c)) c.forEach(walk);
  };
  walk(geometry.coordinates);
  return b;
}
