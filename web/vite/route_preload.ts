import path from 'node:path';
import type { Plugin, Rolldown } from 'vite';

type OutputBundle = Rolldown.OutputBundle;
type OutputChunk = Rolldown.OutputChunk;

/**
 * The chunks each route needs, from the bundle: every page module under `pagesDir` is a chunk of its own (main.ts
 * imports each with `import()`), named by its route as main.ts's PAGES are: the file's name, `viewer` being `''`.
 * Each route lists its chunk and the chunks it imports, but not the entry (index.html loads it anyway).
 */
export function routeChunks(bundle: OutputBundle, pagesDir: string): Record<string, string[]> {
  const chunks = Object.values(bundle).filter((o): o is OutputChunk => o.type === 'chunk');
  const byName = new Map(chunks.map((c) => [c.fileName, c]));
  const needs = (c: OutputChunk, seen: Set<string>): void => {
    if (seen.has(c.fileName) || c.isEntry) return;
    seen.add(c.fileName);
    for (const i of c.imports) {
      const dep = byName.get(i);
      if (dep) needs(dep, seen);
    }
  };
  const routes: Record<string, string[]> = {};
  for (const c of chunks) {
    if (!c.isDynamicEntry || !c.facadeModuleId || path.dirname(c.facadeModuleId) !== pagesDir) continue;
    const name = path.basename(c.facadeModuleId, '.ts');
    const seen = new Set<string>();
    needs(c, seen);
    routes[name === 'viewer' ? '' : name] = [...seen].map((f) => `/${f}`);
  }
  return routes;
}

/** The inline script: the current hash route's chunks as modulepreload links (the route read as route.ts's parseRoute reads it). */
export function preloadScript(routes: Record<string, string[]>): string {
  return `(function(p){var n=location.hash.replace(/^#\\/?/,'').split(/[/?]/)[0];(p[n]||p['']||[]).forEach(function(u){var l=document.createElement('link');l.rel='modulepreload';l.crossOrigin='';l.href=u;document.head.appendChild(l)})})(${JSON.stringify(routes)})`;
}

/**
 * Vite plugin: an inline script in index.html that starts loading the current page's chunk as soon as the
 * HTML is read, beside the main chunk instead of after it has run (one round trip and the main chunk's run
 * time less before the report form shows).
 */
export function routePreload(pagesDir: string): Plugin {
  return {
    name: 'gridwork:route-preload',
    apply: 'build',
    transformIndexHtml: {
      order: 'post',
      handler(html, ctx) {
        if (!ctx.bundle) return html;
        // Before the stylesheet (a script after one waits for it), after <meta charset> (read in the first 1024 bytes).
        return html.replace('</title>', `</title>\n<script>${preloadScript(routeChunks(ctx.bundle, pagesDir))}</script>`);
      },
    },
  };
}
