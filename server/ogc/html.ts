/**
 * The HTML view of the OGC resources (conformance class html): plain pages with the same content and
 * links as the JSON, readable in a browser without any script.
 */
import type { Link } from './service.js';

/** Escape text for HTML. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** A table of records (one row each), columns from the first record's keys. */
function table(records: Record<string, unknown>[]): string {
  if (!records.length) return '<p>Nothing here.</p>';
  const cols = [...new Set(records.flatMap((r) => Object.keys(r)))];
  const cell = (v: unknown) => escapeHtml(v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v));
  return `<table><thead><tr>${cols.map((c) => `<th>${escapeHtml(c)}</th>`).join('')}</tr></thead><tbody>${records
    .map((r) => `<tr>${cols.map((c) => `<td>${cell(r[c])}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;
}

/** A whole page: title, description, its links, and optional tables. */
export function page(title: string, description: string, links: Link[], body = ''): string {
  const list = links
    .map((l) => `<li><a href="${escapeHtml(l.href)}">${escapeHtml(l.title ?? l.rel)}</a> <small>(${escapeHtml(l.rel)}${l.type ? `, ${escapeHtml(l.type)}` : ''})</small></li>`)
    .join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font:14px system-ui,sans-serif;margin:1.5em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 6px;text-align:left;vertical-align:top}</style>
</head><body><h1>${escapeHtml(title)}</h1><p>${escapeHtml(description)}</p><ul>${list}</ul>${body}</body></html>`;
}

/** Rows of features for the HTML table: the id, the geometry type and the properties. */
export function featureTable(features: string[]): string {
  return table(
    features.map((text) => {
      const f = JSON.parse(text) as { id: unknown; geometry: { type: string } | null; properties: Record<string, unknown> };
      return { id: f.id, geometry: f.geometry?.type ?? null, ...f.properties };
    }),
  );
}

/** A table of any records. */
export function recordTable(records: Record<string, unknown>[]): string {
  return table(records);
}
