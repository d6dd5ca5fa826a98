import { mkdtempSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProjectConfigSchema } from '../core/config.js';
import type { GraphSpecInput } from '../core/graph.js';
import { fetchPage } from '../context/web-page.js';
import { hostAllowed } from '../safety/web-hosts.js';
import { Engine } from '../engine/engine.js';
import { SqliteStore } from '../store/sqlite-store.js';
import { defaultRegistry } from './index.js';

/** A local HTTP server with one article page that answers conditional requests like a real one (ETag, 304). */
let base = '';
let version = 1;
const requests: Array<{ path: string; headers: IncomingHttpHeaders }> = [];
let close: () => Promise<void>;

const article = (v: number) => `<!doctype html><html><head><title>Frobnicator guide v${v}</title><script>alert(1)</script></head>
<body><nav><a href="/">Home</a> | <a href="/about">About</a></nav>
<article><h1>Frobnicator guide</h1>
<p>The frobnicator protocol version ${v} sends <strong>one frame</strong> per request. Clients must send the header before the body, and servers answer within two seconds.</p>
<p>Configure it with <code>frob.timeout</code>; the default is ten seconds. Larger values are allowed for slow links, smaller ones are rejected.</p>
<ul><li>frames are numbered</li><li>frames are acknowledged</li></ul>
<pre><code>frob --send frame.bin</code></pre></article>
<footer>Copyright</footer></body></html>`;

beforeAll(async () => {
  const server = createServer((req, res) => {
    requests.push({ path: req.url ?? '', headers: req.headers });
    const etag = `"v${version}"`;
    if (req.url === '/guide') {
      if (req.headers['if-none-match'] === etag) return void res.writeHead(304, { etag }).end();
      return void res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', etag, 'last-modified': 'Mon, 30 Nov 2026 07:00:00 GMT' }).end(article(version));
    }
    if (req.url === '/away') return void res.writeHead(302, { location: base.replace('127.0.0.1', 'localhost') + '/guide' }).end();
    if (req.url === '/moved') return void res.writeHead(301, { location: '/guide' }).end();
    if (req.url === '/image') return void res.writeHead(200, { 'content-type': 'image/png' }).end('x');
    if (req.url === '/busy') return void res.writeHead(503).end();
    if (req.url === '/big') return void res.writeHead(200, { 'content-type': 'text/plain' }).end('é'.repeat(10_000));
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  close = () => new Promise((r) => server.close(() => r()));
});
afterAll(() => close());

const allow = ['127.0.0.1'];
const fresh = () => mkdtempSync(join(tmpdir(), 'tg-webcache-'));
const hits = (path: string) => requests.filter((r) => r.path === path).length;

describe('web pages', () => {
  it('turns the article into Markdown (no nav, script or footer), caches it for the TTL and revalidates with If-None-Match', async () => {
    const cacheDir = fresh();
    const before = hits('/guide');
    const first = await fetchPage(`${base}/guide`, { allow, what: 't', cacheDir, now: 1_000 });
    expect(first.source).toBe('network');
    expect(first.page.title).toBe('Frobnicator guide v1');
    expect(first.page.markdown).toContain('**one frame**');
    expect(first.page.markdown).toMatch(/-\s+frames are numbered/);
    expect(first.page.markdown).toContain('```\nfrob --send frame.bin\n```');
    expect(first.page.markdown).not.toMatch(/alert|Copyright|About/);
    expect(first.page).toMatchObject({ etag: '"v1"', lastModified: 'Mon, 30 Nov 2026 07:00:00 GMT', truncated: false });
    // within the TTL: no request
    expect((await fetchPage(`${base}/guide`, { allow, what: 't', cacheDir, now: 2_000, ttlMs: 5_000 })).source).toBe('cache');
    expect(hits('/guide') - before).toBe(1);
    // past it: a conditional request, answered 304, reuses the stored Markdown
    const again = await fetchPage(`${base}/guide`, { allow, what: 't', cacheDir, now: 10_000, ttlMs: 5_000 });
    expect(again).toMatchObject({ source: 'revalidated', page: { hash: first.page.hash, checkedAt: 10_000 } });
    expect(requests.at(-1)!.headers['if-none-match']).toBe('"v1"');
    expect(requests.at(-1)!.headers['if-modified-since']).toBe('Mon, 30 Nov 2026 07:00:00 GMT');
    // the revalidation restarted the TTL
    expect((await fetchPage(`${base}/guide`, { allow, what: 't', cacheDir, now: 12_000, ttlMs: 5_000 })).source).toBe('cache');
  });

  it('refuses hosts not in policy.safety.webHosts (also after a redirect), other types, and caps the Markdown bytes', async () => {
    const cacheDir = fresh();
    const count = requests.length;
    await expect(fetchPage(`${base}/guide`, { allow: [], what: 'web node w', cacheDir })).rejects.toMatchObject({
      code: 'WEB_HOST_DENIED',
      message: 'web node w: host 127.0.0.1 is not in policy.safety.webHosts',
    });
    expect(requests.length).toBe(count); // nothing was sent
    await expect(fetchPage(`${base}/away`, { allow, what: 'w', cacheDir })).rejects.toMatchObject({ code: 'WEB_HOST_DENIED', details: { host: 'localhost' } });
    expect((await fetchPage(`${base}/moved`, { allow, what: 'w', cacheDir })).page.finalUrl).toBe(`${base}/guide`);
    await expect(fetchPage(`${base}/image`, { allow, what: 'w', cacheDir })).rejects.toMatchObject({ code: 'WEB_FETCH_FAILED', retryable: false });
    await expect(fetchPage(`${base}/busy`, { allow, what: 'w', cacheDir })).rejects.toMatchObject({ code: 'WEB_FETCH_FAILED', retryable: true, details: { status: 503 } });
    await expect(fetchPage('file:///etc/passwd', { allow, what: 'w', cacheDir })).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
    const big = await fetchPage(`${base}/big`, { allow, what: 'w', cacheDir, maxBytes: 1_001 });
    expect(big.page).toMatchObject({ bytes: 1_000, truncated: true });
  });

  it('matches hosts exactly or as *.domain subdomains, and validates the config entries', () => {
    expect(hostAllowed('Docs.Python.org', ['docs.python.org'])).toBe(true);
    expect(hostAllowed('python.org', ['docs.python.org'])).toBe(false);
    expect(hostAllowed('developer.mozilla.org', ['*.mozilla.org'])).toBe(true);
    expect(hostAllowed('mozilla.org', ['*.mozilla.org'])).toBe(false);
    expect(hostAllowed('evilmozilla.org', ['*.mozilla.org'])).toBe(false);
    expect(hostAllowed('anything', [])).toBe(false);
    expect(() => ProjectConfigSchema.parse({ policy: { safety: { webHosts: ['https://docs.python.org/'] } } })).toThrow(/host name/);
  });

  it('a web node is a cache hit while the page is unchanged (304) and re-runs when it changes', async () => {
    const store = SqliteStore.open(':memory:');
    await store.migrate();
    const { executors, scripts } = defaultRegistry();
    const config = ProjectConfigSchema.parse({ policy: { safety: { webHosts: ['127.0.0.1'] } } });
    const graph: GraphSpecInput = { nodes: [{ id: 'page', kind: 'web', config: { url: `${base}/guide`, ttlMs: 0 } }] };
    const run = () => new Engine({ store, executors, scripts, projectDir: process.cwd(), config }).start({ graph, command: 'test' });
    version = 10;
    const first = await run();
    expect(first.status).toBe('succeeded');
    const out = (await store.listAttempts(first.runId, 'page'))[0]!.output as Record<string, unknown>;
    expect(out).toMatchObject({ title: 'Frobnicator guide v10', truncated: false });
    expect(out['markdown']).toContain('version 10');
    const second = await run();
    expect(second.counts.cached).toBe(1);
    expect(requests.at(-1)!.headers['if-none-match']).toBe('"v10"');
    version = 11;
    const third = await run();
    expect(third.counts.cached).toBe(0);
    expect(((await store.listAttempts(third.runId, 'page'))[0]!.output as Record<string, unknown>)['markdown']).toContain('version 11');
    const denied = await new Engine({ store, executors, scripts, projectDir: process.cwd(), config: ProjectConfigSchema.parse({}) }).start({ graph, command: 'test' });
    expect((await store.listAttempts(denied.runId, 'page'))[0]!.error).toMatchObject({ code: 'WEB_HOST_DENIED', hint: expect.stringContaining('policy.safety.webHosts') });
  });
});
