import type { Task } from '../core/task.js';

/**
 * What changed between two versions of a plan (issue 11, `taskgraph plan diff`): tasks added and
 * removed, fields changed per task, dependency edges added and removed, and siblings reordered.
 * Pure. Notes are not compared (they are run history, not plan content).
 */

/** One version as the diff reads it. */
export interface DiffSide {
  version: number;
  by: string;
  tasks: readonly Task[];
  approvedBy?: string | undefined;
}

/** Fields of a task compared by {@link diffPlans}, in this order. */
export const DIFF_FIELDS = ['title', 'description', 'acceptance', 'files', 'parent', 'atomic', 'status', 'tags'] as const;
/** One of {@link DIFF_FIELDS}. */
export type DiffField = (typeof DIFF_FIELDS)[number];

/** A task whose fields differ. */
export interface TaskChange {
  id: string;
  /** field -> old and new value (`null` for an absent parent) */
  fields: Partial<Record<DiffField, { from: unknown; to: unknown }>>;
}

/** A dependency edge: `from` requires `to`. */
export interface DiffEdge {
  from: string;
  to: string;
}

/** The children of one parent (`null`: the top level) in a new order. */
export interface Reorder {
  parent: string | null;
  from: string[];
  to: string[];
}

/** {@link diffPlans}'s result. */
export interface PlanDiff {
  from: { version: number; by: string; approvedBy?: string };
  to: { version: number; by: string; approvedBy?: string };
  added: Array<Pick<Task, 'id' | 'title' | 'dependencies'> & { parent: string | null }>;
  removed: Array<Pick<Task, 'id' | 'title'>>;
  changed: TaskChange[];
  edges: { added: DiffEdge[]; removed: DiffEdge[] };
  reordered: Reorder[];
}

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

function edgesOf(tasks: readonly Task[]): Map<string, DiffEdge> {
  const edges = new Map<string, DiffEdge>();
  for (const t of tasks) for (const d of t.dependencies) edges.set(`${t.id}\u0000${d}`, { from: t.id, to: d });
  return edges;
}

function side(s: DiffSide): PlanDiff['from'] {
  return { version: s.version, by: s.by, ...(s.approvedBy !== undefined ? { approvedBy: s.approvedBy } : {}) };
}

/**
 * Compares two versions of a plan.
 * @param from the older version (usually 1, the planner's output)
 * @param to the newer version (usually the newest or the approved one)
 */
export function diffPlans(from: DiffSide, to: DiffSide): PlanDiff {
  const before = new Map(from.tasks.map((t) => [t.id, t]));
  const after = new Map(to.tasks.map((t) => [t.id, t]));
  const added = to.tasks.filter((t) => !before.has(t.id)).map((t) => ({ id: t.id, title: t.title, dependencies: [...t.dependencies], parent: t.parent ?? null }));
  const removed = from.tasks.filter((t) => !after.has(t.id)).map((t) => ({ id: t.id, title: t.title }));
  const changed: TaskChange[] = [];
  for (const t of to.tasks) {
    const old = before.get(t.id);
    if (!old) continue;
    const fields: TaskChange['fields'] = {};
    for (const f of DIFF_FIELDS) if (!same(old[f], t[f])) fields[f] = { from: old[f] ?? null, to: t[f] ?? null };
    if (Object.keys(fields).length > 0) changed.push({ id: t.id, fields });
  }
  const oldEdges = edgesOf(from.tasks);
  const newEdges = edgesOf(to.tasks);
  const edges = {
    added: [...newEdges].filter(([k]) => !oldEdges.has(k)).map(([, e]) => e),
    removed: [...oldEdges].filter(([k]) => !newEdges.has(k)).map(([, e]) => e),
  };
  const reordered: Reorder[] = [];
  const parents = new Set([...from.tasks, ...to.tasks].map((t) => t.parent ?? null));
  for (const parent of parents) {
    const kids = (tasks: readonly Task[], other: Map<string, Task>) =>
      tasks.filter((t) => (t.parent ?? null) === parent && other.has(t.id) && (other.get(t.id)!.parent ?? null) === parent).map((t) => t.id);
    const a = kids(from.tasks, after);
    const b = kids(to.tasks, before);
    if (!same(a, b)) reordered.push({ parent, from: a, to: b });
  }
  return { from: side(from), to: side(to), added, removed, changed, edges, reordered };
}

/** True when the two versions have the same tasks, fields, edges and order. */
export function isEmptyDiff(diff: PlanDiff): boolean {
  return diff.added.length + diff.removed.length + diff.changed.length + diff.edges.added.length + diff.edges.removed.length + diff.reordered.length === 0;
}

const show = (v: unknown): string => (typeof v === 'string' ? JSON.stringify(v.length > 120 ? `${v.slice(0, 117)}...` : v) : JSON.stringify(v));

/**
 * The diff as text, one change a line:
 * `+ T4  Write the docs  (under T2, deps: T3)`, `- T5  ...`, `~ T2  title: "a" -> "b"`,
 * `+ edge T4 requires T3`, `- edge T3 requires T1`, `↕ under T2: T2.1, T2.2 -> T2.2, T2.1`.
 * @param planId named in the header
 */
export function renderPlanDiff(planId: string, diff: PlanDiff): string {
  const who = (s: PlanDiff['from']) => `version ${s.version} (${s.by}${s.approvedBy !== undefined ? `, approved by ${s.approvedBy}` : ''})`;
  const lines = [`plan ${planId}: ${who(diff.from)} -> ${who(diff.to)}`];
  if (isEmptyDiff(diff)) return `${lines[0]}\nno changes`;
  for (const t of diff.added) {
    const where = [t.parent !== null ? `under ${t.parent}` : '', t.dependencies.length > 0 ? `deps: ${t.dependencies.join(', ')}` : ''].filter(Boolean).join(', ');
    lines.push(`+ ${t.id}  ${t.title}${where ? `  (${where})` : ''}`);
  }
  for (const t of diff.removed) lines.push(`- ${t.id}  ${t.title}`);
  for (const c of diff.changed) {
    for (const [field, change] of Object.entries(c.fields)) lines.push(`~ ${c.id}  ${field}: ${show(change.from)} -> ${show(change.to)}`);
  }
  for (const e of diff.edges.added) lines.push(`+ edge ${e.from} requires ${e.to}`);
  for (const e of diff.edges.removed) lines.push(`- edge ${e.from} requires ${e.to}`);
  for (const r of diff.reordered) lines.push(`↕ ${r.parent === null ? 'top level' : `under ${r.parent}`}: ${r.from.join(', ')} -> ${r.to.join(', ')}`);
  return lines.join('\n');
}
