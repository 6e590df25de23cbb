import fs from 'node:fs';
import sharp from 'sharp';
import type { Plugin } from 'vite';

/** The icons the build draws from the one SVG, by file name under /icons/: size in pixels, and whether full-bleed (maskable). */
const PNG_ICONS: { file: string; size: number; maskable: boolean }[] = [
  { file: 'icon-192.png', size: 192, maskable: false },
  { file: 'icon-512.png', size: 512, maskable: false },
  { file: 'maskable-512.png', size: 512, maskable: true },
  { file: 'apple-touch-icon.png', size: 180, maskable: true },
];

/** The web app manifest: the chief's field app, installable, opening on their page. */
export function webAppManifest(): Record<string, unknown> {
  return {
    id: '/',
    name: 'Gridwork 网格化管理',
    short_name: '网格通',
    description: '网格化城市管理：上报、处置、核查 · Grid-based urban management',
    lang: 'zh-CN',
    start_url: '/#/chief',
    scope: '/',
    display: 'standalone',
    background_color: '#f3f1ec',
    theme_color: '#1f4e79',
    icons: [
      { src: '/icons/icon.svg', sizes: 'any', type: 'image/svg+xml', purpose: 'any' },
      ...PNG_ICONS.filter((i) => i.file.startsWith('icon') || i.file.startsWith('maskable')).map((i) => ({
        src: `/icons/${i.file}`, sizes: `${i.size}x${i.size}`, type: 'image/png', purpose: i.maskable ? 'maskable' : 'any',
      })),
    ],
  };
}

/** A maskable copy of the icon: the rounded corners squared, since the launcher applies its own mask. */
function fullBleed(svg: string): string {
  return svg.replace(/rx="96"/, 'rx="0"');
}

/**
 * Vite plugin: emit /manifest.webmanifest and the icons (the SVG of `iconFile`, and PNGs drawn from it
 * with sharp) and link them from index.html.
 */
export function appManifest(iconFile: string): Plugin {
  return {
    name: 'gridwork:app-manifest',
    apply: 'build',
    async generateBundle() {
      const svg = fs.readFileSync(iconFile, 'utf8');
      this.emitFile({ type: 'asset', fileName: 'icons/icon.svg', source: svg });
      for (const icon of PNG_ICONS) {
        const source = await sharp(Buffer.from(icon.maskable ? fullBleed(svg) : svg), { density: 300 }).resize(icon.size, icon.size).png().toBuffer();
        this.emitFile({ type: 'asset', fileName: `icons/${icon.file}`, source });
      }
      this.emitFile({ type: 'asset', fileName: 'manifest.webmanifest', source: `${JSON.stringify(webAppManifest(), null, 2)}\n` });
    },
    transformIndexHtml() {
      return [
        { tag: 'link', attrs: { rel: 'manifest', href: '/manifest.webmanifest' }, injectTo: 'head' },
        { tag: 'link', attrs: { rel: 'icon', href: '/icons/icon.svg', type: 'image/svg+xml' }, injectTo: 'head' },
        { tag: 'link', attrs: { rel: 'apple-touch-icon', href: '/icons/apple-touch-icon.png' }, injectTo: 'head' },
      ];
    },
  };
}
