import { TaskgraphError } from '../core/errors.js';
import type { PlanRecord } from '../core/task.js';
import type { EngineObserver } from '../engine/events.js';
import type { RunSummary } from '../engine/run-summary.js';
import { runGit } from '../workspace/git-run.js';
import { createRunWorkspace, removeRunWorkspace, runBranchName } from '../workspace/git-workspace.js';
import { goalGraph, PLAN_NODE } from './goal-graph.js';
import { isGitRepo } from './run-common.js';
import type { ProjectHandle } from './wiring.js';

/**
 * One planning run: what `taskgraph plan GOAL` and `POST /plans` both do (the CLI prints the
 * result, the server carries it out in the background). The engine runs the goal's graph
 * ({@link goalGraph}: one `decompose` node, `plan`) as a run with command `plan` and `planOnly`,
 * in a temporary worktree at HEAD when the project is a git repository with a commit. The
 * worktree is removed afterwards, and its branch too when planning succeeded (a failed or
 * suspended plan run keeps its branch for `taskgraph resume`).
 */

/** Options of {@link runPlanning}. */
export interface PlanningOptions {
  /** the run id to use (default: a new one, chosen by the caller with `newRunId()`) */
  runId: string;
  /** depth limit of the decomposition (`--max-depth`) */
  maxDepth?: number | undefined;
  /** ask the planner again instead of reusing a cached plan of the same goal (`--replan`) */
  replan?: boolean | undefined;
  /** false (`--no-reuse`): plan from scratch, not from an earlier plan of a similar goal; `replan` implies it */
  reuse?: boolean | undefined;
  /** observers of the engine's events (progress, the server's "run recorded" signal) */
  observers?: EngineObserver[];
  /** aborts the run (the engine records it `interrupted`) */
  signal?: AbortSignal;
}

/** What a planning run ended with. */
export interface PlanningResult {
  summary: RunSummary;
  /** set when the plan came from the cache: when it was planned (no model call was made) */
  cachedAt?: string;
  /** the saved plan, when the run succeeded */
  plan?: PlanRecord;
}

/**
 * Runs the planning of `goal` to its end (succeeded, failed, suspended or interrupted).
 * @param goal the goal text, a PRD's text included (see `readGoal`)
 * @returns the run's summary, whether the plan was reused, and the plan when it succeeded
 * @throws TaskgraphError from the engine before the run is recorded (store, git), or INTERNAL
 *   when a succeeded plan run saved no plan
 */
export async function runPlanning(project: ProjectHandle, goal: string, opts: PlanningOptions): Promise<PlanningResult> {
  const { runId } = opts;
  const workspace = (await isGitRepo(project.dir)) ? await createRunWorkspace({ projectDir: project.dir, runId, worktreeDir: project.config.worktreeDir }) : undefined;
  let cachedAt: string | undefined;
  const watch: EngineObserver = (e) => {
    if (e.type === 'node-finish' && e.nodeId === PLAN_NODE && e.status === 'cached') cachedAt = e.cachedAt;
  };
  let summary: RunSummary;
  try {
    summary = await project
      .engine({ observers: [...(opts.observers ?? []), watch], planOnly: true, ...(opts.signal ? { signal: opts.signal } : {}), ...(opts.replan ? { force: [PLAN_NODE] } : {}) })
      .start({ graph: goalGraph(goal, { id: 'plan', maxDepth: opts.maxDepth, reuse: opts.reuse !== false && !opts.replan }), command: 'plan', options: { goal }, runId, ...(workspace ? { workspace } : {}) });
  } finally {
    if (workspace) await removeRunWorkspace({ projectDir: project.dir, dir: workspace.dir, force: true }).catch(() => undefined);
  }
  if (summary.status !== 'succeeded') return { summary, ...(cachedAt !== undefined ? { cachedAt } : {}) };
  if (workspace) await runGit(project.dir, ['branch', '-D', runBranchName(runId)]).catch(() => undefined);
  const run = await project.store.getRun(runId);
  const plan = run?.planId ? await project.store.getPlan(run.planId) : undefined;
  if (!plan) throw new TaskgraphError('INTERNAL', `plan run ${runId} succeeded but saved no plan`);
  return { summary, plan, ...(cachedAt !== undefined ? { cachedAt } : {}) };
}
