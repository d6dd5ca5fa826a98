import { describe, expect, it } from 'vitest';
import { ProjectConfigSchema } from '../core/config.js';
import type { GraphSpecInput } from '../core/graph.js';
import { defaultRegistry } from '../nodes/index.js';
import { SqliteStore } from '../store/sqlite-store.js';
import { gateScript } from '../../test/support/gate-script.js';
import type { ScriptFunction } from './node-executor.js';
import { Engine } from './engine.js';
import type { EngineEvent } from './events.js';

/**
 * `human` and `approval` nodes suspend only their own branch, and a decision recorded in the
 * store while the run is live is picked up by the running session (decision-pickup.ts).
 */
const config = ProjectConfigSchema.parse({});


async function setup(extra: Map<string, ScriptFunction> = new Map()) {
  const store = SqliteStore.open(':memory:');
  await store.migrate();
  const { executors, scripts } = defaultRegistry(extra);
  const events: EngineEvent[] = [];
  const engine = () => new Engine({ store, executors, scripts, projectDir: process.cwd(), config, observers: [(e) => events.push(e)] });
  return { store, engine, events };
}

const noop = (id: string, extra: Record<string, unknown> = {}) => ({ id, kind: 'script' as const, config: { fn: 'noop', args: id }, ...extra });
const answer = (runId: string, nodeId: string, value: unknown) =>
  [
    { runId, nodeId, decision: 'answered' as const, by: 'ann', at: '2026-01-01T00:00:00.000Z', answer: value as never },
    { runId, at: 1, who: 'ann', kind: 'answered' as const, subject: nodeId, reason: '' },
  ] as const;

describe('human nodes and decisions handed to a live run', () => {
  it('a human node suspends only its branch; its answer is the input of its dependents after resume', async () => {
    const { engine, store } = await setup();
    const graph: GraphSpecInput = {
      nodes: [
        { id: 'ask', kind: 'human', config: { question: 'Which size?', choices: ['S', 'M'] } },
        noop('use', { inputs: { size: { $ref: 'ask', path: 'answer' } } }),
        noop('other'),
        noop('after-other', { needs: ['other'] }),
      ],
    };
    const first = await engine().start({ graph, command: 'test' });
    expect(first.status).toBe('suspended');
    expect(first.reason).toBe('waiting for ask');
    const nodes = Object.fromEntries((await store.listRunNodes(first.runId)).map((n) => [n.nodeId, n.status]));
    expect(nodes).toMatchObject({ ask: 'suspended', other: 'succeeded', 'after-other': 'succeeded' });
    expect(nodes['use'] ?? 'pending').toBe('pending'); // never started
    expect(await store.listAttempts(first.runId, 'use')).toEqual([]);
    expect((await store.listAttempts(first.runId, 'ask'))[0]!.suspendReason).toBe('question: Which size? (choices: S | M)');

    await store.decide(...answer(first.runId, 'ask', 'M'));
    const resumed = await engine().resume(first.runId);
    expect(resumed.status).toBe('succeeded');
    const use = await store.listAttempts(first.runId, 'use');
    expect(use).toHaveLength(1);
    expect(use[0]!.output).toEqual({ args: 'use', inputs: { size: 'M' } });
    expect((await store.listAttempts(first.runId, 'ask')).at(-1)!.output).toEqual({ answer: 'M', by: 'ann', at: '2026-01-01T00:00:00.000Z' });
    for (const id of ['other', 'after-other']) expect(await store.listAttempts(first.runId, id)).toHaveLength(1);
  });

  it('a JSON answer is checked against the schema when the node runs again; an unacceptable one fails it', async () => {
    const { engine, store } = await setup();
    const schema = { type: 'object', properties: { n: { type: 'integer', minimum: 1 } }, required: ['n'] };
    const graph: GraphSpecInput = { nodes: [{ id: 'ask', kind: 'human', config: { question: 'How many?', schema } }, noop('use', { inputs: { a: { $ref: 'ask' } } })] };
    const ok = await engine().start({ graph, command: 'test' });
    await store.decide(...answer(ok.runId, 'ask', { n: 3 }));
    expect((await engine().resume(ok.runId)).status).toBe('succeeded');
    expect((await store.listAttempts(ok.runId, 'use'))[0]!.output).toMatchObject({ inputs: { a: { answer: { n: 3 } } } });

    const bad = await engine().start({ graph, command: 'test' });
    await store.decide(...answer(bad.runId, 'ask', { n: 0 })); // written around the CLI's check
    const failed = await engine().resume(bad.runId);
    expect(failed.status).toBe('failed');
    expect((await store.listAttempts(bad.runId, 'ask')).at(-1)!.error!.message).toMatch(/not acceptable: n: Too small/);
  });

  it('a decision recorded while the session runs another branch is picked up by that session; no node runs twice', async () => {
    const slow = gateScript('slow done');
    const { engine, store, events } = await setup(new Map([['slow', slow.fn]]));
    const graph: GraphSpecInput = {
      nodes: [
        { id: 'gate-a', kind: 'approval', config: { question: 'A?' } },
        noop('after-a', { needs: ['gate-a'] }),
        { id: 'ask-b', kind: 'human', config: { question: 'B?' } },
        noop('after-b', { inputs: { b: { $ref: 'ask-b', path: 'answer' } } }),
        { id: 'slow', kind: 'script', config: { fn: 'slow' } },
      ],
    };
    const running = engine().start({ graph, command: 'test', runId: 'r-live' });
    await slow.started;
    // both wait now; decide them while `slow` keeps the session alive
    for (;;) {
      const states = new Map((await store.listRunNodes('r-live')).map((n) => [n.nodeId, n.status]));
      if (states.get('gate-a') === 'suspended' && states.get('ask-b') === 'suspended') break;
      await new Promise((r) => setTimeout(r, 20));
    }
    await store.decide({ runId: 'r-live', nodeId: 'gate-a', decision: 'approved', by: 'ann', at: '2026-01-01T00:00:00.000Z' }, { runId: 'r-live', at: 1, who: 'ann', kind: 'approved', subject: 'gate-a', reason: '' });
    await store.decide(...answer('r-live', 'ask-b', 'yes'));
    // picked up on the next poll, while `slow` still runs
    for (let i = 0; i < 200 && (await store.listAttempts('r-live', 'after-b')).length === 0; i++) await new Promise((r) => setTimeout(r, 25));
    expect((await store.listAttempts('r-live', 'after-a')).map((a) => a.status)).toEqual(['succeeded']);
    expect((await store.listAttempts('r-live', 'after-b'))[0]!.output).toEqual({ args: 'after-b', inputs: { b: 'yes' } });
    slow.open();
    const summary = await running;
    expect(summary.status).toBe('succeeded');
    expect((await store.listRunSessions('r-live')).length).toBe(1); // one session did it all
    const counts = Object.fromEntries((await store.listRunNodes('r-live')).map((n) => [n.nodeId, n.attempts]));
    expect(counts).toEqual({ 'gate-a': 2, 'after-a': 1, 'ask-b': 2, 'after-b': 1, slow: 1 });
    expect(events.filter((e) => e.type === 'log' && e.message.includes('a decision was recorded')).map((e) => (e as { nodeId: string }).nodeId).sort()).toEqual(['ask-b', 'gate-a']);
  });

  it('a decision recorded after the last look but before the lease is released is acted on after the release: the run is resumed once more', async () => {
    const { store: real } = await setup();
    const { executors, scripts } = defaultRegistry();
    let injected = false;
    // another process decides in the last instant the lease is still held (it then sees the lease held and hands over)
    const store = new Proxy(real, {
      get(target, prop, receiver) {
        if (prop === 'releaseRunLease') {
          return async (runId: string, token: string) => {
            if (!injected) {
              injected = true;
              await target.decide(...answer(runId, 'ask', 'late'));
            }
            return target.releaseRunLease(runId, token);
          };
        }
        const value = Reflect.get(target, prop, receiver) as unknown;
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const engine = new Engine({ store, executors, scripts, projectDir: process.cwd(), config });
    const graph: GraphSpecInput = { nodes: [{ id: 'ask', kind: 'human', config: { question: 'Now?' } }, noop('use', { inputs: { a: { $ref: 'ask', path: 'answer' } } })] };
    const summary = await engine.start({ graph, command: 'test', runId: 'r-late' });
    expect(injected).toBe(true);
    expect(summary.status).toBe('succeeded');
    expect((await real.listRunSessions('r-late')).map((s) => [s.command, s.outcome])).toEqual([
      ['test', 'suspended'],
      ['resume', 'succeeded'],
    ]);
    expect((await real.listAttempts('r-late', 'use'))[0]!.output).toEqual({ args: 'use', inputs: { a: 'late' } });
  });
});
