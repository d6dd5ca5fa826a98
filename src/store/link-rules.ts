import { TaskgraphError } from '../core/errors.js';
import { LINK_TYPES, type TaskLink } from '../core/task.js';
import { findCycle } from '../core/validate.js';

/**
 * The rules a new link must follow before any {@link import('./store.js').Store} writes it
 * (DESIGN.md §1 "link"): a known type, no link from a task to itself, and no `requires` cycle
 * (`requires` links order the scheduler, so a cycle would leave its tasks unrunnable). Pure: the
 * store passes the plan's current `requires` edges and calls it inside its write transaction.
 */

/** A `requires` edge: `from` requires (runs after) `to`. */
export interface RequiresEdge {
  from: string;
  to: string;
}

/**
 * The cycle that adding `link` (a `requires` link) to `edges` would close, if any.
 *
 * Runs {@link findCycle} (three-colour DFS) from `link.from` over `edges` plus the new edge, with
 * the new edge as `link.from`'s only successor: every cycle through the new edge is
 * `from -> to -> ... -> from`, and the path back from `to` never needs `from`'s other edges.
 * @param link the link about to be added (any type; only `requires` can close a cycle)
 * @param edges the plan's current `requires` edges
 * @returns `{ cycle, closedByLink }`: the path with the first id repeated at the end, read "A
 *   requires B"; `closedByLink` is false when the DFS met a cycle that already exists among the
 *   tasks `link.to` reaches (possible only if earlier writes bypassed this check, e.g. `putTask`
 *   with cyclic dependencies). `null` when no cycle is reachable.
 */
export function requiresCycle(link: TaskLink, edges: readonly RequiresEdge[]): { cycle: string[]; closedByLink: boolean } | null {
  if (link.type !== 'requires') return null;
  const succs = new Map<string, string[]>();
  for (const e of edges) {
    if (e.from === link.from) continue;
    const out = succs.get(e.from);
    if (out) out.push(e.to);
    else succs.set(e.from, [e.to]);
  }
  succs.set(link.from, [link.to]);
  const cycle = findCycle([link.from], succs);
  if (!cycle) return null;
  let closedByLink = false;
  for (let i = 0; i + 1 < cycle.length; i++) {
    if (cycle[i] === link.from && cycle[i + 1] === link.to) closedByLink = true;
  }
  return { cycle, closedByLink };
}

/**
 * Checks a link before it is added.
 * @param link the new link
 * @param edges the plan's current `requires` edges (`from` requires `to`)
 * @throws TaskgraphError PLAN_INVALID when the type is not one of {@link LINK_TYPES}; when a
 *   non-`requires` link points a task at itself; when a `requires` link would close a cycle
 *   (`details.cycle` is the path, e.g. `['T1','T3','T2','T1']`, message `T1 -> T3 -> T2 -> T1`);
 *   or when `link.to` already reaches a `requires` cycle (then `link.from` could never run)
 */
export function checkNewLink(link: TaskLink, edges: readonly RequiresEdge[]): void {
  const arrow = `${link.from} ${link.type} ${link.to}`;
  if (!(LINK_TYPES as readonly string[]).includes(link.type)) {
    throw new TaskgraphError('PLAN_INVALID', `unknown link type "${String(link.type)}" in ${arrow}`, {
      details: { link },
      hint: `use one of: ${LINK_TYPES.join(', ')}`,
    });
  }
  if (link.type !== 'requires' && link.from === link.to) {
    throw new TaskgraphError('PLAN_INVALID', `a task cannot link to itself (${arrow})`, {
      details: { link },
      hint: 'link two different tasks',
    });
  }
  const found = requiresCycle(link, edges);
  if (!found) return;
  const path = found.cycle.join(' -> ');
  if (found.closedByLink) {
    throw new TaskgraphError('PLAN_INVALID', `${arrow} would create a requires cycle in plan ${link.planId}: ${path} (A -> B: A requires B)`, {
      details: { link, cycle: found.cycle },
      hint: 'remove a requires link on that path first (`taskgraph link rm`), or use `refers` / `relates_to`, which do not order tasks',
    });
  }
  throw new TaskgraphError('PLAN_INVALID', `${arrow}: ${link.to} already depends on a requires cycle in plan ${link.planId}: ${path} (A -> B: A requires B)`, {
    details: { link, cycle: found.cycle },
    hint: 'break that cycle first (`taskgraph link rm FROM requires TO`)',
  });
}
