import type { Task } from '../core/task.js';

/**
 * Plan versions (issue 11, "Plan review before execution"; README "Safety and approvals"). Every
 * edit a person makes to a saved plan stores the whole edited task list as a new version, so
 * `taskgraph plan diff` can compare the planner's output (version 1) with the approved one.
 * Version 1 is written with the plan (`Store.savePlan`); a plan saved before versions existed
 * gets its version 1 from its tasks at the first edit or approval.
 */

/** One stored version of a plan. */
export interface PlanVersion {
  planId: string;
  /** 1-based; 1 is the planner's output */
  version: number;
  /** ISO time the version was written */
  createdAt: string;
  /** who wrote it: `planner` for version 1, else the person (`--by`, default `$USER`) */
  by: string;
  /** one line: what the edit did (`add T4 "Write docs"`) */
  summary: string;
  /** every task in plan order, as this version has them (notes left out: they are run history) */
  tasks: Task[];
  /** ids of the atomic tasks in execution order (dependencies first) */
  leaves: string[];
  /** set once the version is approved (`taskgraph plan approve`) */
  approvedBy?: string;
  /** ISO time of the approval */
  approvedAt?: string;
}

/** What {@link import('./store.js').Store.editPlan} writes, all in one transaction. */
export interface PlanEditInput {
  planId: string;
  /** the whole edited task list in plan order (tasks missing from it are removed with their links) */
  tasks: Task[];
  /** atomic task ids in execution order, stored as the plan's `meta.leaves` */
  leaves: string[];
  /**
   * the version the edit was made from: when another edit was stored since, the store refuses
   * with `RUN_STATE` instead of overwriting it (optimistic concurrency)
   */
  baseVersion: number;
  /** who edits (`--by`, default `$USER`) */
  by: string;
  /** ms since the Unix epoch */
  at: number;
  /** one line for the version and the audit entry */
  summary: string;
  /** the run waiting for this plan's approval, when one is (written into the audit entry) */
  runId?: string;
  /** the `--session` name of the command making the edit (issue 13), kept in the audit entry's details */
  session?: string;
}

/** What {@link import('./store.js').Store.approvePlan} records, with its audit entry, in one transaction. */
export interface PlanApprovalInput {
  planId: string;
  /** the version approved; it must be the newest (`RUN_STATE` otherwise) */
  version: number;
  /** who approves (`--by`, default `$USER`) */
  by: string;
  /** ms since the Unix epoch */
  at: number;
  /** the run waiting on this approval, when one is (written into the audit entry) */
  runId?: string;  /** the `--session` name of the command approving (issue 13), kept in the audit entry's details */
  session?: string;
}

/** True when the newest of `versions` is approved: the plan may run as it stands. */
export function isApproved(versions: readonly PlanVersion[]): boolean {
  return versions.at(-1)?.approvedBy !== undefined;
}
