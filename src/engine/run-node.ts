import { setTimeout as sleep } from 'node:timers/promises';
import { backoffDelayMs } from '../core/backoff.js';
import { TaskgraphError, toErrorRecord, type ErrorRecord } from '../core/errors.js';
import { GraphSpecSchema, type NodeSpec, isInputRef, pickPath } from '../core/graph.js';
import { cacheKey, hashJson, keyIngredients, type KeyIngredients } from '../core/hash.js';
import type { Json } from '../core/json.js';
import { graphToSpec } from '../core/validate.js';
import { Serial } from '../core/serial.js';
import { awaitingApproval } from '../safety/command-approval.js';
import type { AuditInput } from '../store/audit.js';
import type { AttemptRecord, NodeStatus, RunNodeRecord, Usage } from '../store/store.js';
import type { BudgetStop } from './budget.js';
import type { NodeExecutor, NodeOutcome } from './node-executor.js';
import type { RunState } from './run-state.js';

/**
 * What running a node came to. `interrupted`: the run was stopped (SIGINT/SIGTERM, lost lease)
 * while the node ran; its attempt is recorded `interrupted` and the node is `pending` again.
 */
export interface NodeResult {
  status: Exclude<NodeStatus, 'pending' | 'running' | 'skipped'> | 'interrupted';
  error?: ErrorRecord;
  /** what the attempt spent: its model meter's sum when it called a model, else what the executor reported */
  usage?: Usage;
  /** true when `usage` was already charged to the budget call by call (by the meter) */
  metered?: boolean;
  /** set when the node was stopped by a budget limit (it is `suspended` and runs again on resume) */
  budgetStop?: BudgetStop;
  /** for a `suspended` node: what it waits for (one line) */
  reason?: string;
}

/** Zero usage. */
export const EMPTY_USAGE: Usage = { inputTokens: 0, outputTokens: 0, costUsd: 0, calls: 0 };

/**
 * Ends the node's running mark before its state is written; waits only when a mark write is
 * under way (a node that ran past the delay), so the final state always lands after the mark.
 */
function settle(state: RunState, id: string): Promise<void> | undefined {
  return state.marks?.settle(id);
}

/**
 * Resolves a node's inputs: literals as they are, `$ref`s to the upstream output (or the field
 * `path` names).
 * @throws TaskgraphError NODE_FAILED when an upstream output lacks the field
 */
export function resolveInputs(node: NodeSpec, outputs: ReadonlyMap<string, Json>): Record<string, Json> {
  const resolved: Record<string, Json> = {};
  for (const [name, value] of Object.entries(node.inputs)) {
    if (!isInputRef(value)) {
      resolved[name] = value as Json;
      continue;
    }
    const upstream = outputs.get(value.$ref);
    if (upstream === undefined) {
      throw new TaskgraphError('NODE_FAILED', `input "${name}" of ${node.id}: node ${value.$ref} has no output`, { details: { input: name } });
    }
    const picked = pickPath(upstream, value.path);
    if (picked === undefined) {
      throw new TaskgraphError('NODE_FAILED', `input "${name}" of ${node.id}: output of ${value.$ref} has no field "${value.path}"`, {
        details: { input: name, ref: value.$ref, path: value.path ?? null },
        hint: "check the `path` of the $ref against the upstream node kind's output",
      });
    }
    resolved[name] = picked;
  }
  return resolved;
}

/** Parsed configs per (immutable) node config object: zod parses each node's config once per graph. */
const parsedConfigs = new WeakMap<object, unknown>();

/** The cache key of a node given the current outputs (used by the runner and by `why`). */
export async function nodeKey(
  state: RunState,
  node: NodeSpec,
  executor: NodeExecutor<unknown>,
  attempt: number,
): Promise<{ config: unknown; inputs: Record<string, Json>; ingredients: KeyIngredients; key: string }> {
  let config = parsedConfigs.get(node.config);
  if (config === undefined) {
    config = executor.configSchema.parse(node.config);
    parsedConfigs.set(node.config, config);
  }
  const inputs = resolveInputs(node, state.outputs);
  if (executor.needsWorkspace && !state.workspace) {
    throw new TaskgraphError('RUN_STATE', `node ${node.id} (${node.kind}) needs a git worktree, but this run has none`, {
      hint: 'run it inside a git repository (taskgraph creates a branch and worktree per run)',
    });
  }
  const extra = (await executor.keyIngredients?.(config, inputs, state.nodeContext(node, attempt))) ?? {};
  const ingredients = keyIngredients(node.kind, executor.version, node.config, inputs, extra);
  return { config, inputs, ingredients, key: cacheKey(ingredients) };
}

/**
 * Runs one node to a final state (DESIGN.md §5, §6): resolves inputs, computes the cache key,
 * serves a cache hit (restoring the worktree state a side-effecting node left), or executes it.
 * Every state change is written to the store before the engine acts on it. A side-effecting node
 * (or one that calls a paid model, `recordStart`) gets a durable `running` attempt before it
 * starts (a crash leaves it `interrupted` for resume); any other pure node is written once, when
 * it finishes (a crash just runs it again), plus a `running` mark when it executes for a while
 * (`running-marks.ts`). A node stopped by the run's signal is recorded `interrupted` and left
 * `pending`, with no failure of its own. Transient
 * failures (retryable errors) are retried as the node's `retry` policy says, each try recorded.
 * An unlisted command waiting for a person's approval suspends the node; audit entries a thrown
 * error carries (`TaskgraphError.audit`: a refused command, an approval asked for) are written
 * in the transaction of the attempt's outcome (dropped with an interrupted attempt: the node
 * runs, and decides, again).
 */
export async function runNode(state: RunState, id: string): Promise<NodeResult> {
  const node = state.graph.nodes.get(id)!;
  const executor = state.options.executors.get(node.kind) as NodeExecutor<unknown>;
  for (let retry = 1; ; retry++) {
    const result = await runOnce(state, node, executor);
    const policy = node.retry;
    if (result.status !== 'failed' || !result.error?.retryable || !policy || retry > policy.attempts || state.signal.aborted) return result;
    const after = result.error.details['retryAfterMs'];
    const wait = typeof after === 'number' ? Math.min(after, policy.maxMs) : backoffDelayMs(retry, policy.baseMs, policy.maxMs);
    state.emit({ type: 'log', runId: state.run.id, nodeId: id, message: `transient failure, retry ${retry}/${policy.attempts} in ${wait} ms` });
    try {
      await sleep(wait, undefined, { signal: state.signal });
    } catch {
      return result;
    }
  }
}

async function runOnce(state: RunState, node: NodeSpec, executor: NodeExecutor<unknown>): Promise<NodeResult> {
  const { store, run } = state;
  // the task's own worktree when tasks run in parallel; the run's worktree otherwise
  const workspace = state.workspaceFor(node.task);
  // the run's recorded worktree state follows only nodes that act on the run worktree
  const onRun = workspace !== undefined && workspace === state.workspace;
  const id = node.id;
  const attemptNo = (state.attempts.get(id) ?? 0) + 1;
  state.attempts.set(id, attemptNo);
  const row = (status: NodeStatus): RunNodeRecord => ({
    runId: run.id,
    nodeId: id,
    status,
    attempts: attemptNo,
    ...(node.task !== undefined ? { task: node.task } : {}),
  });
  const t0 = Date.now();
  const startedAt = new Date(t0).toISOString();
  state.marks?.begin(id, attemptNo, t0);
  if (state.observed) state.emit({ type: 'node-start', runId: run.id, nodeId: id, attempt: attemptNo, ...(node.task ? { task: node.task } : {}) });
  const finishEvent = (status: NodeStatus, extra: { usage?: Usage; error?: ErrorRecord; reason?: string; cachedAt?: string } = {}) => {
    if (state.observed) state.emit({ type: 'node-finish', runId: run.id, nodeId: id, attempt: attemptNo, status, durationMs: Date.now() - t0, ...(node.task ? { task: node.task } : {}), ...extra });
  };

  // 1. key (reads only)
  let keyed: Awaited<ReturnType<typeof nodeKey>>;
  try {
    keyed = await nodeKey(state, node, executor, attemptNo);
  } catch (error) {
    const record = toErrorRecord(error);
    await settle(state, id);
    await store.recordFinishedAttempt(
      {
        runId: run.id,
        nodeId: id,
        number: attemptNo,
        status: 'failed',
        cacheKey: '',
        ingredients: keyIngredients(node.kind, executor.version, node.config, {}, {}),
        error: record,
        usage: EMPTY_USAGE,
        startedAt,
        finishedAt: new Date().toISOString(),
        durationMs: Date.now() - t0,
      },
      row('failed'),
    );
    finishEvent('failed', { error: record });
    return { status: 'failed', error: record };
  }
  const { config, inputs, ingredients, key } = keyed;
  const sideEffects = executor.sideEffects(config);
  // DESIGN.md §5: a side-effecting node is cached only when its key holds the state it acts on
  // (the worktree snapshot). Without a worktree (e.g. --no-worktree) it always runs.
  const cacheable = executor.cacheable && !(sideEffects && !workspace);
  // cheap pure nodes' successes are group-committed (write-buffer.ts)
  const batchable = !sideEffects && !executor.recordStart;

  // 2. cache
  if (cacheable && !state.force.has(id)) {
    const entry = await store.getCache(key);
    let usable = entry !== undefined;
    if (entry && sideEffects && entry.workspaceAfter) {
      await state.writes.flush(); // nothing outside the process may depend on unrecorded results
      try {
        await workspace!.restore(entry.workspaceAfter);
      } catch {
        usable = false; // objects pruned or worktree gone: execute instead
      }
    }
    if (entry && usable) {
      await settle(state, id);
      const hit = {
          runId: run.id,
          nodeId: id,
          number: attemptNo,
          status: 'cached',
          cacheKey: key,
          ingredients,
          output: entry.output,
          outputHash: entry.outputHash,
          usage: EMPTY_USAGE,
          startedAt,
          finishedAt: new Date().toISOString(),
          durationMs: Date.now() - t0,
          ...(entry.workspaceAfter ? { workspaceAfter: entry.workspaceAfter } : {}),
        } as const;
      if (batchable) state.writes.add({ attempt: hit, node: row('cached') });
      else await store.recordFinishedAttempt(hit, row('cached'), sideEffects && entry.workspaceAfter && onRun ? { runWorkspace: entry.workspaceAfter } : {});
      state.outputs.set(id, entry.output);
      await expandIfNeeded(state, id, executor, entry.output);
      finishEvent('cached', { cachedAt: entry.createdAt });
      return { status: 'cached' };
    }
  }

  // 3. execute: side effects (and paid model calls) get a durable `running` attempt first
  let started: AttemptRecord | undefined;
  if (sideEffects || executor.recordStart) {
    await state.writes.flush(); // nothing outside the process may depend on unrecorded results
    await settle(state, id); // the started attempt marks the node running itself
    started = await store.startAttempt({ runId: run.id, nodeId: id, number: attemptNo, cacheKey: key, ingredients, usage: EMPTY_USAGE, startedAt });
  }
  const meter = state.meter?.(node);
  let outcome: NodeOutcome;
  // audit entries that travel with a thrown error (a refused command, an approval asked for):
  // written with the attempt's outcome in one transaction (`TaskgraphError.audit`)
  let carried: readonly AuditInput[] = [];
  let budgetStop = node.kind === 'decompose' ? state.budget?.beforeDecomposition(node.task) : undefined;
  if (budgetStop) outcome = { status: 'suspended', reason: budgetStop.reason };
  else {
    if (node.kind === 'decompose') state.budget?.decomposition(node.task);
    try {
      // a stop that came while the node was keyed or started: do not begin its work at all
      if (state.signal.aborted) throw state.signal.reason ?? new TaskgraphError('ABORTED', 'the run was stopped');
      outcome = await executor.execute(config, inputs, state.nodeContext(node, attemptNo, ingredients, meter));
    } catch (error) {
      if (error instanceof TaskgraphError) carried = error.audit;
      const wait = awaitingApproval(error); // an unlisted command waits for a person (`safety/command-approval.ts`)
      outcome = wait !== undefined ? { status: 'suspended', reason: wait } : { status: 'failed', error: toErrorRecord(error) };
    }
    if (outcome.status === 'failed' && outcome.error.code === 'BUDGET_EXCEEDED' && !state.signal.aborted) {
      budgetStop = { reason: outcome.error.message, scope: outcome.error.details['scope'] === 'task' ? 'task' : 'run' };
      outcome = { status: 'suspended', reason: budgetStop.reason };
    }
  }
  await settle(state, id);
  const metered = meter !== undefined && meter.usage.calls > 0;
  if (outcome.status === 'failed' && state.signal.aborted) {
    // stopped, not failed: the attempt is interrupted, the node pending again (no note, no refinement)
    const usage = metered ? meter!.usage : (outcome.usage ?? EMPTY_USAGE);
    const why = toErrorRecord(state.signal.reason ?? new TaskgraphError('ABORTED', 'the run was stopped'));
    const error = { ...why, details: { ...why.details, nodeError: outcome.error.message } }; // the stop, and what it did to the node
    const stop = { error, usage, finishedAt: new Date().toISOString(), durationMs: Date.now() - t0 };
    if (started) await store.finishAttempt({ seq: started.seq, status: 'interrupted', ...stop, node: row('pending') });
    else {
      await state.writes.flush();
      await store.recordFinishedAttempt({ runId: run.id, nodeId: id, number: attemptNo, status: 'interrupted', cacheKey: key, ingredients, startedAt, ...stop }, row('pending'));
    }
    finishEvent('pending', { usage, reason: 'interrupted: the run was stopped' });
    return { status: 'interrupted', usage, metered };
  }
  const usage = metered ? meter!.usage : ((outcome.status !== 'suspended' ? outcome.usage : undefined) ?? EMPTY_USAGE);
  const finishedAt = new Date().toISOString();
  const durationMs = Date.now() - t0;
  const after = outcome.status === 'succeeded' && sideEffects && workspace ? await workspace.snapshot() : undefined;
  const outputHash = outcome.status === 'succeeded' ? hashJson(outcome.output) : undefined;
  const status = outcome.status;
  const fields = {
    ...(outcome.status === 'succeeded' || (outcome.status === 'failed' && outcome.output !== undefined) ? { output: outcome.output as Json } : {}),
    ...(outputHash ? { outputHash } : {}),
    ...(outcome.status === 'failed' ? { error: outcome.error } : {}),
    ...(outcome.status === 'suspended' ? { suspendReason: outcome.reason } : {}),
    usage,
    finishedAt,
    durationMs,
    ...(after ? { workspaceAfter: after } : {}),
  };
  const cache =
    outcome.status === 'succeeded' && cacheable
      ? { key, kind: node.kind, nodeId: id, ingredients, output: outcome.output, outputHash: outputHash!, usage, createdAt: finishedAt, ...(after ? { workspaceAfter: after } : {}) }
      : undefined;
  const audit = carried.length > 0 ? { audit: carried } : {};
  if (started) {
    await store.finishAttempt({ seq: started.seq, status, ...fields, node: row(status), ...(cache ? { cache } : {}), ...(after && onRun ? { runWorkspace: after } : {}), ...audit });
  } else {
    const attempt = { runId: run.id, nodeId: id, number: attemptNo, status, cacheKey: key, ingredients, startedAt, ...fields };
    const extras = { ...(cache ? { cache } : {}), ...(after && onRun ? { runWorkspace: after } : {}), ...audit };
    if (batchable && status === 'succeeded') state.writes.add({ attempt, node: row(status), extras });
    else await store.recordFinishedAttempt(attempt, row(status), extras);
  }
  if (outcome.status === 'succeeded') {
    state.outputs.set(id, outcome.output);
    await expandIfNeeded(state, id, executor, outcome.output);
    finishEvent('succeeded', { usage });
    return { status: 'succeeded', usage, metered };
  }
  if (outcome.status === 'suspended') {
    finishEvent('suspended', { reason: outcome.reason, usage });
    return { status: 'suspended', usage, metered, reason: outcome.reason, ...(budgetStop ? { budgetStop } : {}) };
  }
  finishEvent('failed', { usage, error: outcome.error });
  return { status: 'failed', error: outcome.error, usage, metered };
}

/**
 * Adds a `decompose` node's subgraph to the run graph (durably, then in the scheduler). Also on
 * a cache hit, so an expansion is reproducible. New nodes without dependencies wait for the
 * decompose node.
 */
export async function expandIfNeeded(state: RunState, id: string, executor: NodeExecutor<unknown>, output: Json): Promise<void> {
  if (!executor.expand) return;
  let serial = EXPANSIONS.get(state);
  if (!serial) {
    serial = new Serial();
    EXPANSIONS.set(state, serial);
  }
  return serial.run(() => expandNow(state, id, executor as NodeExecutor<unknown> & Required<Pick<NodeExecutor<unknown>, 'expand'>>, output));
}

/**
 * One expansion at a time per run: two expanding nodes that finish together (two `subgraph`
 * nodes) must not each build the next graph from the same old one, the later write dropping the
 * earlier one's nodes.
 */
const EXPANSIONS = new WeakMap<RunState, Serial>();

async function expandNow(state: RunState, id: string, executor: NodeExecutor<unknown> & Required<Pick<NodeExecutor<unknown>, 'expand'>>, output: Json): Promise<void> {
  const { store } = state;
  const node = state.graph.nodes.get(id)!;
  const expansion = await executor.expand(output, state.nodeContext(node, state.attempts.get(id) ?? 1));
  if (expansion.planId && state.run.planId !== expansion.planId) {
    state.run = { ...state.run, planId: expansion.planId };
    await store.updateRun(state.run.id, { planId: expansion.planId, updatedAt: new Date().toISOString() });
    await state.onPlan?.(); // a plan made by `taskgraph plan` is charged to this run
  }
  if (state.options.planOnly) return; // `taskgraph plan`: the plan is saved, its tasks do not run
  const fresh = expansion.nodes.filter((n) => !state.graph.nodes.has(n.id));
  const current = graphToSpec(state.graph);
  const extra = expansion.needs ?? {};
  const rewired = current.nodes.map((n) => {
    const more = (extra[n.id] ?? []).filter((d) => !n.needs.includes(d));
    return more.length > 0 ? { ...n, needs: [...n.needs, ...more] } : n;
  });
  if (fresh.length === 0 && rewired.every((n, i) => n === current.nodes[i])) return;
  const withParent = fresh.map((n) => ({ ...n, needs: [...new Set([...(n.needs ?? []), id])] }));
  const next = state.buildGraph(GraphSpecSchema.parse({ ...current, nodes: [...rewired, ...withParent] }));
  const added = withParent.map((n) => n.id);
  await store.expandRunGraph(
    state.run.id,
    graphToSpec(next),
    added.map((nodeId) => {
      const n = next.nodes.get(nodeId)!;
      return { runId: state.run.id, nodeId, status: 'pending' as const, attempts: 0, ...(n.task ? { task: n.task } : {}) };
    }),
  );
  state.graph = next;
  state.run = { ...state.run, graph: graphToSpec(next) };
  state.scheduler.grow(next);
  state.emit({ type: 'graph-expand', runId: state.run.id, by: id, added, ...(expansion.planId ? { planId: expansion.planId } : {}) });
}
