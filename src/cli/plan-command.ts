import { TaskgraphError } from '../core/errors.js';
import { newRunId } from '../engine/engine.js';
import type { EngineEvent } from '../engine/events.js';
import { runSpend } from '../engine/run-spend.js';
import { renderTree, toJson } from '../planning/render.js';
import { runGit } from '../workspace/git-run.js';
import { createRunWorkspace, removeRunWorkspace, runBranchName } from '../workspace/git-workspace.js';
import { goalGraph, PLAN_NODE } from './goal-graph.js';
import { createProgress } from './progress.js';
import { type CommonOptions, isGitRepo, readGoal } from './run-common.js';
import { safeText } from './safe-text.js';
import { withProject } from './wiring.js';

/**
 * `taskgraph plan GOAL`: plans only, saves the plan, prints the tree.
 *
 * It runs the engine on the goal's graph ({@link goalGraph}: one `decompose` node, `plan`) as a
 * run with command `plan`, in a temporary worktree at HEAD, with `planOnly` (the plan is saved,
 * its task nodes are not added). So the planner's calls are metered and recorded like any run's,
 * and the `plan` node's cache key is exactly the one a `do` run of the same goal computes: `do`
 * then reuses this plan from the cache instead of asking the planner again, and is charged its
 * cost (`engine/run-spend.ts`). A second `plan` of the same goal and project state reuses it
 * too; `--replan` asks the planner again. The temporary worktree is removed afterwards, and its
 * branch too when planning succeeded (a failed or suspended plan run keeps its branch for
 * `taskgraph resume`).
 *
 * Output as documented: the header line, the tree and how to run it; `--json` prints the plan
 * (`{ id, goal, tasks, leaves, edges, meta }`).
 * @throws TaskgraphError the planner's failure (e.g. `PLAN_INVALID`, `PROVIDER_ERROR`), with the
 *   run that recorded its calls in the message
 */
export async function planCommand(
  goalArg: string | undefined,
  opts: CommonOptions & { prd?: string; maxDepth?: number; replan?: boolean },
): Promise<number> {
  const goal = await readGoal(goalArg, opts.prd);
  return withProject(opts, async (project) => {
    const runId = newRunId();
    const workspace = (await isGitRepo(project.dir)) ? await createRunWorkspace({ projectDir: project.dir, runId, worktreeDir: project.config.worktreeDir }) : undefined;
    const progress = createProgress();
    let cachedAt: string | undefined;
    const watch = (e: EngineEvent) => {
      if (e.type === 'node-finish' && e.nodeId === PLAN_NODE && e.status === 'cached') cachedAt = e.cachedAt;
    };
    let status: string;
    let reason: string | undefined;
    try {
      const summary = await project
        .engine({ observers: [progress.observer, watch], planOnly: true, ...(opts.replan ? { force: [PLAN_NODE] } : {}) })
        .start({ graph: goalGraph(goal, { id: 'plan', maxDepth: opts.maxDepth }), command: 'plan', options: { goal }, runId, ...(workspace ? { workspace } : {}) });
      status = summary.status;
      reason = summary.reason;
    } finally {
      progress.done();
      if (workspace) await removeRunWorkspace({ projectDir: project.dir, dir: workspace.dir, force: true }).catch(() => undefined);
    }
    const spend = await runSpend(project.store, runId);
    const cost = `${spend.nodes.calls} model call${spend.nodes.calls === 1 ? '' : 's'}, $${spend.nodes.costUsd.toFixed(4)}`;
    if (status !== 'succeeded') {
      const attempts = await project.store.listAttempts(runId, PLAN_NODE);
      const error = attempts.at(-1)?.error;
      if (status === 'suspended') {
        process.stderr.write(`plan run ${runId}: suspended (${reason ?? 'waiting'}); ${cost} so far\ncontinue: taskgraph resume ${runId}, raising the limit it names\n`);
        return 3;
      }
      throw new TaskgraphError(error?.code ?? 'NODE_FAILED', `${error?.message ?? reason ?? 'planning failed'}\n(run ${runId} recorded ${cost})`, {
        details: { runId, ...(error?.details ?? {}) },
        ...(error?.hint ? { hint: error.hint } : {}),
      });
    }
    if (workspace) await runGit(project.dir, ['branch', '-D', runBranchName(runId)]).catch(() => undefined);
    const run = (await project.store.getRun(runId))!;
    const plan = run.planId ? await project.store.getPlan(run.planId) : undefined;
    if (!plan) throw new TaskgraphError('INTERNAL', `plan run ${runId} succeeded but saved no plan`);
    const leaves = Array.isArray(plan.meta['leaves']) ? (plan.meta['leaves'] as string[]) : plan.tasks.filter((t) => t.atomic).map((t) => t.id);
    if (opts.json) {
      process.stdout.write(toJson({ id: plan.id, goal: plan.goal, tasks: plan.tasks } as never));
      return 0;
    }
    const how = cachedAt !== undefined ? `reused: planned at ${cachedAt} for the same goal and project state, no model call` : cost;
    process.stdout.write(`plan ${plan.id} (${plan.tasks.length} tasks, ${leaves.length} to execute; ${how})\n`);
    process.stdout.write(`${safeText(renderTree(plan.tasks))}\n\n`);
    process.stdout.write(`execute it: taskgraph run ${plan.id}   (or taskgraph do with the same goal: it reuses this plan)\n`);
    process.stdout.write(`view it:    taskgraph graph ${plan.id} --format mermaid\n`);
    if (cachedAt !== undefined) process.stdout.write(`plan again: taskgraph plan --replan ...\n`);
    return 0;
  });
}
