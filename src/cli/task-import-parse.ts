import { type Token, type Tokens, Lexer } from 'marked';
import { z } from 'zod';
import { TaskgraphError } from '../core/errors.js';
import { type Task, TaskSchema } from '../core/task.js';
import { zodIssues } from '../core/validate.js';
import { PlanTaskSchema } from '../planning/plan-schema.js';
import { checkPlanTasks } from '../planning/plan-edit.js';

/**
 * Reading task lists for `taskgraph import` (issue 13, "Batch and sessions"): a JSON document
 * (what `taskgraph export --format json` writes) or a Markdown task list (GitHub checkboxes,
 * nested items are subtasks, `[x]` is done; what `export --format md` writes). Pure: text in,
 * tasks (without a plan id) or every problem, each named by its row index and field path, out.
 */

/** One imported task before it joins a plan: {@link Task} without `planId`, `notes`, `atomic`, `depth` (derived from the tree). */
export type ImportedTask = Omit<Task, 'planId' | 'notes' | 'atomic' | 'depth'>;

/** What a task list file holds: the goal (optional) and the tasks in plan order. */
export interface ImportedList {
  goal?: string;
  tasks: ImportedTask[];
}

/** A row of the JSON form: the store's {@link TaskSchema} (plan id, shape and notes optional), with the planner's text limits. */
const RowSchema = TaskSchema.omit({ planId: true, atomic: true, depth: true, notes: true })
  .extend({ planId: z.string().optional(), atomic: z.boolean().optional(), depth: z.number().optional(), notes: z.array(z.string()).optional() })
  .strict();
const TextSchema = PlanTaskSchema.pick({ title: true, description: true, acceptance: true, files: true });
const DocumentSchema = z.union([z.array(z.unknown()), z.object({ goal: z.string().optional(), planId: z.string().optional(), tasks: z.array(z.unknown()) }).passthrough()]);

/**
 * Checks decoded JSON: an array of task rows or `{ goal?, tasks: [...] }`. Every row is validated
 * against the store's task schema and the planner's text limits (at least one acceptance
 * criterion), then the list as a whole (duplicate ids, unknown parents and dependencies, cycles).
 * @returns the tasks in the given order
 * @throws TaskgraphError PLAN_INVALID listing every problem as `tasks[3].title: ...`
 *   (`details.issues`, `details.rows`: the indexes of the bad rows)
 */
export function parseTaskJson(value: unknown): ImportedList {
  const doc = DocumentSchema.safeParse(value);
  if (!doc.success) throw refused(['(document): expected an array of tasks or an object { "goal", "tasks": [...] }'], []);
  const rows = Array.isArray(doc.data) ? doc.data : doc.data.tasks;
  const goal = Array.isArray(doc.data) ? undefined : doc.data.goal;
  const problems: string[] = [];
  const bad = new Set<number>();
  const tasks: ImportedTask[] = [];
  rows.forEach((row, i) => {
    const parsed = RowSchema.safeParse(row);
    const issues = parsed.success ? textIssues(parsed.data) : zodIssues(parsed.error);
    if (issues.length > 0) {
      bad.add(i);
      for (const issue of issues) problems.push(`tasks[${i}]${issue.path ? `.${issue.path}` : ''}: ${issue.message}`);
      return;
    }
    const { planId: _p, atomic: _a, depth: _d, notes: _n, ...task } = parsed.data!;
    tasks.push(task);
  });
  if (problems.length > 0) throw refused(problems, [...bad]);
  assertWholeList(tasks);
  return { ...(goal !== undefined ? { goal } : {}), tasks };
}

function textIssues(row: ImportedTask) {
  const parsed = TextSchema.safeParse(row);
  return parsed.success ? [] : zodIssues(parsed.error);
}

/** List-level checks (`checkPlanTasks`), each problem named by the index of its row. */
function assertWholeList(tasks: readonly ImportedTask[]): void {
  const index = new Map<string, number>();
  tasks.forEach((t, i) => { if (!index.has(t.id)) index.set(t.id, i); });
  const issues = checkPlanTasks(tasks.map((t) => ({ ...t, planId: '', notes: [], atomic: true, depth: 0 })));
  if (issues.length === 0) return;
  const rows = issues.map((issue) => index.get(issue.path)).filter((i): i is number => i !== undefined);
  throw refused(issues.map((issue) => (index.has(issue.path) ? `tasks[${index.get(issue.path)}] (${issue.path}): ${issue.message}` : `${issue.path}: ${issue.message}`)), [...new Set(rows)]);
}

function refused(problems: string[], rows: number[]): TaskgraphError {
  return new TaskgraphError('PLAN_INVALID', `the task list is invalid, nothing was imported:\n${problems.map((p) => `  - ${p}`).join('\n')}`, {
    details: { issues: problems, rows },
    hint: 'fix the named rows and import again (taskgraph export --format json shows the expected shape)',
  });
}

/** Field lines inside a Markdown item: `Acceptance: ...`, `Requires: T1, T2`, `Files: a.ts, b.ts`, `Tags: x, y`. */
const FIELDS = ['acceptance', 'requires', 'files', 'tags'] as const;

/**
 * Parses a Markdown task list with `marked`'s lexer (GFM). Each list item is a task: its first
 * line is the title (`T1: Title` names the id, else ids are `T1`, `T1.1` … by position), `[x]`
 * makes it done and `[ ]` pending, nested items are its subtasks, further paragraphs are its
 * description, except lines `Acceptance: …` (repeatable), `Requires: T1, T2`, `Files: a, b` and
 * `Tags: a, b`. A task without an acceptance line gets its title as its one criterion. A heading
 * before the list is the goal. The result is then checked like JSON ({@link parseTaskJson}).
 * @throws TaskgraphError PLAN_INVALID (no task list, or invalid tasks, by row index)
 */
export function parseTaskMarkdown(text: string): ImportedList {
  const tokens = new Lexer({ gfm: true }).lex(text);
  const heading = tokens.find((t): t is Tokens.Heading => t.type === 'heading');
  const rows: Record<string, unknown>[] = [];
  for (const token of tokens) if (token.type === 'list') readList(token as Tokens.List, undefined, rows);
  if (rows.length === 0) throw refused(['(document): no list items found; write one "- [ ] title" line per task'], []);
  return { ...parseTaskJson({ tasks: rows }), ...(heading ? { goal: heading.text } : {}) };
}

function readList(list: Tokens.List, parent: { id: string } | undefined, rows: Record<string, unknown>[]): void {
  list.items.forEach((item, n) => {
    const lines = inlineLines(item.tokens.filter((t) => t.type !== 'list' && t.type !== 'checkbox'));
    const first = (lines.shift() ?? '').trim().replace(item.task ? /^\[[ xX]\]\s*/ : /^$/, '');
    const named = /^([A-Za-z0-9][A-Za-z0-9_.-]{0,63}):\s+(.*)$/.exec(first);
    const id = named ? named[1]! : parent ? `${parent.id}.${n + 1}` : `T${n + 1}`;
    const title = named ? named[2]! : first;
    const fields: Record<(typeof FIELDS)[number], string[]> = { acceptance: [], requires: [], files: [], tags: [] };
    const description: string[] = [];
    for (const line of lines) {
      const field = FIELDS.find((f) => line.toLowerCase().startsWith(`${f}:`));
      if (field) fields[field].push(line.slice(field.length + 1).trim());
      else description.push(line);
    }
    const list = (values: string[]) => values.flatMap((v) => v.split(',')).map((v) => v.trim()).filter((v) => v !== '');
    rows.push({
      id,
      title,
      description: description.join('\n').trim(),
      acceptance: fields.acceptance.length > 0 ? fields.acceptance : [title],
      dependencies: list(fields.requires),
      files: list(fields.files),
      tags: list(fields.tags),
      status: item.checked === true ? 'done' : 'pending',
      ...(parent ? { parent: parent.id } : {}),
    });
    for (const sub of item.tokens) if (sub.type === 'list') readList(sub as Tokens.List, { id }, rows);
  });
}

/** The raw text of an item's own blocks, line by line (paragraph breaks kept as empty lines). */
function inlineLines(tokens: Token[]): string[] {
  const out: string[] = [];
  for (const t of tokens) {
    if (t.type === 'space') continue; // a blank line: every block below ends with one already
    const raw = 'text' in t && typeof t.text === 'string' ? t.text : t.raw;
    out.push(...raw.split('\n'), '');
  }
  while (out.at(-1) === '') out.pop();
  return out;
}

/**
 * Writes tasks as the Markdown {@link parseTaskMarkdown} reads back: one checkbox item per task
 * (`- [x] T1: Title`, done when `status` is done), subtasks nested two spaces deeper, then the
 * description, `Acceptance:`, `Requires:`, `Files:` and `Tags:` lines.
 * @param goal written as the `#` heading
 * @param tasks in plan order, parents before their subtasks
 */
export function tasksToMarkdown(goal: string, tasks: readonly ImportedTask[]): string {
  const out = [`# ${goal.split('\n')[0]}`, ''];
  const write = (parent: string | undefined, indent: string) => {
    for (const t of tasks.filter((x) => x.parent === parent)) {
      out.push(`${indent}- [${t.status === 'done' ? 'x' : ' '}] ${t.id}: ${t.title}`);
      const body = [
        ...(t.description ? t.description.split('\n') : []),
        ...t.acceptance.map((a) => `Acceptance: ${a.replace(/\n/g, ' ')}`),
        ...(t.dependencies.length ? [`Requires: ${t.dependencies.join(', ')}`] : []),
        ...(t.files.length ? [`Files: ${t.files.join(', ')}`] : []),
        ...(t.tags.length ? [`Tags: ${t.tags.join(', ')}`] : []),
      ];
      if (body.length) out.push('', ...body.map((l) => (l === '' ? '' : `${indent}  ${l}`)), '');
      write(t.id, `${indent}  `);
    }
  };
  write(undefined, '');
  return `${out.join('\n').trimEnd()}\n`;
}
