import { TASK_ID_PATTERN } from '../core/task.js';
import { findCycle } from '../core/validate.js';
import type { PlanIssue, PlanOutput } from './plan-schema.js';

/** Options for {@link validatePlanOutput}. */
export interface ValidatePlanOptions {
  /** ids outside this level that dependencies may also name (default none) */
  existingIds?: readonly string[];
  /**
   * prefix the planner puts before this level's ids (`T2.` for the children of `T2`); each
   * prefixed id must still match TASK_ID_PATTERN (at most 64 characters)
   */
  idPrefix?: string;
}

/**
 * Checks the references inside one schema-valid planner answer. Pure.
 * Problems reported (every one found, not only the first):
 * - duplicate ids; an id that is too long once prefixed with `idPrefix`;
 * - a dependency naming neither a task of this level nor one of `existingIds`;
 * - a task depending on itself;
 * - a dependency cycle, as the path `cycle: A -> B -> A` where each task depends on the next
 *   (found with {@link findCycle}, a three-colour depth-first search).
 * @param output an answer already checked against `PlanOutputSchema`
 * @param options ids outside the level, id prefix
 * @returns the problems; empty when the answer is usable
 */
export function validatePlanOutput(output: PlanOutput, options: ValidatePlanOptions = {}): PlanIssue[] {
  const issues: PlanIssue[] = [];
  const prefix = options.idPrefix ?? '';
  const existing = new Set(options.existingIds ?? []);
  const index = new Map<string, number>();
  output.tasks.forEach((task, i) => {
    if (index.has(task.id)) {
      issues.push({ path: `tasks[${i}].id`, message: `duplicate id "${task.id}" (also tasks[${index.get(task.id)!}]); give every task its own id` });
      return;
    }
    index.set(task.id, i);
    if (prefix !== '' && !TASK_ID_PATTERN.test(prefix + task.id)) {
      issues.push({ path: `tasks[${i}].id`, message: `id "${task.id}" is too long once prefixed ("${prefix}${task.id}" exceeds 64 characters); use a shorter id` });
    }
    if (existing.has(task.id)) {
      issues.push({ path: `tasks[${i}].id`, message: `id "${task.id}" is already used by an earlier task; choose another id` });
    }
  });
  const known = [...index.keys()];
  const deps = new Map<string, string[]>();
  output.tasks.forEach((task, i) => {
    if (index.get(task.id) !== i) return;
    const inLevel: string[] = [];
    task.dependencies.forEach((dep, j) => {
      const path = `tasks[${i}].dependencies[${j}]`;
      if (dep === task.id) {
        issues.push({ path, message: `task "${task.id}" depends on itself; remove it from its own dependencies` });
      } else if (index.has(dep)) {
        if (!inLevel.includes(dep)) inLevel.push(dep);
      } else if (!existing.has(dep)) {
        const list = [...known, ...existing];
        issues.push({
          path,
          message: `task "${task.id}" depends on unknown task "${dep}" (known ids: ${list.slice(0, 12).join(', ')}${list.length > 12 ? ', ...' : ''})`,
        });
      }
    });
    deps.set(task.id, inLevel);
  });
  const cycle = findCycle(known, deps);
  if (cycle) {
    issues.push({ path: 'tasks', message: `cycle: ${cycle.join(' -> ')} (each task depends on the next); break it by removing one dependency` });
  }
  return issues;
}

/**
 * Formats issues as `- path: message` lines (for prompts and error messages).
 * @param issues problems from the schema check or {@link validatePlanOutput}
 */
export function formatPlanIssues(issues: readonly PlanIssue[]): string {
  return issues.map((issue) => `- ${issue.path}: ${issue.message}`).join('\n');
}
