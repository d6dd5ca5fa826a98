import { taskNotFound } from './sqlite-errors.js';
import type { Statements } from './sqlite-statements.js';
import type { ContextOverrides } from './store.js';

/**
 * Reads and writes the `context_overrides` table (migration 3) for
 * {@link import('./sqlite-store.js').SqliteStore}: a task's manual context pins and excludes
 * (DESIGN.md §7), stored as JSON `string[]` columns.
 */

/** A `context_overrides` row as selected. */
interface OverridesRow {
  pins: string;
  excludes: string;
}

/**
 * The overrides of (plan, task); empty lists when the task has none.
 * @throws TaskgraphError NOT_FOUND when the task is not in the plan
 */
export function readContextOverrides(s: Statements, planId: string, taskId: string): ContextOverrides {
  const row = s.getContextOverrides.get(planId, taskId) as OverridesRow | undefined;
  if (row) return { pins: JSON.parse(row.pins) as string[], excludes: JSON.parse(row.excludes) as string[] };
  if (!s.getTask.get(planId, taskId)) throw taskNotFound(planId, taskId);
  return { pins: [], excludes: [] };
}

/**
 * Replaces the overrides of (plan, task). Run inside a write transaction.
 * @throws TaskgraphError NOT_FOUND when the task is not in the plan (checked first, so the
 *   message names the task rather than a foreign key)
 */
export function writeContextOverrides(s: Statements, planId: string, taskId: string, overrides: ContextOverrides, at: string): void {
  if (!s.getTask.get(planId, taskId)) throw taskNotFound(planId, taskId);
  s.upsertContextOverrides.run({
    plan_id: planId,
    task_id: taskId,
    pins: JSON.stringify([...overrides.pins]),
    excludes: JSON.stringify([...overrides.excludes]),
    updated_at: at,
  });
}
