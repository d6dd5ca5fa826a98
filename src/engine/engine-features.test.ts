import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ProjectConfigSchema, type ProjectConfig } from '../core/config.js';
import type { GraphSpecInput } from '../core/graph.js';
import { TaskSchema } from '../core/task.js';
import { AiSdkModelClient } from '../llm/ai-sdk-client.js';
import { defaultRegistry } from '../nodes/index.js';
import { SqliteStore } from '../store/sqlite-store.js';
import { startFakeOpenAIServer, type FakeOpenAIServer, type FakeReply, type FakeRequest } from '../testing/fake-openai-server.js';
import { Engine, type EngineOptions } from './engine.js';
import type { EngineEvent } from './events.js';
import type { ScriptFunction } from './node-executor.js';
import { failureSignature } from './refine.js';

let servers: FakeOpenAIServer[] = [];
afterEach(async () => {
  await Promise.all(servers.map((s) => s.close()));
  servers = [];
});

async function fakeModel(respond: (req: FakeRequest) => FakeReply) {
  const server = await startFakeOpenAIServer({ respond });
  servers.push(server);
  return server;
}

async function setup(configInput: Record<string, unknown> = {}, extraScripts = new Map<string, ScriptFunction>(), clientOptions: { retries?: number } = {}) {
  const config: ProjectConfig = ProjectConfigSchema.parse(configInput);
  const store = SqliteStore.open(':memory:');
  await store.migrate();
  const { executors, scripts } = defaultRegistry(extraScripts);
  const models = new AiSdkModelClient({ profiles: config.models, retries: clientOptions.retries ?? 0, retryBaseMs: 1 });
  const events: EngineEvent[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'tg-features-'));
  const base: EngineOptions = { store, executors, scripts, projectDir: dir, config, models, observers: [(e) => events.push(e)] };
  const engine = (more: Partial<EngineOptions> = {}) => new Engine({ ...base, ...more });
  const executed = () => events.filter((e) => e.type === 'node-finish' && e.status === 'succeeded').map((e) => (e as { nodeId: string }).nodeId);
  return { store, engine, events, executed, dir, base };
}

const profile = (url: string, extra: Record<string, unknown> = {}) => ({ provider: 'openai-compatible', baseURL: url, model: 'm', ...extra });

describe('early cutoff', () => {
  it('a node that re-runs with the same output leaves its dependents cached', async () => {
    const parity: ScriptFunction = { version: 1, sideEffects: false, description: 'n mod 2', run: async (args) => ((args as { n: number }).n % 2) };
    const { engine, events, executed } = await setup({}, new Map([['parity', parity]]));
    const graph = (n: number): GraphSpecInput => ({
      nodes: [
        { id: 'a', kind: 'script', config: { fn: 'parity', args: { n } } },
        { id: 'b', kind: 'script', config: { fn: 'noop' }, inputs: { x: { $ref: 'a' } } },
        { id: 'c', kind: 'script', config: { fn: 'noop' }, inputs: { y: { $ref: 'b' } } },
      ],
    });
    await engine().start({ graph: graph(1), command: 'test' });
    events.length = 0;
    const second = await engine().start({ graph: graph(3), command: 'test' });
    expect(executed()).toEqual(['a']);
    expect(second.counts).toMatchObject({ succeeded: 1, cached: 2 });
  });
});

describe('budgets', () => {
  it('suspends when the cost budget is reached, and resumes after it is raised', async () => {
    const server = await fakeModel(() => ({ content: 'ok', usage: { prompt_tokens: 1_000_000, completion_tokens: 0 } }));
    const { engine, store } = await setup({ models: { m: profile(server.url, { price: { input: 1, output: 1 } }) }, policy: { concurrency: 1 } });
    const nodes = ['a', 'b', 'c'].map((id, i) => ({ id, kind: 'llm' as const, config: { profile: 'm', prompt: `say ${id}` }, ...(i > 0 ? { needs: [['a', 'b', 'c'][i - 1]!] } : {}) }));
    const first = await engine({ budget: { maxCostUsd: 1.5 } }).start({ graph: { nodes }, command: 'test' });
    expect(first.status).toBe('suspended');
    expect(first.reason).toMatch(/run budget reached: \$2\.0000 of \$1\.5/);
    expect(first.counts).toMatchObject({ succeeded: 2, pending: 1 });
    const again = await engine().resume(first.runId);
    expect(again.status).toBe('suspended'); // the stored budget still holds
    const raised = await engine({ budget: { maxCostUsd: 10 } }).resume(first.runId);
    expect(raised.status).toBe('succeeded');
    expect(server.requests).toHaveLength(3);
    expect((await store.listAttempts(first.runId)).filter((a) => a.status === 'succeeded')).toHaveLength(3);
  });

  it('suspends after consecutive failures', async () => {
    const { engine } = await setup();
    const nodes = ['x', 'y', 'z', 'w'].map((id) => ({ id, kind: 'script' as const, config: { fn: 'fail', args: { message: id } } }));
    const summary = await engine({ budget: { maxConsecutiveFailures: 2 }, concurrency: 1 }).start({ graph: { nodes }, command: 'test' });
    expect(summary.counts.failed).toBe(2);
    expect(summary.status).toBe('suspended');
    expect(summary.reason).toMatch(/run budget reached: 2 failures in a row \(limit 2\) \(2 node\(s\) failed\)/);
  });
});

describe('node retry policy for transient failures', () => {
  it('retries a retryable provider error and records each attempt', async () => {
    let calls = 0;
    const server = await fakeModel(() => (++calls === 1 ? { status: 503 } : { content: 'fine' }));
    const { engine, store } = await setup({ models: { m: profile(server.url) } });
    const summary = await engine().start({
      graph: { nodes: [{ id: 'ask', kind: 'llm', config: { profile: 'm', prompt: 'hi' }, retry: { attempts: 2, baseMs: 1, maxMs: 5 } }] },
      command: 'test',
    });
    expect(summary.status).toBe('succeeded');
    const attempts = await store.listAttempts(summary.runId, 'ask');
    expect(attempts.map((a) => a.status)).toEqual(['failed', 'succeeded']);
    expect(attempts[0]!.error).toMatchObject({ code: 'PROVIDER_ERROR', retryable: true });
  });

  it('does not retry a non-retryable error', async () => {
    const server = await fakeModel(() => ({ status: 401 }));
    const { engine, store } = await setup({ models: { m: profile(server.url) } });
    const summary = await engine().start({
      graph: { nodes: [{ id: 'ask', kind: 'llm', config: { profile: 'm', prompt: 'hi' }, retry: { attempts: 3, baseMs: 1, maxMs: 5 } }] },
      command: 'test',
    });
    expect(summary.status).toBe('failed');
    expect(await store.listAttempts(summary.runId, 'ask')).toHaveLength(1);
    expect(server.requests).toHaveLength(1);
  });
});

async function planWith(store: SqliteStore, ids: string[]) {
  const tasks = ids.map((id) => TaskSchema.parse({ planId: 'p-test', id, title: `task ${id}` }));
  await store.savePlan({ id: 'p-test', goal: 'g', createdAt: new Date().toISOString(), tasks, meta: {} });
}

describe('model escalation', () => {
  it('uses the profile fallback after a failure', async () => {
    const server = await fakeModel((req) => (req.model === 'strong' ? { content: '{"ok": true}' } : { content: 'not json at all' }));
    const { engine, store } = await setup({ models: { m: profile(server.url, { fallback: 'big' }), big: profile(server.url, { model: 'strong' }) } });
    await planWith(store, ['T1']);
    const summary = await engine().start({
      graph: { nodes: [{ id: 'T1/ask', kind: 'llm', task: 'T1', config: { profile: 'm', prompt: 'json please', output: 'json' } }] },
      command: 'test',
      planId: 'p-test',
    });
    expect(summary.status).toBe('succeeded');
    expect(server.requests.map((r) => r.model)).toEqual(['m', 'strong']);
    expect((await store.getTask('p-test', 'T1'))!.notes[0]).toContain('MODEL_OUTPUT_INVALID');
  });

  it('rejects a fallback that names no profile', () => {
    const parsed = ProjectConfigSchema.safeParse({ models: { m: { provider: 'openai', model: 'x', fallback: 'nope' } } });
    expect(parsed.success).toBe(false);
    expect(parsed.error!.issues[0]).toMatchObject({ path: ['models', 'm', 'fallback'], message: expect.stringContaining('fallback profile "nope" is not defined') });
  });
});

describe('loop detection', () => {
  it('holds a task that fails the same way twice, until its notes change', async () => {
    const { engine, store, dir } = await setup({ policy: { maxAttempts: 5 } });
    await planWith(store, ['T1', 'T2']);
    const graph: GraphSpecInput = {
      nodes: [
        { id: 'T1/check', kind: 'command', task: 'T1', config: { run: 'test -f ok.txt || { echo "FAIL check: ok.txt missing (12 ms)"; exit 1; }' } },
        { id: 'T2/other', kind: 'script', task: 'T2', config: { fn: 'echo', args: 'independent' } },
      ],
    };
    const first = await engine().start({ graph, command: 'test', planId: 'p-test' });
    expect(first.status).toBe('suspended');
    expect(first.reason).toMatch(/T1 needs a person: the same failure twice/);
    expect(first.counts).toMatchObject({ succeeded: 1 }); // T2 still ran
    expect((await store.getRunTask(first.runId, 'T1'))!.status).toBe('needs-human');
    const notes = (await store.getTask('p-test', 'T1'))!.notes;
    expect(notes).toHaveLength(2);
    expect(await store.listAttempts(first.runId, 'T1/check')).toHaveLength(2);

    // unchanged notes: resume holds it again without running it
    const still = await engine().resume(first.runId);
    expect(still.status).toBe('suspended');
    expect(await store.listAttempts(first.runId, 'T1/check')).toHaveLength(2);

    // an answer (a new note) lets it continue
    writeFileSync(join(dir, 'ok.txt'), 'ok');
    await store.appendTaskNote('p-test', 'T1', 'Answer from ann: create ok.txt first');
    const done = await engine().resume(first.runId);
    expect(done.status).toBe('succeeded');
    expect(existsSync(join(dir, 'ok.txt'))).toBe(true);
  });

  it('holds a resumed task whose failure writes a note identical to an earlier one (failure digests hold no timings)', async () => {
    const { engine, store } = await setup({ policy: { maxAttempts: 1, maxDepth: 0 } });
    await planWith(store, ['T1']);
    const graph: GraphSpecInput = { nodes: [{ id: 'T1/check', kind: 'command', task: 'T1', config: { run: 'echo "FAIL check: ok.txt missing"; exit 1' } }] };
    const first = await engine().start({ graph, command: 'test', planId: 'p-test' });
    expect(first.status).toBe('failed');
    expect((await store.getTask('p-test', 'T1'))!.notes).toHaveLength(1);
    // resume: attempt 1 again, the same failure, the same note: seen before, so held (and not appended twice)
    const again = await engine().resume(first.runId);
    expect(again.status).toBe('suspended');
    expect(again.reason).toMatch(/T1 needs a person: the same failure twice/);
    expect((await store.getTask('p-test', 'T1'))!.notes).toHaveLength(1);
  });

  it('signatures ignore timings and absolute paths but not the failing test', () => {
    const err = (output: string) => ({ code: 'VERIFY_FAILED' as const, message: 'verify failed', retryable: false, details: { output } });
    expect(failureSignature(err('FAIL a.test.js > adds (12 ms)\n/tmp/x/run-1/src/a.js:3 Error: boom'))).toBe(
      failureSignature(err('FAIL a.test.js > adds (31 ms)\n/home/u/run-2/src/a.js:3 Error: boom')),
    );
    expect(failureSignature(err('FAIL a.test.js > adds'))).not.toBe(failureSignature(err('FAIL a.test.js > subtracts')));
  });
});
