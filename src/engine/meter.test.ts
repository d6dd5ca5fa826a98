import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type Budget, ProjectConfigSchema } from '../core/config.js';
import { AiSdkModelClient } from '../llm/ai-sdk-client.js';
import { defaultRegistry } from '../nodes/index.js';
import { SqliteStore } from '../store/sqlite-store.js';
import { startFakeOpenAIServer, type FakeOpenAIServer, type FakeReply } from '../testing/fake-openai-server.js';
import { BudgetGuard, effectiveBudget } from './budget.js';
import { Engine } from './engine.js';
import type { ScriptFunction } from './node-executor.js';

/**
 * The per-node model meter with the real engine, the real AI SDK client and the loopback fake
 * server: every call counts (failed ones too), and the budget is checked before each call.
 */

let server: FakeOpenAIServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** A script node that asks the model `args.calls` times (a stand-in for any multi-call node). */
const askMany: ScriptFunction = {
  version: 1,
  sideEffects: false,
  description: 'asks the model several times',
  run: async (args, _inputs, ctx) => {
    const n = (args as { calls: number }).calls;
    for (let i = 0; i < n; i++) await ctx.models!.generate({ profile: 'm', prompt: `call ${i}`, label: ctx.node.id });
    return n;
  },
};

async function setup(reply: (n: number) => FakeReply, policy: Record<string, unknown> = {}) {
  let n = 0;
  server = await startFakeOpenAIServer({ respond: () => reply(++n) });
  const config = ProjectConfigSchema.parse({
    models: { m: { provider: 'openai-compatible', baseURL: server.url, model: 'm', price: { input: 1, output: 1 } } },
    roles: { planner: 'm', coder: 'm' },
    policy: { concurrency: 1, ...policy },
  });
  const store = SqliteStore.open(':memory:');
  await store.migrate();
  const { executors, scripts } = defaultRegistry(new Map([['ask-many', askMany]]));
  const models = new AiSdkModelClient({ profiles: config.models, retries: 0 });
  const dir = mkdtempSync(join(tmpdir(), 'tg-meter-'));
  const engine = (budget?: Budget) => new Engine({ store, executors, scripts, projectDir: dir, config, models, ...(budget ? { budget } : {}) });
  return { store, engine, requests: () => server!.requests.length };
}

const MILLION = { prompt_tokens: 1_000_000, completion_tokens: 0 }; // $1 at $1 per million

const planAnswer = (tasks: Array<{ id: string; atomic: boolean }>) =>
  JSON.stringify({ tasks: tasks.map((t) => ({ id: t.id, title: `do ${t.id}`, description: `do ${t.id}`, acceptance: ['done'], dependencies: [], atomic: t.atomic, files: [] })) });

describe('model meter: the budget before each call', () => {
  it('stops a node between two of its calls, records what it spent, and runs it again on resume', async () => {
    const { engine, store, requests } = await setup(() => ({ content: 'ok', usage: MILLION }));
    const graph = { nodes: [{ id: 'ask', kind: 'script' as const, config: { fn: 'ask-many', args: { calls: 3 } } }] };
    const first = await engine({ maxCostUsd: 1.5 }).start({ graph, command: 'test' });
    // call 1 ($1) allowed, call 2 allowed ($1 < $1.5), call 3 refused ($2 >= $1.5) and never sent
    expect(requests()).toBe(2);
    expect(first.status).toBe('suspended');
    expect(first.reason).toMatch(/^run budget reached: \$2\.0000 of \$1\.5/);
    expect(first.counts).toMatchObject({ suspended: 1 });
    expect(first.usage).toMatchObject({ calls: 2, inputTokens: 2_000_000, costUsd: 2 });
    const [attempt] = await store.listAttempts(first.runId, 'ask');
    expect(attempt).toMatchObject({ status: 'suspended', usage: { calls: 2, inputTokens: 2_000_000, costUsd: 2 } });
    expect(attempt!.suspendReason).toMatch(/run budget reached/);

    const raised = await engine({ maxCostUsd: 10 }).resume(first.runId);
    expect(raised.status).toBe('succeeded');
    expect(requests()).toBe(5);
    expect(raised.usage).toMatchObject({ calls: 5, costUsd: 5 });
  });

  it('checks the planner before each call: a decompose node stops before decomposing a subtask', async () => {
    const { engine, store, requests } = await setup(() => ({ content: planAnswer([{ id: 'T1', atomic: true }, { id: 'T2', atomic: false }]), usage: MILLION }));
    const summary = await engine({ maxCostUsd: 0.5 }).start({ graph: { nodes: [{ id: 'plan', kind: 'decompose', config: { goal: 'build it' } }] }, command: 'test' });
    expect(requests()).toBe(1); // the goal's level; T2's decomposition is refused before it is sent
    expect(summary.status).toBe('suspended');
    expect(summary.reason).toMatch(/run budget reached: \$1\.0000 of \$0\.5/);
    const [attempt] = await store.listAttempts(summary.runId, 'plan');
    expect(attempt).toMatchObject({ status: 'suspended', usage: { calls: 1, costUsd: 1 } });
  });

  it('counts failed planner calls: invalid answers and repairs are recorded with their tokens and cost', async () => {
    const { engine, store, requests } = await setup(() => ({ content: 'this is not a plan', usage: { prompt_tokens: 1000, completion_tokens: 500 } }), { maxRepairs: 2 });
    const summary = await engine().start({ graph: { nodes: [{ id: 'plan', kind: 'decompose', config: { goal: 'build it' } }] }, command: 'test' });
    expect(requests()).toBe(3);
    expect(summary.status).toBe('failed');
    const [attempt] = await store.listAttempts(summary.runId, 'plan');
    expect(attempt!.error?.code).toBe('PLAN_INVALID');
    expect(attempt!.usage).toMatchObject({ calls: 3, inputTokens: 3000, outputTokens: 1500 });
    expect(attempt!.usage.costUsd).toBeCloseTo(0.0045, 10);
    expect(summary.usage).toMatchObject({ calls: 3, inputTokens: 3000 });
  });

  it('bounds model calls and decompositions per run', async () => {
    const calls = await setup(() => ({ content: 'ok', usage: { prompt_tokens: 1, completion_tokens: 1 } }));
    const capped = await calls.engine({ maxModelCalls: 2 }).start({ graph: { nodes: [{ id: 'ask', kind: 'script', config: { fn: 'ask-many', args: { calls: 3 } } }] }, command: 'test' });
    expect(calls.requests()).toBe(2);
    expect(capped.status).toBe('suspended');
    expect(capped.reason).toBe('run budget reached: 2 model calls of 2');
    await server!.close();

    const plans = await setup(() => ({ content: 'not a plan' }), { maxRepairs: 0 });
    const nodes = [
      { id: 'p1', kind: 'decompose' as const, config: { goal: 'first' } },
      { id: 'p2', kind: 'decompose' as const, config: { goal: 'second' } },
    ];
    const summary = await plans.engine({ maxDecompositions: 1 }).start({ graph: { nodes }, command: 'test' });
    expect(plans.requests()).toBe(1); // p1 ran (and failed); p2 was refused before its first call
    expect(summary.status).toBe('suspended');
    expect(summary.reason).toMatch(/^run budget reached: 1 decompositions of 1/);
    expect((await plans.store.listAttempts(summary.runId, 'p2'))[0]).toMatchObject({ status: 'suspended', usage: { calls: 0 } });
  });
});

describe('BudgetGuard: calls, decompositions and default limits', () => {
  it('says when a default limit stops the run, and how to raise it', () => {
    const { limits, defaults } = effectiveBudget({ maxCostUsd: 2 });
    expect(limits).toEqual({ maxCostUsd: 2, maxModelCalls: 300, maxDecompositions: 25 });
    const guard = new BudgetGuard(limits, {}, 0, Date.now(), defaults);
    guard.charge(undefined, { inputTokens: 1, outputTokens: 1, costUsd: 0, calls: 300 });
    expect(guard.exceeded()).toBeUndefined(); // nodes without model calls still run
    expect(guard.beforeCall()).toEqual({
      scope: 'run',
      reason: 'run budget reached: 300 model calls of 300 (the default limit; raise it on resume with --max-calls N, or set policy.budget.maxModelCalls)',
    });
    const explicit = new BudgetGuard(effectiveBudget({ maxModelCalls: 5 }).limits, {}, 0, Date.now(), effectiveBudget({ maxModelCalls: 5 }).defaults);
    explicit.charge(undefined, { inputTokens: 0, outputTokens: 0, costUsd: 0, calls: 5 });
    expect(explicit.beforeCall()?.reason).toBe('run budget reached: 5 model calls of 5');
  });

  it('applies call limits of a task subtree to that subtree only', () => {
    const guard = new BudgetGuard({}, { T2: { maxModelCalls: 1 } }, 0, Date.now());
    guard.charge('T2.1', { inputTokens: 0, outputTokens: 0, costUsd: 0, calls: 1 });
    expect(guard.beforeCall('T2.2')).toEqual({ scope: 'task', reason: 'task T2 budget reached: 1 model calls of 1' });
    expect(guard.beforeCall('T3')).toBeUndefined();
    guard.decomposition('T2');
    expect(guard.beforeDecomposition('T2')).toBeUndefined();
  });
});
