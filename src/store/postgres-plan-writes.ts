import { TaskgraphError } from '../core/errors.js';
import type { PlanRecord, Task, TaskLink } from '../core/task.js';
import type { AuditEntry, AuditInput } from './audit.js';
import { checkNewLink, type RequiresEdge } from './link-rules.js';
import type { PlanApprovalInput, PlanEditInput, PlanVersion } from './plan-versions.js';
import { exec, row, rows, type Db } from './postgres-db.js';
import { insertAuditPg } from './postgres-logs.js';
import { PG } from './postgres-statements.js';
import { taskNotFound } from './sqlite-errors.js';
import { leavesOf, snapshotTask, versionFromRow, type VersionRow } from './sqlite-plan-versions.js';
import { linkFromRow, linkParams, planFromRow, storedJson, storedText, taskFromRow, taskParams, type LinkRow, type PlanRow, type TaskRow } from './sqlite-rows.js';
import type { ContextOverrides } from './store.js';

/**
 * Plans, tasks, links, context overrides and plan versions for
 * {@link import('./postgres-store.js').PostgresStore}: the same rules as the SQLite store
 * (`sqlite-plan-writes.ts`, `sqlite-plan-versions.ts`, `sqlite-context-overrides.ts`), with the
 * same row mappers and redaction. Functions named `write…` run inside a transaction the caller
 * opened, on its client. Where SQLite's single writer makes a read-then-write atomic, these
 * take the plan's row lock first (`lockPlan`, FOR NO KEY UPDATE), so concurrent writers of one
 * plan take turns (readers are not blocked).
 */

/** Locks the plan row for this transaction. @returns false when the plan does not exist */
async function lockPlan(db: Db, planId: string): Promise<boolean> {
  return (await row(db, PG.lockPlan, [planId])) !== undefined;
}

/** Upserts one task (at `position`, or last when undefined) and rewrites its outgoing `requires` links. */
export async function writeTask(db: Db, task: Task, planId: string, position?: number): Promise<void> {
  const p = taskParams(task, planId, position ?? 0);
  const values = [p['plan_id'], p['id'], p['position'], p['title'], p['description'], p['acceptance'], p['dependencies'], p['files'], p['atomic'], p['parent'], p['depth'], p['tags'], p['notes'], p['status']];
  if (position === undefined) {
    values.splice(2, 1);
    await exec(db, PG.upsertTaskAppend, values);
  } else {
    await exec(db, PG.upsertTaskAt, values);
  }
  await exec(db, PG.deleteRequiresFrom, [planId, task.id]);
  for (const dep of task.dependencies) await exec(db, PG.insertLink, [planId, task.id, dep, 'requires']);
}

/**
 * Upserts one task of an existing plan (NOT_FOUND naming the plan when it is missing).
 * @throws TaskgraphError NOT_FOUND
 */
export async function writePutTask(db: Db, task: Task): Promise<void> {
  if (!(await lockPlan(db, task.planId))) {
    throw new TaskgraphError('NOT_FOUND', `putTask: plan ${task.planId} not found; save the plan before its tasks`, {
      details: { planId: task.planId },
      hint: 'create the parent record first (savePlan / createRun), or check the id',
    });
  }
  await writeTask(db, task, task.planId);
}

/** Upserts the plan row and each of its tasks in plan order, and writes version 1 unless the plan has versions. */
export async function writePlan(db: Db, plan: PlanRecord): Promise<void> {
  // the upsert locks the plan row (or, for a new plan, holds its key) until the transaction ends
  await exec(db, PG.upsertPlan, [plan.id, storedText(plan.goal), plan.createdAt, storedJson(plan.meta)]);
  for (const [i, task] of plan.tasks.entries()) await writeTask(db, task, plan.id, i);
  await ensureFirstVersion(db, plan);
}

/** The tasks of a plan in plan order (empty for an unknown plan). */
export async function readTasks(db: Db, planId: string): Promise<Task[]> {
  return (await rows<TaskRow>(db, PG.listTasks, [planId])).map(taskFromRow);
}

/** The plan with its tasks, or undefined. */
export async function readPlan(db: Db, id: string): Promise<PlanRecord | undefined> {
  const found = await row<PlanRow>(db, PG.getPlan, [id]);
  return found && planFromRow(found, await readTasks(db, id));
}

/** Every plan with its tasks, newest first. */
export async function readPlans(db: Db): Promise<PlanRecord[]> {
  const plans = await rows<PlanRow>(db, PG.listPlans);
  return Promise.all(plans.map(async (p) => planFromRow(p, await readTasks(db, p.id))));
}

/** One task, or undefined. */
export async function readTask(db: Db, planId: string, taskId: string): Promise<Task | undefined> {
  const found = await row<TaskRow>(db, PG.getTask, [planId, taskId]);
  return found && taskFromRow(found);
}

/**
 * Appends `note` (one UPDATE: atomic without a lock) and, when `audit` is given, its entry.
 * @throws TaskgraphError NOT_FOUND when the task is not in the plan
 */
export async function writeTaskNote(db: Db, planId: string, taskId: string, note: string, audit?: AuditInput): Promise<Task> {
  const updated = await row<TaskRow>(db, PG.appendNote, [planId, taskId, storedText(note)]);
  if (!updated) throw taskNotFound(planId, taskId);
  if (audit) await insertAuditPg(db, audit);
  return taskFromRow(updated);
}

/**
 * Inserts a link after {@link checkNewLink} (under the plan's lock, so two links that together
 * close a cycle cannot both pass); a `requires` link adds `to` to the `from` task's dependencies.
 * @throws TaskgraphError NOT_FOUND when the plan or either task is missing; PLAN_INVALID from `checkNewLink`
 */
export async function writeAddLink(db: Db, link: TaskLink): Promise<void> {
  await lockPlan(db, link.planId);
  const from = await row<TaskRow>(db, PG.getTask, [link.planId, link.from]);
  if (!from) throw taskNotFound(link.planId, link.from);
  if (!(await row(db, PG.getTask, [link.planId, link.to]))) throw taskNotFound(link.planId, link.to);
  const requires = (await rows<{ from_task: string; to_task: string }>(db, PG.listRequires, [link.planId])).map(
    (r): RequiresEdge => ({ from: r.from_task, to: r.to_task }),
  );
  checkNewLink(link, requires);
  const p = linkParams(link);
  await exec(db, PG.insertLink, [p['plan_id'], p['from_task'], p['to_task'], p['type']]);
  const deps = JSON.parse(from.dependencies) as string[];
  if (link.type === 'requires' && !deps.includes(link.to)) {
    await exec(db, PG.setTaskDependencies, [link.planId, link.from, JSON.stringify([...deps, link.to])]);
  }
}

/** Deletes a link (absent: no-op); a `requires` link drops `to` from the `from` task's dependencies. */
export async function writeRemoveLink(db: Db, link: TaskLink): Promise<void> {
  await lockPlan(db, link.planId);
  await exec(db, PG.deleteLink, [link.planId, link.from, link.to, link.type]);
  const from = await row<TaskRow>(db, PG.getTask, [link.planId, link.from]);
  if (link.type !== 'requires' || !from) return;
  const deps = JSON.parse(from.dependencies) as string[];
  if (deps.includes(link.to)) {
    await exec(db, PG.setTaskDependencies, [link.planId, link.from, JSON.stringify(deps.filter((d) => d !== link.to))]);
  }
}

/** The links of a plan, or those touching `taskId` (either end), ordered by (from, to, type). */
export async function readLinks(db: Db, planId: string, taskId?: string): Promise<TaskLink[]> {
  const found = taskId === undefined ? await rows<LinkRow>(db, PG.listLinks, [planId]) : await rows<LinkRow>(db, PG.listLinksOf, [planId, taskId]);
  return found.map(linkFromRow);
}

/**
 * The overrides of (plan, task); empty lists when the task has none.
 * @throws TaskgraphError NOT_FOUND when the task is not in the plan
 */
export async function readContextOverrides(db: Db, planId: string, taskId: string): Promise<ContextOverrides> {
  const found = await row<{ pins: string; excludes: string }>(db, PG.getContextOverrides, [planId, taskId]);
  if (found) return { pins: JSON.parse(found.pins) as string[], excludes: JSON.parse(found.excludes) as string[] };
  if (!(await row(db, PG.getTask, [planId, taskId]))) throw taskNotFound(planId, taskId);
  return { pins: [], excludes: [] };
}

/**
 * Replaces the overrides of (plan, task).
 * @throws TaskgraphError NOT_FOUND when the task is not in the plan
 */
export async function writeContextOverrides(db: Db, planId: string, taskId: string, overrides: ContextOverrides, at: string): Promise<void> {
  if (!(await row(db, PG.getTask, [planId, taskId]))) throw taskNotFound(planId, taskId);
  await exec(db, PG.upsertContextOverrides, [planId, taskId, JSON.stringify([...overrides.pins]), JSON.stringify([...overrides.excludes]), at]);
}

// ---------------------------------------------------------------- plan versions (as sqlite-plan-versions.ts)

/** Writes version 1 of `plan` (its tasks as they are, by `planner`) unless the plan has versions. */
async function ensureFirstVersion(db: Db, plan: PlanRecord): Promise<void> {
  const snapshot = storedJson({ tasks: plan.tasks.map(snapshotTask), leaves: leavesOf(plan) });
  await exec(db, PG.insertVersion, [plan.id, 1, plan.createdAt, 'planner', 'planner output', snapshot]);
}

async function listVersions(db: Db, planId: string): Promise<PlanVersion[]> {
  return (await rows<VersionRow>(db, PG.listVersions, [planId])).map(versionFromRow);
}

/** The plan's versions, oldest first; a plan never versioned shows its current tasks as version 1. Empty for an unknown plan. */
export async function readVersions(db: Db, planId: string): Promise<PlanVersion[]> {
  const stored = await listVersions(db, planId);
  const plan = stored.length === 0 ? await readPlan(db, planId) : undefined;
  if (!plan) return stored;
  return [{ planId, version: 1, createdAt: plan.createdAt, by: 'planner', summary: 'planner output', tasks: plan.tasks.map(snapshotTask), leaves: leavesOf(plan) }];
}

/** The plan, locked for this transaction. @throws TaskgraphError NOT_FOUND */
async function requirePlan(db: Db, planId: string): Promise<PlanRecord> {
  const plan = (await lockPlan(db, planId)) ? await readPlan(db, planId) : undefined;
  if (!plan) throw new TaskgraphError('NOT_FOUND', `no plan "${planId}"`, { details: { planId }, hint: 'list plans with `taskgraph runs` or plan first with `taskgraph plan`' });
  return plan;
}

async function newest(db: Db, plan: PlanRecord): Promise<PlanVersion> {
  await ensureFirstVersion(db, plan);
  return (await listVersions(db, plan.id)).at(-1)!;
}

/**
 * Applies a person's edit (see `writePlanEdit` in sqlite-plan-versions.ts) under the plan's lock.
 * @throws TaskgraphError NOT_FOUND (plan), RUN_STATE (another edit was stored since `baseVersion`)
 */
export async function writePlanEdit(db: Db, edit: PlanEditInput): Promise<{ version: PlanVersion; audit: AuditEntry }> {
  const plan = await requirePlan(db, edit.planId);
  const latest = await newest(db, plan);
  if (latest.version !== edit.baseVersion) {
    throw new TaskgraphError('RUN_STATE', `plan ${edit.planId} changed since version ${edit.baseVersion} (now version ${latest.version} by ${latest.by})`, {
      details: { planId: edit.planId, baseVersion: edit.baseVersion, version: latest.version },
      hint: `look at it again with \`taskgraph plan show ${edit.planId}\` and repeat the edit`,
    });
  }
  const kept = new Set(edit.tasks.map((t) => t.id));
  for (const old of plan.tasks) {
    if (kept.has(old.id)) continue;
    await exec(db, PG.deleteLinksOf, [plan.id, old.id]);
    await exec(db, PG.deleteTask, [plan.id, old.id]);
  }
  for (const [i, task] of edit.tasks.entries()) await writeTask(db, { ...task, planId: plan.id }, plan.id, i);
  await exec(db, PG.setPlanMeta, [plan.id, storedJson({ ...plan.meta, leaves: edit.leaves })]);
  const version = latest.version + 1;
  const snapshot = storedJson({ tasks: edit.tasks.map((t) => snapshotTask({ ...t, planId: plan.id })), leaves: edit.leaves });
  await exec(db, PG.insertVersion, [plan.id, version, new Date(edit.at).toISOString(), storedText(edit.by), storedText(edit.summary), snapshot]);
  const audit = await insertAuditPg(db, {
    ...(edit.runId ? { runId: edit.runId } : {}),
    at: edit.at,
    who: edit.by,
    kind: 'plan-edit',
    subject: plan.id,
    reason: edit.summary,
    details: { planId: plan.id, version, ...(edit.session !== undefined ? { session: edit.session } : {}) },
  });
  return { version: (await listVersions(db, plan.id)).at(-1)!, audit };
}

/**
 * Approves the newest version and appends a `plan-approved` entry (a second approval is a no-op).
 * @throws TaskgraphError NOT_FOUND (plan), RUN_STATE (`version` is not the newest)
 */
export async function writePlanApproval(db: Db, approval: PlanApprovalInput): Promise<{ version: PlanVersion; audit?: AuditEntry }> {
  const plan = await requirePlan(db, approval.planId);
  const latest = await newest(db, plan);
  if (latest.version !== approval.version) {
    throw new TaskgraphError('RUN_STATE', `plan ${plan.id} is at version ${latest.version}, not ${approval.version}: approve what you reviewed`, {
      details: { planId: plan.id, version: latest.version, asked: approval.version },
      hint: `review it again: taskgraph plan show ${plan.id} (taskgraph plan diff ${plan.id})`,
    });
  }
  if (latest.approvedBy !== undefined) return { version: latest };
  await exec(db, PG.approveVersion, [plan.id, latest.version, storedText(approval.by), new Date(approval.at).toISOString()]);
  const audit = await insertAuditPg(db, {
    ...(approval.runId ? { runId: approval.runId } : {}),
    at: approval.at,
    who: approval.by,
    kind: 'plan-approved',
    subject: plan.id,
    reason: `approved version ${latest.version} of plan ${plan.id}`,
    details: { planId: plan.id, version: latest.version, ...(approval.session !== undefined ? { session: approval.session } : {}) },
  });
  return { version: (await listVersions(db, plan.id)).at(-1)!, audit };
}
