import { TaskgraphError } from '../core/errors.js';
import { renderTree } from '../planning/render.js';
import { initProject } from '../project/init.js';
import { buildRunReport, writeRunReport } from '../report/report.js';
import type { CommonOptions } from './commands.js';
import { withProject } from './wiring.js';
import { safeJson, safeText } from './safe-text.js';

/** Prints a line of output; text from a model or a repository is made terminal-safe here. */
const out = (text: string) => process.stdout.write(`${safeText(text)}\n`);

/** `taskgraph runs`: newest first. */
export async function runsCommand(opts: CommonOptions & { limit?: number }): Promise<number> {
  return withProject(opts, async (project) => {
    const runs = await project.store.listRuns(opts.limit ?? 20);
    if (opts.json) {
      out(safeJson(runs.map(({ graph: _g, ...r }) => r)));
      return 0;
    }
    if (runs.length === 0) out('no runs yet: try `taskgraph do "<goal>"`');
    for (const r of runs) out(`${r.id}  ${r.status.padEnd(9)}  ${r.command.padEnd(4)}  ${r.createdAt}  ${r.branch ?? ''}${r.reason ? `  (${r.reason})` : ''}`);
    return 0;
  });
}

/** `taskgraph status [RUN]`: a run's tasks and nodes (default: the newest run). */
export async function statusCommand(runArg: string | undefined, opts: CommonOptions): Promise<number> {
  return withProject(opts, async (project) => {
    const run = runArg ? await project.store.getRun(runArg) : (await project.store.listRuns(1))[0];
    if (!run) throw new TaskgraphError('NOT_FOUND', runArg ? `no run "${runArg}"` : 'no runs yet', { hint: 'list runs with `taskgraph runs`' });
    const nodes = await project.store.listRunNodes(run.id);
    const tasks = await project.store.listRunTasks(run.id);
    const plan = run.planId ? await project.store.getPlan(run.planId) : undefined;
    const attempts = await project.store.listAttempts(run.id);
    if (opts.json) {
      const { graph: _g, ...rest } = run;
      out(safeJson({ run: rest, tasks, nodes, plan: plan ? { id: plan.id, goal: plan.goal, tasks: plan.tasks } : null }));
      return 0;
    }
    out(`run ${run.id}: ${run.status}${run.reason ? ` (${run.reason})` : ''}`);
    if (run.branch) out(`branch ${run.branch}, worktree ${run.worktree ?? '-'}`);
    if (plan) {
      const statuses = new Map(tasks.map((t) => [t.taskId, `${t.status}${t.attempt > 1 ? ` x${t.attempt}` : ''}`]));
      out(`\nplan ${plan.id}: ${plan.goal.split('\n')[0]}`);
      out(renderTree(plan.tasks, { statuses }));
    }
    out('\nnodes:');
    for (const n of nodes) {
      const mine = attempts.filter((a) => a.nodeId === n.nodeId);
      const last = mine[mine.length - 1];
      const tokens = mine.reduce((s, a) => s + a.usage.inputTokens + a.usage.outputTokens, 0);
      const why = last?.error ? `  ${last.error.message.split('\n')[0]}` : last?.suspendReason ? `  ${last.suspendReason}` : '';
      out(`  ${n.status.padEnd(9)} ${n.nodeId}  attempts ${n.attempts}${tokens ? `, ${tokens} tokens` : ''}${why}`);
    }
    return 0;
  });
}

/** `taskgraph report RUN`: write (and print) the Markdown report. */
export async function reportCommand(runId: string, opts: CommonOptions & { print?: boolean }): Promise<number> {
  return withProject(opts, async (project) => {
    if (opts.print) out(await buildRunReport(project.store, runId));
    else out(await writeRunReport(project.store, runId, project.dir));
    return 0;
  });
}

/** `taskgraph init`. */
export async function initCommand(opts: { project: string; force?: boolean; json?: boolean }): Promise<number> {
  const result = await initProject(opts.project, { ...(opts.force ? { force: true } : {}) });
  if (opts.json) out(safeJson({ path: result.path, created: result.created, config: result.config }));
  else {
    out(`wrote ${result.path}`);
    out(`language: ${result.config.language || 'unknown'}; test command: ${result.config.commands.test ?? '(none found: set commands.test)'}`);
    out('next: edit the model profiles, then `taskgraph do "<goal>"`');
  }
  return 0;
}
