import type { Budget } from '../core/config.js';
import { TaskgraphError } from '../core/errors.js';
import { RunLeaseHolder } from '../engine/run-lease.js';
import type { RunRecord } from '../store/store.js';
import { openRunWorkspace } from '../workspace/git-workspace.js';
import type { Workspace } from '../workspace/workspace.js';
import type { BudgetFlags } from './budget-options.js';
import { decideNode } from './decide-node.js';
import { createProgress } from './progress.js';
import { budgetOf, type CommonOptions, endSession } from './run-common.js';
import { type ProjectHandle, withProject } from './wiring.js';

/**
 * The commands that continue a run: `resume`, `approve`, `reject` (and `answer`, in
 * task-commands.ts). Each takes the run's lease first (DESIGN.md §6), so a second process
 * against a live run is refused with `RUN_LOCKED` before it writes a decision, touches the
 * worktree or asks a model anything; the engine then continues the run under that lease and
 * releases it when the session ends.
 */

/** The run's worktree at the path and branch stored with it (re-created there when `clean` removed it); none for a run without one. */
export async function workspaceOf(project: ProjectHandle, run: RunRecord): Promise<Workspace | undefined> {
  return run.worktree ? openRunWorkspace({ projectDir: project.dir, runId: run.id, dir: run.worktree, branch: run.branch }) : undefined;
}

/**
 * Reads the run and takes its lease.
 * @throws TaskgraphError NOT_FOUND (unknown run), RUN_LOCKED (a live process holds it)
 */
export async function leaseRun(project: ProjectHandle, runId: string): Promise<{ run: RunRecord; holder: RunLeaseHolder }> {
  const known = await project.store.getRun(runId);
  if (!known) throw new TaskgraphError('NOT_FOUND', `no run "${runId}"`, { hint: 'list runs with `taskgraph runs`' });
  const holder = await RunLeaseHolder.acquire(project.store, runId);
  const run = await project.store.getRun(runId); // as the last holder left it
  return { run: run ?? known, holder };
}

/**
 * Continues a run under a lease this process holds (released whatever happens), prints the
 * session's summary and writes the report.
 * @param command recorded for the session: `resume`, `approve`, `reject`, `answer`
 * @returns the exit code (0 succeeded, 1 failed, 3 suspended)
 */
export async function resumeLeased(
  project: ProjectHandle,
  lease: { run: RunRecord; holder: RunLeaseHolder },
  opts: CommonOptions & BudgetFlags & { concurrency?: number; taskConcurrency?: number },
  command: string,
): Promise<number> {
  const { run, holder } = lease;
  const progress = createProgress();
  try {
    const summary = await project
      .engine({
        observers: [progress.observer],
        ...(opts.concurrency ? { concurrency: opts.concurrency } : {}),
        ...(opts.taskConcurrency ? { taskConcurrency: opts.taskConcurrency } : {}),
        // flags raise or lower single limits of the budget stored with the run
        ...budgetOf(opts, project, (run.options['budget'] as Budget | undefined) ?? project.config.policy.budget),
        ...(run.command === 'plan' ? { planOnly: true } : {}), // a `taskgraph plan` run only plans, in every session
      })
      .resume(run.id, await workspaceOf(project, run), { lease: holder, command });
    progress.done();
    return await endSession(project, summary, opts);
  } finally {
    progress.done();
    await holder.release();
  }
}

/** `taskgraph resume RUN`. */
export async function resumeCommand(runId: string, opts: CommonOptions & BudgetFlags & { concurrency?: number; taskConcurrency?: number }): Promise<number> {
  return withProject(opts, async (project) => resumeLeased(project, await leaseRun(project, runId), opts, 'resume'));
}

/**
 * `taskgraph approve|reject RUN NODE`: records the decision with its audit entry, then resumes
 * the run (unless `--no-resume`), or hands the decision to the live process that holds the run
 * (`decide-node.ts`).
 */
export async function decideCommand(
  decision: 'approved' | 'rejected',
  runId: string,
  nodeId: string,
  opts: CommonOptions & BudgetFlags & { comment?: string; by?: string; resume?: boolean },
): Promise<number> {
  return withProject(opts, async (project) =>
    decideNode(
      project,
      runId,
      nodeId,
      { decision, by: opts.by ?? process.env['USER'] ?? 'unknown', ...(opts.comment ? { comment: opts.comment } : {}) },
      opts,
      decision === 'approved' ? 'approve' : 'reject',
    ),
  );
}
