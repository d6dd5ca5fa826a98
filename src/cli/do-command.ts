import type { GraphSpecInput } from '../core/graph.js';
import { TaskgraphError } from '../core/errors.js';
import { newRunId } from '../engine/engine.js';
import { createRunWorkspace } from '../workspace/git-workspace.js';
import type { BudgetFlags } from './budget-options.js';
import { createProgress } from './progress.js';
import { budgetOf, type CommonOptions, finishRun, isGitRepo, readGoal } from './run-common.js';
import { withProject } from './wiring.js';

/** `taskgraph do GOAL`: plan (decompose node) and carry out every task on a new branch. */
export async function doCommand(goalArg: string | undefined, opts: CommonOptions & BudgetFlags & { prd?: string; maxDepth?: number; concurrency?: number }): Promise<number> {
  const goal = await readGoal(goalArg, opts.prd);
  return withProject(opts, async (project) => {
    if (!(await isGitRepo(project.dir))) {
      throw new TaskgraphError('GIT_ERROR', `${project.dir} is not a git repository with a commit`, {
        hint: 'run `git init && git add -A && git commit -m init` first: taskgraph works on a branch and never touches your checkout',
      });
    }
    const runId = newRunId();
    const workspace = await createRunWorkspace({ projectDir: project.dir, runId });
    const progress = createProgress();
    const graph: GraphSpecInput = {
      id: 'do',
      title: goal.split('\n')[0]!.slice(0, 120),
      nodes: [{ id: 'plan', kind: 'decompose', config: { goal, ...(opts.maxDepth !== undefined ? { maxDepth: opts.maxDepth } : {}) } }],
    };
    try {
      const summary = await project
        .engine({ observers: [progress.observer], ...(opts.concurrency ? { concurrency: opts.concurrency } : {}), ...budgetOf(opts, project) })
        .start({ graph, command: 'do', options: { goal }, runId, workspace });
      progress.done();
      return await finishRun(project, summary, opts);
    } finally {
      progress.done();
    }
  });
}
