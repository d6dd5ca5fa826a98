import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProjectConfigSchema } from '../core/config.js';
import type { GraphSpecInput } from '../core/graph.js';
import { closeBrowser, chromiumPath } from '../context/headless-chromium.js';
import { Engine } from '../engine/engine.js';
import type { EngineEvent } from '../engine/events.js';
import { AiSdkModelClient } from '../llm/ai-sdk-client.js';
import { SqliteStore } from '../store/sqlite-store.js';
import { startFakeOpenAIServer, type FakeRequest } from '../testing/fake-openai-server.js';
import { defaultRegistry } from './index.js';
import { PNG_SIGNATURE, requestAllowed, screenshotExecutor } from './screenshot.js';
import type { NodeContext } from '../engine/node-executor.js';

/**
 * Screenshots in the system's headless Chromium (started once for the file: one shared browser),
 * a local HTML file of a project and a loopback page; the image reaches a vision profile of the
 * loopback OpenAI fake as an image part, is recorded in a cassette and replayed from it.
 */
const hasChromium = existsSync(chromiumPath());
if (!hasChromium) console.warn(`src/nodes/screenshot.test.ts skipped: ${chromiumPath()} is missing (apt-get install -y chromium)`);

const dir = mkdtempSync(join(tmpdir(), 'tg-shot-'));
const page = (color: string) => `<!doctype html><html><body style="margin:0;background:${color}"><h1 style="font:40px sans-serif">Dashboard</h1><img src="http://localhost:9/track.png"></body></html>`;
let base = '';
const served: string[] = [];
let close: () => Promise<void>;

beforeAll(async () => {
  writeFileSync(join(dir, 'index.html'), page('#3366ff'));
  const server = createServer((req, res) => {
    served.push(req.url ?? '');
    res.writeHead(200, { 'content-type': 'text/html' }).end(page('#22aa44'));
  });
  await store.migrate();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  close = () => new Promise((r) => server.close(() => r()));
});
afterAll(async () => {
  await closeBrowser();
  await close();
});

const config = (extra: Record<string, unknown> = {}) =>
  ProjectConfigSchema.parse({ policy: { safety: { webHosts: ['127.0.0.1'] } }, models: { eyes: { provider: 'openai-compatible', model: 'vl', baseURL: 'http://127.0.0.1:9/v1', vision: true }, text: { provider: 'openai-compatible', model: 't', baseURL: 'http://127.0.0.1:9/v1' } }, ...extra });

/** One store for the file: a screenshot rendered once is a cache hit for every later test that asks for it. */
const store = SqliteStore.open(':memory:');
const events: EngineEvent[] = [];
async function run(graph: GraphSpecInput, models?: AiSdkModelClient) {
  const { executors, scripts } = defaultRegistry();
  const summary = await new Engine({ store, executors, scripts, projectDir: dir, config: config(), observers: [(e) => events.push(e)], ...(models ? { models } : {}) }).start({ graph, command: 'test' });
  return { summary, out: async (id: string) => (await store.listAttempts(summary.runId, id)).at(-1)! };
}
const SHOT = { id: 'shot', kind: 'screenshot' as const, config: { file: 'index.html', width: 320, height: 200 } };

describe.skipIf(!hasChromium)('screenshot node', () => {
  it('renders a local HTML file to a PNG (magic bytes, viewport size), blocks requests off the allowlist, and caches by file content', async () => {
    const graph: GraphSpecInput = { nodes: [SHOT] };
    const first = await run(graph);
    expect(first.summary.status).toBe('succeeded');
    const out = (await first.out('shot')).output as { image: { mediaType: string; data: string }; bytes: number; width: number; height: number; sha256: string };
    const png = Buffer.from(out.image.data, 'base64');
    expect(png.subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
    expect(out).toMatchObject({ width: 320, height: 200, bytes: png.length });
    expect(out.image.mediaType).toBe('image/png');
    expect(png.length).toBeGreaterThan(500);
    expect(events.some((e) => e.type === 'log' && e.message.includes('1 request(s) to hosts outside policy.safety.webHosts were blocked'))).toBe(true);
    expect((await run(graph)).summary.counts.cached).toBe(1);
    // the key holds the file's content, not its path: an edit dirties the node (no second render needed to see it)
    const key = () => screenshotExecutor.keyIngredients!(SHOT.config as never, {}, { projectDir: dir, workspace: undefined } as unknown as NodeContext);
    const before = await key();
    writeFileSync(join(dir, 'index.html'), page('#ff3300'));
    expect((await key())['file']).not.toBe(before['file']);
    writeFileSync(join(dir, 'index.html'), page('#3366ff'));
    expect(await key()).toEqual(before);
  });

  it('renders an allowed URL; refuses a host off policy.safety.webHosts before any request', async () => {
    const ok = await run({ nodes: [{ id: 'u', kind: 'screenshot', config: { url: `${base}/dash`, width: 200, height: 120 } }] });
    expect(((await ok.out('u')).output as { width: number }).width).toBe(200);
    expect(served).toContain('/dash');
    const denied = await run({ nodes: [{ id: 'u', kind: 'screenshot', config: { url: base.replace('127.0.0.1', 'localhost') + '/x' } }] });
    expect((await denied.out('u')).error).toMatchObject({ code: 'WEB_HOST_DENIED', message: expect.stringContaining('host localhost is not in policy.safety.webHosts') });
    expect(requestAllowed('file:///etc/passwd', [], dir)).toBe(false);
    expect(requestAllowed(`file://${dir}/a.css`, [], dir)).toBe(true);
  });

  it('gives the PNG to a vision profile as an image part, records it in the cassette and replays it; a non-vision profile is refused', async () => {
    const seen: FakeRequest[] = [];
    const server = await startFakeOpenAIServer({ respond: (req) => (seen.push(req), { content: 'a blue page titled Dashboard' }) });
    const cassette = join(dir, 'shot.cassette.json');
    const profiles = (url: string) => ({ eyes: { provider: 'openai-compatible' as const, model: 'vl', baseURL: url, vision: true }, text: { provider: 'openai-compatible' as const, model: 't', baseURL: url } });
    const graph = (profile: string): GraphSpecInput => ({
      nodes: [
        SHOT, // rendered by the first test: a cache hit here
        { id: 'look', kind: 'llm', config: { profile, prompt: 'Describe the page {{name}}.', images: ['shot'] }, inputs: { shot: { $ref: 'shot' }, name: 'home' } },
      ],
    });
    const recorder = new AiSdkModelClient({ profiles: profiles(server.url), env: {}, record: cassette });
    const recorded = await run(graph('eyes'), recorder);
    await server.close();
    expect(recorded.summary.status).toBe('succeeded');
    expect(recorded.summary.counts.cached).toBe(1); // the screenshot
    expect(((await recorded.out('look')).output as { text: string }).text).toBe('a blue page titled Dashboard');
    const png = ((await recorded.out('shot')).output as { image: { data: string } }).image.data;
    const content = seen[0]!.body.messages.at(-1).content as Array<{ type: string; text?: string; image_url?: { url: string } }>;
    expect(content[0]).toEqual({ type: 'text', text: 'Describe the page home.' });
    expect(content[1]!.image_url!.url).toBe(`data:image/png;base64,${png}`);
    expect(readFileSync(cassette, 'utf8')).toContain(png.slice(0, 200)); // the image is in the recorded request
    // replay: no server, same answer from the cassette (the request hash holds the image)
    const replayer = new AiSdkModelClient({ profiles: profiles('http://127.0.0.1:9/v1'), replay: cassette });
    const replayed = await run(graph('eyes'), replayer);
    expect(replayed.summary.status).toBe('succeeded');
    expect(((await replayed.out('look')).output as { text: string }).text).toBe('a blue page titled Dashboard');
    const refused = await run(graph('text'), replayer);
    expect((await refused.out('look')).error).toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringContaining('not vision-capable') });
  });
});
