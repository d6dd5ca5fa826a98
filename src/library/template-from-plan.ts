import { posix } from 'node:path';
import type { Json, JsonObject } from '../core/json.js';
import type { PlanRecord, Task } from '../core/task.js';
import { executedLeaves } from '../planning/plan-graph.js';
import type { TemplateDocumentInput } from './template-schema.js';

/**
 * `taskgraph template save PLAN --name N` (issue 14): a stored plan as a template document. The
 * goal becomes the parameter `goal`, and every file path the tasks name (their `files`, and
 * path-like words in their text) becomes a `file_<stem>` parameter whose default is the path; the
 * task text refers to them as placeholders. Each executed leaf task becomes the chain
 * `T/edit` (an `llm` edit from the library prompt `saved-plan.edit@1`) → `T/apply` → `T/verify` →
 * `T/commit`, and a task's dependencies become ordering edges between the chains.
 */

/** The library prompt a saved plan's edit nodes use. */
export const SAVED_PLAN_PROMPT = 'saved-plan.edit@1';

/** A path-like word: has a `/` or ends in a short extension, no spaces (`src/a.ts`, `README.md`). */
const PATH_WORD = /(?<![\w@{])(?:[A-Za-z0-9_.-]+\/)*[A-Za-z0-9_-][A-Za-z0-9_.-]*\.[A-Za-z][A-Za-z0-9]{0,5}(?![\w/])/g;

/** Text that may not read as a placeholder: `{{` is broken up. */
const literal = (text: string): string => text.replace(/\{\{/g, '{ {').replace(/\}\}/g, '} }');

/** Parameter name for a path: `file_` + its stem in snake case, made unique with a number. */
function paramName(path: string, taken: Set<string>): string {
  const stem = posix.basename(path).replace(/\.[^.]*$/, '').replace(/[^A-Za-z0-9]+/g, '_').replace(/^_+|_+$/g, '').toLowerCase() || 'path';
  let name = `file_${stem}`.slice(0, 60);
  for (let i = 2; taken.has(name); i++) name = `file_${stem}_${i}`.slice(0, 60);
  taken.add(name);
  return name;
}

/** The file paths of a plan's tasks, first-seen order: `files` entries and path-like words of the text. */
export function planPaths(tasks: readonly Task[]): string[] {
  const paths: string[] = [];
  const add = (p: string) => {
    if (!paths.includes(p) && !/^\d+(\.\d+)+$/.test(p) && !/^[a-z]+\.[a-z]+\.[a-z]+$/i.test(p)) paths.push(p);
  };
  for (const t of tasks) {
    for (const f of t.files) if (!/[*?[\]{}]/.test(f)) add(f);
    for (const text of [t.title, t.description, ...t.acceptance]) for (const m of text.matchAll(PATH_WORD)) add(m[0]);
  }
  return paths;
}

/**
 * Converts a plan.
 * @param name the template name (`[a-z0-9][a-z0-9._-]*`)
 * @param version the version to write
 */
export function templateFromPlan(plan: PlanRecord, name: string, version: number, description?: string): TemplateDocumentInput {
  const leavesMeta = Array.isArray(plan.meta['leaves']) ? (plan.meta['leaves'] as string[]) : plan.tasks.filter((t) => t.atomic && !plan.tasks.some((c) => c.parent === t.id)).map((t) => t.id);
  const leaves = executedLeaves(plan.tasks, leavesMeta);
  const byId = new Map(plan.tasks.map((t) => [t.id, t]));
  const used = leaves.map((id) => byId.get(id)).filter((t): t is Task => t !== undefined);
  const taken = new Set(['goal']);
  const paths = planPaths(used);
  const params = new Map(paths.map((p) => [p, paramName(p, taken)]));
  // longest paths first, so `src/a.ts` is not cut by `a.ts`
  const ordered = [...params].sort((a, b) => b[0].length - a[0].length);
  const fill = (text: string): string => {
    let out = literal(text);
    if (plan.goal.length >= 12) out = out.split(literal(plan.goal)).join('{{goal}}');
    const marks: string[] = [];
    for (const [path, param] of ordered) {
      out = out.split(path).join(`\u0000${marks.length}\u0000`);
      marks.push(`{{${param}}}`);
    }
    return out.replace(/\u0000(\d+)\u0000/g, (_, i: string) => marks[Number(i)]!);
  };
  const nodes: JsonObject[] = [];
  for (const t of used) {
    const deps = t.dependencies.filter((d) => leaves.includes(d));
    const files = t.files.map((f) => (params.has(f) ? `{{${params.get(f)}}}` : literal(f)));
    nodes.push(
      {
        id: `${t.id}/edit`,
        kind: 'llm',
        title: fill(t.title),
        config: { template: 'custom', output: 'edit', prompt: { $prompt: SAVED_PLAN_PROMPT } },
        inputs: {
          task: fill(t.title),
          description: fill(t.description || t.title),
          acceptance: t.acceptance.length > 0 ? t.acceptance.map((a) => `- ${fill(a)}`).join('\n') : '- the project builds and its tests pass',
          files: files.length > 0 ? files.join(', ') : '(the model chooses)',
        },
        needs: deps.map((d) => `${d}/commit`),
      },
      { id: `${t.id}/apply`, kind: 'apply', inputs: { edit: { $ref: `${t.id}/edit` } } },
      { id: `${t.id}/verify`, kind: 'verify', needs: [`${t.id}/apply`] },
      { id: `${t.id}/commit`, kind: 'script', config: { fn: 'git-commit', args: { message: `feat: ${fill(t.title)}` } }, needs: [`${t.id}/verify`] },
    );
  }
  const parameters: Record<string, Json> = {
    goal: { type: 'string', description: 'the goal the plan was made for', default: literal(plan.goal) },
  };
  for (const [path, param] of params) parameters[param] = { type: 'string', description: `a file the tasks name (was ${literal(path)})`, default: path };
  return {
    kind: 'template',
    name,
    version,
    description: description ?? `saved from plan ${plan.id}: ${literal(plan.goal).split('\n')[0]!.slice(0, 120)}`,
    tags: ['saved-plan'],
    parameters: parameters as never,
    variants: {},
    graph: { title: '{{goal}}', nodes: nodes as never },
  };
}
