import { TaskgraphError } from '../core/errors.js';
import { TASK_ID_PATTERN, TASK_STATUSES, type Task, type TaskStatus } from '../core/task.js';
import { findCycle, topologicalOrder } from '../core/validate.js';
import { assertTaskText, type PlanIssue } from './plan-schema.js';

/**
 * Edits a person makes to a saved plan before it runs (issue 11, "Plan review before
 * execution"): `taskgraph task add|rm|update|move` and `link add|rm ... requires`. Pure: each
 * operation takes the plan's tasks in plan order and returns the edited list and a one-line
 * summary; {@link finishEdit} then reshapes the tree, validates the whole plan and orders its
 * leaves. An invalid result is refused whole (`PLAN_INVALID`), so the store never holds it.
 *
 * Shape rules, kept after every edit:
 * - a task with subtasks is composite (`atomic: false`) and is not executed; a composite task
 *   that loses its last subtask becomes atomic again, and an atomic task given a subtask becomes
 *   composite (only the parents an edit touched are reshaped, so a task an earlier run split into
 *   subtasks keeps its shape);
 * - depth is the number of ancestors;
 * - a dependency on a composite task means its atomic descendants (the planner's rule,
 *   `assemble-plan.ts`), so every dependency of an atomic task names an atomic task.
 */

/** An edit's result before {@link finishEdit}. */
export interface DraftEdit {
  tasks: Task[];
  /** one line for the version and the audit log, e.g. `add T4 "Write the docs"` */
  summary: string;
  /** parents whose set of subtasks the edit changed (reshaped by {@link finishEdit}) */
  touched: string[];
}

/** A validated edit, ready for `Store.editPlan`. */
export interface FinishedEdit {
  tasks: Task[];
  /** atomic task ids in execution order: dependencies first, ties by plan order */
  leaves: string[];
  summary: string;
}

/** What `task add` gives. */
export interface NewTask {
  /** default: the next free `T<n>` (top level) or `<parent>.<n>` */
  id?: string;
  title: string;
  description?: string;
  acceptance?: string[];
  files?: string[];
  /** ids of the tasks it depends on */
  dependencies?: string[];
  /** the composite task it belongs to (default: the parent of `after`/`before`, else top level) */
  parent?: string;
  /** place it right after this task (and its subtasks) */
  after?: string;
  /** place it right before this task */
  before?: string;
}

/** What `task update` changes. */
export interface TaskPatch {
  title?: string;
  description?: string;
  acceptance?: string[];
  files?: string[];
  status?: TaskStatus;
}

/** Where `task move` puts a task: under `parent` (last), or right before/after another task (taking its parent). */
export interface TaskPlace {
  parent?: string;
  before?: string;
  after?: string;
}

const invalid = (message: string, hint?: string) => new TaskgraphError('PLAN_INVALID', message, hint ? { hint } : {});

function find(tasks: readonly Task[], id: string): Task {
  const task = tasks.find((t) => t.id === id);
  if (!task) {
    const ids = tasks.map((t) => t.id);
    throw new TaskgraphError('NOT_FOUND', `task "${id}" is not in plan ${tasks[0]?.planId ?? '?'}`, {
      details: { taskId: id },
      hint: `tasks: ${ids.slice(0, 20).join(', ')}${ids.length > 20 ? ', ...' : ''}`,
    });
  }
  return task;
}

/** The ids of `id` and every task below it. */
function subtree(tasks: readonly Task[], id: string): Set<string> {
  const ids = new Set([id]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const t of tasks) {
      if (t.parent !== undefined && ids.has(t.parent) && !ids.has(t.id)) {
        ids.add(t.id);
        grew = true;
      }
    }
  }
  return ids;
}

/** Index after the last task of `id`'s subtree. */
function endOf(tasks: readonly Task[], id: string): number {
  const ids = subtree(tasks, id);
  let end = -1;
  tasks.forEach((t, i) => {
    if (ids.has(t.id)) end = i;
  });
  return end + 1;
}

function nextId(tasks: readonly Task[], parent: string | undefined): string {
  const prefix = parent === undefined ? 'T' : `${parent}.`;
  const used = new Set(tasks.map((t) => t.id));
  let n = 1 + Math.max(0, ...tasks.map((t) => (t.id.startsWith(prefix) ? Number(t.id.slice(prefix.length)) : NaN)).filter(Number.isInteger));
  while (used.has(`${prefix}${n}`)) n++;
  return `${prefix}${n}`;
}

function placeOf(tasks: readonly Task[], place: TaskPlace): { parent: string | undefined; index: number } {
  if ([place.parent, place.before, place.after].filter((p) => p !== undefined).length > 1) {
    throw new TaskgraphError('CONFIG_INVALID', 'give one of --parent, --before and --after');
  }
  if (place.before !== undefined) {
    const target = find(tasks, place.before);
    return { parent: target.parent, index: tasks.indexOf(target) };
  }
  if (place.after !== undefined) {
    const target = find(tasks, place.after);
    return { parent: target.parent, index: endOf(tasks, target.id) };
  }
  if (place.parent !== undefined) return { parent: find(tasks, place.parent).id, index: endOf(tasks, place.parent) };
  return { parent: undefined, index: tasks.length };
}

/**
 * `task add`: a new atomic task, pending, placed as {@link NewTask} says.
 * @throws TaskgraphError NOT_FOUND (a named task), PLAN_INVALID (the id is taken), CONFIG_INVALID (two places)
 */
export function addTask(tasks: readonly Task[], planId: string, draft: NewTask): DraftEdit {
  const where = placeOf(tasks, { ...(draft.parent !== undefined ? { parent: draft.parent } : {}), ...(draft.before !== undefined ? { before: draft.before } : {}), ...(draft.after !== undefined ? { after: draft.after } : {}) });
  const id = draft.id ?? nextId(tasks, where.parent);
  if (tasks.some((t) => t.id === id)) throw invalid(`task id "${id}" is already used in plan ${planId}`, 'choose another id with --id, or leave it out for the next free one');
  const task: Task = {
    planId,
    id,
    title: draft.title,
    description: draft.description ?? '',
    acceptance: draft.acceptance ?? [],
    dependencies: draft.dependencies ?? [],
    files: draft.files ?? [],
    atomic: true,
    ...(where.parent !== undefined ? { parent: where.parent } : {}),
    depth: 0,
    tags: [],
    notes: [],
    status: 'pending',
  };
  const next = [...tasks.slice(0, where.index), task, ...tasks.slice(where.index)];
  return { tasks: next, summary: `add ${id} "${draft.title}"`, touched: where.parent !== undefined ? [where.parent] : [] };
}

/**
 * `task rm`: removes a task (with its subtasks). Refused when other tasks depend on it, unless
 * `force`, which drops those dependencies.
 * @throws TaskgraphError NOT_FOUND, PLAN_INVALID naming the dependents
 */
export function removeTask(tasks: readonly Task[], id: string, options: { force?: boolean } = {}): DraftEdit {
  const task = find(tasks, id);
  const gone = subtree(tasks, id);
  const dependents = tasks.filter((t) => !gone.has(t.id) && t.dependencies.some((d) => gone.has(d)));
  if (dependents.length > 0 && !options.force) {
    throw invalid(
      `${dependents.map((t) => t.id).join(', ')} depend${dependents.length === 1 ? 's' : ''} on ${id}${gone.size > 1 ? ' or its subtasks' : ''}; nothing was removed`,
      `remove those dependencies first (taskgraph link rm ${dependents[0]!.id} requires ${id}), or pass --force to drop them`,
    );
  }
  const kept = tasks.filter((t) => !gone.has(t.id)).map((t) => (t.dependencies.some((d) => gone.has(d)) ? { ...t, dependencies: t.dependencies.filter((d) => !gone.has(d)) } : t));
  const extra = gone.size > 1 ? ` and ${gone.size - 1} subtask${gone.size === 2 ? '' : 's'}` : '';
  const dropped = dependents.length > 0 ? `, dropping the dependencies of ${dependents.map((t) => t.id).join(', ')}` : '';
  return { tasks: kept, summary: `remove ${id} "${task.title}"${extra}${dropped}`, touched: task.parent !== undefined ? [task.parent] : [] };
}

/**
 * `task update`: changes text fields or the status of a task.
 * @throws TaskgraphError NOT_FOUND, CONFIG_INVALID (nothing to change, an unknown status)
 */
export function updateTask(tasks: readonly Task[], id: string, patch: TaskPatch): DraftEdit {
  find(tasks, id);
  const fields = (Object.keys(patch) as (keyof TaskPatch)[]).filter((k) => patch[k] !== undefined);
  if (fields.length === 0) throw new TaskgraphError('CONFIG_INVALID', 'nothing to update', { hint: 'give --title, --description, --acceptance, --files or --status' });
  if (patch.status !== undefined && !TASK_STATUSES.includes(patch.status)) {
    throw new TaskgraphError('CONFIG_INVALID', `unknown status "${String(patch.status)}"`, { hint: `use one of: ${TASK_STATUSES.join(', ')}` });
  }
  const defined = Object.fromEntries(fields.map((k) => [k, patch[k]])) as TaskPatch;
  return { tasks: tasks.map((t) => (t.id === id ? { ...t, ...defined } : t)), summary: `update ${id}: ${fields.join(', ')}`, touched: [] };
}

/**
 * `task move`: moves a task (with its subtasks) under another parent or next to another task.
 * @throws TaskgraphError NOT_FOUND, CONFIG_INVALID (no place or two), PLAN_INVALID (into its own subtree)
 */
export function moveTask(tasks: readonly Task[], id: string, place: TaskPlace): DraftEdit {
  const task = find(tasks, id);
  if (place.parent === undefined && place.before === undefined && place.after === undefined) {
    throw new TaskgraphError('CONFIG_INVALID', 'say where to: --parent P, --before T or --after T');
  }
  const block = subtree(tasks, id);
  const target = place.parent ?? place.before ?? place.after!;
  if (block.has(target)) throw invalid(`cannot move ${id} ${place.parent !== undefined ? 'under' : 'next to'} ${target}: ${target} is ${target === id ? 'the task itself' : `inside ${id}`}`);
  const rest = tasks.filter((t) => !block.has(t.id));
  const where = placeOf(rest, place);
  const moved = tasks.filter((t) => block.has(t.id)).map((t) => (t.id === id ? withParent(t, where.parent) : t));
  const next = [...rest.slice(0, where.index), ...moved, ...rest.slice(where.index)];
  const touched = [task.parent, where.parent].filter((p): p is string => p !== undefined);
  const to = place.parent !== undefined ? `under ${place.parent}` : place.before !== undefined ? `before ${place.before}` : `after ${place.after!}`;
  return { tasks: next, summary: `move ${id} ${to}`, touched };
}

function withParent(task: Task, parent: string | undefined): Task {
  const { parent: _old, ...rest } = task;
  return parent === undefined ? rest : { ...rest, parent };
}

/**
 * `link add|rm FROM requires TO`: adds or drops one dependency.
 * @throws TaskgraphError NOT_FOUND (either task)
 */
export function setDependency(tasks: readonly Task[], from: string, to: string, on: boolean): DraftEdit {
  find(tasks, from);
  find(tasks, to);
  const next = tasks.map((t) => {
    if (t.id !== from) return t;
    const deps = t.dependencies.filter((d) => d !== to);
    return { ...t, dependencies: on ? [...deps, to] : deps };
  });
  return { tasks: next, summary: `${on ? 'link' : 'unlink'} ${from} requires ${to}`, touched: [] };
}

/**
 * Problems of a whole plan, every one found: duplicate or malformed ids, a parent that is unknown,
 * the task itself or its own descendant, a dependency on an unknown task (named) or on itself,
 * and a dependency cycle as the path `cycle: A -> B -> A` (each task depends on the next; found
 * with `findCycle`, a three-colour depth-first search). Pure.
 * @param tasks the plan's tasks after an edit
 */
export function checkPlanTasks(tasks: readonly Task[]): PlanIssue[] {
  const issues: PlanIssue[] = [];
  const ids = new Set<string>();
  for (const t of tasks) {
    if (ids.has(t.id)) issues.push({ path: t.id, message: `duplicate task id "${t.id}"` });
    if (!TASK_ID_PATTERN.test(t.id)) issues.push({ path: t.id, message: `"${t.id}" is not a task id (letters, digits, "_", "." or "-", at most 64 characters)` });
    ids.add(t.id);
  }
  const byId = new Map(tasks.map((t) => [t.id, t]));
  for (const t of tasks) {
    if (t.parent === undefined) continue;
    if (!byId.has(t.parent)) issues.push({ path: t.id, message: `parent "${t.parent}" is not a task of the plan` });
    const seen = new Set([t.id]);
    for (let p: string | undefined = t.parent; p !== undefined; p = byId.get(p)?.parent) {
      if (seen.has(p)) {
        issues.push({ path: t.id, message: `is its own ancestor (${[...seen, p].join(' -> ')})` });
        break;
      }
      seen.add(p);
    }
  }
  for (const t of tasks) {
    for (const d of t.dependencies) {
      if (d === t.id) issues.push({ path: t.id, message: `${t.id} depends on itself` });
      else if (!byId.has(d)) issues.push({ path: t.id, message: `${t.id} depends on unknown task "${d}" (dangling dependency)` });
    }
  }
  const succs = new Map(tasks.map((t) => [t.id, t.dependencies.filter((d) => byId.has(d) && d !== t.id)]));
  const cycle = findCycle([...byId.keys()], succs);
  if (cycle) issues.push({ path: 'dependencies', message: `cycle: ${cycle.join(' -> ')} (each task depends on the next)` });
  return issues;
}

/** The atomic task ids in execution order: Kahn's algorithm (`topologicalOrder`), ties by plan order. Pure; assumes no cycle. */
export function planLeaves(tasks: readonly Task[]): string[] {
  const leaves = tasks.filter((t) => t.atomic).map((t) => t.id);
  const set = new Set(leaves);
  const position = new Map(tasks.map((t, i) => [t.id, i]));
  const preds = new Map(tasks.filter((t) => set.has(t.id)).map((t) => [t.id, t.dependencies.filter((d) => set.has(d))]));
  const succs = new Map<string, string[]>(leaves.map((id) => [id, []]));
  for (const [id, deps] of preds) for (const d of deps) succs.get(d)!.push(id);
  return topologicalOrder(leaves, preds, succs, (id) => -position.get(id)!);
}

/** Recomputes atomic flags of touched parents, depths, and dependencies on composite tasks. */
function reshape(tasks: readonly Task[], touched: readonly string[]): Task[] {
  const childCount = new Map<string, number>();
  for (const t of tasks) if (t.parent !== undefined) childCount.set(t.parent, (childCount.get(t.parent) ?? 0) + 1);
  const shaped = tasks.map((t) => (touched.includes(t.id) ? { ...t, atomic: (childCount.get(t.id) ?? 0) === 0 } : t));
  const byId = new Map(shaped.map((t) => [t.id, t]));
  const depth = (t: Task): number => {
    let n = 0;
    for (let p = t.parent; p !== undefined && n <= tasks.length; p = byId.get(p)?.parent) n++;
    return n;
  };
  const atomicBelow = (id: string): string[] => {
    const t = byId.get(id);
    if (!t || t.atomic) return [id];
    return shaped.filter((c) => c.parent === id).flatMap((c) => atomicBelow(c.id));
  };
  return shaped.map((t) => {
    const deps = [...new Set(t.dependencies.flatMap(atomicBelow))];
    return { ...t, depth: depth(t), dependencies: deps };
  });
}

/**
 * Reshapes, validates and orders an edited plan (see the module comment).
 * @param planId for messages
 * @param draft an operation's result
 * @param before the tasks before the edit: when given, only the text of tasks the edit added or
 *   changed is checked (a task stored earlier by an older planner is not held against an edit of
 *   another one); else every task's
 * @returns the tasks, their leaves in execution order and the summary
 * @throws TaskgraphError PLAN_INVALID listing every problem (`details.issues`; `details.cycle`,
 *   the path, when there is a cycle), or the task text problems of `assertTaskText`; nothing is
 *   stored then
 */
export function finishEdit(planId: string, draft: DraftEdit, before?: readonly Task[]): FinishedEdit {
  const structural = checkPlanTasks(draft.tasks.map((t) => ({ ...t, dependencies: [] })));
  const issues = structural.length > 0 ? structural : checkPlanTasks(reshape(draft.tasks, draft.touched));
  if (issues.length > 0) {
    const cycleIssue = issues.find((i) => i.message.startsWith('cycle: '));
    const cycle = cycleIssue ? cycleIssue.message.slice('cycle: '.length).split(' (')[0]!.split(' -> ') : undefined;
    throw new TaskgraphError('PLAN_INVALID', `refused: "${draft.summary}" would leave plan ${planId} invalid, nothing was changed:\n${issues.map((i) => `  - ${i.path}: ${i.message}`).join('\n')}`, {
      details: { planId, issues: issues.map((i) => `${i.path}: ${i.message}`), ...(cycle ? { cycle } : {}) },
      hint: cycle ? `drop one dependency of the cycle (taskgraph link rm ${cycle[0]} requires ${cycle[1]})` : 'fix the edit and try again',
    });
  }
  const tasks = reshape(draft.tasks, draft.touched);
  const old = new Map((before ?? []).map((t) => [t.id, t]));
  const textOf = (t: Task) => JSON.stringify([t.title, t.description, t.acceptance, t.files]);
  try {
    assertTaskText(before === undefined ? tasks : tasks.filter((t) => !old.has(t.id) || textOf(old.get(t.id)!) !== textOf(t)));
  } catch (error) {
    if (!(error instanceof TaskgraphError)) throw error;
    throw new TaskgraphError('PLAN_INVALID', `refused: "${draft.summary}": ${error.message.replace(/^the plan's /, 'the ')}`, {
      details: { planId, ...(error.details ?? {}) },
      hint: 'task text has the limits of planner output: a title of one line, at least one acceptance criterion (--acceptance), no control characters',
    });
  }
  return { tasks, leaves: planLeaves(tasks), summary: draft.summary };
}
