import { TaskgraphError, type ErrorRecord } from '../core/errors.js';
import type { RunTaskRecord } from '../store/store.js';
import { gitText } from '../workspace/git-run.js';
import { integrateCommit } from '../workspace/integrate.js';
import { openTaskWorktree, removeTaskWorktree, taskBranchName, taskWorktreeDir } from '../workspace/task-worktree.js';
import type { Workspace } from '../workspace/workspace.js';
import { commitOf, conflictError, type IntegrationFailure } from './integration-failure.js';
import { checkSignature, integrationCheckSpec, verifyIntegration } from './integration-verify.js';
import type { RunState } from './run-state.js';
import { prepareTaskWorktree, restoreTaskWorktree, splitStartOf } from './task-worktree-state.js';

/**
 * Tasks in parallel (issue 10, `policy.taskConcurrency` > 1): up to `limit` tasks are open at
 * once, each in a worktree of its own (`workspace/task-worktree.ts`) on branch
 * `taskgraph/<run>-tasks/<task>`, cut from the run branch at the commit that holds all of the
 * task's dependencies. A task whose commit node succeeded is integrated onto the run branch
 * (`workspace/integrate.ts`) in the plan's topological order: a task waits while an earlier task
 * of that order is still to finish, unless that one waits for a person (an approval): then it
 * goes past, and the waiting task is integrated once decided, onto the tip it then finds. The run
 * branch so holds only verified tasks, one commit per task, in topological order but for tasks
 * that waited for a person. Tasks finished together are integrated as a batch with one check
 * over the batch's tip, like a merge queue (`integrateBatch`). A conflicting task is handed back
 * to the task tracker as an `INTEGRATION_CONFLICT` failure, a task that breaks the checks as a
 * `VERIFY_FAILED` one, each refined on the new tip. A task that fails `maxAttempts` times and is
 * split into subtasks (ADaPT, `TaskTracker.replan`) loses its worktree and branch (`discard`);
 * its subtasks start from its start commit and are integrated like any task, and it is
 * integrated (`empty`) after them, so its dependents wait for all of it.
 *
 * `commands.setup` runs in each new task worktree before its first node.
 *
 * Durable state: the task's worktree, branch, start commit and integrated commit are in its
 * `RunTaskRecord`; `run.options.taskBase` is the commit tasks without dependencies start from (the
 * run branch before the first task), so every task's base is the same in every session and in a
 * cached re-run. Every integration is written to the store (integrated commit, the run's
 * workspace) before the run branch moves, in one `git reset --hard` of the run worktree.
 */
export class ParallelTasks {
  private readonly worktrees = new Map<string, Workspace>();
  private readonly opening = new Map<string, Promise<Workspace>>();
  /** tasks opened and not yet committed (their nodes still run): at most `limit` */
  private readonly open = new Set<string>();
  /** tasks integrated onto the run branch: integrated commit by task */
  private readonly integrated = new Map<string, string>();
  /** the commit each task was last replayed to (the run branch's next tip with it), by task */
  private readonly replayed = new Map<string, string>();
  /** tasks of the batch whose check runs now: their dependents may start speculatively */
  private readonly checking = new Set<string>();
  /**
   * Called when nodes that could not start may start now without a node finishing (a batch's
   * check began, so the batch's dependents may start on its tip): the engine looks at its ready
   * set again.
   */
  onAdmissible: (() => void) | undefined;

  /**
   * @param state the run (its `workspace` is the run worktree, on the run branch)
   * @param limit tasks open at once (≥ 2)
   */
  constructor(
    private readonly state: RunState,
    readonly limit: number,
  ) {}

  private get runWorkspace(): Workspace {
    const ws = this.state.workspace;
    if (!ws) throw new TaskgraphError('RUN_STATE', 'task worktrees need a run worktree');
    return ws;
  }

  /**
   * Loads what earlier sessions left: integrated tasks, and the open tasks' worktrees, each put
   * back to the last state its finished nodes recorded (else to its start commit), so no finished
   * attempt runs again.
   * @throws TaskgraphError GIT_ERROR when a worktree cannot be checked out or restored
   */
  async init(): Promise<void> {
    const { store, run } = this.state;
    const records = await store.listRunTasks(run.id);
    const running = records.filter((t) => t.status === 'running' && t.worktree && t.branch && t.startCommit);
    for (const t of records) if (t.integratedCommit) this.integrated.set(t.taskId, t.integratedCommit);
    await this.finishMove(); // the run branch first holds the integrated commits, then the task branches go
    for (const t of records) {
      // killed between recording an integration and removing the task's worktree: finish the removal
      if (t.integratedCommit && t.worktree && t.branch) await removeTaskWorktree(this.runWorkspace.dir, t.worktree, t.branch, true);
    }
    for (const t of running) {
      const ws = await openTaskWorktree({ repoDir: this.runWorkspace.dir, dir: t.worktree!, branch: t.branch!, base: t.startCommit! });
      await restoreTaskWorktree(this.state, t.taskId, ws, t.startCommit!);
      this.worktrees.set(t.taskId, ws);
      this.open.add(t.taskId);
    }
  }

  /**
   * Finishes a move of the run branch that a kill interrupted: a batch's integrated commits are
   * written one task after another before the run branch moves (`commit`), so the run worktree
   * may stand before the last integrated task (the tip of the chain of integrated commits: the
   * last in topological order, or a task that waited for a person and was integrated after the
   * tasks behind it). It is moved there, and the run's recorded state with it.
   * @throws TaskgraphError GIT_ERROR, STORE_ERROR
   */
  private async finishMove(): Promise<void> {
    const want = await this.latest([...this.integrated.values()]);
    if (want === undefined) return;
    const runWs = this.runWorkspace;
    const head = await gitText(runWs.dir, ['rev-parse', '--verify', 'HEAD^{commit}']);
    if (head === want || !(await runWs.isAncestor(head, want))) return;
    const snap = await runWs.commitSnapshot(want);
    await this.state.store.updateRun(this.state.run.id, { workspace: snap, updatedAt: new Date().toISOString() });
    await runWs.resetTo(want);
  }

  /**
   * The latest of integrated commits: the one every other one is an ancestor of (they all stand
   * on the run branch, one chain), or undefined for none.
   * @throws TaskgraphError GIT_ERROR when git fails
   */
  private async latest(commits: readonly string[]): Promise<string | undefined> {
    let tip: string | undefined;
    for (const c of new Set(commits)) if (tip === undefined || (await this.runWorkspace.isAncestor(tip, c))) tip = c;
    return tip;
  }

  /** The worktree of an open task, or undefined (nodes of no task and unopened tasks use the run worktree). */
  workspaceOf(task: string | undefined): Workspace | undefined {
    return task === undefined ? undefined : this.worktrees.get(task);
  }

  /** The tasks of the graph in topological order (the order of their first node in the run's order). */
  taskOrder(): string[] {
    const seen = new Set<string>();
    for (const id of this.state.graph.order) {
      const task = this.state.graph.nodes.get(id)!.task;
      if (task !== undefined) seen.add(task);
    }
    return [...seen];
  }

  /** The other tasks a node waits for: the tasks of its direct predecessors. */
  private upstreamTasks(id: string): string[] {
    const own = this.state.graph.nodes.get(id)?.task;
    const tasks = new Set<string>();
    for (const p of this.state.graph.preds.get(id) ?? []) {
      const t = this.state.graph.nodes.get(p)?.task;
      if (t !== undefined && t !== own) tasks.add(t);
    }
    return [...tasks];
  }

  /**
   * Whether a ready node may start: a node of another task's successor waits until that task is
   * integrated (its commit is on the run branch) or is in the batch whose check runs now
   * (speculative start, as a merge queue builds on the batch ahead: see `integrateBatch`; only
   * for nodes of a task, whose worktree is cut at the batch's commits — a node of no task runs
   * in the run worktree, which moves only when the check passes); a node of a task not open yet
   * opens it when fewer than `limit` tasks are open.
   */
  admit(id: string): boolean {
    const task = this.state.graph.nodes.get(id)!.task;
    const landed = (t: string) => this.integrated.has(t) || (task !== undefined && this.checking.has(t));
    if (!this.upstreamTasks(id).every(landed)) return false;
    if (task === undefined || this.open.has(task)) return true;
    if (this.open.size >= this.limit) return false;
    this.open.add(task);
    return true;
  }

  /** The task's nodes all ran (its commit is on its branch) or it failed: it no longer takes a slot. */
  close(task: string): void {
    this.open.delete(task);
  }

  /** A task refined after its integration conflicted takes a slot again. */
  reopen(task: string): void {
    this.open.add(task);
  }

  /**
   * Makes sure the task's worktree exists before its node runs: reuses an open one; else records
   * the task (`running`, its worktree, branch and start commit) and then creates the worktree at
   * the commit holding its dependencies (write, then act).
   * @throws TaskgraphError GIT_ERROR when git fails
   */
  ensureOpen(task: string): Promise<Workspace> {
    const ws = this.worktrees.get(task);
    if (ws) return Promise.resolve(ws);
    let pending = this.opening.get(task);
    if (!pending) {
      pending = this.create(task).finally(() => this.opening.delete(task));
      this.opening.set(task, pending);
    }
    return pending;
  }

  private async create(task: string): Promise<Workspace> {
    const { store, run } = this.state;
    const current = await store.getRunTask(run.id, task);
    const dir = current?.worktree ?? taskWorktreeDir(this.runWorkspace.dir, task);
    const branch = current?.branch ?? taskBranchName(run.id, task);
    const base = current?.worktree && current.startCommit ? current.startCommit : await this.baseOf(task);
    if (!current?.worktree || current.startCommit !== base) {
      await store.putRunTask({ ...(current ?? { runId: run.id, taskId: task, attempt: 1 }), status: 'running', startCommit: base, worktree: dir, branch });
    }
    const ws = await openTaskWorktree({ repoDir: this.runWorkspace.dir, dir, branch, base });
    if (current?.worktree) await restoreTaskWorktree(this.state, task, ws, base); // a task retried in a later session
    await prepareTaskWorktree(this.state, task, ws);
    this.worktrees.set(task, ws);
    return ws;
  }

  /**
   * The commit a task starts from: the latest integrated commit of its dependencies (the run
   * branch holds every dependency there; the one last in topological order unless a dependency
   * waited for a person and was integrated after it), or, for a dependency whose batch is being
   * checked, the commit it was replayed to — the same commit once the check passes, as a replay
   * depends only on the task's commit and the tip; else the commit tasks without dependencies
   * start from (`run.options.taskBase`, set from the run branch's tip the first time).
   * Independent of timing when checks pass and no task waits for a person, so a re-run cuts the
   * same bases.
   */
  private async baseOf(task: string): Promise<string> {
    const deps = new Set(this.state.graph.order.filter((n) => this.state.graph.nodes.get(n)!.task === task).flatMap((n) => this.upstreamTasks(n)));
    const commit = await this.latest([...deps].flatMap((t) => this.integrated.get(t) ?? this.replayed.get(t) ?? []));
    if (commit) return commit;
    const inherited = await splitStartOf(this.state, task);
    if (inherited) return inherited;
    const kept = this.state.run.options['taskBase'];
    if (typeof kept === 'string') return kept;
    const tip = await gitText(this.runWorkspace.dir, ['rev-parse', '--verify', 'HEAD^{commit}']);
    const options = { ...this.state.run.options, taskBase: tip };
    await this.state.store.updateRun(this.state.run.id, { options, updatedAt: new Date().toISOString() });
    this.state.run = { ...this.state.run, options };
    return tip;
  }

  /**
   * Integrates finished tasks onto the run branch in topological order, as far as it can: skips
   * tasks that failed, were skipped or wait for a person (held, or a node suspended for an
   * approval or an answer: such a task is integrated later, onto the tip it then finds); stops at
   * the first task still to finish (later ones wait for it). The finished tasks before that point are integrated as one batch
   * (`integrateBatch`), like a merge queue.
   * @returns the task that conflicts with the run branch or breaks its checks, with its
   *   `INTEGRATION_CONFLICT` / `VERIFY_FAILED` error and the run branch's tip to redo it on
   *   (nothing of it was written to the run branch), or undefined
   * @throws TaskgraphError GIT_ERROR, STORE_ERROR
   */
  async integrateReady(): Promise<IntegrationFailure | undefined> {
    const { store, run } = this.state;
    const ready: Array<{ task: string; record: RunTaskRecord }> = [];
    for (const task of this.taskOrder()) {
      if (this.integrated.has(task)) continue;
      const record = await store.getRunTask(run.id, task);
      if (record && ['failed', 'skipped', 'needs-human'].includes(record.status)) continue;
      // a task split into subtasks (ADaPT) finishes after them: it does not hold them up
      if (this.state.graph.nodes.has(`${task}/replan`) && record?.status !== 'done') continue;
      if (record?.status !== 'done') {
        // waiting for a person (an approval, an answer): later tasks go past it; it is replayed
        // onto the tip it finds once it finishes
        if (this.waitsForPerson(task)) continue;
        // an earlier task is still to finish: later ones wait; one about to finish joins the batch
        if (this.finishing(task)) return undefined;
        break;
      }
      ready.push({ task, record });
    }
    return ready.length > 0 ? this.integrateBatch(ready) : undefined;
  }

  /**
   * Whether a node of the task is suspended: it waits for a decision of a person (an approval of
   * its edit, an answer), for however long that takes, so it must not hold up the tasks after it.
   */
  private waitsForPerson(task: string): boolean {
    return this.state.graph.order.some((id) => this.state.graph.nodes.get(id)!.task === task && this.state.scheduler.status(id) === 'suspended');
  }

  /**
   * Whether a task is in its last checks (its `verify`, `review` or `commit` node runs): the
   * integration waits for it, so it joins the batch (one check instead of two). Those checks
   * would have to wait for the earlier batch's check anyway (integration is in order), so the
   * wait delays the earlier tasks by at most one check and never the waited-for one.
   */
  private finishing(task: string): boolean {
    return ['verify', 'review', 'commit'].some((n) => this.state.scheduler.status(`${task}/${n}`) === 'running');
  }

  /**
   * Integrates a batch of finished tasks, consecutive in topological order, with as few checks
   * as it can (a merge queue with batching, as bors-ng and GitHub's merge queue do):
   *
   * 1. Replays each task's commit onto the tip the one before it left (`integrateCommit`), in the
   *    object database only, up to the first conflict. Each replay depends only on the task's
   *    commit and the tip, so the commits are the same whatever the batches (a cached re-run
   *    rebuilds the same branch).
   * 2. When some of them were replayed (not fast-forwards nor empty) and their checks are the
   *    same (`checkSignature`), runs that check ONCE, over the batch's tip. While it runs, tasks
   *    that depend on the batch may start from the commits it was replayed to (speculative
   *    start, as GitHub's merge queue tests a pull request on top of the ones ahead of it): the
   *    run branch still moves only over checked tips; a dependent that started on a batch whose
   *    check then fails is replayed onto the real tip and checked when its turn comes, like a
   *    task whose base moved. A passing tip holds
   *    every task of the batch, each one commit: the merge-queue argument, the run branch holds
   *    only tasks verified together with all that precedes them. Intermediate commits are not
   *    tested on their own (as in any batching merge queue).
   * 3. When that check fails (or the checks differ), falls back to one task at a time, in
   *    order: the first task whose own prefix fails is the culprit, the tasks before it are
   *    integrated, it alone is refined. The last replayed task's prefix is the batch's tip, known
   *    to fail, so it is not checked twice.
   *
   * Writes every integrated commit and the run worktree's new state to the store, then moves
   * the run branch once (`commit`); `init` finishes a move a kill interrupted.
   * @returns the first task that conflicts or fails its check, or undefined
   * @throws TaskgraphError GIT_ERROR, STORE_ERROR
   */
  private async integrateBatch(ready: ReadonlyArray<{ task: string; record: RunTaskRecord }>): Promise<IntegrationFailure | undefined> {
    const runWs = this.runWorkspace;
    const t0 = Date.now();
    let tip = await gitText(runWs.dir, ['rev-parse', '--verify', 'HEAD^{commit}']);
    const steps: Step[] = [];
    let conflict: IntegrationFailure | undefined;
    for (const { task, record } of ready) {
      const commit = commitOf(this.state.outputs.get(`${task}/commit`));
      const result = commit ? await integrateCommit(runWs.dir, { commit, start: record.startCommit ?? tip, tip }) : { kind: 'integrated' as const, commit: tip, how: 'empty' as const };
      if (result.kind === 'conflict') {
        conflict = { task, error: conflictError(task, result), tip };
        break;
      }
      const check = result.how === 'replayed' && commit && record.worktree ? integrationCheckSpec(this.state, task) : undefined;
      steps.push({ task, record, result: result.commit, how: result.how, ...(commit ? { taskCommit: commit } : {}), ...(check ? { check: checkSignature(check) } : {}) });
      tip = result.commit;
    }
    const checked = steps.filter((s) => s.check !== undefined);
    const last = checked.at(-1);
    let tipFailure: ErrorRecord | undefined; // the failure of the check over the batch's tip
    if (last && new Set(checked.map((s) => s.check)).size === 1) {
      // one check over the batch's tip (the tree after `last` is the tip's: later steps are empty)
      const covers = steps.map((s) => s.task);
      for (const s of steps) {
        this.replayed.set(s.task, s.result);
        this.checking.add(s.task);
      }
      this.onAdmissible?.();
      const unchecked = () => steps.forEach((s) => this.checking.delete(s.task));
      tipFailure = await verifyIntegration(this.state, last.task, await this.ensureOpen(last.task), last.result, last.taskCommit!, covers).catch((error: unknown) => {
        unchecked();
        throw error;
      });
      if (tipFailure) unchecked(); // a passing batch stays admissible until `commit` marks it integrated
      if (!tipFailure) {
        await this.commit(steps, t0);
        return conflict;
      }
    }
    // one at a time: the first task whose prefix fails its check is the culprit
    for (const step of checked) {
      // the last one's prefix is the batch's tip: when that check just failed, it is not run again
      const failed =
        step === last && tipFailure ? tipFailure : await verifyIntegration(this.state, step.task, await this.ensureOpen(step.task), step.result, step.taskCommit!);
      if (failed) return this.failAt(steps, step, failed, t0);
    }
    await this.commit(steps, t0);
    return conflict;
  }

  /** Integrates the steps before `culprit` and hands `culprit` back with its check's failure. */
  private async failAt(steps: readonly Step[], culprit: Step, error: ErrorRecord, t0: number): Promise<IntegrationFailure> {
    const before = steps.slice(0, steps.indexOf(culprit));
    await this.commit(before, t0);
    const tip = before.at(-1)?.result ?? (await gitText(this.runWorkspace.dir, ['rev-parse', '--verify', 'HEAD^{commit}']));
    return { task: culprit.task, error, tip };
  }

  /**
   * Moves the run branch over integrated steps: writes each task's integrated commit and the run
   * worktree's new state (write), then moves the run branch once (act), then removes the tasks'
   * worktrees and branches.
   */
  private async commit(steps: readonly Step[], t0: number): Promise<void> {
    const last = steps.at(-1);
    if (!last) return;
    const { store, run } = this.state;
    const runWs = this.runWorkspace;
    const snap = await runWs.commitSnapshot(last.result);
    for (const s of steps) await store.putRunTask({ ...s.record, integratedCommit: s.result });
    await store.updateRun(run.id, { workspace: snap, updatedAt: new Date().toISOString() });
    await runWs.resetTo(last.result);
    const ms = Date.now() - t0;
    for (const s of steps) {
      this.integrated.set(s.task, s.result);
      this.checking.delete(s.task);
      this.worktrees.delete(s.task);
      if (s.record.worktree && s.record.branch) await removeTaskWorktree(runWs.dir, s.record.worktree, s.record.branch, true);
      this.state.emit({ type: 'task-integrate', runId: run.id, task: s.task, branch: runWs.branch, commit: s.result, how: s.how, batch: steps.length, durationMs: ms });
    }
  }

  /** Tasks that finished but are not on the run branch yet (an earlier task holds them up). */
  async waitingForIntegration(): Promise<string[]> {
    const records = await this.state.store.listRunTasks(this.state.run.id);
    return records.filter((t) => t.status === 'done' && !t.integratedCommit).map((t) => t.taskId);
  }

  /**
   * Drops a task split into subtasks (ADaPT, `TaskTracker.replan`, which wrote the split first):
   * removes its worktree and its branch, with its failed attempts' edits, and frees its slot. Its
   * record keeps its start commit, worktree and branch names: the subtasks start from that commit
   * (`splitStart`), and its joining `commit` node, once every subtask is integrated, runs in a
   * worktree checked out again at that commit, which holds nothing to commit, so its integration
   * is `empty`. Idempotent.
   * @throws TaskgraphError GIT_ERROR when git refuses to remove the worktree
   */
  async discard(task: string): Promise<void> {
    const record = await this.state.store.getRunTask(this.state.run.id, task);
    await this.drop(task, record?.worktree, record?.branch);
  }

  /** Frees a task's slot and forgets its worktree, then removes the worktree and its branch. */
  private async drop(task: string, worktree: string | undefined, branch: string | undefined): Promise<void> {
    await this.opening.get(task)?.catch(() => undefined);
    this.worktrees.delete(task);
    this.open.delete(task);
    if (worktree && branch) await removeTaskWorktree(this.runWorkspace.dir, worktree, branch, true);
  }

  /**
   * Whether a task was cut from a batch whose check failed (speculative start, see
   * `integrateBatch`): its start commit is neither on the run branch nor the tip of a batch being
   * checked now. Such a task's checks fail for the batch's culprit, not for its own work.
   * @param start the task's start commit (40 hex)
   * @throws TaskgraphError GIT_ERROR
   */
  async startedOnRejected(start: string): Promise<boolean> {
    if ([...this.checking].some((t) => this.replayed.get(t) === start)) return false;
    const tip = await gitText(this.runWorkspace.dir, ['rev-parse', '--verify', 'HEAD^{commit}']);
    return !(await this.runWorkspace.isAncestor(start, tip));
  }

  /**
   * Starts a task cut from a rejected batch over (see `startedOnRejected`): records it `pending`
   * with no start commit, worktree or branch and its nodes `pending` (write), then removes its
   * worktree and branch and frees its slot (act). It opens again once its dependencies are
   * integrated, cut from their commits; no attempt is charged and no note is written.
   * @param record the task's current record
   * @param nodes the task's node ids
   * @throws TaskgraphError GIT_ERROR, STORE_ERROR
   */
  async restart(record: RunTaskRecord, nodes: readonly string[]): Promise<void> {
    const { store, run } = this.state;
    const { startCommit: _start, worktree, branch, integratedCommit: _integrated, ...rest } = record;
    await store.putRunTask({ ...rest, status: 'pending' });
    await store.putRunNodes(nodes.map((nodeId) => ({ runId: run.id, nodeId, status: 'pending' as const, attempts: this.state.attempts.get(nodeId) ?? 0, task: record.taskId })));
    await this.drop(record.taskId, worktree, branch);
  }
}

/** One task of a batch, replayed. */
interface Step {
  task: string;
  record: RunTaskRecord;
  /** the commit the run branch moves to with this task */
  result: string;
  how: 'fast-forward' | 'replayed' | 'empty';
  /** the task's own commit */
  taskCommit?: string;
  /** the signature of the check this step needs (replayed tasks with a verify node), if any */
  check?: string;
}
