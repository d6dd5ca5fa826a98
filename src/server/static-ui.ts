import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Context } from 'hono';

/**
 * The web UI's static files (issue 12 "Web UI ... served by `taskgraph serve` at `/`"): the Vite
 * build in `dist/ui/` (`npm run build`). They need no token (the issue: every route needs one
 * "except /openapi.json and the UI's static files"); the UI reads the token from the URL's
 * `#token=` fragment, which browsers never send to the server, and sends it on every API call.
 */

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
  '.ico': 'image/x-icon',
};

/**
 * Where the built UI is: `dist/ui/` next to the compiled server (`dist/server/../ui`), or, when
 * the server runs from `src/` (tests), the checkout's `dist/ui/`. Undefined when neither has an
 * `index.html` (the UI was not built; the API works without it).
 */
export function defaultUiDir(): string | undefined {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const dir of [join(here, '..', 'ui'), join(here, '..', '..', 'dist', 'ui')]) if (existsSync(join(dir, 'index.html'))) return resolve(dir);
  return undefined;
}

/** Whether a request is for the UI's static files: `GET /`, `/index.html`, `/assets/*`, `/favicon.svg`. */
export function isUiPath(method: string, path: string): boolean {
  return (method === 'GET' || method === 'HEAD') && (path === '/' || path === '/index.html' || path === '/favicon.svg' || path.startsWith('/assets/'));
}

/**
 * Answers a UI path from `uiDir` (a 404 body for a file that is not there, a path that leaves
 * the directory, or no built UI). Assets are content-hashed by Vite and cached for a year;
 * `index.html` is not cached.
 */
export async function serveUiFile(c: Context, uiDir: string | undefined): Promise<Response> {
  const notBuilt = { code: 'NOT_FOUND', message: 'the web UI is not built', hint: 'run `npm run build` (it writes dist/ui/)' };
  if (!uiDir) return c.json(notBuilt, 404);
  const rel = c.req.path === '/' ? 'index.html' : decodeURIComponent(c.req.path.slice(1));
  const file = normalize(join(uiDir, rel));
  if (!file.startsWith(uiDir + sep)) return c.json({ code: 'NOT_FOUND', message: `no file ${c.req.path}` }, 404);
  const body = await readFile(file).catch(() => undefined);
  if (!body) return c.json({ code: 'NOT_FOUND', message: `no file ${c.req.path}`, hint: 'rebuild the UI with `npm run build`' }, 404);
  c.header('content-type', TYPES[extname(file)] ?? 'application/octet-stream');
  c.header('cache-control', rel.startsWith('assets/') ? 'public, max-age=31536000, immutable' : 'no-store');
  c.header('x-content-type-options', 'nosniff');
  return c.body(body);
}
