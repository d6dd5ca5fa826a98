import { TaskgraphError, toErrorRecord, type ErrorRecord } from '../core/errors.js';
import { isJsonObject, type Json } from '../core/json.js';
import type { RunTaskRecord, WorkspaceSnapshot } from '../store/store.js';
import { gitText } from '../workspace/git-run.js';
import { integrateCommit } from '../workspace/integrate.js';
import { openTaskWorktree, removeTaskWorktree, taskBranchName, taskWorktreeDir } from '../workspace/task-worktree.js';
import type { Workspace } from '../workspace/workspace.js';
import { dependencyHash } from '../verify/dependency-files.js';
import { readSetupMarker, runSetup } from '../verify/setup-run.js';
import { pidDir } from './orphans.js';
import { verifyIntegration } from './integration-verify.js';
import type { RunState } from './run-state.js';

/**
 * Tasks in parallel (issue 10, `policy.taskConcurrency` > 1): up to `limit` tasks are open at
 * once, each in a worktree of its own (`workspace/task-worktree.ts`) on branch
 * `taskgraph/<run>-tasks/<task>`, cut from the run branch at the commit that holds all of the
 * task's dependencies. A task whose commit node succeeded is integrated onto the run branch
 * (`workspace/integrate.ts`) in the plan's topological order: a task waits while an earlier task
 * of that order is still to finish. The run branch so holds only verified tasks, one commit per
 * task, in topological order. A conflicting task is handed back to the task tracker as an
 * `INTEGRATION_CONFLICT` failure, refined on the new tip.
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
    for (const t of records) {
      if (!t.integratedCommit) continue;
      this.integrated.set(t.taskId, t.integratedCommit);
      // killed between recording an integration and removing the task's worktree: finish the removal
      if (t.worktree && t.branch) await removeTaskWorktree(this.runWorkspace.dir, t.worktree, t.branch, true);
    }
    for (const t of running) {
      const ws = await openTaskWorktree({ repoDir: this.runWorkspace.dir, dir: t.worktree!, branch: t.branch!, base: t.startCommit! });
      await this.restoreLatest(t.taskId, ws, t.startCommit!);
      this.worktrees.set(t.taskId, ws);
      this.open.add(t.taskId);
    }
  }

  /**
   * Puts a task's worktree back to the state its last finished side-effecting node recorded
   * (`workspaceAfter` of the latest succeeded or cached attempt of a node that stands finished),
   * else to its start commit: what the task's remaining nodes expect, whatever the directory
   * held (a kill mid-apply, a worktree checked out again after `clean`).
   */
  private async restoreLatest(task: string, ws: Workspace, start: string): Promise<void> {
    const { store, run } = this.state;
    const nodes = new Map((await store.listRunNodes(run.id)).map((n) => [n.nodeId, n.status]));
    let last: WorkspaceSnapshot | undefined;
    for (const a of await store.listAttempts(run.id)) {
      const done = nodes.get(a.nodeId) === 'succeeded' || nodes.get(a.nodeId) === 'cached';
      if (this.state.graph.nodes.get(a.nodeId)?.task === task && done && a.workspaceAfter && (a.status === 'succeeded' || a.status === 'cached')) last = a.workspaceAfter;
    }
    if (last) await ws.restore(last);
    else await ws.resetTo(start);
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
   * integrated (its commit is on the run branch); a node of a task not open yet opens it when
   * fewer than `limit` tasks are open.
   */
  admit(id: string): boolean {
    const task = this.state.graph.nodes.get(id)!.task;
    if (!this.upstreamTasks(id).every((t) => this.integrated.has(t))) return false;
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
    if (current?.worktree) await this.restoreLatest(task, ws, base); // a task retried in a later session
    await this.prepare(task, ws);
    this.worktrees.set(task, ws);
    return ws;
  }

  /**
   * Runs `commands.setup` in a task worktree it never ran in (no setup marker, see
   * `verify/setup-run.ts`), so the task's checks find its dependencies installed.
   * @throws TaskgraphError COMMAND_FAILED when setup fails (the run stops; fix it and resume)
   */
  private async prepare(task: string, ws: Workspace): Promise<void> {
    const { config, projectDir } = this.state.options;
    const command = config.commands.setup;
    if (!command || (await readSetupMarker(ws.dir))) return;
    const { hash } = await dependencyHash(ws.dir, await ws.listFiles());
    const { error } = await runSetup(command, {
      cwd: ws.dir,
      config,
      projectDir,
      dependencies: hash,
      signal: this.state.signal,
      pidDir: pidDir(projectDir, this.state.run.id),
      log: (message) => this.state.emit({ type: 'log', runId: this.state.run.id, nodeId: `${task}/context`, message: `${task} worktree: ${message}` }),
    });
    if (error) throw new TaskgraphError(error.code, `${task}'s worktree: ${error.message}`, { details: error.details, ...(error.hint ? { hint: error.hint } : {}) });
  }

  /**
   * The commit a task starts from: the integrated commit of its dependency that comes last in
   * topological order (the run branch holds every dependency there), else the commit tasks
   * without dependencies start from (`run.options.taskBase`, set from the run branch's tip the
   * first time). Independent of timing, so a re-run cuts the same bases.
   */
  private async baseOf(task: string): Promise<string> {
    const deps = new Set(this.state.graph.order.filter((n) => this.state.graph.nodes.get(n)!.task === task).flatMap((n) => this.upstreamTasks(n)));
    const order = this.taskOrder();
    const last = order.filter((t) => deps.has(t)).at(-1);
    const commit = last !== undefined ? this.integrated.get(last) : undefined;
    if (commit) return commit;
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
   * tasks that failed, were skipped or wait for a person; stops at the first task still to finish
   * (later ones wait for it) and at the first conflict.
   * @returns the conflicting task with its `INTEGRATION_CONFLICT` error (nothing of it was
   *   written to the run branch), or undefined
   * @throws TaskgraphError GIT_ERROR, STORE_ERROR
   */
  async integrateReady(): Promise<{ task: string; error: ErrorRecord; tip: string } | undefined> {
    const { store, run } = this.state;
    for (const task of this.taskOrder()) {
      if (this.integrated.has(task)) continue;
      const record = await store.getRunTask(run.id, task);
      if (record && ['failed', 'skipped', 'needs-human'].includes(record.status)) continue;
      // a task split into subtasks (ADaPT) finishes after them: it does not hold them up
      if (this.state.graph.nodes.has(`${task}/replan`) && record?.status !== 'done') continue;
      if (record?.status !== 'done') return undefined; // an earlier task is still to finish
      const conflict = await this.integrate(task, record);
      if (conflict) return conflict;
    }
    return undefined;
  }

  private async integrate(task: string, record: RunTaskRecord): Promise<{ task: string; error: ErrorRecord; tip: string } | undefined> {
    const { store, run } = this.state;
    const runWs = this.runWorkspace;
    const out = this.state.outputs.get(`${task}/commit`);
    const commit = commitOf(out);
    const tip = await gitText(runWs.dir, ['rev-parse', '--verify', 'HEAD^{commit}']);
    const start = record.startCommit ?? tip;
    const t0 = Date.now();
    const result = commit ? await integrateCommit(runWs.dir, { commit, start, tip }) : { kind: 'integrated' as const, commit: tip, how: 'empty' as const };
    if (result.kind === 'conflict') {
      const files = result.files.join(', ');
      const error = toErrorRecord(
        new TaskgraphError('INTEGRATION_CONFLICT', `${task}'s commit conflicts with the run branch in ${files || 'the tree'}: it is redone on the new base`, {
          details: { files: result.files, reason: [result.messages, result.hunks].filter((s) => s !== '').join('\n\n') },
          hint: 'the task is refined on the run branch as it is now',
        }),
      );
      return { task, error, tip };
    }
    if (result.how === 'replayed' && commit && record.worktree) {
      // a tree nobody verified yet: the task's checks run over it before the run branch moves
      const failed = await verifyIntegration(this.state, task, await this.ensureOpen(task), result.commit, commit);
      if (failed) return { task, error: failed, tip };
    }
    // write (the integrated commit, the run worktree's new state), then move the run branch
    const snap = await runWs.commitSnapshot(result.commit);
    await store.putRunTask({ ...record, integratedCommit: result.commit });
    await store.updateRun(run.id, { workspace: snap, updatedAt: new Date().toISOString() });
    await runWs.resetTo(result.commit);
    this.integrated.set(task, result.commit);
    this.worktrees.delete(task);
    if (record.worktree && record.branch) await removeTaskWorktree(runWs.dir, record.worktree, record.branch, true);
    this.state.emit({ type: 'log', runId: run.id, nodeId: `${task}/commit`, message: `integrated ${task} onto ${runWs.branch} (${result.how}, ${Date.now() - t0} ms): ${result.commit.slice(0, 12)}` });
    return undefined;
  }

  /** Tasks that finished but are not on the run branch yet (an earlier task holds them up). */
  async waitingForIntegration(): Promise<string[]> {
    const records = await this.state.store.listRunTasks(this.state.run.id);
    return records.filter((t) => t.status === 'done' && !t.integratedCommit).map((t) => t.taskId);
  }
}

/** The commit sha of a `git-commit` node's output (`{ commit, message }`), if any. */
function commitOf(out: Json | undefined): string | undefined {
  return isJsonObject(out) && typeof out['commit'] === 'string' ? out['commit'] : undefined;
}
