import type { Budget } from '../core/config.js';
import { TaskgraphError } from '../core/errors.js';
import type { RunRecord } from '../store/store.js';
import { openRunWorkspace } from '../workspace/git-workspace.js';
import type { Workspace } from '../workspace/workspace.js';
import type { BudgetFlags } from './budget-options.js';
import { createProgress } from './progress.js';
import { budgetOf, type CommonOptions, finishRun } from './run-common.js';
import { type ProjectHandle, withProject } from './wiring.js';

async function workspaceOf(project: ProjectHandle, run: RunRecord): Promise<Workspace | undefined> {
  return run.worktree ? openRunWorkspace({ projectDir: project.dir, runId: run.id }) : undefined;
}

/** `taskgraph resume RUN`. */
export async function resumeCommand(runId: string, opts: CommonOptions & BudgetFlags & { concurrency?: number }): Promise<number> {
  return withProject(opts, async (project) => {
    const run = await project.store.getRun(runId);
    if (!run) throw new TaskgraphError('NOT_FOUND', `no run "${runId}"`, { hint: 'list runs with `taskgraph runs`' });
    const progress = createProgress();
    try {
      const summary = await project
        .engine({
          observers: [progress.observer],
          ...(opts.concurrency ? { concurrency: opts.concurrency } : {}),
          ...budgetOf(opts, project, (run.options['budget'] as Budget | undefined) ?? project.config.policy.budget),
          ...(run.command === 'plan' ? { planOnly: true } : {}), // a `taskgraph plan` run only plans, in every session
        })
        .resume(runId, await workspaceOf(project, run));
      progress.done();
      return await finishRun(project, summary, opts);
    } finally {
      progress.done();
    }
  });
}

/** `taskgraph approve|reject RUN NODE`: records the decision, then resumes the run. */
export async function decideCommand(
  decision: 'approved' | 'rejected',
  runId: string,
  nodeId: string,
  opts: CommonOptions & { comment?: string; by?: string; resume?: boolean },
): Promise<number> {
  const code = await withProject(opts, async (project) => {
    const run = await project.store.getRun(runId);
    if (!run) throw new TaskgraphError('NOT_FOUND', `no run "${runId}"`, { hint: 'list runs with `taskgraph runs`' });
    const nodes = await project.store.listRunNodes(runId);
    const node = nodes.find((n) => n.nodeId === nodeId);
    if (!node) throw new TaskgraphError('NOT_FOUND', `run ${runId} has no node "${nodeId}"`);
    const waiting = nodes.filter((n) => n.status === 'suspended').map((n) => n.nodeId);
    if (node.status !== 'suspended') {
      throw new TaskgraphError('RUN_STATE', `node ${nodeId} is ${node.status}, not waiting for a decision`, {
        hint: waiting.length > 0 ? `waiting: ${waiting.join(', ')}` : 'no node of this run is waiting',
      });
    }
    await project.store.putDecision({
      runId,
      nodeId,
      decision,
      by: opts.by ?? process.env['USER'] ?? 'unknown',
      at: new Date().toISOString(),
      ...(opts.comment ? { comment: opts.comment } : {}),
    });
    if (!opts.json) process.stdout.write(`${decision} ${runId} ${nodeId}\n`);
    return -1;
  });
  if (code !== -1 || opts.resume === false) return 0;
  return resumeCommand(runId, opts);
}
