import { z } from 'zod';

/**
 * Tasks, links and plans (DESIGN.md §1). A task is a unit of work; a plan is the task tree plus
 * the dependency DAG produced for a goal. Pure data + zod schemas.
 */

/** Task status over its life. */
export const TASK_STATUSES = ['pending', 'running', 'done', 'failed', 'skipped'] as const;
/** One of {@link TASK_STATUSES}. */
export type TaskStatus = (typeof TASK_STATUSES)[number];

/** Task ids inside a plan: `T1`, `T1.2`, `setup-db` (letters, digits, `_ . -`, max 64 chars). */
export const TASK_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/** A task as stored. `notes` grows with failure notes from verify/apply (refinement). */
export const TaskSchema = z.object({
  planId: z.string(),
  id: z.string().regex(TASK_ID_PATTERN),
  title: z.string().min(1),
  description: z.string().default(''),
  acceptance: z.array(z.string()).default([]),
  /** ids of tasks in the same plan this task `requires` */
  dependencies: z.array(z.string()).default([]),
  /** paths or globs the task names (context) */
  files: z.array(z.string()).default([]),
  atomic: z.boolean().default(true),
  parent: z.string().optional(),
  depth: z.number().int().nonnegative().default(0),
  tags: z.array(z.string()).default([]),
  notes: z.array(z.string()).default([]),
  status: z.enum(TASK_STATUSES).default('pending'),
});

/** A stored task. */
export type Task = z.infer<typeof TaskSchema>;

/** Link types between tasks (DESIGN.md §1). */
export const LINK_TYPES = ['requires', 'refers', 'duplicates', 'relates_to'] as const;
/** One of {@link LINK_TYPES}. */
export type LinkType = (typeof LINK_TYPES)[number];

/** A typed edge between two tasks of one plan. */
export interface TaskLink {
  planId: string;
  from: string;
  to: string;
  type: LinkType;
}

/** A plan as stored: the goal, the tasks (tree via `parent`, DAG via `dependencies`). */
export interface PlanRecord {
  id: string;
  goal: string;
  createdAt: string;
  /** every task, parents and leaves; only atomic leaves are executed */
  tasks: Task[];
  /** planner model + tokens + cost spent to make the plan */
  meta: Record<string, unknown>;
}
