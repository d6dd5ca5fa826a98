import { z } from 'zod';
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

/** One task as the planner writes it (ids are local to the level). */
export const PlanTaskSchema = z
  .object({
    id: z
      .string()
      .regex(TASK_ID_PATTERN, 'an id is letters, digits, "_", "." or "-" (starting with a letter or digit), at most 64 characters')
      .describe('Short unique id of the task within this list, e.g. "T1", "T2" (or "1", "2" when decomposing a parent task)'),
    title: z.string().min(1).max(200).describe('Imperative one-line summary of the change, e.g. "Add a --json flag to the list command"'),
    description: z
      .string()
      .describe('What to change and how, in enough detail for a developer who only sees this task, its dependencies and the project files'),
    acceptance: z
      .array(z.string().min(1))
      .min(1)
      .describe('Checkable acceptance criteria; at least one, each verifiable by the project test command or by reading the code'),
    dependencies: z
      .array(z.string())
      .describe('Ids of tasks in this same list that must be finished before this one starts; empty when none'),
    atomic: z
      .boolean()
      .describe('true when the task is one small coherent code change that can be done and verified in one step; false when it must be decomposed further'),
    files: z
      .array(z.string())
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
