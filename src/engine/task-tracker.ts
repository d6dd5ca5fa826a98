import type { ErrorRecord } from '../core/errors.js';
import { GraphSpecSchema, NodeSpecSchema } from '../core/graph.js';
import { graphToSpec } from '../core/validate.js';
import { splitTaskNodes } from '../planning/plan-graph.js';
import type { RunTaskRecord, Store } from '../store/store.js';
import { attemptEditNote } from './attempt-edit-record.js';
import { REFINABLE_CODES, failureNote, failureSignature, noteSignature } from './refine.js';
import type { RunState } from './run-state.js';

/** What the engine does after a task's node failed. */
export type FailureDecision =
  | { action: 'retry' }
  | { action: 'fail' }
  /** loop detected: the task waits for a person (`taskgraph answer` or a note edit, then resume) */
  | { action: 'hold'; reason: string }
  /** attempts exhausted: the task is being split into subtasks (as-needed decomposition) */
  | { action: 'replan' };

/**
 * Task bookkeeping of a run (DESIGN.md §2 steps 4 and 6): which task is open in the shared
 * worktree (or, with tasks in parallel, which tasks are open in worktrees of their own:
 * `parallel-tasks.ts`), the commit each task started from, refinement after a failure (failure note, reset,
 * retry up to `policy.maxAttempts`), loop detection (the same failure signature twice for one task
 * holds it for a person), and task statuses. Every decision is written to the store before the
 * worktree is touched.
 */
export class TaskTracker {
  private open: string | undefined;
  private readonly held = new Set<string>();

  constructor(private readonly state: RunState) {}

  /** Loads the open task (or, with tasks in parallel, the open tasks' worktrees) and the tasks waiting for a person. */
  async init(): Promise<void> {
    await this.state.parallel?.init();
    for (const t of await this.state.store.listRunTasks(this.state.run.id)) {
      if (t.status === 'running' && this.state.workspace && !this.state.parallel) this.open = t.taskId;
      if (t.status === 'needs-human') this.held.add(t.taskId);
    }
  }

  /** Tasks held for a person in this session, with nothing else runnable. */
  heldTasks(): string[] {
    return [...this.held];
  }

  /**
   * Whether a ready node may start now: never for a held task; with tasks in parallel, as
   * `parallel-tasks.ts` says (slots, dependencies integrated); with a shared worktree, only nodes
   * of the open task (or of no task), or the first node of the next task when none is open.
   */
  admit(id: string): boolean {
    const task = this.state.graph.nodes.get(id)!.task;
    if (task !== undefined && this.held.has(task)) return false;
    if (this.state.parallel) return this.state.parallel.admit(id);
    if (!this.state.workspace || task === undefined) return true;
    if (this.open === undefined || this.open === task) {
      this.open = task;
      return true;
    }
    return false;
  }

  /**
   * Records the commit a task starts from, before its first node acts; with tasks in parallel,
   * first opens the task's own worktree (`parallel-tasks.ts`).
   */
  async beforeNode(id: string): Promise<void> {
    const { store, run } = this.state;
    const task = this.state.graph.nodes.get(id)!.task;
    if (!task) return;
    if (this.state.parallel) await this.state.parallel.ensureOpen(task);
    const current = await store.getRunTask(run.id, task);
    if (current && current.status === 'running') return;
    const workspace = this.state.workspaceFor(task);
    const snap = workspace ? await workspace.snapshot() : undefined;
    await store.putRunTask({
      ...(current ?? {}),
      runId: run.id,
      taskId: task,
      attempt: current?.attempt ?? 1,
      status: 'running',
      ...(current?.startCommit ? { startCommit: current.startCommit } : snap ? { startCommit: snap.head } : {}),
    });
  }

  /** Marks a task done once all its nodes succeeded (or were cached). */
  async afterSuccess(id: string): Promise<void> {
    const { store, run, scheduler, graph } = this.state;
    const task = graph.nodes.get(id)!.task;
    if (!task) return;
    const replanned = graph.nodes.has(`${task}/replan`);
    const ok = (n: string) => ['succeeded', 'cached'].includes(scheduler.status(n)) || (replanned && scheduler.status(n) === 'skipped');
    if (!this.nodesOf(task).every(ok)) return;
    const current = await store.getRunTask(run.id, task);
    if (current?.status === 'done') return;
    await store.putRunTask({ ...(current ?? { runId: run.id, taskId: task, attempt: 1 }), status: 'done' });
    if (run.planId) await store.setTaskStatus(run.planId, task, 'done').catch(() => undefined);
    this.close(task);
    const awaitsIntegration = this.state.parallel !== undefined && current?.integratedCommit === undefined;
    this.state.emit({ type: 'task-finish', runId: run.id, task, status: 'done', attempts: current?.attempt ?? 1, ...(awaitsIntegration ? { awaitsIntegration } : {}) });
  }

  /**
   * After a node of a task failed: refine (note, reset, retry), hold for a person (loop), or fail.
   * The note records the attempt's edit (`attempt-edit-record.ts`), so the retry can show it.
   * Failures a better input cannot fix (see REFINABLE_CODES) fail the task at once. A task cut
   * from a batch whose check failed (tasks in parallel, speculative start) is started over on its
   * dependencies' commits instead (`ParallelTasks.restart`): no note, no attempt charged.
   * @param rebaseTo a new start commit for the retry (a task whose integration conflicted is redone
   *   on the run branch's tip, issue 10); default the commit the task started from
   */
  async afterFailure(id: string, error: ErrorRecord, rebaseTo?: string): Promise<FailureDecision> {
    const { store, run } = this.state;
    const task = this.state.graph.nodes.get(id)!.task;
    if (!task) return { action: 'fail' };
    const current: RunTaskRecord = (await store.getRunTask(run.id, task)) ?? { runId: run.id, taskId: task, attempt: 1, status: 'running' };
    if (!REFINABLE_CODES.has(error.code)) return this.fail(task, current);
    if (this.state.parallel && current.startCommit && (await this.state.parallel.startedOnRejected(current.startCommit))) {
      // cut from a batch whose check failed (a speculative start): not this task's failure
      const ids = this.nodesOf(task);
      await this.state.parallel.restart(current, ids);
      for (const nodeId of ids) this.state.outputs.delete(nodeId);
      this.state.scheduler.reset(ids);
      this.state.emit({ type: 'log', runId: run.id, nodeId: id, message: `${task} started on a batch whose check failed: it starts over once its dependencies are on the run branch` });
      return { action: 'retry' };
    }

    // the note, with the attempt's edit (before the reset below): appended once (a crash right
    // after appending does not add it twice on resume). An earlier note with the same signature,
    // even a byte-identical one (failure digests hold no timings, so a resumed task that fails the
    // same way writes the same note), is the same failure seen before
    const note = failureNote(id, current.attempt, error) + (await attemptEditNote(this.state, task, id, error, current.attempt, current.startCommit));
    const signature = failureSignature(error);
    let seenBefore: string | undefined;
    if (run.planId) {
      const stored = await store.getTask(run.planId, task);
      if (stored) {
        seenBefore = stored.notes.find((n) => noteSignature(n) === signature);
        if (stored.notes[stored.notes.length - 1] !== note) await store.appendTaskNote(run.planId, task, note);
      }
    }
    const max = this.state.options.config.policy.maxAttempts;
    // a conflict with tasks integrated meanwhile is not the task's own failure: it is redone on
    // the new tip rather than split (a conflict seen twice still holds it for a person)
    if (!seenBefore && current.attempt >= max && error.code !== 'INTEGRATION_CONFLICT') {
      return (await this.replan(task, current, id, error.code, rebaseTo)) ? { action: 'replan' } : this.fail(task, current);
    }

    // retry bookkeeping first (write), then reset the worktree (act)
    const ids = this.nodesOf(task);
    const hold = seenBefore !== undefined;
    const next: RunTaskRecord = { ...current, attempt: current.attempt + 1, status: hold ? 'needs-human' : 'running', ...(rebaseTo ? { startCommit: rebaseTo } : {}) };
    await store.putRunTask(next);
    await store.putRunNodes(ids.map((nodeId) => ({ runId: run.id, nodeId, status: 'pending' as const, attempts: this.state.attempts.get(nodeId) ?? 0, task })));
    await this.resetToStart(next);
    for (const nodeId of ids) this.state.outputs.delete(nodeId);
    this.state.scheduler.reset(ids);
    if (hold) {
      this.held.add(task);
      this.close(task);
      const reason = `${task} needs a person: the same failure twice (signature ${signature}); see its notes, then \`taskgraph answer ${run.id} ${task} "..."\``;
      this.state.emit({ type: 'task-finish', runId: run.id, task, status: 'needs-human', attempts: current.attempt, reason });
      this.state.emit({ type: 'log', runId: run.id, nodeId: id, message: `${reason}\nearlier: ${seenBefore!.split('\n')[0]}\nnow: ${note.split('\n')[0]}` });
      return { action: 'hold', reason };
    }
    this.state.parallel?.reopen(task);
    this.state.emit({ type: 'task-retry', runId: run.id, task, attempt: current.attempt + 1, maxAttempts: max, note });
    return { action: 'retry' };
  }

  /**
   * As-needed decomposition (ADaPT, arXiv:2311.05772): after `maxAttempts` failures a task of a
   * plan whose depth allows it is split into subtasks instead of failing. Adds a `decompose` node
   * `<task>/replan` (the planner gets the task and its failure notes), which waits for what the
   * task's first node waited for (so it and the subtasks come after the task in topological
   * order); the task's own nodes are superseded (skipped) except `<task>/commit`, which now waits
   * for the replan and, once it expands, for every subtask's commit, so dependents of the task
   * still wait for all of it. The failed attempts' edits are dropped: with a shared worktree it is
   * put back to the task's start commit; with tasks in parallel the task's worktree and branch
   * are removed (`ParallelTasks.discard`) and the subtasks start from the task's start commit,
   * each in a worktree of its own. Written to the store (graph, then node states and task; resume
   * finishes a split a kill interrupted between them) before the task's worktree is touched.
   * @param rebaseTo the run branch's tip when the task's integration failed: the subtasks start there
   * @returns false when the task cannot be split (no plan, depth limit, no model, already split)
   * @throws TaskgraphError STORE_ERROR, GIT_ERROR
   */
  private async replan(task: string, current: RunTaskRecord, failedNode: string, code: string, rebaseTo?: string): Promise<boolean> {
    const { store, run, graph, options } = this.state;
    const commitId = `${task}/commit`;
    const replanId = `${task}/replan`;
    if (!run.planId || !options.models || !options.executors.has('decompose') || graph.nodes.has(replanId) || !graph.nodes.has(commitId)) return false;
    const stored = await store.getTask(run.planId, task);
    if (!stored || stored.depth + 1 > options.config.policy.maxDepth) return false;
    // the subtasks start from where the task started, not from its last failed attempt's files
    if (!this.state.parallel) await this.resetToStart(current);
    const commit = graph.nodes.get(commitId)!;
    const own = this.nodesOf(task);
    const after = [...(graph.preds.get(own[0]!) ?? [])].filter((p) => graph.nodes.get(p)!.task !== task);
    const spec = graphToSpec(graph);
    const [replanNode, commitNode] = splitTaskNodes(stored, commit.priority, after);
    const nodes = spec.nodes.map((n) => (n.id === commitId ? { ...n, inputs: commitNode!.inputs!, needs: [] } : n));
    nodes.push(NodeSpecSchema.parse(replanNode));
    const next = this.state.buildGraph(GraphSpecSchema.parse({ ...spec, nodes }));
    const superseded = own.filter((n) => n !== commitId);
    const row = (nodeId: string, status: 'skipped' | 'pending') => ({ runId: run.id, nodeId, status, attempts: this.state.attempts.get(nodeId) ?? 0, task });
    // the expanded graph is the split's commit point: a kill before the next writes leaves a split
    // that resume finishes (`resume-reset.ts`)
    await store.expandRunGraph(run.id, graphToSpec(next), [{ runId: run.id, nodeId: replanId, status: 'pending', attempts: 0 }]);
    // the commit node succeeded when the task's integration failed (tasks in parallel): it joins the subtasks now
    await store.putRunNodes([...superseded.map((n) => row(n, 'skipped')), row(commitId, 'pending')]);
    await store.putRunTask({ ...current, status: 'pending', ...(rebaseTo ? { startCommit: rebaseTo } : {}) });
    this.state.graph = next;
    this.state.run = { ...run, graph: graphToSpec(next) };
    this.state.scheduler.grow(next);
    for (const n of superseded) {
      this.state.scheduler.finish(n, 'skipped');
      this.state.outputs.delete(n); // the failed attempts' edit is no earlier output of anyone's
    }
    if (this.state.scheduler.status(commitId) !== 'pending') this.state.scheduler.reset([commitId]);
    this.state.outputs.delete(commitId);
    this.close(task);
    await this.state.parallel?.discard(task);
    const reason = `${task}: ${current.attempt} attempt(s) failed, the last at ${failedNode} (${code}): splitting it into smaller tasks`;
    this.state.emit({ type: 'log', runId: run.id, nodeId: replanId, message: reason });
    this.state.emit({ type: 'graph-expand', runId: run.id, by: failedNode, added: [replanId], planId: run.planId, reason });
    return true;
  }

  /**
   * Puts the task's worktree back to the commit the task started from, recording that state first
   * (write, then act): the run's worktree state, or with tasks in parallel the task record (whose
   * start commit the caller wrote).
   */
  private async resetToStart(current: RunTaskRecord): Promise<void> {
    const { store, run } = this.state;
    const workspace = this.state.workspaceFor(current.taskId);
    if (!workspace || !current.startCommit) return;
    if (workspace === this.state.workspace) {
      const start = await workspace.commitSnapshot(current.startCommit);
      await store.updateRun(run.id, { workspace: start, updatedAt: new Date().toISOString() });
    }
    await workspace.resetTo(current.startCommit);
  }

  /** Marks tasks whose nodes were skipped as skipped. */
  async markSkipped(tasks: readonly string[]): Promise<void> {
    const { store, run } = this.state;
    for (const t of tasks) {
      const rt = await store.getRunTask(run.id, t);
      await store.putRunTask({ ...(rt ?? { runId: run.id, taskId: t, attempt: 0 }), status: 'skipped' });
      if (run.planId) await store.setTaskStatus(run.planId, t, 'skipped').catch(() => undefined);
    }
  }

  /** The node ids of a task, in topological order. */
  nodesOf(task: string): string[] {
    const g = this.state.graph;
    return g.order.filter((n) => g.nodes.get(n)!.task === task);
  }

  private async fail(task: string, current: RunTaskRecord): Promise<FailureDecision> {
    const { store, run } = this.state;
    await store.putRunTask({ ...current, status: 'failed' });
    if (run.planId) await store.setTaskStatus(run.planId, task, 'failed').catch(() => undefined);
    this.close(task);
    this.state.emit({ type: 'task-finish', runId: run.id, task, status: 'failed', attempts: current.attempt });
    return { action: 'fail' };
  }

  private close(task: string): void {
    if (this.open === task) this.open = undefined;
    this.state.parallel?.close(task);
  }
}

/** Whether a held task's notes changed since the loop was detected (an answer or an edit). */
export async function notesChangedSinceHold(store: Store, planId: string, taskId: string): Promise<boolean> {
  const task = await store.getTask(planId, taskId);
  const last = task?.notes[task.notes.length - 1];
  return last === undefined || noteSignature(last) === undefined;
}
