import { describe, expect, it } from 'vitest';
import { ProjectConfigSchema } from '../core/config.js';
import type { GraphSpecInput } from '../core/graph.js';
import { defaultRegistry } from '../nodes/index.js';
import { SqliteStore } from '../store/sqlite-store.js';
import type { ScriptFunction } from './node-executor.js';
import { Engine, type EngineOptions } from './engine.js';
import type { EngineEvent } from './events.js';

const config = ProjectConfigSchema.parse({});

async function setup(extra: Map<string, ScriptFunction> = new Map(), opts: Partial<EngineOptions> = {}) {
  const store = SqliteStore.open(':memory:');
  await store.migrate();
  const { executors, scripts } = defaultRegistry(extra);
  const events: EngineEvent[] = [];
  const engine = (more: Partial<EngineOptions> = {}) =>
    new Engine({ store, executors, scripts, projectDir: process.cwd(), config, observers: [(e) => events.push(e)], ...opts, ...more });
  const executed = () => events.filter((e) => e.type === 'node-finish' && e.status === 'succeeded').map((e) => (e as { nodeId: string }).nodeId);
  return { store, engine, events, executed };
}

const noop = (id: string, extra: Record<string, unknown> = {}) => ({ id, kind: 'script' as const, config: { fn: 'noop', args: id }, ...extra });

describe('Engine', () => {
  it('runs a graph in dependency order and passes outputs through $ref inputs', async () => {
    const { engine, store } = await setup();
    const graph: GraphSpecInput = {
      nodes: [
        { id: 'a', kind: 'script', config: { fn: 'echo', args: { n: 2 } } },
        { id: 'b', kind: 'script', config: { fn: 'echo', args: 'B' } },
        { id: 'c', kind: 'script', config: { fn: 'noop' }, inputs: { x: { $ref: 'a', path: 'n' }, y: { $ref: 'b' }, z: 7 } },
      ],
    };
    const summary = await engine().start({ graph, command: 'test' });
    expect(summary.status).toBe('succeeded');
    const attempts = await store.listAttempts(summary.runId, 'c');
    expect(attempts[0]!.output).toEqual({ args: null, inputs: { x: 2, y: 'B', z: 7 } });
  });

  it('executes nothing on a second run of an unchanged graph, and exactly the downstream cone after one config change', async () => {
    const { engine, events, executed } = await setup();
    const graph = (cArg: string): GraphSpecInput => ({
      nodes: [
        noop('a'),
        noop('b', { needs: ['a'] }),
        { id: 'c', kind: 'script', config: { fn: 'noop', args: cArg }, inputs: { a: { $ref: 'a' } } },
        noop('d', { inputs: { c: { $ref: 'c' } } }),
        noop('e', { inputs: { d: { $ref: 'd' } } }),
        noop('f', { needs: ['b'] }),
      ],
    });
    await engine().start({ graph: graph('v1'), command: 'test' });
    expect(executed().sort()).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
    events.length = 0;
    const second = await engine().start({ graph: graph('v1'), command: 'test' });
    expect(executed()).toEqual([]);
    expect(second.counts.cached).toBe(6);
    events.length = 0;
    await engine().start({ graph: graph('v2'), command: 'test' });
    expect(executed().sort()).toEqual(['c', 'd', 'e']);
  });

  it('--force re-executes a node even when cached', async () => {
    const { engine, events, executed } = await setup();
    const graph = { nodes: [noop('a'), noop('b', { needs: ['a'] })] };
    await engine().start({ graph, command: 'test' });
    events.length = 0;
    await engine({ force: ['a'] }).start({ graph, command: 'test' });
    expect(executed()).toEqual(['a']);
  });

  it('skips the downstream of a failed node, finishes the rest and ends failed', async () => {
    const { engine, store } = await setup();
    const graph = {
      nodes: [
        { id: 'bad', kind: 'script' as const, config: { fn: 'fail', args: { message: 'boom' } } },
        noop('after', { needs: ['bad'] }),
        noop('after2', { needs: ['after'] }),
        noop('independent'),
        noop('independent2', { needs: ['independent'] }),
      ],
    };
    const summary = await engine().start({ graph, command: 'test' });
    expect(summary.status).toBe('failed');
    expect(summary.reason).toContain('bad');
    const nodes = new Map((await store.listRunNodes(summary.runId)).map((n) => [n.nodeId, n.status]));
    expect(Object.fromEntries(nodes)).toEqual({ bad: 'failed', after: 'skipped', after2: 'skipped', independent: 'succeeded', independent2: 'succeeded' });
    const [attempt] = await store.listAttempts(summary.runId, 'bad');
    expect(attempt!.error).toMatchObject({ code: 'NODE_FAILED', message: 'boom' });
  });

  it('runs independent nodes in parallel up to the concurrency limit', async () => {
    let running = 0;
    let peak = 0;
    const gate: ScriptFunction = {
      version: 1,
      sideEffects: false,
      description: 'counts concurrent runs',
      run: async () => {
        running++;
        peak = Math.max(peak, running);
        await new Promise((r) => setTimeout(r, 20));
        running--;
        return null;
      },
    };
    const { engine } = await setup(new Map([['gate', gate]]));
    const nodes = Array.from({ length: 8 }, (_, i) => ({ id: `n${i}`, kind: 'script' as const, config: { fn: 'gate', args: i } }));
    await engine({ concurrency: 3 }).start({ graph: { nodes }, command: 'test' });
    expect(peak).toBe(3);
    peak = 0;
    await engine({ concurrency: 1, force: nodes.map((n) => n.id) }).start({ graph: { nodes }, command: 'test' });
    expect(peak).toBe(1);
  });

  it('starts ready nodes in priority order, then by id', async () => {
    const { engine, events } = await setup();
    const nodes = [noop('b'), noop('a'), noop('c', { priority: 1 }), noop('d', { needs: ['c'], priority: 9 })];
    await engine({ concurrency: 1 }).start({ graph: { nodes }, command: 'test' });
    expect(events.filter((e) => e.type === 'node-start').map((e) => (e as { nodeId: string }).nodeId)).toEqual(['c', 'd', 'a', 'b']);
  });

  it('suspends at an approval and continues after approve + resume; rejection fails the node', async () => {
    const { engine, store } = await setup();
    const graph = { nodes: [noop('a'), { id: 'gate', kind: 'approval' as const, config: { question: 'ship?' }, needs: ['a'] }, noop('b', { needs: ['gate'] })] };
    const first = await engine().start({ graph, command: 'test' });
    expect(first.status).toBe('suspended');
    expect(first.reason).toContain('gate');
    await store.putDecision({ runId: first.runId, nodeId: 'gate', decision: 'approved', by: 'ann', at: new Date().toISOString() });
    const resumed = await engine().resume(first.runId);
    expect(resumed.status).toBe('succeeded');
    expect(resumed.counts).toMatchObject({ succeeded: 3 });
    const gateAttempts = await store.listAttempts(first.runId, 'gate');
    expect(gateAttempts.map((a) => a.status)).toEqual(['suspended', 'succeeded']);
    expect(await store.listAttempts(first.runId, 'a')).toHaveLength(1);

    const second = await engine().start({ graph, command: 'test' });
    expect(second.status).toBe('suspended');
    await store.putDecision({ runId: second.runId, nodeId: 'gate', decision: 'rejected', by: 'bob', at: new Date().toISOString(), comment: 'not yet' });
    const rejected = await engine().resume(second.runId);
    expect(rejected.status).toBe('failed');
    expect((await store.listAttempts(second.runId, 'gate')).at(-1)!.error!.message).toContain('not yet');
  });

  it('validates every kind config and required input before writing anything', async () => {
    const { engine, store } = await setup();
    await expect(
      engine().start({
        graph: { nodes: [{ id: 'x', kind: 'script', config: { nofn: 1 } }, { id: 'y', kind: 'apply', config: {} }, { id: 'z', kind: 'subgraph', config: {} }, { id: 'h', kind: 'human', config: { choices: [] } }] },
        command: 'test',
      }),
    ).rejects.toThrow(/config\.fn[\s\S]*missing input "edit"[\s\S]*config\.template[\s\S]*config\.question/);
    expect(await store.listRuns()).toEqual([]);
  });

  it('resume re-runs an interrupted attempt and never repeats a finished one', async () => {
    const { engine, store } = await setup();
    const graph = { nodes: [noop('a'), noop('b', { needs: ['a'] }), noop('c', { needs: ['b'] })] };
    const first = await engine().start({ graph, command: 'test' });
    // simulate a crash in the middle of b on a fresh run: a done, b running, c pending
    const run = (await store.getRun(first.runId))!;
    await store.createRun({ ...run, id: 'r-crashed', status: 'running' });
    const a = await store.startAttempt({ runId: 'r-crashed', nodeId: 'a', number: 1, cacheKey: 'k', ingredients: { kind: 'script', kindVersion: 1, config: '', inputs: {}, extra: {} }, usage: { inputTokens: 0, outputTokens: 0, costUsd: 0, calls: 0 }, startedAt: new Date().toISOString() });
    await store.finishAttempt({ seq: a.seq, status: 'succeeded', output: { args: 'a', inputs: {} }, outputHash: 'h', usage: { inputTokens: 0, outputTokens: 0, costUsd: 0, calls: 0 }, finishedAt: new Date().toISOString(), durationMs: 1, node: { runId: 'r-crashed', nodeId: 'a', status: 'succeeded', attempts: 1 } });
    await store.startAttempt({ runId: 'r-crashed', nodeId: 'b', number: 1, cacheKey: 'k', ingredients: { kind: 'script', kindVersion: 1, config: '', inputs: {}, extra: {} }, usage: { inputTokens: 0, outputTokens: 0, costUsd: 0, calls: 0 }, startedAt: new Date().toISOString() });
    const resumed = await engine().resume('r-crashed');
    expect(resumed.status).toBe('succeeded');
    const attempts = await store.listAttempts('r-crashed');
    expect(attempts.filter((x) => x.nodeId === 'a')).toHaveLength(1);
    expect(attempts.filter((x) => x.nodeId === 'b').map((x) => x.status)).toEqual(['interrupted', 'cached']);
    await expect(engine().resume('r-crashed')).rejects.toThrow(/already succeeded/);
  });
});

describe('Engine with a shared worktree', () => {
  it('keeps one task open at a time, in priority order, and a failed task skips only its dependents', async () => {
    const { SqliteStore } = await import('../store/sqlite-store.js');
    const store = SqliteStore.open(':memory:');
    await store.migrate();
    const { executors, scripts } = defaultRegistry();
    // a workspace double is not needed for ordering: the rule applies whenever a workspace is set,
    // so use a real git worktree
    const { mkdtempSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { execFileSync } = await import('node:child_process');
    const dir = mkdtempSync(join(tmpdir(), 'tg-engine-'));
    const env = { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' };
    execFileSync('git', ['init', '-q'], { cwd: dir, env });
    execFileSync('git', ['commit', '-q', '--allow-empty', '-m', 'init'], { cwd: dir, env });
    const { createRunWorkspace } = await import('../workspace/git-workspace.js');
    const workspace = await createRunWorkspace({ projectDir: dir, runId: 'r-ordering' });
    const events: EngineEvent[] = [];
    const engine = new Engine({ store, executors, scripts, projectDir: dir, config, observers: [(e) => events.push(e)], concurrency: 4 });
    const step = (task: string, n: number, extra: Record<string, unknown> = {}) => ({
      id: `${task}/${n}`,
      kind: 'script' as const,
      task,
      priority: task === 'A' ? 3 : task === 'B' ? 2 : 1,
      config: { fn: 'noop', args: `${task}${n}` },
      ...(n > 1 ? { needs: [`${task}/${n - 1}`] } : {}),
      ...extra,
    });
    const summary = await engine.start({
      graph: {
        nodes: [
          step('A', 1), { ...step('A', 2), config: { fn: 'fail', args: { message: 'A breaks' } } },
          step('B', 1), step('B', 2),
          { ...step('C', 1), needs: ['A/2'] }, step('C', 2),
        ],
      },
      command: 'test',
      runId: 'r-ordering',
      workspace,
    });
    const starts = events.filter((e) => e.type === 'node-start').map((e) => (e as { nodeId: string }).nodeId);
    expect(starts).toEqual(['A/1', 'A/2', 'B/1', 'B/2']);
    const states = Object.fromEntries((await store.listRunNodes(summary.runId)).map((n) => [n.nodeId, n.status]));
    expect(states).toMatchObject({ 'A/2': 'failed', 'B/2': 'succeeded', 'C/1': 'skipped', 'C/2': 'skipped' });
  });
});
