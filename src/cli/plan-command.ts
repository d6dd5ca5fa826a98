import { planIdFor } from '../planning/plan-graph.js';
import { assertTaskText } from '../planning/plan-schema.js';
import { planGoal } from '../planning/planner.js';
import { renderTree, toJson } from '../planning/render.js';
import { collectProjectContext } from '../project/project-context.js';
import { runGit } from '../workspace/git-run.js';
import { type CommonOptions, isGitRepo, readGoal } from './run-common.js';
import { withProject } from './wiring.js';

/** `taskgraph plan GOAL`: plan only, save it, print the tree. */
export async function planCommand(goalArg: string | undefined, opts: CommonOptions & { prd?: string; maxDepth?: number }): Promise<number> {
  const goal = await readGoal(goalArg, opts.prd);
  return withProject(opts, async (project) => {
    const files = (await isGitRepo(project.dir)) ? (await runGit(project.dir, ['ls-files'])).stdout.split('\n').filter(Boolean) : [];
    const result = await planGoal({
      goal,
      project: await collectProjectContext(project.dir, project.config, files),
      client: project.models,
      profile: project.config.roles.planner,
      maxDepth: opts.maxDepth ?? project.config.policy.maxDepth,
      maxRepairs: project.config.policy.maxRepairs,
      planId: 'pending',
    });
    const planId = planIdFor(goal, result.tasks);
    const tasks = result.tasks.map((t) => ({ ...t, planId }));
    assertTaskText(tasks);
    if (!(await project.store.getPlan(planId))) {
      await project.store.savePlan({ id: planId, goal, createdAt: new Date().toISOString(), tasks, meta: { leaves: result.leaves, usage: { ...result.usage }, calls: result.calls, repairs: result.repairs } });
    }
    if (opts.json) process.stdout.write(`${toJson({ id: planId, goal, tasks } as never)}\n`);
    else {
      process.stdout.write(`plan ${planId} (${tasks.length} tasks, ${result.leaves.length} to execute; ${result.calls} model calls, ${result.repairs} repairs, $${result.usage.costUsd.toFixed(4)})\n`);
      process.stdout.write(`${renderTree(tasks)}\n\nexecute it: taskgraph run ${planId}\nview it:    taskgraph graph ${planId} --format mermaid\n`);
    }
    return 0;
  });
}
