import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ProjectConfigSchema } from '../core/config.js';
import type { GraphSpecInput } from '../core/graph.js';
import { AiSdkModelClient } from '../llm/ai-sdk-client.js';
import { defaultRegistry } from '../nodes/index.js';
import { SqliteStore } from '../store/sqlite-store.js';
import { startFakeOpenAIServer, type FakeOpenAIServer } from '../testing/fake-openai-server.js';
import { Engine } from './engine.js';
import type { EngineEvent } from './events.js';
import { forecastRun } from './forecast.js';
import type { ScriptFunction } from './node-executor.js';

let servers: FakeOpenAIServer[] = [];
afterEach(async () => {
  await Promise.all(servers.map((s) => s.close()));
  servers = [];
});

/** A script function a forecast may not run (it is not marked forecastSafe): it returns its args. */
const slowEcho: ScriptFunction = { version: 1, sideEffects: false, description: 'echo, not forecast-safe', run: async (args) => args };

async function setup() {
  const server = await startFakeOpenAIServer({ respond: (req) => ({ content: `answer to: ${req.messages.at(-1)!.content}` }) });
  servers.push(server);
  const config = ProjectConfigSchema.parse({
    models: { coder: { provider: 'openai-compatible', baseURL: server.url, model: 'gpt-4o', price: { input: 2, output: 8 } } },
  });
  const store = SqliteStore.open(':memory:');
  await store.migrate();
  const { executors, scripts } = defaultRegistry(new Map([['slow-echo', slowEcho]]));
  const models = new AiSdkModelClient({ profiles: config.models, retries: 0 });
  const dir = mkdtempSync(join(tmpdir(), 'tg-forecast-'));
  const base = { store, executors, scripts, projectDir: dir, config };
  /** runs the graph for real; returns the ids of the nodes it executed */
  const run = async (graph: GraphSpecInput): Promise<string[]> => {
    const events: EngineEvent[] = [];
    await new Engine({ ...base, models, observers: [(e) => events.push(e)] }).start({ graph, command: 'test' });
    return events.filter((e) => e.type === 'node-finish' && e.status !== 'cached').map((e) => (e as { nodeId: string }).nodeId).sort();
  };
  const forecast = (graph: GraphSpecInput) => forecastRun({ ...base, graph });
  return { store, run, forecast, server };
}

const graph = (b: string, slow = 'S'): GraphSpecInput => ({
  nodes: [
    { id: 'a', kind: 'script', config: { fn: 'echo', args: 'A' } },
    { id: 'b', kind: 'script', config: { fn: 'echo', args: b }, inputs: { a: { $ref: 'a' } } },
    { id: 'c', kind: 'script', config: { fn: 'noop' }, inputs: { b: { $ref: 'b' } } },
    { id: 'd', kind: 'script', config: { fn: 'noop' }, inputs: { a: { $ref: 'a' } } },
    { id: 's', kind: 'script', config: { fn: 'slow-echo', args: slow } },
    { id: 't', kind: 'script', config: { fn: 'noop' }, inputs: { s: { $ref: 's' } } },
    { id: 'ask', kind: 'llm', config: { profile: 'coder', prompt: 'Summarise {{c}}' }, inputs: { c: { $ref: 'c', path: 'inputs' } } },
  ],
});

const willRun = (f: Awaited<ReturnType<typeof forecastRun>>) => f.nodes.filter((n) => n.willRun).map((n) => n.nodeId).sort();

describe('forecastRun', () => {
  it('equals what the engine then executes: fresh, cached, one node changed', async () => {
    const { run, forecast } = await setup();
    const fresh = await forecast(graph('B1'));
    expect(fresh.cached).toBe(0);
    expect(willRun(fresh)).toEqual(await run(graph('B1')));

    const cached = await forecast(graph('B1'));
    expect(cached.willRun).toBe(0);
    expect(await run(graph('B1'))).toEqual([]);

    // b's config changes: b and c run for real in the forecast (pure scripts), so ask's prompt
    // and key are known; a, d, s, t stay cached
    const changed = await forecast(graph('B2'));
    const by = Object.fromEntries(changed.nodes.map((n) => [n.nodeId, n]));
    expect(by['b']).toMatchObject({ willRun: true, certain: true, reason: 'config changed', changed: ['config'] });
    expect(by['c']).toMatchObject({ willRun: true, certain: true, reason: 'input b changed (from b)' });
    expect(by['ask']).toMatchObject({ willRun: true, certain: true });
    expect(by['ask']!.reason).toContain('input c changed');
    expect(by['ask']!.estimate).toMatchObject({ profile: 'coder', calls: 1 });
    expect(by['ask']!.estimate!.inputTokens).toBeGreaterThan(3); // counted from the rendered prompt
    expect(by['ask']!.estimate!.costUsd).toBeGreaterThan(0);
    expect(by['d']).toMatchObject({ willRun: false, reason: 'cached' });
    expect(willRun(changed)).toEqual(await run(graph('B2')));
  });

  it('a node it cannot run makes its dependents uncertain, and says why', async () => {
    const { run, forecast } = await setup();
    await run(graph('B', 'S1'));
    const f = await forecast(graph('B', 'S2'));
    const by = Object.fromEntries(f.nodes.map((n) => [n.nodeId, n]));
    expect(by['s']).toMatchObject({ willRun: true, certain: true, reason: 'config changed' });
    expect(by['t']).toMatchObject({ willRun: true, certain: false });
    expect(by['t']!.reason).toContain('after s, which will run');
    // s's output changes, so t does run: the forecast's set is what runs
    expect(willRun(f)).toEqual(await run(graph('B', 'S2')));
  });

  it('leaves the project store as it was: no run, attempt, note or cache entry', async () => {
    const { store, run, forecast } = await setup();
    await run(graph('B1'));
    const before = { runs: (await store.listRuns()).length, attempts: (await store.listRuns()).map((r) => r.id) };
    await forecast(graph('B9'));
    const runs = await store.listRuns();
    expect(runs.length).toBe(before.runs);
    expect(runs.map((r) => r.id)).toEqual(before.attempts);
    // the forecast executed b with B9; a real run must still execute it (no cache entry leaked)
    expect(await run(graph('B9'))).toContain('b');
  });
});
