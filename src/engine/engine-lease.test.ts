import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { ProjectConfigSchema } from '../core/config.js';
import { TaskgraphError } from '../core/errors.js';
import type { GraphSpecInput } from '../core/graph.js';
import { defaultRegistry } from '../nodes/index.js';
import { SqliteStore } from '../store/sqlite-store.js';
import type { Store } from '../store/store.js';
import { Engine, type EngineOptions } from './engine.js';
import type { EngineEvent } from './events.js';
import { RunLeaseHolder } from './run-lease.js';
import { RUNNING_MARK_DELAY_MS } from './running-marks.js';

/** The engine side of issue 8 items 3, 4 and 13: lease and sessions, options kept with the run, running marks, stopping on a signal. */

const config = ProjectConfigSchema.parse({});
const dir = mkdtempSync(join(tmpdir(), 'tg-engine-lease-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function setup() {
  const store = SqliteStore.open(':memory:');
  await store.migrate();
  const { executors, scripts } = defaultRegistry();
  const events: EngineEvent[] = [];
  const engine = (more: Partial<EngineOptions> = {}) =>
    new Engine({ store, executors, scripts, projectDir: dir, config, observers: [(e) => events.push(e)], ...more });
  const executed = () => events.filter((e) => e.type === 'node-finish' && e.status === 'succeeded').map((e) => (e as { nodeId: string }).nodeId);
  return { store, engine, events, executed };
}

const noop = (id: string, extra: Record<string, unknown> = {}) => ({ id, kind: 'script' as const, config: { fn: 'noop', args: id }, ...extra });

/** Resolves once `predicate` holds for the store, polling every 10 ms (up to 10 s). */
async function until(what: string, predicate: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    if (await predicate()) return;
    await sleep(10);
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** A store that counts markNodeRunning calls and delegates everything to the real one. */
function counting(store: Store): { store: Store; marks: () => number } {
  let marks = 0;
  const proxy = new Proxy(store, {
    get(target, prop, receiver) {
      if (prop === 'markNodeRunning') {
        return (...args: Parameters<Store['markNodeRunning']>) => {
          marks++;
          return target.markNodeRunning(...args);
        };
      }
      const value = Reflect.get(target, prop, receiver) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { store: proxy, marks: () => marks };
}

describe('lease and sessions', () => {
  it('a run holds its lease while it runs, records one session, and releases the lease at the end', async () => {
    const { store, engine } = await setup();
    const summary = await engine().start({ graph: { nodes: [noop('a'), noop('b', { needs: ['a'] })] }, command: 'run' });
    expect(summary.status).toBe('succeeded');
    expect(await store.getRunLease(summary.runId)).toBeUndefined();
    const sessions = await store.listRunSessions(summary.runId);
    expect(sessions).toHaveLength(1);
    expect(sessions[0]).toMatchObject({ number: 1, command: 'run', pid: process.pid, outcome: 'succeeded' });
  });

  it('resume is refused RUN_LOCKED while another holder is live, and writes nothing', async () => {
    const { store, engine } = await setup();
    const graph: GraphSpecInput = { nodes: [noop('a'), { id: 'gate', kind: 'approval', config: {}, needs: ['a'] }, noop('b', { needs: ['gate'] })] };
    const first = await engine().start({ graph, command: 'run' });
    expect(first.status).toBe('suspended');
    const holder = await RunLeaseHolder.acquire(store, first.runId);
    const before = { attempts: await store.listAttempts(first.runId), sessions: await store.listRunSessions(first.runId), run: await store.getRun(first.runId) };
    const error = await engine().resume(first.runId).catch((e: unknown) => e as TaskgraphError);
    expect((error as TaskgraphError).code).toBe('RUN_LOCKED');
    expect(await store.listAttempts(first.runId)).toEqual(before.attempts);
    expect(await store.listRunSessions(first.runId)).toEqual(before.sessions);
    expect(await store.getRun(first.runId)).toEqual(before.run);
    // the holder hands its lease to the engine: the session is recorded under the given command
    await store.putDecision({ runId: first.runId, nodeId: 'gate', decision: 'approved', by: 'ana', at: new Date().toISOString() });
    const resumed = await engine().resume(first.runId, undefined, { lease: holder, command: 'approve' });
    expect(resumed.status).toBe('succeeded');
    expect((await store.listRunSessions(first.runId)).map((s) => [s.command, s.outcome])).toEqual([
      ['run', 'suspended'],
      ['approve', 'succeeded'],
    ]);
    expect(await store.getRunLease(first.runId)).toBeUndefined();
  });
});

describe('options kept with the run', () => {
  it('--force and --concurrency are stored with the run; a forced node still pending at the stop runs again on resume instead of the cache', async () => {
    const { store, engine, executed, events } = await setup();
    const plain: GraphSpecInput = { nodes: [noop('a'), noop('b', { needs: ['a'] })] };
    await engine().start({ graph: plain, command: 'run' }); // fills the cache for a and b
    const gated: GraphSpecInput = { nodes: [noop('a'), { id: 'gate', kind: 'approval', config: {}, needs: ['a'] }, noop('b', { needs: ['a', 'gate'] })] };
    events.length = 0;
    const first = await engine({ force: ['b'], concurrency: 3 }).start({ graph: gated, command: 'run' });
    expect(first.status).toBe('suspended');
    expect((await store.getRun(first.runId))?.options).toMatchObject({ force: ['b'], concurrency: 3 });
    await store.putDecision({ runId: first.runId, nodeId: 'gate', decision: 'approved', by: 'ana', at: new Date().toISOString() });
    events.length = 0;
    const resumed = await engine().resume(first.runId); // this session is given no --force
    expect(resumed.status).toBe('succeeded');
    expect(executed()).toContain('b');
    expect((await store.listAttempts(first.runId, 'b')).map((a) => a.status)).toEqual(['succeeded']);

    // control: the same run without --force serves b from the cache
    const control = await engine().start({ graph: gated, command: 'run' });
    await store.putDecision({ runId: control.runId, nodeId: 'gate', decision: 'approved', by: 'ana', at: new Date().toISOString() });
    await engine().resume(control.runId);
    expect((await store.listAttempts(control.runId, 'b')).map((a) => a.status)).toEqual(['cached']);
  });

  it('a later session may replace a kept option', async () => {
    const { store, engine } = await setup();
    const graph: GraphSpecInput = { nodes: [noop('a'), { id: 'gate', kind: 'approval', config: {}, needs: ['a'] }] };
    const first = await engine({ concurrency: 2 }).start({ graph, command: 'run' });
    await store.putDecision({ runId: first.runId, nodeId: 'gate', decision: 'approved', by: 'ana', at: new Date().toISOString() });
    await engine({ concurrency: 5 }).resume(first.runId);
    expect((await store.getRun(first.runId))?.options['concurrency']).toBe(5);
  });
});

describe('running marks', () => {
  it('a node executing longer than the delay shows running with its start time; cheap nodes cost no mark', async () => {
    const { store: real, engine } = await setup();
    const { store, marks } = counting(real);
    const graph: GraphSpecInput = {
      nodes: [
        ...Array.from({ length: 30 }, (_, i) => noop(`n${i}`)),
        { id: 'slow', kind: 'script', config: { fn: 'sleep', args: { ms: RUNNING_MARK_DELAY_MS + 500 } }, needs: ['n29'] },
      ],
    };
    const running = engine({ store }).start({ graph, command: 'run' });
    let runId = '';
    await until('a run', async () => ((runId = (await real.listRuns(1))[0]?.id ?? ''), runId !== ''));
    await until('slow marked running', async () => (await real.listRunNodes(runId)).some((n) => n.nodeId === 'slow' && n.status === 'running'));
    const slow = (await real.listRunNodes(runId)).find((n) => n.nodeId === 'slow')!;
    expect(slow).toMatchObject({ status: 'running', attempts: 1 });
    expect(Date.now() - Date.parse(slow.startedAt!)).toBeGreaterThanOrEqual(RUNNING_MARK_DELAY_MS - 5);
    const summary = await running;
    expect(summary.status).toBe('succeeded');
    expect(marks()).toBe(1);
    const after = (await real.listRunNodes(runId)).find((n) => n.nodeId === 'slow')!;
    expect(after.status).toBe('succeeded');
    expect(after).not.toHaveProperty('startedAt');
  });
});

describe('stopping on a signal', () => {
  it('an aborted run kills its command, records the attempt interrupted and the node pending, ends interrupted with the reason; resume finishes it', async () => {
    const { store, engine, events } = await setup();
    const marker = join(dir, `late-${Date.now()}`);
    const graph: GraphSpecInput = {
      nodes: [
        noop('a'),
        { id: 'long', kind: 'command', config: { run: `sleep 3 && touch ${marker}` }, needs: ['a'], task: 'T1' },
        noop('after', { needs: ['long'] }),
      ],
    };
    const controller = new AbortController();
    const started = Date.now();
    const running = engine({ signal: controller.signal }).start({ graph, command: 'run' });
    let runId = '';
    await until('long started', async () => {
      runId = (await store.listRuns(1))[0]?.id ?? '';
      return runId !== '' && (await store.listRunNodes(runId)).some((n) => n.nodeId === 'long' && n.status === 'running');
    });
    controller.abort(new TaskgraphError('ABORTED', 'stopped by SIGTERM'));
    const summary = await running;
    expect(Date.now() - started).toBeLessThan(2500); // the 3 s command was killed, not awaited
    expect(summary).toMatchObject({ status: 'interrupted', reason: 'stopped by SIGTERM' });
    const run = await store.getRun(runId);
    expect(run).toMatchObject({ status: 'interrupted', reason: 'stopped by SIGTERM' });
    const long = await store.listAttempts(runId, 'long');
    expect(long.map((a) => a.status)).toEqual(['interrupted']);
    expect(long[0]?.error).toMatchObject({ code: 'ABORTED', message: 'stopped by SIGTERM' });
    expect(long[0]?.error?.details['nodeError']).toMatch(/sleep 3/); // what the stop did to the node
    const nodes = Object.fromEntries((await store.listRunNodes(runId)).map((n) => [n.nodeId, n.status]));
    expect(nodes).toEqual({ a: 'succeeded', long: 'pending', after: 'pending' });
    expect(events.some((e) => e.type === 'task-retry')).toBe(false); // no refinement for a stop
    expect((await store.listRunSessions(runId)).map((s) => [s.outcome, s.reason])).toEqual([['interrupted', 'stopped by SIGTERM']]);
    expect(await store.getRunLease(runId)).toBeUndefined();

    const resumed = await engine().resume(runId);
    expect(resumed.status).toBe('succeeded');
    expect((await store.listAttempts(runId, 'long')).map((a) => a.status)).toEqual(['interrupted', 'succeeded']);
    expect((await store.listRunSessions(runId)).map((s) => s.outcome)).toEqual(['interrupted', 'succeeded']);
  }, 20_000);

  it('a lost lease stops the run like a signal', async () => {
    const { store, engine } = await setup();
    const graph: GraphSpecInput = { nodes: [{ id: 'long', kind: 'command', config: { run: 'sleep 3' } }] };
    const running = engine({ lease: { heartbeatMs: 20 } }).start({ graph, command: 'run' });
    let runId = '';
    await until('long started', async () => {
      runId = (await store.listRuns(1))[0]?.id ?? '';
      return runId !== '' && (await store.listRunNodes(runId)).some((n) => n.nodeId === 'long' && n.status === 'running');
    });
    // another process takes the lease over (as if this one had missed its heartbeats past the TTL)
    const lease = (await store.getRunLease(runId))!;
    await store.acquireRunLease({ runId, token: 'thief', pid: 1, host: 'elsewhere', now: new Date().toISOString(), ttlMs: 30_000, takeOver: lease.token });
    const summary = await running;
    expect(summary.status).toBe('interrupted');
    expect(summary.reason).toContain('lost the lease');
    expect((await store.getRunLease(runId))?.token).toBe('thief'); // not released by the loser
  }, 20_000);
});
