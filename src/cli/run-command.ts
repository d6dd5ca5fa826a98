import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { TaskgraphError } from '../core/errors.js';
import type { GraphSpecInput } from '../core/graph.js';
import { newRunId } from '../engine/engine.js';
import { planGraph } from '../planning/plan-graph.js';
import { gatedPlanGraph } from './gated-plan-graph.js';
import { createRunWorkspace } from '../workspace/git-workspace.js';
import type { Workspace } from '../workspace/workspace.js';
import type { BudgetFlags } from './budget-options.js';
import { warnIfConfigUncommitted } from './config-tracked.js';
import { createProgress } from './progress.js';
import { baselineModeOf } from './baseline-outcome.js';
import { budgetOf, type CommonOptions, endSession, isGitRepo, loadGraphFile, settleCachedRerun } from './run-common.js';
import { withProject } from './wiring.js';

/**
 * `taskgraph run TARGET`: a graph file or a saved plan id. A plan's graph starts with the root
 * nodes `setup` and `baseline` (`planGraph`), which every task waits for (`--baseline`, default
 * `policy.baseline`); under `--approve-plan` or `policy.approvePlan` a plan's tasks wait for the
 * plan's approval (`gated-plan-graph.ts`); a graph file runs as written. A run of a plan in which nothing ran, whose
 * result an earlier run's branch holds, keeps no branch or worktree of its own
 * (`cached-rerun.ts`). In a worktree, an uncommitted taskgraph.yaml is one warning line.
 */
export async function runCommand(
  target: string,
  opts: CommonOptions & BudgetFlags & { concurrency?: number; taskConcurrency?: number; force?: string[]; worktree?: boolean; dryRun?: boolean; baseline?: string; approvePlan?: boolean },
): Promise<number> {
  return withProject(opts, async (project) => {
    if (opts.approvePlan) project.config.policy.approvePlan = true;
    let graph: GraphSpecInput;
    let planId: string | undefined;
    const baseline = baselineModeOf(opts.baseline, project);
    const worktree = opts.worktree !== false && (await isGitRepo(project.dir));
    if (worktree) await warnIfConfigUncommitted(project.dir);
    const file = resolve(target);
    if (existsSync(file)) graph = await loadGraphFile(file);
    else {
      const plan = await project.store.getPlan(target);
      if (!plan) {
        throw new TaskgraphError('NOT_FOUND', `"${target}" is neither a graph file nor a plan id`, { hint: 'a plan id looks like p-1a2b3c4d5e (printed by `taskgraph plan`); a graph file must exist' });
      }
      planId = plan.id;
      // plan review (issue 11): the tasks wait for the plan's approval, as under `do`
      graph = project.config.policy.approvePlan ? gatedPlanGraph(plan.id, plan.goal, { config: project.config, baseline, worktree }) : planGraph(plan, { config: project.config, baseline, worktree });
    }
    if (opts.dryRun) {
      const { forecastTarget, printForecast } = await import('./forecast-commands.js');
      const label = planId ? `a new run of plan ${planId}` : `a new run of ${target}`;
      const forecast = await forecastTarget(project, { graph, ...(planId ? { planId } : {}), label, worktree: opts.worktree !== false, ...(opts.taskConcurrency ? { taskConcurrency: opts.taskConcurrency } : {}) }, opts.force ?? []);
      return printForecast(forecast, opts.json);
    }
    const runId = newRunId();
    let workspace: Workspace | undefined;
    if (worktree) workspace = await createRunWorkspace({ projectDir: project.dir, runId, worktreeDir: project.config.worktreeDir });
    const progress = createProgress();
    try {
      const summary = await project
        .engine({ observers: [progress.observer], ...(opts.concurrency ? { concurrency: opts.concurrency } : {}), ...(opts.taskConcurrency ? { taskConcurrency: opts.taskConcurrency } : {}), ...(opts.force ? { force: opts.force } : {}), ...budgetOf(opts, project) })
        .start({ graph, command: 'run', options: { target, ...(planId ? { baseline } : {}) }, runId, ...(planId ? { planId } : {}), ...(workspace ? { workspace } : {}) });
      progress.done();
      await settleCachedRerun(project, summary);
      return await endSession(project, summary, opts);
    } finally {
      progress.done();
    }
  });
}
