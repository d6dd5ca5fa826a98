import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ProjectConfigSchema } from '../core/config.js';
import type { GraphSpecInput } from '../core/graph.js';
import { AiSdkModelClient, type AiSdkModelClientOptions } from '../llm/ai-sdk-client.js';
import { defaultRegistry } from '../nodes/index.js';
import { SqliteStore } from '../store/sqlite-store.js';
import { startFakeOpenAIServer, type FakeOpenAIServer } from '../testing/fake-openai-server.js';
import { DELTA_MAX_CHARS } from './delta-coalescer.js';
import { Engine } from './engine.js';
import type { EngineEvent } from './events.js';

/**
 * Issue 12, "model tokens as they stream": an `llm` node's plain text call streams over the
 * loopback fake server (SSE chunks of 16 characters), and the run's event log holds its text as
 * coalesced `model-delta` events before the node's `node-finish`. With a cassette nothing
 * streams and the run is unchanged.
 */
let server: FakeOpenAIServer | undefined;
let dir: string | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

/** 1,000 characters the coder answers with: 63 SSE chunks. */
const ANSWER = Array.from({ length: 40 }, (_, i) => `line ${String(i).padStart(2, '0')}: edit text\n`).join('').padEnd(1000, '.');

const graph: GraphSpecInput = {
  nodes: [
    // the coder's node: the built-in edit template over its context (here a plain string)
    { id: 'code', kind: 'llm', config: { template: 'edit' }, inputs: { context: 'Write the change' } },
    { id: 'after', kind: 'script', config: { fn: 'noop' }, inputs: { text: { $ref: 'code', path: 'text' } } },
  ],
};

async function run(clientOptions: Partial<AiSdkModelClientOptions> = {}) {
  const config = ProjectConfigSchema.parse({ models: { coder: { provider: 'openai-compatible', baseURL: server!.url, model: 'm' } } });
  const store = SqliteStore.open(':memory:');
  await store.migrate();
  const { executors, scripts } = defaultRegistry();
  const models = new AiSdkModelClient({ profiles: config.models, retries: 0, ...clientOptions });
  const seen: EngineEvent[] = [];
  const engine = new Engine({ store, executors, scripts, projectDir: process.cwd(), config, models, observers: [(e) => seen.push(e)] });
  const summary = await engine.start({ graph, command: 'test' });
  expect(summary.status).toBe('succeeded');
  const stored = await store.listRunEvents(summary.runId);
  const output = (await store.lastSuccessfulAttempt('code'))?.output;
  await store.close();
  return { seen, stored, output };
}

describe('model-delta events of a streaming llm node', () => {
  it("hold the coder's answer, in order, coalesced, before the node's finish, in the run event log", async () => {
    server = await startFakeOpenAIServer({ respond: () => ({ content: ANSWER }) });
    const { seen, stored, output } = await run();
    expect(server.requests.map((b) => b.stream)).toEqual([true]);
    expect(output).toMatchObject({ text: ANSWER });

    const deltas = stored.filter((e) => e.type === 'model-delta');
    expect(deltas.length).toBeGreaterThan(1);
    // coalesced: at most one event per DELTA_MAX_CHARS characters (+1 for the rest), far fewer than the 63 chunks
    expect(deltas.length).toBeLessThanOrEqual(Math.ceil(ANSWER.length / DELTA_MAX_CHARS) + 1);
    expect(deltas.every((e) => e.nodeId === 'code' && e.data['attempt'] === 1 && e.data['restart'] === undefined)).toBe(true);
    expect(deltas.map((e) => e.data['text']).join('')).toBe(ANSWER);

    const index = (type: string, nodeId: string) => stored.findIndex((e) => e.type === type && e.nodeId === nodeId);
    const first = stored.indexOf(deltas[0]!);
    const last = stored.indexOf(deltas.at(-1)!);
    expect(first).toBeGreaterThan(index('node-start', 'code'));
    expect(last).toBeLessThan(index('node-finish', 'code'));
    for (let i = 1; i < deltas.length; i++) expect(deltas[i]!.seq).toBeGreaterThan(deltas[i - 1]!.seq);
    // the observers saw the same pieces
    expect(seen.filter((e) => e.type === 'model-delta').map((e) => (e as { text: string }).text)).toEqual(deltas.map((e) => e.data['text']));
  });

  it('are not emitted when the run records or replays a cassette; the output is the same', async () => {
    server = await startFakeOpenAIServer({ respond: () => ({ content: ANSWER }) });
    dir = mkdtempSync(join(tmpdir(), 'tg-delta-'));
    const file = join(dir, 'run.cassette.json');
    const recorded = await run({ record: file });
    const replayed = await run({ replay: file });
    expect(server.requests.map((b) => b.stream)).toEqual([undefined]);
    for (const r of [recorded, replayed]) {
      expect(r.output).toMatchObject({ text: ANSWER });
      expect(r.stored.filter((e) => e.type === 'model-delta')).toEqual([]);
    }
  });
});
