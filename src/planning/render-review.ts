import type { Task } from '../core/task.js';

/**
 * The text of `taskgraph plan show` (issue 11, plan review): every task as a tree line with its
 * id, title, kind, status (when not `pending`) and dependencies, then its acceptance criteria
 * one per line below it. Pure; the caller makes the text terminal-safe.
 */

/** The lines that head a plan under review. */
export interface ReviewHeader {
  planId: string;
  goal: string;
  version: number;
  /** who wrote the version: `planner` or a person */
  by: string;
  approvedBy?: string | undefined;
  /** atomic tasks in execution order */
  leaves: readonly string[];
}

const oneLine = (text: string) => text.replace(/\s*\r?\n\s*/g, ' ');

/**
 * Renders a plan for review.
 * @param header plan id, goal, version and approval
 * @param tasks the tasks in plan order (parents before their subtasks)
 * @returns lines joined by `\n`, e.g.
 *   `T2  Add the parser  [atomic]  deps: T1` then `      ✓ parses "1+2"`
 */
export function renderPlanReview(header: ReviewHeader, tasks: readonly Task[]): string {
  const approval = header.approvedBy !== undefined ? `approved by ${header.approvedBy}` : 'not approved';
  const lines = [
    `plan ${header.planId}  version ${header.version} (${header.by}), ${approval}`,
    `goal: ${oneLine(header.goal).slice(0, 200)}`,
    `${tasks.length} tasks, ${header.leaves.length} to execute, in order: ${header.leaves.join(', ')}`,
    '',
  ];
  const byId = new Map(tasks.map((t) => [t.id, t]));
  const depth = (t: Task): number => {
    let n = 0;
    for (let p = t.parent; p !== undefined && byId.has(p) && n < tasks.length; p = byId.get(p)!.parent) n++;
    return n;
  };
  const children = new Map<string | undefined, Task[]>();
  for (const t of tasks) {
    const own = t.parent !== undefined && byId.has(t.parent) && t.parent !== t.id ? t.parent : undefined;
    children.set(own, [...(children.get(own) ?? []), t]);
  }
  const ordered: Task[] = [];
  const seen = new Set<string>();
  const walk = (parent: string | undefined) => {
    for (const t of children.get(parent) ?? []) {
      if (seen.has(t.id)) continue;
      seen.add(t.id);
      ordered.push(t);
      walk(t.id);
    }
  };
  walk(undefined);
  for (const t of ordered) {
    const pad = '  '.repeat(depth(t));
    const status = t.status !== 'pending' ? `  [${t.status}]` : '';
    const deps = t.dependencies.length > 0 ? `  deps: ${t.dependencies.join(', ')}` : '';
    lines.push(`${pad}${t.id}  ${oneLine(t.title)}  [${t.atomic ? 'atomic' : 'composite'}]${status}${deps}`);
    for (const a of t.acceptance) lines.push(`${pad}    ✓ ${oneLine(a)}`);
  }
  return lines.join('\n');
}
