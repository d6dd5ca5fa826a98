import { TaskgraphError } from '../core/errors.js';
import type { Json } from '../core/json.js';
import { decideNode } from './decide-node.js';
import type { CommonOptions } from './commands.js';
import { leaseRun, resumeLeased } from './resume-command.js';
import type { BudgetFlags } from './budget-options.js';
import { choosePlan } from './plan-choice.js';
import { type ProjectHandle, withProject } from './wiring.js';
import type { RunRecord } from '../store/store.js';
import { addPersonNote } from './task-edit-commands.js';
import { safeJson, safeText } from './safe-text.js';

/** Prints a line of output; text from a model or a repository is made terminal-safe here. */
const out = (text: string) => process.stdout.write(`${safeText(text)}\n`);

/** `taskgraph note TASK TEXT`: appends a note to a task (default plan: the newest run's). */
export async function noteCommand(taskId: string, text: string, opts: CommonOptions & { plan?: string; by?: string }): Promise<number> {
  return withProject(opts, async (project) => {
    const planId = await choosePlan(project.store, opts.plan);
    const task = await addPersonNote(project.store, planId, taskId, text, opts.by ?? process.env['USER'] ?? 'a person');
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
 * `taskgraph answer RUN ID [TEXT]`. When ID is a `human` node of the run, TEXT (or the JSON
 * value of `--json VALUE`) answers it: checked against its choices or schema, recorded with its
 * audit entry, then the run resumes or the live run picks it up (`decide-node.ts`). Otherwise ID
 * is a task held for a person (loop detected): takes the run's lease (RUN_LOCKED while another
 * process works on it), writes the answer as a note on the task, then resumes the run under that
 * lease, so the task runs again with it.
 * @param opts `json`: true for machine-readable output; a string is the answer as JSON (output is JSON then too)
 * @throws TaskgraphError CONFIG_INVALID (no answer, or `--json` not JSON), and see {@link decideNode}
 */
export async function answerCommand(
  runId: string,
  taskId: string,
  text: string | undefined,
  options: Omit<CommonOptions, 'json'> & BudgetFlags & { by?: string; json?: boolean | string },
): Promise<number> {
  const { json, ...rest } = options;
  const opts: CommonOptions & BudgetFlags & { by?: string } = { ...rest, json: json !== undefined && json !== false };
  const by = opts.by ?? process.env['USER'];
  return withProject(opts, async (project) => {
    if ((await project.store.getRun(runId))?.graph.nodes.some((n) => n.id === taskId && n.kind === 'human')) {
      return decideNode(project, runId, taskId, { decision: 'answered', by: by ?? 'unknown', answer: answerValue(text, json) }, opts, 'answer');
    }
    if (text === undefined) throw new TaskgraphError('CONFIG_INVALID', 'give the answer: taskgraph answer RUN TASK "text"');
    const lease = await leaseRun(project, runId);
    let resuming = false;
    try {
      await answerHeldTask(project, lease.run, taskId, text, by ?? 'a person');
      resuming = true;
      return await resumeLeased(project, lease, opts, 'answer');
    } finally {
      if (!resuming) await lease.holder.release();
    }
  });
}

/**
 * Writes a person's answer to a task held for them (same failure twice) as a note on the task,
 * with its `answered` audit entry (one transaction). The caller holds the run's lease and
 * resumes the run afterwards, so the task runs again with the note: `taskgraph answer` and
 * `POST /answers`.
 * @throws TaskgraphError RUN_STATE when the task is not waiting for an answer (nothing written)
 */
export async function answerHeldTask(project: ProjectHandle, run: RunRecord, taskId: string, text: string, who: string): Promise<void> {
  const held = (await project.store.listRunTasks(run.id)).filter((t) => t.status === 'needs-human');
  if (!run.planId || !held.some((t) => t.taskId === taskId)) {
    throw new TaskgraphError('RUN_STATE', `task ${taskId} of run ${run.id} is not waiting for an answer`, {
      hint: held.length > 0 ? `waiting: ${held.map((t) => t.taskId).join(', ')}` : 'no task of this run is waiting for a person',
    });
  }
  await project.store.appendTaskNoteAudited(run.planId, taskId, `Answer from ${who}: ${text}`, {
    runId: run.id,
    at: Date.now(),
    who,
    kind: 'answered',
    subject: taskId,
    reason: `answered: ${text.slice(0, 200)}`,
    details: { task: taskId, plan: run.planId, answer: text },
  });
}

/** The answer given: `--json VALUE` parsed, else the text. */
function answerValue(text: string | undefined, json: boolean | string | undefined): Json {
  if (typeof json === 'string') {
    if (text !== undefined) throw new TaskgraphError('CONFIG_INVALID', 'give the answer as text or as --json VALUE, not both');
    try {
      return JSON.parse(json) as Json;
    } catch (error) {
      throw new TaskgraphError('CONFIG_INVALID', `--json is not JSON: ${(error as Error).message}`);
    }
  }
  if (text === undefined) throw new TaskgraphError('CONFIG_INVALID', 'give the answer: taskgraph answer RUN NODE "text" (or --json VALUE)');
  return text;
}
