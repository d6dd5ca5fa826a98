import { TaskgraphError } from '../core/errors.js';
import type { CommonOptions } from './commands.js';
import { leaseRun, resumeLeased } from './resume-command.js';
import type { BudgetFlags } from './budget-options.js';
import { choosePlan } from './plan-choice.js';
import { withProject } from './wiring.js';
import { safeJson, safeText } from './safe-text.js';

/** Prints a line of output; text from a model or a repository is made terminal-safe here. */
const out = (text: string) => process.stdout.write(`${safeText(text)}\n`);

/** `taskgraph note TASK TEXT`: appends a note to a task (default plan: the newest run's). */
export async function noteCommand(taskId: string, text: string, opts: CommonOptions & { plan?: string; by?: string }): Promise<number> {
  return withProject(opts, async (project) => {
    const planId = await choosePlan(project.store, opts.plan);
    const task = await project.store.appendTaskNote(planId, taskId, `Note from ${opts.by ?? process.env['USER'] ?? 'a person'}: ${text}`);
    if (opts.json) out(safeJson(task));
    else out(`${planId} ${taskId}: ${task.notes.length} note(s); a run holding this task continues on \`taskgraph resume RUN\``);
    return 0;
  });
}

/** `taskgraph notes TASK`: prints a task's notes. */
export async function notesCommand(taskId: string, opts: CommonOptions & { plan?: string }): Promise<number> {
  return withProject(opts, async (project) => {
    const planId = await choosePlan(project.store, opts.plan);
    const task = await project.store.getTask(planId, taskId);
    if (!task) throw new TaskgraphError('NOT_FOUND', `no task "${taskId}" in plan ${planId}`);
    if (opts.json) out(safeJson(task.notes));
    else task.notes.forEach((n, i) => out(`--- note ${i + 1}\n${n}`));
    return 0;
  });
}

/**
 * `taskgraph answer RUN TASK TEXT`: answers a task held for a person (loop detected): takes the
 * run's lease (RUN_LOCKED while another process works on it), writes the answer as a note on the
 * task, then resumes the run under that lease, so the task runs again with it.
 */
export async function answerCommand(runId: string, taskId: string, text: string, opts: CommonOptions & BudgetFlags & { by?: string }): Promise<number> {
  return withProject(opts, async (project) => {
    const lease = await leaseRun(project, runId);
    let resuming = false;
    try {
      const { run } = lease;
      const held = (await project.store.listRunTasks(runId)).filter((t) => t.status === 'needs-human');
      if (!run.planId || !held.some((t) => t.taskId === taskId)) {
        throw new TaskgraphError('RUN_STATE', `task ${taskId} of run ${runId} is not waiting for an answer`, {
          hint: held.length > 0 ? `waiting: ${held.map((t) => t.taskId).join(', ')}` : 'no task of this run is waiting for a person',
        });
      }
      await project.store.appendTaskNote(run.planId, taskId, `Answer from ${opts.by ?? process.env['USER'] ?? 'a person'}: ${text}`);
      resuming = true;
      return await resumeLeased(project, lease, opts, 'answer');
    } finally {
      if (!resuming) await lease.holder.release();
    }
  });
}
