import type Database from 'better-sqlite3';
import { TaskgraphError } from '../core/errors.js';
import type { GraphSpec } from '../core/graph.js';
import type { PlanRecord, Task, TaskLink } from '../core/task.js';
import { applyMigrations } from './migrations.js';
import { writeFinishAttempt, writeFinishedAttempt, writeStartAttempt } from './sqlite-attempt-writes.js';
import { readContextOverrides, writeContextOverrides } from './sqlite-context-overrides.js';
import { insertAudit, listAudit } from './sqlite-audit.js';
import { readDecision, writeDecide, writeDecision } from './sqlite-decisions.js';
import type { PlanApprovalInput, PlanEditInput, PlanVersion } from './plan-versions.js';
import { ensureFirstVersion, type PlanVersionDeps, readVersions, writePlanApproval, writePlanEdit } from './sqlite-plan-versions.js';
import { readLinks, readPlan, readPlans, readTask, readTasks, writeAddLink, writePlan, writeRemoveLink, writeTask, writeTaskNote } from './sqlite-plan-writes.js';
import type { AuditEntry, AuditInput } from './audit.js';
import { readLease, readSessions, writeAcquireLease, writeEndSession, writeStartSession } from './sqlite-leases.js';
import { runNotFound, taskNotFound, toStoreError, type StoreErrorContext } from './sqlite-errors.js';
import { openDatabase } from './sqlite-open.js';
import {
  attemptFromRow, attemptSummaryFromRow, cacheFromRow, runFromRow, runNodeFromRow, runNodeValues, runTaskFromRow, runTaskParams, storedJson,
  type AttemptRow, type AttemptSummaryRow, type CacheRow, type RunNodeRow, type RunRow, type RunTaskRow,
} from './sqlite-rows.js';
import type { RunEvent, RunEventInput, RunEventQuery } from './run-events.js';
import { insertRunEvents, listRunEvents } from './sqlite-run-events.js';
import { writeCreateRun, writeRunPatch } from './sqlite-run-writes.js';
import { insertWebhookDeliveries, listWebhookDeliveries, updateWebhookDelivery } from './sqlite-webhook-deliveries.js';
import type { WebhookAttempt, WebhookDelivery, WebhookDeliveryInput, WebhookDeliveryQuery } from './webhook-deliveries.js';
import { prepareStatements, type Statements } from './sqlite-statements.js';
import type {
  AttemptFinish, AttemptRecord, AttemptSummary, CacheEntry, ContextOverrides, DecisionRecord, FinishedAttemptExtras, FinishedAttemptWrite, LeaseRequest,
  RunLease, RunNodeRecord, RunRecord, RunSession, RunTaskRecord, SessionEnd, Store, WorkspaceSnapshot,
} from './store.js';

const now = (): string => new Date().toISOString();

/**
 * The default {@link Store}: one SQLite file through better-sqlite3 (DESIGN.md §10). The driver
 * is synchronous; every method does its work synchronously and returns a settled promise, so a
 * resolved promise means the transaction has committed ("write, then act", DESIGN.md §6).
 *
 * Semantics beyond the interface docstrings (the conformance suite `store.case.ts` checks them):
 * - `requires` links mirror `task.dependencies` (`{from: task, to: dependency}`, read "from
 *   requires to"): `savePlan`/`putTask` rewrite the task's outgoing `requires` links, and
 *   `addLink`/`removeLink` of a `requires` link update the `from` task's dependencies
 *   (`sqlite-plan-writes.ts`).
 * - `addLink` checks the link with `checkNewLink` (`link-rules.ts`) in its write transaction:
 *   `PLAN_INVALID` for a `requires` cycle (with the path), an unknown type or a non-`requires` self link.
 * - Context overrides live in `context_overrides` (`sqlite-context-overrides.ts`), one row per task.
 * - Writes that name a parent reject `NOT_FOUND` when it is missing: `putTask` (plan), `addLink`
 *   (both tasks), `putContextOverrides`/`getContextOverrides` (task),
 *   `putRunNodes`/`putRunTask`/`startAttempt`/`finishAttempt`/`recordFinishedAttempt`/
 *   `recordCacheHit`/`putDecision` (run); `updateRun`/`expandRunGraph` (run), `appendTaskNote`/`setTaskStatus` (task),
 *   `finishAttempt` (attempt seq). `removeLink` of an absent link is a no-op.
 * - `expandRunGraph` inserts `newNodes` under run `id`; a node that already exists keeps its row.
 * - `updateRun`: a patch key present with value `undefined` clears an optional field;
 *   `updatedAt` defaults to now (`sqlite-run-writes.ts`).
 * - `decide` refuses (`RUN_STATE`) a second decision on a node for the same subject, and writes
 *   the decision and its audit entry in one transaction (`sqlite-decisions.ts`).
 * - `startAttempt` sets the node `running` with `attempts = attempt.number` and
 *   `lastAttemptSeq = seq`; `recordFinishedAttempt` (and `recordCacheHit`, which stores status
 *   `cached` through it) sets the node's `lastAttemptSeq` to the new seq; `finishAttempt` defaults
 *   `node.lastAttemptSeq` to `finish.seq`.
 * - Outputs over `BLOB_THRESHOLD_BYTES` live once in the `blobs` table (`sqlite-outputs.ts`),
 *   written in the transaction of the row that refers to them.
 * - `lastSuccessfulAttempt(nodeId, beforeRunId)` and `recentSuccessfulAttempts` ignore attempts of `beforeRunId` itself.
 * - Lease and sessions live in `run_leases` / `run_sessions` (`sqlite-leases.ts`); `acquireRunLease`
 *   reads and replaces the lease in one `BEGIN IMMEDIATE` transaction, so two processes racing for
 *   a free lease serialise and the second is refused. A same-holder acquire keeps `acquiredAt`.
 *   `startRunSession` numbers the session max + 1 inside its insert.
 * - `markNodeRunning` changes status, attempts and startedAt only; every other write of a node's
 *   state (finish, skip, upsert, `interruptRunning`) clears startedAt unless it sets it.
 * - Orders: tasks in plan order (new tasks last); links by (from, to, type); run nodes and run
 *   tasks in insertion order; plans and runs newest first (createdAt, then insertion).
 *
 * Errors: `TaskgraphError('NOT_FOUND')` for unknown records named by the caller,
 * `TaskgraphError('STORE_ERROR')` (with a hint; retryable when the database is busy) otherwise.
 */
export class SqliteStore implements Store {
  /** database file path, or `:memory:` */
  readonly path: string;
  private readonly db: Database.Database;
  private stmts: Statements | undefined;
  private readonly runUpdates = new Map<string, Database.Statement>();
  /**
   * Transaction wrappers, created once per connection (better-sqlite3's `db.transaction`):
   * `run` runs the function it is given; the others are the per-node writes of
   * `sqlite-attempt-writes.ts`, wrapped directly so the hot path allocates no closure.
   */
  private readonly tx: {
    run: Database.Transaction<(fn: () => unknown) => unknown>;
    start: Database.Transaction<typeof writeStartAttempt>;
    finish: Database.Transaction<typeof writeFinishAttempt>;
    finished: Database.Transaction<typeof writeFinishedAttempt>;
  };

  private constructor(db: Database.Database, path: string) {
    this.db = db;
    this.path = path;
    this.tx = {
      run: db.transaction((fn: () => unknown) => fn()),
      start: db.transaction(writeStartAttempt),
      finish: db.transaction(writeFinishAttempt),
      finished: db.transaction(writeFinishedAttempt),
    };
  }

  /**
   * Opens (creating if needed, with parent directories) a database file, with the pragmas of
   * {@link openDatabase}. Does not migrate: call {@link SqliteStore.migrate} (or use `openStore` in open-store.ts).
   * @param path file path, or `':memory:'` for a private in-memory database
   * @throws TaskgraphError STORE_ERROR when the file cannot be opened or is not a database
   */
  static open(path: string): SqliteStore {
    try {
      return new SqliteStore(openDatabase(path), path);
    } catch (error) {
      throw toStoreError(error, { op: 'open', path });
    }
  }

  /**
   * Runs `fn` in a `BEGIN IMMEDIATE` transaction: the write lock is taken at BEGIN, where
   * `busy_timeout` applies. (A deferred transaction that reads first and then writes gets
   * SQLITE_BUSY at once when another connection holds the lock: SQLite does not wait there,
   * as waiting could deadlock — https://www.sqlite.org/lang_transaction.html.)
   */
  private write<T>(fn: () => T): T {
    return this.tx.run.immediate(fn) as T;
  }

  /** Runs `fn` and settles a promise with its result, mapping errors via {@link toStoreError}. */
  private guard<T>(op: string, fn: (s: Statements) => T, words: Omit<StoreErrorContext, 'op' | 'path'> = {}): Promise<T> {
    try {
      this.stmts ??= prepareStatements(this.db);
      return Promise.resolve(fn(this.stmts));
    } catch (error) {
      return Promise.reject(toStoreError(error, { op, path: this.path, ...words }));
    }
  }

  /**
   * Applies pending migrations (`migrations.ts`, {@link applyMigrations}). Idempotent.
   * @throws TaskgraphError STORE_ERROR when the database was written by a newer taskgraph
   */
  migrate(): Promise<void> {
    try {
      applyMigrations(this.db, this.path);
      return Promise.resolve();
    } catch (error) {
      return Promise.reject(toStoreError(error, { op: 'migrate', path: this.path }));
    }
  }

  /** Closes the connection (idempotent). The store cannot be used afterwards. */
  close(): Promise<void> {
    if (this.db.open) this.db.close();
    return Promise.resolve();
  }

  // ---------------------------------------------------------------- plans and tasks

  savePlan(plan: PlanRecord): Promise<void> {
    return this.guard('savePlan', (s) =>
      this.write(() => {
        writePlan(s, plan);
        ensureFirstVersion(this.db, plan);
      }),
    );
  }

  private versionDeps(s: Statements): PlanVersionDeps {
    return {
      db: this.db,
      s,
      writeTask: (task, position) => writeTask(s, task, task.planId, position),
      readPlan: (id) => readPlan(s, id),
    };
  }

  editPlan(edit: PlanEditInput): Promise<PlanVersion> {
    return this.guard('editPlan', (s) => this.write(() => writePlanEdit(this.versionDeps(s), edit).version));
  }

  listPlanVersions(planId: string): Promise<PlanVersion[]> {
    return this.guard('listPlanVersions', (s) => readVersions(this.versionDeps(s), planId));
  }

  approvePlan(approval: PlanApprovalInput): Promise<PlanVersion> {
    return this.guard('approvePlan', (s) => this.write(() => writePlanApproval(this.versionDeps(s), approval).version));
  }

  getPlan(id: string): Promise<PlanRecord | undefined> {
    return this.guard('getPlan', (s) => readPlan(s, id));
  }

  listPlans(): Promise<PlanRecord[]> {
    return this.guard('listPlans', (s) => readPlans(s));
  }

  getTask(planId: string, taskId: string): Promise<Task | undefined> {
    return this.guard('getTask', (s) => readTask(s, planId, taskId));
  }

  listTasks(planId: string): Promise<Task[]> {
    return this.guard('listTasks', (s) => readTasks(s, planId));
  }

  putTask(task: Task): Promise<void> {
    return this.guard('putTask', (s) => this.write(() => writeTask(s, task, task.planId)), {
      missing: () => `plan ${task.planId} not found; save the plan before its tasks`,
    });
  }

  appendTaskNote(planId: string, taskId: string, note: string): Promise<Task> {
    return this.guard('appendTaskNote', (s) => this.write(() => writeTaskNote(s, planId, taskId, note)));
  }

  appendTaskNoteAudited(planId: string, taskId: string, note: string, audit: AuditInput): Promise<Task> {
    return this.guard('appendTaskNoteAudited', (s) => this.write(() => writeTaskNote(s, planId, taskId, note, audit)));
  }

  setTaskStatus(planId: string, taskId: string, status: Task['status']): Promise<void> {
    return this.guard('setTaskStatus', (s) => {
      if (s.setTaskStatus.run({ plan_id: planId, id: taskId, status }).changes === 0) throw taskNotFound(planId, taskId);
    });
  }

  addLink(link: TaskLink): Promise<void> {
    return this.guard('addLink', (s) => this.write(() => writeAddLink(s, link)));
  }

  removeLink(link: TaskLink): Promise<void> {
    return this.guard('removeLink', (s) => this.write(() => writeRemoveLink(s, link)));
  }

  listLinks(planId: string, taskId?: string): Promise<TaskLink[]> {
    return this.guard('listLinks', (s) => readLinks(s, planId, taskId));
  }

  getContextOverrides(planId: string, taskId: string): Promise<ContextOverrides> {
    return this.guard('getContextOverrides', (s) => readContextOverrides(s, planId, taskId));
  }

  putContextOverrides(planId: string, taskId: string, overrides: ContextOverrides, audit?: AuditInput): Promise<void> {
    return this.guard('putContextOverrides', (s) =>
      this.write(() => {
        writeContextOverrides(s, planId, taskId, overrides, now());
        if (audit) insertAudit(s, audit);
      }),
    );
  }

  // ---------------------------------------------------------------- runs

  createRun(run: RunRecord): Promise<void> {
    return this.guard('createRun', (s) => this.write(() => writeCreateRun(s, run)));
  }

  getRun(id: string): Promise<RunRecord | undefined> {
    return this.guard('getRun', (s) => {
      const row = s.getRun.get(id) as RunRow | undefined;
      return row && runFromRow(row);
    });
  }

  listRuns(limit?: number): Promise<RunRecord[]> {
    return this.guard('listRuns', (s) => (s.listRuns.all({ limit: limit ?? -1 }) as RunRow[]).map(runFromRow));
  }

  updateRun(id: string, patch: Partial<Omit<RunRecord, 'id' | 'createdAt'>>): Promise<void> {
    return this.guard('updateRun', () => writeRunPatch(this.db, this.runUpdates, id, patch, now()));
  }

  expandRunGraph(id: string, graph: GraphSpec, newNodes: RunNodeRecord[]): Promise<void> {
    return this.guard('expandRunGraph', (s) =>
      this.write(() => {
        if (s.setRunGraph.run({ id, graph: storedJson(graph), updated_at: now() }).changes === 0) throw runNotFound(id);
        for (const node of newNodes) s.insertRunNodeIfNew.run(runNodeValues({ ...node, runId: id }));
      }),
    );
  }

  listRunNodes(runId: string): Promise<RunNodeRecord[]> {
    return this.guard('listRunNodes', (s) => (s.listRunNodes.all(runId) as RunNodeRow[]).map(runNodeFromRow));
  }

  putRunNodes(nodes: RunNodeRecord[]): Promise<void> {
    return this.guard(
      'putRunNodes',
      (s) => this.write(() => {
        for (const node of nodes) s.upsertRunNode.run(runNodeValues(node));
      }),
      { missing: () => `run ${[...new Set(nodes.map((n) => n.runId))].join(', ')} not found` },
    );
  }

  getRunTask(runId: string, taskId: string): Promise<RunTaskRecord | undefined> {
    return this.guard('getRunTask', (s) => {
      const row = s.getRunTask.get(runId, taskId) as RunTaskRow | undefined;
      return row && runTaskFromRow(row);
    });
  }

  listRunTasks(runId: string): Promise<RunTaskRecord[]> {
    return this.guard('listRunTasks', (s) => (s.listRunTasks.all(runId) as RunTaskRow[]).map(runTaskFromRow));
  }

  putRunTask(task: RunTaskRecord): Promise<void> {
    return this.guard('putRunTask', (s) => void s.upsertRunTask.run(runTaskParams(task)), {
      missing: () => `run ${task.runId} not found`,
    });
  }

  // ---------------------------------------------------------------- attempts

  startAttempt(attempt: Omit<AttemptRecord, 'seq' | 'status'>): Promise<AttemptRecord> {
    return this.guard(
      'startAttempt',
      (s): AttemptRecord => ({ ...attempt, seq: this.tx.start.immediate(s, attempt), status: 'running' }),
      { missing: () => `run ${attempt.runId} not found` },
    );
  }

  finishAttempt(finish: AttemptFinish): Promise<void> {
    return this.guard('finishAttempt', (s) => this.tx.finish.immediate(s, finish), {
      missing: () => `run ${finish.node.runId} not found`,
    });
  }

  recordFinishedAttempt(attempt: Omit<AttemptRecord, 'seq'>, node: RunNodeRecord, options?: FinishedAttemptExtras): Promise<AttemptRecord> {
    return this.guard('recordFinishedAttempt', (s) => this.tx.finished.immediate(s, attempt, node, options), {
      missing: () => `run ${attempt.runId} not found`,
    });
  }

  recordFinishedAttempts(batch: readonly FinishedAttemptWrite[]): Promise<AttemptRecord[]> {
    if (batch.length === 0) return Promise.resolve([]);
    return this.guard(
      'recordFinishedAttempts',
      (s) => this.write(() => batch.map((w) => writeFinishedAttempt(s, w.attempt, w.node, w.extras))),
      { missing: () => `run ${batch[0]!.attempt.runId} not found` },
    );
  }

  recordCacheHit(attempt: Omit<AttemptRecord, 'seq'>, node: RunNodeRecord, runWorkspace?: WorkspaceSnapshot): Promise<AttemptRecord> {
    return this.recordFinishedAttempt({ ...attempt, status: 'cached' }, node, runWorkspace ? { runWorkspace } : undefined);
  }

  listAttempts(runId: string, nodeId?: string): Promise<AttemptRecord[]> {
    return this.guard('listAttempts', (s) => {
      const rows = nodeId === undefined ? s.listAttempts.all(runId) : s.listAttemptsOfNode.all(runId, nodeId);
      return (rows as AttemptRow[]).map(attemptFromRow);
    });
  }

  markNodeRunning(runId: string, nodeId: string, attempts: number, startedAt: string): Promise<void> {
    return this.guard('markNodeRunning', (s) => {
      if (s.markNodeRunning.run(attempts, startedAt, runId, nodeId).changes === 0) {
        throw new TaskgraphError('NOT_FOUND', `markNodeRunning: run ${runId} has no node ${nodeId}`, {
          details: { runId, nodeId },
          hint: 'mark only nodes of the run graph (createRun / expandRunGraph add their rows)',
        });
      }
    });
  }

  listAttemptSummaries(runId: string): Promise<AttemptSummary[]> {
    return this.guard('listAttemptSummaries', (s) => (s.listAttemptSummaries.all(runId) as AttemptSummaryRow[]).map(attemptSummaryFromRow));
  }

  interruptRunning(runId: string): Promise<number> {
    return this.guard('interruptRunning', (s) =>
      this.write(() => {
        s.interruptNodes.run({ run_id: runId });
        return s.interruptAttempts.run({ run_id: runId, finished_at: now() }).changes;
      }),
    );
  }

  lastSuccessfulAttempt(nodeId: string, beforeRunId?: string): Promise<AttemptRecord | undefined> {
    return this.guard('lastSuccessfulAttempt', (s) => {
      const row = s.lastSuccessful.get({ node_id: nodeId, before: beforeRunId ?? null }) as AttemptRow | undefined;
      return row && attemptFromRow(row);
    });
  }

  recentSuccessfulAttempts(nodeId: string, limit: number, beforeRunId?: string): Promise<AttemptRecord[]> {
    return this.guard('recentSuccessfulAttempts', (s) => {
      const rows = s.recentSuccessful.all({ node_id: nodeId, before: beforeRunId ?? null, limit: Math.max(0, Math.floor(limit)) }) as AttemptRow[];
      return rows.map(attemptFromRow);
    });
  }

  // ---------------------------------------------------------------- cache and decisions

  getCache(key: string): Promise<CacheEntry | undefined> {
    return this.guard('getCache', (s) => {
      const row = s.getCache.get(key) as CacheRow | undefined;
      return row && cacheFromRow(row);
    });
  }

  putDecision(decision: DecisionRecord): Promise<void> {
    return this.guard('putDecision', (s) => writeDecision(s, decision), {
      missing: () => `run ${decision.runId} not found`,
    });
  }

  getDecision(runId: string, nodeId: string): Promise<DecisionRecord | undefined> {
    return this.guard('getDecision', (s) => readDecision(s, runId, nodeId));
  }

  decide(decision: DecisionRecord, audit: AuditInput): Promise<AuditEntry> {
    return this.guard('decide', (s) => this.write(() => writeDecide(s, decision, audit)), {
      missing: () => `run ${decision.runId} not found`,
    });
  }

  // ---------------------------------------------------------------- lease and sessions

  acquireRunLease(request: LeaseRequest): Promise<RunLease> {
    return this.guard('acquireRunLease', (s) => this.write(() => writeAcquireLease(s, request)), {
      missing: () => `run ${request.runId} not found`,
    });
  }

  heartbeatRunLease(runId: string, token: string, now: string): Promise<boolean> {
    return this.guard('heartbeatRunLease', (s) => s.heartbeatLease.run(now, runId, token).changes > 0);
  }

  releaseRunLease(runId: string, token: string): Promise<boolean> {
    return this.guard('releaseRunLease', (s) => s.releaseLease.run(runId, token).changes > 0);
  }

  getRunLease(runId: string): Promise<RunLease | undefined> {
    return this.guard('getRunLease', (s) => readLease(s, runId));
  }

  startRunSession(session: Omit<RunSession, 'number' | 'endedAt' | 'outcome' | 'reason'>): Promise<RunSession> {
    return this.guard('startRunSession', (s) => this.write(() => writeStartSession(s, session)), {
      missing: () => `run ${session.runId} not found`,
    });
  }

  endRunSession(runId: string, number: number, end: SessionEnd): Promise<void> {
    return this.guard('endRunSession', (s) => writeEndSession(s, runId, number, end));
  }

  listRunSessions(runId: string): Promise<RunSession[]> {
    return this.guard('listRunSessions', (s) => readSessions(s, runId));
  }

  // ---------------------------------------------------------------- audit log (sqlite-audit.ts)

  appendAudit(entry: AuditInput): Promise<AuditEntry> {
    return this.guard('appendAudit', (s) => this.write(() => insertAudit(s, entry)));
  }

  listAudit(runId?: string): Promise<AuditEntry[]> {
    return this.guard('listAudit', (s) => listAudit(s, runId));
  }

  // ---------------------------------------------------------------- run event log (sqlite-run-events.ts)

  appendRunEvents(events: readonly RunEventInput[]): Promise<RunEvent[]> {
    if (events.length === 0) return Promise.resolve([]);
    return this.guard('appendRunEvents', (s) => this.write(() => insertRunEvents(s, events)), {
      missing: () => `run ${[...new Set(events.map((e) => e.runId))].join(', ')} not found`,
    });
  }

  listRunEvents(runId: string, query?: RunEventQuery): Promise<RunEvent[]> {
    return this.guard('listRunEvents', (s) => listRunEvents(s, runId, query));
  }

  // ---------------------------------------------------------------- webhook outbox (sqlite-webhook-deliveries.ts)

  enqueueWebhookDeliveries(rows: readonly WebhookDeliveryInput[]): Promise<WebhookDelivery[]> {
    if (rows.length === 0) return Promise.resolve([]);
    return this.guard('enqueueWebhookDeliveries', (s) => this.write(() => insertWebhookDeliveries(s, rows)));
  }

  listWebhookDeliveries(query?: WebhookDeliveryQuery): Promise<WebhookDelivery[]> {
    return this.guard('listWebhookDeliveries', (s) => listWebhookDeliveries(s, query));
  }

  recordWebhookAttempt(id: string, attempt: WebhookAttempt): Promise<void> {
    return this.guard('recordWebhookAttempt', (s) => {
      if (!updateWebhookDelivery(s, id, attempt)) {
        throw new TaskgraphError('NOT_FOUND', `webhook delivery ${id} not found`, { details: { id }, hint: 'list deliveries: taskgraph webhooks deliveries' });
      }
    });
  }
}
