import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TaskgraphError } from '../core/errors.js';
import { sha256 } from '../core/hash.js';
import { checkWebUrl } from '../safety/web-hosts.js';
import { userCacheDir } from '../workspace/worktree-location.js';

/**
 * Web pages as Markdown (issue 16: the `web` node kind and `docs:` URLs). A page is fetched only
 * from a host in `policy.safety.webHosts` (every redirect hop checked), its HTML reduced to the
 * article with `@mozilla/readability` on a `linkedom` document and turned into Markdown with
 * `turndown`. Pages are kept in a file cache, `<user cache dir>/web/<sha256(url)>.json`: within
 * the TTL a page is served from it without a request; after it, a conditional request
 * (If-None-Match / If-Modified-Since from the stored ETag / Last-Modified) is made and a 304
 * reuses the stored Markdown. The text is untrusted (any page can say anything): it goes into
 * prompts as context, never into a command, and terminals show it through `cli/safe-text.ts`.
 */

/** A page as cached and returned. */
export interface WebPage {
  /** the URL asked for */
  url: string;
  /** where the content came from after redirects */
  finalUrl: string;
  title: string;
  markdown: string;
  /** SHA-256 of `markdown` (the cache-key ingredient) */
  hash: string;
  /** UTF-8 bytes of `markdown` */
  bytes: number;
  /** the download or the Markdown was cut at its cap */
  truncated: boolean;
  etag?: string;
  lastModified?: string;
  /** ms since the epoch of the last request answered 200 or 304 */
  checkedAt: number;
}

/** Options of {@link fetchPage}. */
export interface FetchPageOptions {
  /** `policy.safety.webHosts` */
  allow: readonly string[];
  /** who asks, for messages */
  what: string;
  /** ms a cached page is used without a request; default 3,600,000 (1 h) */
  ttlMs?: number;
  /** bytes of HTML read at most; default 5 MiB */
  maxDownloadBytes?: number;
  /** UTF-8 bytes of Markdown kept at most; default 200,000 */
  maxBytes?: number;
  /** ms the request may take; default 30,000 */
  timeoutMs?: number;
  /** where pages are cached; default `<user cache dir>/web` */
  cacheDir?: string;
  signal?: AbortSignal;
  fetch?: typeof fetch;
  /** now, ms (tests) */
  now?: number;
}

/** How {@link fetchPage} got the page. */
export type PageSource = 'cache' | 'revalidated' | 'network';

/** Redirect hops followed at most. */
export const MAX_REDIRECTS = 5;

/**
 * The HTML libraries, loaded on the first page converted: they add about 0.2 s to the start of
 * every CLI command that never fetches a page.
 */
let converters: Promise<{ Readability: typeof import('@mozilla/readability').Readability; parseHTML: typeof import('linkedom').parseHTML; turndown: import('turndown') }> | undefined;
function loadConverters() {
  converters ??= Promise.all([import('@mozilla/readability'), import('linkedom'), import('turndown')]).then(([r, l, t]) => {
    const turndown = new t.default({ headingStyle: 'atx', codeBlockStyle: 'fenced', bulletListMarker: '-' });
    turndown.remove(['script', 'style', 'noscript', 'iframe']);
    return { Readability: r.Readability, parseHTML: l.parseHTML, turndown };
  });
  return converters;
}

/**
 * HTML to Markdown: the readable article (Readability) when it finds one, else the whole body.
 * @returns title ('' when none) and Markdown
 */
export async function htmlToMarkdown(html: string): Promise<{ title: string; markdown: string }> {
  const { Readability, parseHTML, turndown } = await loadConverters();
  const { document } = parseHTML(html);
  const article = new Readability(document as unknown as ConstructorParameters<typeof Readability>[0]).parse();
  if (article?.content) return { title: (article.title ?? '').trim(), markdown: turndown.turndown(article.content).trim() };
  const again = parseHTML(html).document;
  return { title: (again.title ?? '').trim(), markdown: turndown.turndown(again.body?.innerHTML ?? html).trim() };
}

/** `text` cut to at most `maxBytes` UTF-8 bytes (never inside a character). */
export function capBytes(text: string, maxBytes: number): { text: string; truncated: boolean } {
  const buf = Buffer.from(text, 'utf8');
  if (buf.length <= maxBytes) return { text, truncated: false };
  return { text: buf.subarray(0, maxBytes).toString('utf8').replace(/\uFFFD$/, ''), truncated: true };
}

function cacheFile(dir: string, url: string): string {
  return join(dir, `${sha256(url)}.json`);
}

function readCached(dir: string, url: string): WebPage | undefined {
  try {
    const page = JSON.parse(readFileSync(cacheFile(dir, url), 'utf8')) as WebPage;
    return page.url === url && typeof page.markdown === 'string' ? page : undefined;
  } catch {
    return undefined;
  }
}

/** Writes the entry atomically (temp file + rename): a reader sees the old entry or the new one. */
function writeCached(dir: string, page: WebPage): void {
  mkdirSync(dir, { recursive: true });
  const file = cacheFile(dir, page.url);
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  writeFileSync(tmp, JSON.stringify(page));
  renameSync(tmp, file);
}

/** Reads at most `max` bytes of a response body. */
async function readCapped(response: Response, max: number): Promise<{ text: string; truncated: boolean }> {
  if (!response.body) return { text: '', truncated: false };
  const chunks: Buffer[] = [];
  let size = 0;
  let truncated = false;
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    const room = max - size;
    if (chunk.length > room) {
      chunks.push(Buffer.from(chunk.subarray(0, room)));
      truncated = true;
      break;
    }
    chunks.push(Buffer.from(chunk));
    size += chunk.length;
  }
  if (truncated) await response.body.cancel().catch(() => undefined);
  return { text: Buffer.concat(chunks).toString('utf8'), truncated };
}

/**
 * The page at `url` as Markdown, from the cache when fresh, else by a (conditional) request.
 * @throws TaskgraphError WEB_HOST_DENIED (the URL or a redirect leaves `allow`), CONFIG_INVALID
 *   (not an http(s) URL), WEB_FETCH_FAILED (network error or timeout: retryable; HTTP 429/5xx:
 *   retryable; other HTTP errors, too many redirects, a type that is not HTML or text: not)
 */
export async function fetchPage(url: string, options: FetchPageOptions): Promise<{ page: WebPage; source: PageSource }> {
  let target = checkWebUrl(url, options.allow, options.what);
  const dir = options.cacheDir ?? join(userCacheDir(), 'web');
  const now = options.now ?? Date.now();
  const cached = readCached(dir, url);
  if (cached && now - cached.checkedAt < (options.ttlMs ?? 3_600_000)) return { page: cached, source: 'cache' };
  const doFetch = options.fetch ?? fetch;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const fail = (why: string, retryable: boolean, extra: Record<string, unknown> = {}) =>
    new TaskgraphError('WEB_FETCH_FAILED', `${options.what}: ${target.href} ${why}`, { retryable, details: { url: target.href, ...extra } });
  let response: Response | undefined;
  for (let hop = 0; ; hop++) {
    const conditional: Record<string, string> = {};
    if (cached && hop === 0) {
      if (cached.etag) conditional['if-none-match'] = cached.etag;
      if (cached.lastModified) conditional['if-modified-since'] = cached.lastModified;
    }
    try {
      const signals = [AbortSignal.timeout(timeoutMs), ...(options.signal ? [options.signal] : [])];
      response = await doFetch(target.href, {
        redirect: 'manual',
        headers: { accept: 'text/html,application/xhtml+xml,text/plain;q=0.9,*/*;q=0.1', 'user-agent': 'taskgraph (+web context)', ...conditional },
        signal: AbortSignal.any(signals),
      });
    } catch (error) {
      if (options.signal?.aborted) throw new TaskgraphError('ABORTED', `${options.what}: fetch of ${target.href} aborted`);
      throw fail((error as Error).name === 'TimeoutError' ? `gave no answer within ${timeoutMs} ms` : `could not be fetched (${(error as Error).message})`, true);
    }
    const location = response.headers.get('location');
    if (response.status >= 300 && response.status < 400 && response.status !== 304 && location) {
      await response.body?.cancel().catch(() => undefined);
      if (hop >= MAX_REDIRECTS) throw fail(`redirects more than ${MAX_REDIRECTS} times`, false);
      target = checkWebUrl(new URL(location, target).href, options.allow, `${options.what} (redirected)`);
      continue;
    }
    break;
  }
  if (response.status === 304 && cached) {
    await response.body?.cancel().catch(() => undefined);
    const page = { ...cached, checkedAt: now };
    writeCached(dir, page);
    return { page, source: 'revalidated' };
  }
  if (!response.ok) {
    await response.body?.cancel().catch(() => undefined);
    throw fail(`answered HTTP ${response.status}`, response.status === 429 || response.status >= 500, { status: response.status });
  }
  const type = (response.headers.get('content-type') ?? 'text/html').toLowerCase();
  const html = /html|xml/.test(type);
  if (!html && !type.startsWith('text/')) {
    await response.body?.cancel().catch(() => undefined);
    throw fail(`is ${type.split(';')[0]}, not HTML or text`, false, { contentType: type });
  }
  const body = await readCapped(response, options.maxDownloadBytes ?? 5 * 1024 * 1024);
  const converted = html ? await htmlToMarkdown(body.text) : { title: '', markdown: body.text.trim() };
  const capped = capBytes(converted.markdown, options.maxBytes ?? 200_000);
  const etag = response.headers.get('etag');
  const lastModified = response.headers.get('last-modified');
  const page: WebPage = {
    url,
    finalUrl: target.href,
    title: converted.title,
    markdown: capped.text,
    hash: sha256(capped.text),
    bytes: Buffer.byteLength(capped.text),
    truncated: body.truncated || capped.truncated,
    ...(etag ? { etag } : {}),
    ...(lastModified ? { lastModified } : {}),
    checkedAt: now,
  };
  writeCached(dir, page);
  return { page, source: 'network' };
}
