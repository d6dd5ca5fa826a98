import type { Task } from '../core/task.js';

/**
 * Text views of a plan (DESIGN.md §2 "shown for review", §11 `taskgraph graph --format`): an
 * indented tree, Mermaid, Graphviz DOT and JSON. Pure. A task with children in the list is a
 * parent (drawn as a group); every other task is a leaf node. Dependency edges are drawn between
 * leaves (after planning every dependency names a leaf) and point from the dependency to the
 * task that needs it.
 */

/** A task view that only needs what the renderers read. */
export type RenderTask = Pick<Task, 'id' | 'title' | 'dependencies' | 'atomic'> & { parent?: string | undefined };

/** Options of {@link renderTree}. */
export interface RenderTreeOptions {
  /** task id -> status shown before the id, e.g. `done` */
  statuses?: Readonly<Record<string, string>> | ReadonlyMap<string, string>;
}

/**
 * Renders the task tree as indented text, one task per line:
 * `├── T2.1  Add the parser [atomic]  deps: T1` (status first when given: `[done] T2.1 ...`).
 * @param tasks tasks in plan order; a task whose parent is missing from the list is a root
 */
export function renderTree(tasks: readonly RenderTask[], options: RenderTreeOptions = {}): string {
  const { roots, children } = treeOf(tasks);
  const status = (id: string): string | undefined =>
    options.statuses instanceof Map ? options.statuses.get(id) : (options.statuses as Readonly<Record<string, string>> | undefined)?.[id];
  const lines: string[] = [];
  const line = (task: RenderTask): string => {
    const s = status(task.id);
    const deps = task.dependencies.length > 0 ? `  deps: ${task.dependencies.join(', ')}` : '';
    return `${s !== undefined ? `[${s}] ` : ''}${task.id}  ${oneLine(task.title)}${task.atomic ? ' [atomic]' : ''}${deps}`;
  };
  const walk = (task: RenderTask, indent: string, last: boolean, root: boolean): void => {
    lines.push(root ? line(task) : `${indent}${last ? '└── ' : '├── '}${line(task)}`);
    const kids = children.get(task.id) ?? [];
    const next = root ? '' : `${indent}${last ? '    ' : '│   '}`;
    kids.forEach((kid, i) => walk(kid, next, i === kids.length - 1, false));
  };
  for (const root of roots) walk(root, '', true, true);
  return lines.join('\n');
}

/**
 * Renders a Mermaid flowchart (`flowchart TD`): leaves as nodes labelled `id: title`, parents as
 * (nested) subgraphs, one `dep --> task` edge per leaf dependency. Labels are quoted and use
 * Mermaid's entity codes (`#quot;`, `#35;`, `#lt;` ...; see the Mermaid flowchart docs,
 * "Entity codes to escape characters"); node ids are sanitized to `t_<id>` with `[A-Za-z0-9_]`.
 * @param tasks tasks in plan order
 */
export function toMermaid(tasks: readonly RenderTask[]): string {
  const { roots, children, byId } = treeOf(tasks);
  const ids = new Map<string, string>();
  const used = new Set<string>();
  for (const task of tasks) {
    const base = `t_${task.id.replace(/[^A-Za-z0-9_]/g, '_')}`;
    let name = base;
    for (let n = 2; used.has(name); n++) name = `${base}_${n}`;
    used.add(name);
    ids.set(task.id, name);
  }
  const lines = ['flowchart TD'];
  const walk = (task: RenderTask, indent: string): void => {
    const kids = children.get(task.id) ?? [];
    const label = mermaidLabel(`${task.id}: ${task.title}`);
    if (kids.length === 0) {
      lines.push(`${indent}${ids.get(task.id)!}["${label}"]`);
      return;
    }
    lines.push(`${indent}subgraph ${ids.get(task.id)!}["${label}"]`);
    for (const kid of kids) walk(kid, `${indent}  `);
    lines.push(`${indent}end`);
  };
  for (const root of roots) walk(root, '  ');
  for (const task of tasks) {
    if ((children.get(task.id) ?? []).length > 0) continue;
    for (const dep of task.dependencies) {
      if (byId.has(dep)) lines.push(`  ${ids.get(dep)!} --> ${ids.get(task.id)!}`);
    }
  }
  return lines.join('\n');
}

/**
 * Renders a Graphviz DOT digraph: leaves as boxes labelled `id: title`, parents as (nested)
 * `cluster_<id>` subgraphs, one `"dep" -> "task"` edge per leaf dependency. Ids and labels are
 * double-quoted DOT strings with `\\` and `"` escaped and newlines as `\n` (Graphviz "DOT
 * Language": quoted strings, escString).
 * @param tasks tasks in plan order
 */
export function toDot(tasks: readonly RenderTask[]): string {
  const { roots, children, byId } = treeOf(tasks);
  const lines = ['digraph plan {', '  rankdir=TB;', '  node [shape=box];'];
  const walk = (task: RenderTask, indent: string): void => {
    const kids = children.get(task.id) ?? [];
    const label = dotString(`${task.id}: ${task.title}`);
    if (kids.length === 0) {
      lines.push(`${indent}${dotString(task.id)} [label=${label}];`);
      return;
    }
    lines.push(`${indent}subgraph ${dotString(`cluster_${task.id}`)} {`, `${indent}  label=${label};`);
    for (const kid of kids) walk(kid, `${indent}  `);
    lines.push(`${indent}}`);
  };
  for (const root of roots) walk(root, '  ');
  for (const task of tasks) {
    if ((children.get(task.id) ?? []).length > 0) continue;
    for (const dep of task.dependencies) {
      if (byId.has(dep)) lines.push(`  ${dotString(dep)} -> ${dotString(task.id)};`);
    }
  }
  lines.push('}');
  return lines.join('\n');
}

/** A plan as {@link toJson} accepts it: a `PlanRecord`, a `PlanResult`, or just tasks. */
export interface PlanJsonInput {
  id?: string;
  planId?: string;
  goal?: string;
  tasks: readonly Task[];
  /** execution order of the leaves; default: leaves in plan order */
  leaves?: readonly string[];
  meta?: Record<string, unknown>;
}

/**
 * Serialises a plan as pretty JSON (2-space indent, trailing newline):
 * `{ id, goal?, tasks, leaves, edges: [{from, to}], meta? }`, `edges` being the leaf
 * dependency edges (dependency -> task).
 * @param plan the plan
 */
export function toJson(plan: PlanJsonInput): string {
  const { children } = treeOf(plan.tasks);
  const leafTasks = plan.tasks.filter((t) => (children.get(t.id) ?? []).length === 0);
  const edges = leafTasks.flatMap((t) => t.dependencies.map((dep) => ({ from: dep, to: t.id })));
  const id = plan.id ?? plan.planId ?? plan.tasks[0]?.planId;
  const out = {
    ...(id !== undefined ? { id } : {}),
    ...(plan.goal !== undefined ? { goal: plan.goal } : {}),
    tasks: plan.tasks,
    leaves: plan.leaves ?? leafTasks.map((t) => t.id),
    edges,
    ...(plan.meta !== undefined ? { meta: plan.meta } : {}),
  };
  return `${JSON.stringify(out, null, 2)}\n`;
}

/**
 * Escapes text for a quoted Mermaid label: `#` first (it starts entity codes), then `"`, `&`,
 * `<`, `>` and backtick as entity codes; line breaks become spaces.
 * @param text any text
 */
export function mermaidLabel(text: string): string {
  return oneLine(text)
    .replace(/#/g, '#35;')
    .replace(/"/g, '#quot;')
    .replace(/&/g, '#amp;')
    .replace(/</g, '#lt;')
    .replace(/>/g, '#gt;')
    .replace(/`/g, '#96;');
}

/**
 * Quotes text as a DOT string: backslashes doubled, `"` escaped, line breaks as `\n`.
 * @param text any text
 */
export function dotString(text: string): string {
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\r?\n/g, '\\n')}"`;
}

function oneLine(text: string): string {
  return text.replace(/\s*\r?\n\s*/g, ' ');
}

function treeOf<T extends RenderTask>(tasks: readonly T[]): { roots: T[]; children: Map<string, T[]>; byId: Map<string, T> } {
  const byId = new Map<string, T>();
  for (const task of tasks) if (!byId.has(task.id)) byId.set(task.id, task);
  const roots: T[] = [];
  const children = new Map<string, T[]>();
  for (const task of byId.values()) {
    if (task.parent !== undefined && byId.has(task.parent) && task.parent !== task.id) {
      const list = children.get(task.parent) ?? [];
      list.push(task);
      children.set(task.parent, list);
    } else {
      roots.push(task);
    }
  }
  return { roots, children, byId };
}
