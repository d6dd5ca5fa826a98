import { TaskgraphError, toErrorRecord, type ErrorRecord } from '../core/errors.js';
import type { NodeSpec } from '../core/graph.js';
import { hashJson } from '../core/hash.js';
import type { Workspace } from '../workspace/workspace.js';
import type { NodeExecutor, NodeOutcome } from './node-executor.js';
import { EMPTY_USAGE, nodeKey } from './run-node.js';
import type { RunState } from './run-state.js';

/**
 * Verifies a task's integration before the run branch moves (issue 10): a task replayed onto a
 * run branch that moved since the task started holds a tree nobody verified yet, so the task's
 * own `verify` node runs again over that tree, as node `<task>/integrate` (same kind and config
 * as `<task>/verify`; not part of the graph). A batch of tasks replayed together (a merge queue,
 * `parallel-tasks.ts`) is checked once, over its tip, as the `integrate` node of its last
 * replayed task. The check is recorded and cached like any node; its key holds the worktree tree
 * and the verify node's inputs except `applied` (the task's own tree, which the check does not
 * run on), so the check is cached by tree: a re-run that builds the same tip finds it in the
 * cache and runs nothing, whichever task's node records it. The check runs in the task's
 * worktree, moved to the candidate commit and back to the task's commit when the check fails (so
 * the failure note's diff is the task's own). A fast-forward or an empty integration needs no
 * check: the tree is the one the task verified, or the tip's.
 */

/** Node id of a task's integration check. */
export function integrateNodeId(task: string): string {
  return `${task}/integrate`;
}

/**
 * What an integration check runs: the task's `verify` node as the check node `<task>/integrate`,
 * its inputs without `applied` (see the module note), or undefined when the task has no verify
 * node. Two tasks whose checks are equal (`checkSignature`) can share one check over a batch.
 */
export function integrationCheckSpec(state: RunState, task: string): NodeSpec | undefined {
  const verify = state.graph.nodes.get(`${task}/verify`);
  if (!verify || verify.kind !== 'verify' || !state.options.executors.has('verify')) return undefined;
  const { applied: _own, ...inputs } = verify.inputs;
  return { ...verify, id: integrateNodeId(task), title: `verify ${task} on the run branch`, inputs };
}

/** What makes two integration checks the same check: kind, config and inputs (a hash). */
export function checkSignature(spec: NodeSpec): string {
  return hashJson({ kind: spec.kind, config: spec.config, inputs: spec.inputs });
}

/**
 * Runs the integration check of `task` over `candidate`.
 * @param state the run
 * @param task the task being integrated
 * @param ws the task's worktree
 * @param candidate the commit the run branch would move to (the task replayed on the tip)
 * @param taskCommit the task's own commit (the worktree goes back there when the check fails)
 * @param covers the tasks the candidate adds to the run branch that this one check covers (a
 *   batch; default just `task`): named in the node's title and log
 * @returns undefined when the checks pass (or the task has no verify node), else the
 *   `VERIFY_FAILED` error to refine the task with
 * @throws TaskgraphError GIT_ERROR, STORE_ERROR
 */
export async function verifyIntegration(
  state: RunState,
  task: string,
  ws: Workspace,
  candidate: string,
  taskCommit: string,
  covers: readonly string[] = [task],
): Promise<ErrorRecord | undefined> {
  const spec = integrationCheckSpec(state, task);
  const executor = state.options.executors.get('verify') as NodeExecutor<unknown> | undefined;
  if (!spec || !executor) return undefined;
  const { store, run } = state;
  const batch = covers.length > 1 ? ` (one check for ${covers.join(', ')})` : '';
  const node: NodeSpec = covers.length > 1 ? { ...spec, title: `verify ${covers.join(', ')} on the run branch` } : spec;
  await ws.resetTo(candidate);
  const number = (state.attempts.get(node.id) ?? 0) + 1;
  state.attempts.set(node.id, number);
  const row = (status: 'succeeded' | 'cached' | 'failed') => ({ runId: run.id, nodeId: node.id, status, attempts: number, task });
  const t0 = Date.now();
  const startedAt = new Date(t0).toISOString();
  const { config, inputs, ingredients, key } = await nodeKey(state, node, executor, number);
  const entry = state.force.has(node.id) ? undefined : await store.getCache(key);
  if (entry) {
    const at = { finishedAt: new Date().toISOString(), durationMs: Date.now() - t0 };
    await store.recordFinishedAttempt({ runId: run.id, nodeId: node.id, number, status: 'cached', cacheKey: key, ingredients, output: entry.output, outputHash: entry.outputHash, usage: EMPTY_USAGE, startedAt, ...at }, row('cached'));
    return undefined;
  }
  const started = await store.startAttempt({ runId: run.id, nodeId: node.id, number, cacheKey: key, ingredients, usage: EMPTY_USAGE, startedAt });
  let outcome: NodeOutcome;
  try {
    outcome = await executor.execute(config, inputs, state.nodeContext(node, number, ingredients));
  } catch (error) {
    outcome = { status: 'failed', error: toErrorRecord(error) };
  }
  const finishedAt = new Date().toISOString();
  const durationMs = Date.now() - t0;
  if (state.signal.aborted) {
    // stopped, not failed: the attempt is interrupted and the integration happens again on resume
    const why = toErrorRecord(state.signal.reason ?? new TaskgraphError('ABORTED', 'the run was stopped'));
    await store.finishAttempt({ seq: started.seq, status: 'interrupted', error: why, usage: EMPTY_USAGE, finishedAt, durationMs, node: { ...row('failed'), status: 'pending' } });
    await ws.resetTo(taskCommit);
    throw state.signal.reason ?? new TaskgraphError('ABORTED', 'the run was stopped');
  }
  if (outcome.status === 'succeeded') {
    const outputHash = hashJson(outcome.output);
    const usage = outcome.usage ?? EMPTY_USAGE;
    const cache = { key, kind: node.kind, nodeId: node.id, ingredients, output: outcome.output, outputHash, usage, createdAt: finishedAt };
    await store.finishAttempt({ seq: started.seq, status: 'succeeded', output: outcome.output, outputHash, usage, finishedAt, durationMs, node: row('succeeded'), cache });
    state.emit({ type: 'log', runId: run.id, nodeId: node.id, message: `${task} on the run branch${batch}: checks pass (${durationMs} ms)` });
    return undefined;
  }
  const error =
    outcome.status === 'failed'
      ? outcome.error
      : toErrorRecord(new TaskgraphError('VERIFY_FAILED', `the integration check of ${task} was suspended: ${outcome.reason}`));
  await store.finishAttempt({ seq: started.seq, status: 'failed', error, usage: EMPTY_USAGE, finishedAt, durationMs, node: row('failed') });
  await ws.resetTo(taskCommit);
  return {
    ...error,
    code: error.code === 'VERIFY_FAILED' || error.code === 'COMMAND_FAILED' ? error.code : 'VERIFY_FAILED',
    message: `${task} on the run branch (after the tasks integrated before it) fails the checks: ${error.message}`,
  };
}
