import { TaskgraphError } from '../core/errors.js';
import type { WorkspaceSnapshot } from '../store/store.js';
import { dependencyHash } from '../verify/dependency-files.js';
import { readSetupMarker, runSetup } from '../verify/setup-run.js';
import type { Workspace } from '../workspace/workspace.js';
import { pidDir } from './orphans.js';
import type { RunState } from './run-state.js';

/**
 * A task's own worktree when tasks run in parallel (issue 10, `parallel-tasks.ts`): putting it
 * back after a kill, running `commands.setup` in it, and the start commit of a split task's
 * subtasks.
 */

/**
 * Puts a task's worktree back to the state its last finished side-effecting node recorded
 * (`workspaceAfter` of the latest succeeded or cached attempt of a node that stands finished),
 * else to its start commit: what the task's remaining nodes expect, whatever the directory
 * held (a kill mid-apply, a worktree checked out again after `clean`).
 */
export async function restoreTaskWorktree(state: RunState, task: string, ws: Workspace, start: string): Promise<void> {
  const { store, run } = state;
  const nodes = new Map((await store.listRunNodes(run.id)).map((n) => [n.nodeId, n.status]));
  let last: WorkspaceSnapshot | undefined;
  for (const a of await store.listAttempts(run.id)) {
    const done = nodes.get(a.nodeId) === 'succeeded' || nodes.get(a.nodeId) === 'cached';
    if (state.graph.nodes.get(a.nodeId)?.task === task && done && a.workspaceAfter && (a.status === 'succeeded' || a.status === 'cached')) last = a.workspaceAfter;
  }
  if (last) await ws.restore(last);
  else await ws.resetTo(start);
}

/**
 * Runs `commands.setup` in a task worktree it never ran in (no setup marker, see
 * `verify/setup-run.ts`), so the task's checks find its dependencies installed.
 * @throws TaskgraphError COMMAND_FAILED when setup fails (the run stops; fix it and resume)
 */
export async function prepareTaskWorktree(state: RunState, task: string, ws: Workspace): Promise<void> {
  const { config, projectDir } = state.options;
  const command = config.commands.setup;
  // a split task's worktree only holds its joining commit (`discard`): no check runs there
  if (!command || state.graph.nodes.has(`${task}/replan`) || (await readSetupMarker(ws.dir))) return;
  const { hash } = await dependencyHash(ws.dir, await ws.listFiles());
  const { error } = await runSetup(command, {
    cwd: ws.dir,
    config,
    projectDir,
    dependencies: hash,
    signal: state.signal,
    pidDir: pidDir(projectDir, state.run.id),
    log: (message) => state.emit({ type: 'log', runId: state.run.id, nodeId: `${task}/context`, message: `${task} worktree: ${message}` }),
  });
  if (error) throw new TaskgraphError(error.code, `${task}'s worktree: ${error.message}`, { details: error.details, ...(error.hint ? { hint: error.hint } : {}) });
}

/**
 * The commit a subtask of a split task starts from when it waits for no sibling: the split
 * task's start commit (which holds the split task's dependencies). A subtask is a task one of
 * whose nodes waits for a `<parent>/replan` node (the decompose node that expanded it).
 */
export async function splitStartOf(state: RunState, task: string): Promise<string | undefined> {
  const { graph } = state;
  for (const id of graph.order) {
    if (graph.nodes.get(id)!.task !== task) continue;
    for (const p of graph.preds.get(id) ?? []) {
      const parent = graph.nodes.get(p)!;
      const of = parent.kind === 'decompose' && parent.task === undefined && p.endsWith('/replan') ? p.slice(0, -'/replan'.length) : undefined;
      if (of === undefined || of === task) continue;
      const record = await state.store.getRunTask(state.run.id, of);
      if (record?.startCommit) return record.startCommit;
    }
  }
  return undefined;
}
