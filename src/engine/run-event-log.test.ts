import { describe, expect, it } from 'vitest';
import { ProjectConfigSchema } from '../core/config.js';
import type { GraphSpecInput } from '../core/graph.js';
import { defaultRegistry } from '../nodes/index.js';
import { SqliteStore } from '../store/sqlite-store.js';
import type { Store } from '../store/store.js';
import type { ScriptFunction } from './node-executor.js';
import { Engine, type EngineOptions } from './engine.js';
import type { EngineEvent } from './events.js';
import { runEventOf } from './run-event-log.js';

/**
 * The engine writes every run's events to the store's run event log (issue 12): the same events,
 * in the same order, its observers see — from a real run of real node kinds.
 */
const config = ProjectConfigSchema.parse({});

/** A pure script that logs a line through its node context. */
const talk: ScriptFunction = {
  version: 1,
  sideEffects: false,
  description: 'logs a line',
  run: async (args, _inputs, ctx) => {
    ctx.log(`hello from ${String(args)}`);
    return 'said';
  },
};

async function setup(opts: Partial<EngineOptions> = {}) {
  const sqlite = SqliteStore.open(':memory:');
  await sqlite.migrate();
  let appends = 0;
  // counts the log's transactions; everything else goes straight to the SQLite store
  const store = new Proxy(sqlite, {
    get(target, key, receiver) {
      if (key === 'appendRunEvents') appends++;
      const value = Reflect.get(target, key, receiver) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  }) as Store;
  const { executors, scripts } = defaultRegistry(new Map([['talk', talk]]));
  const seen: EngineEvent[] = [];
  const engine = () => new Engine({ store, executors, scripts, projectDir: process.cwd(), config, observers: [(e) => seen.push(e)], ...opts });
  return { store, engine, seen, appends: () => appends };
}

const noop = (id: string, extra: Record<string, unknown> = {}) => ({ id, kind: 'script' as const, config: { fn: 'noop', args: id }, ...extra });
/** A stored event without its store-assigned and clock fields. */
const shape = (e: { type: string; nodeId?: string; data: unknown }) => ({ type: e.type, ...(e.nodeId !== undefined ? { nodeId: e.nodeId } : {}), data: e.data });

describe('run event log written by the engine', () => {
  const graph: GraphSpecInput = {
    nodes: [
      { id: 'hello', kind: 'script', config: { fn: 'talk', args: 'hello' } },
      noop('after-hello', { needs: ['hello'] }),
      { id: 'bad', kind: 'script', config: { fn: 'fail', args: { message: 'boom' } } },
      noop('after-bad', { needs: ['bad'] }),
      { id: 'gate', kind: 'approval', config: { question: 'Ship it?' }, needs: ['hello'] },
      noop('shipped', { needs: ['gate'] }),
    ],
  };

  it('holds what observers saw, in order: run start, node starts and finishes, log lines, skips, approvals requested, run finish', async () => {
    const { store, engine, seen } = await setup();
    const summary = await engine().start({ graph, command: 'test' });
    expect(summary.status).toBe('failed');
    // written before start() resolved (the lease is released after the last batch)
    const stored = await store.listRunEvents(summary.runId);
    expect(stored.map(shape)).toStrictEqual(seen.map((e) => shape(runEventOf(e, 0))));
    for (let i = 1; i < stored.length; i++) expect(stored[i]!.seq).toBeGreaterThan(stored[i - 1]!.seq);
    expect(stored.every((e) => e.runId === summary.runId && Number.isSafeInteger(e.at))).toBe(true);

    const types = stored.map((e) => e.type);
    expect(types[0]).toBe('run-start');
    expect(types.at(-1)).toBe('run-finish');
    expect(stored.at(-1)!.data).toMatchObject({ status: 'failed' });
    const at = (type: string, nodeId?: string) => stored.findIndex((e) => e.type === type && (nodeId === undefined || e.nodeId === nodeId));
    for (const id of ['hello', 'after-hello', 'bad', 'gate']) {
      expect(at('node-start', id)).toBeGreaterThan(0);
      expect(at('node-finish', id)).toBeGreaterThan(at('node-start', id));
    }
    expect(at('node-start', 'after-hello')).toBeGreaterThan(at('node-finish', 'hello'));
    expect(stored.find((e) => e.type === 'log' && e.nodeId === 'hello')?.data).toStrictEqual({ message: 'hello from hello' });
    expect(stored.find((e) => e.type === 'node-finish' && e.nodeId === 'bad')?.data).toMatchObject({ status: 'failed', error: { message: expect.stringContaining('boom') } });
    expect(stored.find((e) => e.type === 'node-skip')?.data).toMatchObject({ nodeIds: ['after-bad'], because: 'bad' });
    const asked = stored.find((e) => e.type === 'approval-requested');
    expect(asked).toMatchObject({ nodeId: 'gate', data: { kind: 'approval', reason: expect.stringContaining('Ship it?') } });
    expect(at('approval-requested', 'gate')).toBeGreaterThan(at('node-finish', 'gate'));
    expect(at('node-start', 'shipped')).toBe(-1);
  });

  it('a resumed session appends after the first: run-start (resumed) … run-finish, ids still ascending', async () => {
    const { store, engine } = await setup();
    const gated: GraphSpecInput = { nodes: [noop('a'), { id: 'gate', kind: 'approval', config: {}, needs: ['a'] }, noop('b', { needs: ['gate'] })] };
    const first = await engine().start({ graph: gated, command: 'run' });
    expect(first.status).toBe('suspended');
    const before = await store.listRunEvents(first.runId);
    expect(before.map((e) => e.type)).toEqual(['run-start', 'node-start', 'node-finish', 'node-start', 'node-finish', 'approval-requested', 'run-finish']);
    await store.putDecision({ runId: first.runId, nodeId: 'gate', decision: 'approved', by: 'ana', at: new Date().toISOString() });
    expect((await engine().resume(first.runId)).status).toBe('succeeded');
    const after = await store.listRunEvents(first.runId, { afterSeq: before.at(-1)!.seq });
    expect(after[0]).toMatchObject({ type: 'run-start', data: { resumed: true } });
    expect(after.filter((e) => e.type === 'node-finish').map((e) => [e.nodeId, e.data['status']])).toEqual([
      ['gate', 'succeeded'],
      ['b', 'succeeded'],
    ]);
    expect(after.at(-1)).toMatchObject({ type: 'run-finish', data: { status: 'succeeded' } });
    expect(await store.listRunEvents(first.runId)).toStrictEqual([...before, ...after]);
  });

  it('writes in batches, not one transaction per event', async () => {
    const { store, engine, appends } = await setup();
    const wide: GraphSpecInput = { nodes: Array.from({ length: 200 }, (_, i) => noop(`n${i}`)) };
    const summary = await engine().start({ graph: wide, command: 'test' });
    const stored = await store.listRunEvents(summary.runId);
    expect(stored).toHaveLength(2 + 2 * 200);
    expect(appends()).toBeGreaterThan(0);
    expect(appends()).toBeLessThan(stored.length / 20);
  });

  it('eventLog: false (forecasts) writes none', async () => {
    const { store, engine, seen } = await setup({ eventLog: false });
    const summary = await engine().start({ graph: { nodes: [noop('a')] }, command: 'test' });
    expect(seen.length).toBeGreaterThan(0);
    expect(await store.listRunEvents(summary.runId)).toEqual([]);
  });
});
