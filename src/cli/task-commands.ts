import { TaskgraphError } from '../core/errors.js';
import { resumeCommand, type CommonOptions } from './commands.js';
import type { BudgetFlags } from './budget-options.js';
import { openProject, type ProjectHandle } from './wiring.js';

const out = (text: string) => process.stdout.write(`${text}\n`);

async function planOf(project: ProjectHandle, plan: string | undefined): Promise<string> {
  if (plan) return plan;
  const withPlan = (await project.store.listRuns(50)).find((r) => r.planId);
  if (!withPlan?.planId) throw new TaskgraphError('NOT_FOUND', 'no plan yet', { hint: 'pass --plan PLAN_ID, or plan first with `taskgraph plan` or `taskgraph do`' });
  return withPlan.planId;
}

/** `taskgraph note TASK TEXT`: appends a note to a task (default plan: the newest run's). */
export async function noteCommand(taskId: string, text: string, opts: CommonOptions & { plan?: string; by?: string }): Promise<number> {
  const project = await openProject(opts.project);
  try {
    const planId = await planOf(project, opts.plan);
    const task = await project.store.appendTaskNote(planId, taskId, `Note from ${opts.by ?? process.env['USER'] ?? 'a person'}: ${text}`);
    if (opts.json) out(JSON.stringify(task, null, 2));
    else out(`${planId} ${taskId}: ${task.notes.length} note(s); a run holding this task continues on \`taskgraph resume RUN\``);
    return 0;
  } finally {
    await project.close();
  }
}

/** `taskgraph notes TASK`: prints a task's notes. */
export async function notesCommand(taskId: string, opts: CommonOptions & { plan?: string }): Promise<number> {
  const project = await openProject(opts.project);
  try {
    const planId = await planOf(project, opts.plan);
    const task = await project.store.getTask(planId, taskId);
    if (!task) throw new TaskgraphError('NOT_FOUND', `no task "${taskId}" in plan ${planId}`);
    if (opts.json) out(JSON.stringify(task.notes, null, 2));
    else task.notes.forEach((n, i) => out(`--- note ${i + 1}\n${n}`));
    return 0;
  } finally {
    await project.close();
  }
}

/**
 * `taskgraph answer RUN TASK TEXT`: answers a task held for a person (loop detected): the answer
 * becomes a note on the task, then the run resumes and the task runs again with it.
 */
export async function answerCommand(runId: string, taskId: string, text: string, opts: CommonOptions & BudgetFlags & { by?: string }): Promise<number> {
  const project = await openProject(opts.project);
  try {
    const run = await project.store.getRun(runId);
    if (!run) throw new TaskgraphError('NOT_FOUND', `no run "${runId}"`, { hint: 'list runs with `taskgraph runs`' });
    const held = (await project.store.listRunTasks(runId)).filter((t) => t.status === 'needs-human');
    if (!run.planId || !held.some((t) => t.taskId === taskId)) {
      throw new TaskgraphError('RUN_STATE', `task ${taskId} of run ${runId} is not waiting for an answer`, {
        hint: held.length > 0 ? `waiting: ${held.map((t) => t.taskId).join(', ')}` : 'no task of this run is waiting for a person',
      });
    }
    await project.store.appendTaskNote(run.planId, taskId, `Answer from ${opts.by ?? process.env['USER'] ?? 'a person'}: ${text}`);
  } finally {
    await project.close();
  }
  return resumeCommand(runId, opts);
}
