import { existsSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { pathToFileURL, fileURLToPath } from 'node:url';
import { z } from 'zod';
import { TaskgraphError } from '../core/errors.js';
import { sha256 } from '../core/hash.js';
import type { Json } from '../core/json.js';
import { chromiumPath, withBrowser } from '../context/headless-chromium.js';
import type { NodeContext, NodeExecutor } from '../engine/node-executor.js';
import { checkWebUrl, hostAllowed } from '../safety/web-hosts.js';

const ScreenshotConfig = z
  .object({
    /** a page to render (http or https; its host must be in policy.safety.webHosts) */
    url: z.string().min(1).optional(),
    /** a local HTML file inside the run's worktree (else the project directory) */
    file: z.string().min(1).optional(),
    /** viewport in CSS pixels (default 1280 × 800) */
    width: z.number().int().min(64).max(4096).default(1280),
    height: z.number().int().min(64).max(4096).default(800),
    /** the whole scrollable page instead of the viewport */
    fullPage: z.boolean().default(false),
    /** ms the page may take to load (default 30,000) */
    timeoutMs: z.number().int().positive().max(300_000).default(30_000),
    /** PNG bytes at most (default 5 MiB); a larger image fails the node */
    maxBytes: z.number().int().min(10_000).max(50_000_000).default(5 * 1024 * 1024),
    /** `url` only: ms a rendering is reused (default 1 h): the cache key holds the TTL window */
    ttlMs: z.number().int().min(1).default(3_600_000),
  })
  .strict()
  .refine((c) => (c.url === undefined) !== (c.file === undefined), { message: 'set exactly one of `url` (a web page) or `file` (a local HTML file)' });

/** Config of a `screenshot` node. */
export type ScreenshotConfig = z.infer<typeof ScreenshotConfig>;

/** The 8 bytes every PNG starts with (PNG spec, ISO/IEC 15948 §5.2). */
export const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function baseDir(ctx: NodeContext): string {
  return ctx.workspace?.dir ?? ctx.projectDir;
}

/**
 * The local file's absolute path, checked to be a file inside the base directory.
 * @throws TaskgraphError CONFIG_INVALID
 */
function localFile(file: string, dir: string): string {
  const path = resolve(dir, file);
  const rel = relative(dir, path);
  if (rel.startsWith('..') || isAbsolute(rel)) throw new TaskgraphError('CONFIG_INVALID', `screenshot file "${file}" is outside the worktree`, { hint: 'give a path relative to the repository root' });
  if (!existsSync(path) || !statSync(path).isFile()) throw new TaskgraphError('CONFIG_INVALID', `screenshot file "${file}" does not exist in ${dir}`, { details: { file } });
  return path;
}

/**
 * Whether the page may load `url` (a subresource or navigation): http(s) on an allowed host,
 * `file:` inside `dir` (local mode only), `data:`/`blob:`/`about:`; nothing else.
 */
export function requestAllowed(url: string, allow: readonly string[], dir: string | undefined): boolean {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return false;
  }
  if (u.protocol === 'data:' || u.protocol === 'blob:' || u.protocol === 'about:') return true;
  if (u.protocol === 'http:' || u.protocol === 'https:') return hostAllowed(u.hostname, allow);
  if (u.protocol === 'file:' && dir !== undefined) {
    const path = fileURLToPath(u);
    return path === dir || path.startsWith(dir.endsWith(sep) ? dir : dir + sep);
  }
  return false;
}

/**
 * `screenshot` nodes (issue 16), a context source for vision models: render a web page (`url`,
 * host in `policy.safety.webHosts`) or a local HTML file of the project (`file`) in headless
 * Chromium (`context/headless-chromium.ts`: playwright-core, /usr/bin/chromium, one shared
 * browser) and output the PNG: `{ image: { mediaType: 'image/png', data: BASE64 }, sha256, bytes,
 * width, height, source }`. Every request the page makes passes the same allowlist (a local
 * file may load files under its directory and allowed hosts only); others are aborted. An output
 * over the store's blob threshold (64 KiB of JSON, most screenshots) is stored once in the blob
 * table under its content hash (`store/store.ts` BLOB_THRESHOLD_BYTES). An `llm` node that lists
 * the input in `images` sends it to a `vision: true` profile as an image part (and a cassette
 * records it in the request).
 *
 * Cache key adds, for `file`, the SHA-256 of the file's content; for `url`, the TTL window
 * (`floor(now / ttlMs)`: a page is rendered again at most once per window); and the browser's
 * path. Errors: WEB_HOST_DENIED, CONFIG_INVALID (file outside or missing, bad URL),
 * SCREENSHOT_FAILED (no browser, load failed or timed out: retryable, image over `maxBytes`).
 */
export const screenshotExecutor: NodeExecutor<ScreenshotConfig> = {
  kind: 'screenshot',
  version: 1,
  configSchema: ScreenshotConfig as unknown as z.ZodType<ScreenshotConfig>,
  cacheable: true,
  sideEffects: () => false,
  async keyIngredients(config, _inputs, ctx): Promise<Record<string, Json>> {
    if (config.file !== undefined) return { file: sha256(readFileSync(localFile(config.file, baseDir(ctx)))), browser: chromiumPath() };
    return { window: Math.floor(Date.now() / config.ttlMs), browser: chromiumPath() };
  },
  async execute(config, _inputs, ctx) {
    const allow = ctx.config.policy.safety.webHosts;
    const what = `screenshot node ${ctx.node.id}`;
    const dir = config.file !== undefined ? baseDir(ctx) : undefined;
    const target = config.file !== undefined ? pathToFileURL(localFile(config.file, dir!)).href : checkWebUrl(config.url!, allow, what).href;
    const png = await withBrowser(async (browser) => {
      const context = await browser.newContext({ viewport: { width: config.width, height: config.height }, serviceWorkers: 'block', acceptDownloads: false });
      try {
        const page = await context.newPage();
        const blocked: string[] = [];
        await page.route('**/*', (route) => {
          const url = route.request().url();
          if (requestAllowed(url, allow, dir)) return route.continue();
          blocked.push(url);
          return route.abort('blockedbyclient');
        });
        try {
          await page.goto(target, { waitUntil: 'load', timeout: config.timeoutMs });
        } catch (error) {
          throw new TaskgraphError('SCREENSHOT_FAILED', `${what}: ${config.url ?? config.file} did not load: ${(error as Error).message.split('\n')[0]}`, { retryable: true, cause: error });
        }
        if (blocked.length > 0) ctx.log(`${what}: ${blocked.length} request(s) to hosts outside policy.safety.webHosts were blocked`);
        return await page.screenshot({ type: 'png', fullPage: config.fullPage, timeout: config.timeoutMs });
      } finally {
        await context.close().catch(() => undefined);
      }
    });
    if (png.length > config.maxBytes) {
      throw new TaskgraphError('SCREENSHOT_FAILED', `${what}: the PNG is ${png.length} bytes, over maxBytes ${config.maxBytes}`, { hint: 'lower width/height, drop fullPage, or raise maxBytes' });
    }
    // IHDR (PNG spec §11.2.2): width and height, big-endian, at bytes 16 and 20
    const width = png.readUInt32BE(16);
    const height = png.readUInt32BE(20);
    return {
      status: 'succeeded',
      output: { image: { mediaType: 'image/png', data: png.toString('base64') }, sha256: sha256(png), bytes: png.length, width, height, source: config.url ?? config.file! },
    };
  },
};
