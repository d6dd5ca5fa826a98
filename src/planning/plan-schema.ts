import { z } from 'zod';
import { TaskgraphError } from '../core/errors.js';
import { TASK_ID_PATTERN } from '../core/task.js';
import { type GraphIssue, zodIssues } from '../core/validate.js';

/**
 * The planner's structured output (DESIGN.md §2 step 2): one level of the task tree. The schema
 * is sent to the model (AI SDK `Output.object`, converted to JSON Schema with `io: 'input'`), so
 * every field carries a `.describe()` text and every property is required: OpenAI's strict
 * structured outputs reject a schema whose `required` list leaves any property out, so `files`
 * is a required (possibly empty) array rather than an optional one.
 */

/** Most tasks the planner may return for one level (goal or one parent task). */
export const MAX_TASKS_PER_LEVEL = 30;

/**
 * Longest task texts, in characters (UTF-16 code units). A title is a commit subject; a
 * description becomes the commit body and part of every prompt of the task, so 20,000 characters
 * (about 5,000 tokens) leaves room for the rest of a context bundle; a task that needs more is
 * not a small task. A 300 KB description once made a task uncommittable (issue 8 item 15).
 */
export const TASK_TEXT_LIMITS = { title: 200, description: 20_000, acceptance: 20_000, file: 1_000 } as const;

/** Control characters other than newline and tab: C0 (NUL, CR, ESC, ...), DEL and C1. */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;
/** Every control character, newline and tab included (one-line texts). */
// eslint-disable-next-line no-control-regex
const ANY_CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

const controlMessage = (text: string, pattern: RegExp, allowed: string): string => {
  const found = pattern.exec(text)?.[0] ?? '\u0000';
  return `contains the control character U+${found.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}; ${allowed}`;
};

/**
 * A task text field: at most `max` characters, no control character but newline and tab (none at
 * all when `oneLine`). Both checks are refinements, so the JSON Schema sent to the model stays as
 * it was (only the title's `maxLength`, as before: strict structured outputs and local servers'
 * grammars reject some keywords, and recorded cassettes key on the schema); an answer that breaks
 * them is repaired like any other schema problem.
 * @param base the string schema with what the model is told (`min`, the title's `max`)
 */
function taskText(base: z.ZodString, max: number, oneLine = false) {
  const pattern = oneLine ? ANY_CONTROL : CONTROL;
  const allowed = oneLine ? 'write plain text on one line' : 'only newlines and tabs are allowed';
  return base
    .refine((text) => text.length <= max, {
      error: (issue) =>
        `is too long: ${String(issue.input).length.toLocaleString('en-US')} characters, at most ${max.toLocaleString('en-US')} are allowed; describe the change, do not paste file contents`,
    })
    .refine((text) => !pattern.test(text), { error: (issue) => controlMessage(String(issue.input), pattern, allowed) });
}

/** One task as the planner writes it (ids are local to the level). */
export const PlanTaskSchema = z
  .object({
    id: z
      .string()
      .regex(TASK_ID_PATTERN, 'an id is letters, digits, "_", "." or "-" (starting with a letter or digit), at most 64 characters')
      .describe('Short unique id of the task within this list, e.g. "T1", "T2" (or "1", "2" when decomposing a parent task)'),
    title: taskText(z.string().min(1).max(TASK_TEXT_LIMITS.title), TASK_TEXT_LIMITS.title, true).describe('Imperative one-line summary of the change, e.g. "Add a --json flag to the list command"'),
    description: taskText(z.string(), TASK_TEXT_LIMITS.description).describe('What to change and how, in enough detail for a developer who only sees this task, its dependencies and the project files'),
    acceptance: z
      .array(taskText(z.string().min(1), TASK_TEXT_LIMITS.acceptance))
      .min(1)
      .describe('Checkable acceptance criteria; at least one, each verifiable by the project test command or by reading the code'),
    dependencies: z
      .array(z.string())
      .describe('Ids of tasks in this same list that must be finished before this one starts; empty when none'),
    atomic: z
      .boolean()
      .describe('true when the task is one small coherent code change that can be done and verified in one step; false when it must be decomposed further'),
    files: z
      .array(taskText(z.string(), TASK_TEXT_LIMITS.file, true))
      .describe('Repository-relative paths (or globs) the task will create or modify; empty when unknown'),
  })
  .describe('One task of the plan');

/** One planner answer: the task list of one level. */
export const PlanOutputSchema = z
  .object({
    tasks: z
      .array(PlanTaskSchema)
      .min(1)
      .max(MAX_TASKS_PER_LEVEL)
      .describe(`The tasks, in the order they should be done (1 to ${MAX_TASKS_PER_LEVEL})`),
  })
  .describe('A plan: the list of tasks for the goal or the parent task');

/** The text fields of a task with their limits, as every path that saves tasks checks them. */
const TaskTextSchema = PlanTaskSchema.pick({ title: true, description: true, acceptance: true, files: true });

/**
 * Checks the text of tasks about to be saved (a plan, or subtasks joining one) against the same
 * limits as a planner answer ({@link TASK_TEXT_LIMITS}, no control characters but newline and
 * tab), for tasks that did not come through {@link parsePlanValue} just now (e.g. a cached
 * `decompose` output written by an older version).
 * @param tasks the tasks, with their ids
 * @throws TaskgraphError PLAN_INVALID listing every problem as `TASK.field: message`
 */
export function assertTaskText(tasks: ReadonlyArray<{ id: string; title: string; description: string; acceptance: readonly string[]; files: readonly string[] }>): void {
  const problems: string[] = [];
  for (const task of tasks) {
    const parsed = TaskTextSchema.safeParse(task);
    if (!parsed.success) for (const issue of zodIssues(parsed.error)) problems.push(`${task.id}.${issue.path}: ${issue.message}`);
  }
  if (problems.length > 0) {
    throw new TaskgraphError('PLAN_INVALID', `the plan's task text is not usable:\n${problems.map((p) => `  ${p}`).join('\n')}`, {
      details: { problems },
      hint: 'plan the goal again (the planner is asked for plain text within the limits)',
    });
  }
}

/** {@link PlanTaskSchema} as a type. */
export type PlanTask = z.infer<typeof PlanTaskSchema>;
/** {@link PlanOutputSchema} as a type. */
export type PlanOutput = z.infer<typeof PlanOutputSchema>;

/** One problem with a planner answer: a path into the answer (`tasks[2].dependencies[0]`) and what is wrong. */
export type PlanIssue = GraphIssue;

/** Result of {@link parsePlanText} / {@link parsePlanValue}: the plan, or the problems found. */
export type PlanParseResult = { ok: true; plan: PlanOutput } | { ok: false; issues: PlanIssue[] };

/**
 * Checks an already-decoded JSON value against {@link PlanOutputSchema}.
 * @param value the object a model client returned (or any value)
 * @returns the parsed plan, or schema problems as `path: message` issues
 */
export function parsePlanValue(value: unknown): PlanParseResult {
  const parsed = PlanOutputSchema.safeParse(value);
  return parsed.success ? { ok: true, plan: parsed.data } : { ok: false, issues: zodIssues(parsed.error) };
}

/**
 * Decodes a model's raw answer text and checks it against {@link PlanOutputSchema}. Models that
 * ignore the structured-output request often wrap the JSON in a Markdown code fence or add a
 * sentence around it, so the text is tried as is, then the content of the first ```/```json
 * fence, then the span from the first `{` to the last `}`; `JSON.parse` does the decoding.
 * @param text raw model output
 * @returns the parsed plan, or issues (`(root): not valid JSON ...` when no candidate decodes)
 */
export function parsePlanText(text: string): PlanParseResult {
  const candidates: string[] = [text.trim()];
  const fence = /```[A-Za-z0-9_-]*\s*\n([\s\S]*?)```/.exec(text);
  if (fence?.[1] !== undefined) candidates.push(fence[1].trim());
  const first = text.indexOf('{');
  const last = text.lastIndexOf('}');
  if (first >= 0 && last > first) candidates.push(text.slice(first, last + 1));
  let parseError = '';
  for (const candidate of candidates) {
    if (candidate === '') continue;
    try {
      return parsePlanValue(JSON.parse(candidate) as unknown);
    } catch (error) {
      parseError = error instanceof Error ? error.message : String(error);
    }
  }
  const message = text.trim() === '' ? 'the answer is empty; expected a JSON object {"tasks": [...]}' : `not valid JSON (${parseError}); expected a JSON object {"tasks": [...]}`;
  return { ok: false, issues: [{ path: '(root)', message }] };
}
