import type Database from 'better-sqlite3';
import { TaskgraphError } from '../core/errors.js';
import type { PlanRecord, Task } from '../core/task.js';
import type { AuditEntry } from './audit.js';
import type { PlanApprovalInput, PlanEditInput, PlanVersion } from './plan-versions.js';
import { insertAudit } from './sqlite-audit.js';
import { storedJson, storedText } from './sqlite-rows.js';
import type { Statements } from './sqlite-statements.js';

/**
 * The `plan_versions` table (migration 6) for {@link import('./sqlite-store.js').SqliteStore}:
 * plan edits and approvals, each written together with its audit entry inside the caller's
 * write transaction (issue 11: "appended ... in the same transaction as its effect").
 */

/** A `plan_versions` row as selected. */
export interface VersionRow {
  plan_id: string;
  version: number;
  created_at: string;
  by: string;
  summary: string;
  snapshot: string;
  approved_by: string | null;
  approved_at: string | null;
}

/** What the store hands these functions: the connection, its statements and its task writer. */
export interface PlanVersionDeps {
  db: Database.Database;
  s: Statements;
  /** upserts one task at `position` and rewrites its `requires` links (`writeTask` in sqlite-plan-writes.ts) */
  writeTask(task: Task, position: number): void;
  /** the plan with its current tasks, or undefined */
  readPlan(planId: string): PlanRecord | undefined;
}

const SQL = {
  insert: `INSERT OR IGNORE INTO plan_versions (plan_id, version, created_at, by, summary, snapshot)
    VALUES (@plan_id, @version, @created_at, @by, @summary, @snapshot)`,
  list: 'SELECT * FROM plan_versions WHERE plan_id = ? ORDER BY version',
  approve: 'UPDATE plan_versions SET approved_by = @by, approved_at = @at WHERE plan_id = @plan_id AND version = @version',
  setMeta: 'UPDATE plans SET meta = @meta WHERE id = @id',
  deleteTask: 'DELETE FROM tasks WHERE plan_id = @plan_id AND id = @id',
  deleteLinksOf: 'DELETE FROM links WHERE plan_id = @plan_id AND (from_task = @id OR to_task = @id)',
} as const;

const prepared = new WeakMap<Database.Database, Record<keyof typeof SQL, Database.Statement>>();
function stmts(db: Database.Database): Record<keyof typeof SQL, Database.Statement> {
  let found = prepared.get(db);
  if (!found) {
    found = Object.fromEntries(Object.entries(SQL).map(([k, sql]) => [k, db.prepare(sql)])) as Record<keyof typeof SQL, Database.Statement>;
    prepared.set(db, found);
  }
  return found;
}

/** The atomic task ids of a plan in execution order: `meta.leaves` when recorded, else atomic tasks in plan order. */
export function leavesOf(plan: Pick<PlanRecord, 'tasks' | 'meta'>): string[] {
  return Array.isArray(plan.meta['leaves']) ? (plan.meta['leaves'] as string[]) : plan.tasks.filter((t) => t.atomic).map((t) => t.id);
}

/** The task as a version stores it: without notes (run history, not plan content). */
export function snapshotTask(task: Task): Task {
  return { ...task, notes: [] };
}

/**
 * Writes version 1 of `plan` (its tasks as they are, by `planner`) unless the plan has versions.
 * Run inside a write transaction.
 */
export function ensureFirstVersion(db: Database.Database, plan: PlanRecord): void {
  stmts(db).insert.run({
    plan_id: plan.id,
    version: 1,
    created_at: plan.createdAt,
    by: 'planner',
    summary: 'planner output',
    snapshot: storedJson({ tasks: plan.tasks.map(snapshotTask), leaves: leavesOf(plan) }),
  });
}

/** The plan's versions, oldest first (empty for a plan saved before versions existed and never edited). */
export function listVersions(db: Database.Database, planId: string): PlanVersion[] {
  return (stmts(db).list.all(planId) as VersionRow[]).map(versionFromRow);
}

/**
 * The plan's versions, oldest first; a plan saved before versions existed (never edited) shows
 * its current tasks as version 1, without writing it. Empty for an unknown plan.
 */
export function readVersions(deps: PlanVersionDeps, planId: string): PlanVersion[] {
  const stored = listVersions(deps.db, planId);
  const plan = stored.length === 0 ? deps.readPlan(planId) : undefined;
  if (!plan) return stored;
  return [{ planId, version: 1, createdAt: plan.createdAt, by: 'planner', summary: 'planner output', tasks: plan.tasks.map(snapshotTask), leaves: leavesOf(plan) }];
}

function requirePlan(deps: PlanVersionDeps, planId: string): PlanRecord {
  const plan = deps.readPlan(planId);
  if (!plan) throw new TaskgraphError('NOT_FOUND', `no plan "${planId}"`, { details: { planId }, hint: 'list plans with `taskgraph runs` or plan first with `taskgraph plan`' });
  return plan;
}

/** The newest version after making sure version 1 exists. */
function newest(deps: PlanVersionDeps, plan: PlanRecord): PlanVersion {
  ensureFirstVersion(deps.db, plan);
  return listVersions(deps.db, plan.id).at(-1)!;
}

/**
 * Applies an edit: replaces the plan's tasks (removed ones lose their links; their context
 * overrides go by cascade), stores `meta.leaves`, writes the next version and a `plan-edit`
 * audit entry. Run inside a write transaction: all of it, or nothing.
 * @returns the new version and its audit entry
 * @throws TaskgraphError NOT_FOUND (plan), RUN_STATE (another edit was stored since `baseVersion`)
 */
export function writePlanEdit(deps: PlanVersionDeps, edit: PlanEditInput): { version: PlanVersion; audit: AuditEntry } {
  const plan = requirePlan(deps, edit.planId);
  const latest = newest(deps, plan);
  if (latest.version !== edit.baseVersion) {
    throw new TaskgraphError('RUN_STATE', `plan ${edit.planId} changed since version ${edit.baseVersion} (now version ${latest.version} by ${latest.by})`, {
      details: { planId: edit.planId, baseVersion: edit.baseVersion, version: latest.version },
      hint: `look at it again with \`taskgraph plan show ${edit.planId}\` and repeat the edit`,
    });
  }
  const st = stmts(deps.db);
  const kept = new Set(edit.tasks.map((t) => t.id));
  for (const old of plan.tasks) {
    if (kept.has(old.id)) continue;
    st.deleteLinksOf.run({ plan_id: plan.id, id: old.id });
    st.deleteTask.run({ plan_id: plan.id, id: old.id });
  }
  edit.tasks.forEach((task, i) => deps.writeTask({ ...task, planId: plan.id }, i));
  st.setMeta.run({ id: plan.id, meta: storedJson({ ...plan.meta, leaves: edit.leaves }) });
  const createdAt = new Date(edit.at).toISOString();
  const version = latest.version + 1;
  st.insert.run({
    plan_id: plan.id,
    version,
    created_at: createdAt,
    by: storedText(edit.by),
    summary: storedText(edit.summary),
    snapshot: storedJson({ tasks: edit.tasks.map((t) => snapshotTask({ ...t, planId: plan.id })), leaves: edit.leaves }),
  });
  const audit = insertAudit(deps.s, {
    ...(edit.runId ? { runId: edit.runId } : {}),
    at: edit.at,
    who: edit.by,
    kind: 'plan-edit',
    subject: plan.id,
    reason: edit.summary,
    details: { planId: plan.id, version, ...(edit.session !== undefined ? { session: edit.session } : {}) },
  });
  return { version: listVersions(deps.db, plan.id).at(-1)!, audit };
}

/**
 * Approves a version (the newest) and appends a `plan-approved` audit entry. Approving an
 * approved version again changes nothing and writes no entry. Run inside a write transaction.
 * @returns the approved version and its audit entry (absent when it was approved already)
 * @throws TaskgraphError NOT_FOUND (plan), RUN_STATE (`version` is not the newest)
 */
export function writePlanApproval(deps: PlanVersionDeps, approval: PlanApprovalInput): { version: PlanVersion; audit?: AuditEntry } {
  const plan = requirePlan(deps, approval.planId);
  const latest = newest(deps, plan);
  if (latest.version !== approval.version) {
    throw new TaskgraphError('RUN_STATE', `plan ${plan.id} is at version ${latest.version}, not ${approval.version}: approve what you reviewed`, {
      details: { planId: plan.id, version: latest.version, asked: approval.version },
      hint: `review it again: taskgraph plan show ${plan.id} (taskgraph plan diff ${plan.id})`,
    });
  }
  if (latest.approvedBy !== undefined) return { version: latest };
  const at = new Date(approval.at).toISOString();
  stmts(deps.db).approve.run({ plan_id: plan.id, version: latest.version, by: storedText(approval.by), at });
  const audit = insertAudit(deps.s, {
    ...(approval.runId ? { runId: approval.runId } : {}),
    at: approval.at,
    who: approval.by,
    kind: 'plan-approved',
    subject: plan.id,
    reason: `approved version ${latest.version} of plan ${plan.id}`,
    details: { planId: plan.id, version: latest.version, ...(approval.session !== undefined ? { session: approval.session } : {}) },
  });
  return { version: listVersions(deps.db, plan.id).at(-1)!, audit };
}

/** A `plan_versions` row -> version (shared with the PostgreSQL store). */
export function versionFromRow(row: VersionRow): PlanVersion {
  const snapshot = JSON.parse(row.snapshot) as { tasks: Task[]; leaves: string[] };
  return {
    planId: row.plan_id,
    version: row.version,
    createdAt: row.created_at,
    by: row.by,
    summary: row.summary,
    tasks: snapshot.tasks,
    leaves: snapshot.leaves,
    ...(row.approved_by !== null ? { approvedBy: row.approved_by } : {}),
    ...(row.approved_at !== null ? { approvedAt: row.approved_at } : {}),
  };
}
