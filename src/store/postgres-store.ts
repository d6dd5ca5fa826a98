import pg from 'pg';
import { TaskgraphError } from '../core/errors.js';
import type { GraphSpec } from '../core/graph.js';
import type { PlanRecord, Task, TaskLink } from '../core/task.js';
import type { AuditEntry, AuditInput } from './audit.js';
import type { PlanApprovalInput, PlanEditInput, PlanVersion } from './plan-versions.js';
import { writeFinishAttempt, writeFinishedAttempt, writeStartAttempt } from './postgres-attempt-writes.js';
import { insertRunEventsBatch, writeFinishedBatch } from './postgres-batch-writes.js';
import { exec, row, rows, STORE_TYPES, transaction, type Db } from './postgres-db.js';
import { toPgStoreError, type PgErrorContext } from './postgres-errors.js';
import {
  insertAuditPg, insertWebhookDeliveriesPg, listAuditPg, listRunEventsPg, listWebhookDeliveriesPg, updateWebhookDeliveryPg,
} from './postgres-logs.js';
import { applyPostgresMigrations } from './postgres-migrations.js';
import {
  readContextOverrides, readLinks, readPlan, readPlans, readTask, readTasks, readVersions, writeAddLink, writeContextOverrides, writePlan,
  writePlanApproval, writePlanEdit, writePutTask, writeRemoveLink, writeTaskNote,
} from './postgres-plan-writes.js';
import {
  readDecision, readLease, readSessions, writeAcquireLease, writeCreateRun, writeDecide, writeDecision, writeEndSession, writeInterrupt,
  writeRunPatch, writeStartSession,
} from './postgres-run-writes.js';
import { PG } from './postgres-statements.js';
import type { RunEvent, RunEventInput, RunEventQuery } from './run-events.js';
import { runNotFound, taskNotFound } from './sqlite-errors.js';
import {
  attemptFromRow, attemptSummaryFromRow, cacheFromRow, runFromRow, runNodeFromRow, runNodeValues, runTaskFromRow, runTaskParams, storedJson,
  type AttemptRow, type AttemptSummaryRow, type CacheRow, type RunNodeRow, type RunRow, type RunTaskRow,
} from './sqlite-rows.js';
import { parsePostgresUrl, type PostgresLocation } from './store-location.js';
import type {
  AttemptFinish, AttemptRecord, AttemptSummary, CacheEntry, ContextOverrides, DecisionRecord, FinishedAttemptExtras, FinishedAttemptWrite, LeaseRequest,
  RunLease, RunNodeRecord, RunRecord, RunSession, RunTaskRecord, SessionEnd, Store, WorkspaceSnapshot,
} from './store.js';
import type { WebhookAttempt, WebhookDelivery, WebhookDeliveryInput, WebhookDeliveryQuery } from './webhook-deliveries.js';

const now = (): string => new Date().toISOString();

/** Options of {@link PostgresStore.open}. */
export interface PostgresStoreOptions {
  /** most connections the store's pool opens at once (default 10) */
  maxConnections?: number;
  /** ms to wait for a connection before failing (default 10,000) */
  connectTimeoutMs?: number;
}

/**
 * The {@link Store} on PostgreSQL (issue 15), selected by `store: postgres://...` in taskgraph.yaml
 * or `TASKGRAPH_DATABASE_URL` (`open-store.ts`). Same semantics as {@link import('./sqlite-store.js').SqliteStore}
 * (its docstring lists them; the conformance suite `store.case.ts` checks both):
 * - every multi-row write is one transaction (BEGIN ... COMMIT on one client of a `pg.Pool`), and a
 *   resolved promise means it committed ("write, then act", DESIGN.md §6);
 * - the same error codes (NOT_FOUND for a missing parent, RUN_STATE, RUN_LOCKED, CONFIG_INVALID,
 *   PLAN_INVALID, STORE_ERROR with a hint) and the same redaction of every stored text and JSON
 *   value (the row mappers of `sqlite-rows.ts`);
 * - outputs over `BLOB_THRESHOLD_BYTES` stored once in `blobs` by content hash.
 * Differences, all of PostgreSQL's making: several processes write at once (SQLite has one writer),
 * so read-then-write steps lock the run or plan row they depend on (`postgres-run-writes.ts`,
 * `postgres-plan-writes.ts`) and run events take an advisory lock (`postgres-logs.ts`); the NUL
 * character, which `text`/`jsonb` cannot hold, is stored as U+FFFD outside outputs (an output with
 * one is stored as a blob, exactly); jsonb keeps JSON values, not their key order.
 * The connection URL's password never appears in an error: they name the database by
 * {@link PostgresLocation.display}.
 */
export class PostgresStore implements Store {
  /** where the store lives (its `display` is safe to show) */
  readonly location: PostgresLocation;
  private readonly pool: pg.Pool;
  private closed = false;

  private constructor(location: PostgresLocation, options: PostgresStoreOptions) {
    this.location = location;
    this.pool = new pg.Pool({
      connectionString: location.connectionString,
      max: options.maxConnections ?? 10,
      connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
      types: STORE_TYPES,
    });
    // an idle client whose connection drops (server restart) emits `error` on the pool; without a
    // listener that would end the process. The next query gets a fresh connection or a mapped error.
    this.pool.on('error', () => undefined);
  }

  /**
   * Creates the store's connection pool (no connection is made until the first call). Does not
   * migrate: call {@link PostgresStore.migrate} (or use `openStore` in open-store.ts).
   * @param url a `postgres://` URL (optionally with `?schema=NAME`), or a parsed location
   * @throws TaskgraphError CONFIG_INVALID for a URL that does not parse (message without the password)
   */
  static open(url: string | PostgresLocation, options: PostgresStoreOptions = {}): PostgresStore {
    return new PostgresStore(typeof url === 'string' ? parsePostgresUrl(url) : url, options);
  }

  private ctx(op: string, words: Omit<PgErrorContext, 'op' | 'display'>): PgErrorContext {
    return { op, display: this.location.display, ...words };
  }

  /** Runs `fn` on the pool (one statement, or reads), mapping errors via {@link toPgStoreError}. */
  private async read<T>(op: string, fn: (db: Db) => Promise<T>, words: Omit<PgErrorContext, 'op' | 'display'> = {}): Promise<T> {
    try {
      return await fn(this.pool);
    } catch (error) {
      throw toPgStoreError(error, this.ctx(op, words));
    }
  }

  /** Runs `fn` in one transaction, mapping errors via {@link toPgStoreError}; nothing is written when it throws. */
  private async write<T>(op: string, fn: (db: Db) => Promise<T>, words: Omit<PgErrorContext, 'op' | 'display'> = {}): Promise<T> {
    try {
      return await transaction(this.pool, fn);
    } catch (error) {
      throw toPgStoreError(error, this.ctx(op, words));
    }
  }

  /**
   * Applies pending migrations (`postgres-migrations.ts`): creates the schema named by the URL when
   * missing; idempotent; safe when several processes migrate at once (advisory lock).
   * @throws TaskgraphError STORE_ERROR when the database is unreachable (hint: how to start it) or newer than this taskgraph
   */
  migrate(): Promise<void> {
    return this.read('migrate', () => applyPostgresMigrations(this.pool, this.location));
  }

  /** Closes the pool (idempotent). The store cannot be used afterwards. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }

  // ---------------------------------------------------------------- plans and tasks

  savePlan(plan: PlanRecord): Promise<void> {
    return this.write('savePlan', (db) => writePlan(db, plan));
  }

  editPlan(edit: PlanEditInput): Promise<PlanVersion> {
    return this.write('editPlan', async (db) => (await writePlanEdit(db, edit)).version);
  }

  listPlanVersions(planId: string): Promise<PlanVersion[]> {
    return this.read('listPlanVersions', (db) => readVersions(db, planId));
  }

  approvePlan(approval: PlanApprovalInput): Promise<PlanVersion> {
    return this.write('approvePlan', async (db) => (await writePlanApproval(db, approval)).version);
  }

  getPlan(id: string): Promise<PlanRecord | undefined> {
    return this.read('getPlan', (db) => readPlan(db, id));
  }

  listPlans(): Promise<PlanRecord[]> {
    return this.read('listPlans', (db) => readPlans(db));
  }

  getTask(planId: string, taskId: string): Promise<Task | undefined> {
    return this.read('getTask', (db) => readTask(db, planId, taskId));
  }

  listTasks(planId: string): Promise<Task[]> {
    return this.read('listTasks', (db) => readTasks(db, planId));
  }

  putTask(task: Task): Promise<void> {
    return this.write('putTask', (db) => writePutTask(db, task));
  }

  appendTaskNote(planId: string, taskId: string, note: string): Promise<Task> {
    return this.read('appendTaskNote', (db) => writeTaskNote(db, planId, taskId, note));
  }

  appendTaskNoteAudited(planId: string, taskId: string, note: string, audit: AuditInput): Promise<Task> {
    return this.write('appendTaskNoteAudited', (db) => writeTaskNote(db, planId, taskId, note, audit));
  }

  setTaskStatus(planId: string, taskId: string, status: Task['status']): Promise<void> {
    return this.read('setTaskStatus', async (db) => {
      if ((await exec(db, PG.setTaskStatus, [planId, taskId, status])) === 0) throw taskNotFound(planId, taskId);
    });
  }

  addLink(link: TaskLink): Promise<void> {
    return this.write('addLink', (db) => writeAddLink(db, link));
  }

  removeLink(link: TaskLink): Promise<void> {
    return this.write('removeLink', (db) => writeRemoveLink(db, link));
  }

  listLinks(planId: string, taskId?: string): Promise<TaskLink[]> {
    return this.read('listLinks', (db) => readLinks(db, planId, taskId));
  }

  getContextOverrides(planId: string, taskId: string): Promise<ContextOverrides> {
    return this.read('getContextOverrides', (db) => readContextOverrides(db, planId, taskId));
  }

  putContextOverrides(planId: string, taskId: string, overrides: ContextOverrides, audit?: AuditInput): Promise<void> {
    return this.write('putContextOverrides', async (db) => {
      await writeContextOverrides(db, planId, taskId, overrides, now());
      if (audit) await insertAuditPg(db, audit);
    });
  }

  // ---------------------------------------------------------------- runs

  createRun(run: RunRecord): Promise<void> {
    return this.write('createRun', (db) => writeCreateRun(db, run));
  }

  getRun(id: string): Promise<RunRecord | undefined> {
    return this.read('getRun', async (db) => {
      const found = await row<RunRow>(db, PG.getRun, [id]);
      return found && runFromRow(found);
    });
  }

  listRuns(limit?: number): Promise<RunRecord[]> {
    return this.read('listRuns', async (db) => (await rows<RunRow>(db, PG.listRuns, [limit ?? null])).map(runFromRow));
  }

  updateRun(id: string, patch: Partial<Omit<RunRecord, 'id' | 'createdAt'>>): Promise<void> {
    return this.read('updateRun', (db) => writeRunPatch(db, id, patch, now()));
  }

  expandRunGraph(id: string, graph: GraphSpec, newNodes: RunNodeRecord[]): Promise<void> {
    return this.write('expandRunGraph', async (db) => {
      if ((await exec(db, PG.setRunGraph, [id, storedJson(graph), now()])) === 0) throw runNotFound(id);
      for (const node of newNodes) await exec(db, PG.insertRunNodeIfNew, runNodeValues({ ...node, runId: id }));
    });
  }

  listRunNodes(runId: string): Promise<RunNodeRecord[]> {
    return this.read('listRunNodes', async (db) => (await rows<RunNodeRow>(db, PG.listRunNodes, [runId])).map(runNodeFromRow));
  }

  putRunNodes(nodes: RunNodeRecord[]): Promise<void> {
    return this.write(
      'putRunNodes',
      async (db) => {
        for (const node of nodes) await exec(db, PG.upsertRunNode, runNodeValues(node));
      },
      { missing: () => `run ${[...new Set(nodes.map((n) => n.runId))].join(', ')} not found` },
    );
  }

  getRunTask(runId: string, taskId: string): Promise<RunTaskRecord | undefined> {
    return this.read('getRunTask', async (db) => {
      const found = await row<RunTaskRow>(db, PG.getRunTask, [runId, taskId]);
      return found && runTaskFromRow(found);
    });
  }

  listRunTasks(runId: string): Promise<RunTaskRecord[]> {
    return this.read('listRunTasks', async (db) => (await rows<RunTaskRow>(db, PG.listRunTasks, [runId])).map(runTaskFromRow));
  }

  putRunTask(task: RunTaskRecord): Promise<void> {
    const p = runTaskParams(task);
    const values = [p['run_id'], p['task_id'], p['attempt'], p['status'], p['start_commit'], p['worktree'], p['branch'], p['integrated_commit']];
    return this.read('putRunTask', async (db) => void (await exec(db, PG.upsertRunTask, values)), { missing: () => `run ${task.runId} not found` });
  }

  // ---------------------------------------------------------------- attempts

  startAttempt(attempt: Omit<AttemptRecord, 'seq' | 'status'>): Promise<AttemptRecord> {
    return this.write('startAttempt', async (db): Promise<AttemptRecord> => ({ ...attempt, seq: await writeStartAttempt(db, attempt), status: 'running' }), {
      missing: () => `run ${attempt.runId} not found`,
    });
  }

  finishAttempt(finish: AttemptFinish): Promise<void> {
    return this.write('finishAttempt', (db) => writeFinishAttempt(db, finish), { missing: () => `run ${finish.node.runId} not found` });
  }

  recordFinishedAttempt(attempt: Omit<AttemptRecord, 'seq'>, node: RunNodeRecord, options?: FinishedAttemptExtras): Promise<AttemptRecord> {
    return this.write('recordFinishedAttempt', (db) => writeFinishedAttempt(db, attempt, node, options), { missing: () => `run ${attempt.runId} not found` });
  }

  recordFinishedAttempts(batch: readonly FinishedAttemptWrite[]): Promise<AttemptRecord[]> {
    if (batch.length === 0) return Promise.resolve([]);
    return this.write(
      'recordFinishedAttempts',
      (db) => writeFinishedBatch(db, batch),
      { missing: () => `run ${batch[0]!.attempt.runId} not found` },
    );
  }

  recordCacheHit(attempt: Omit<AttemptRecord, 'seq'>, node: RunNodeRecord, runWorkspace?: WorkspaceSnapshot): Promise<AttemptRecord> {
    return this.recordFinishedAttempt({ ...attempt, status: 'cached' }, node, runWorkspace ? { runWorkspace } : undefined);
  }

  listAttempts(runId: string, nodeId?: string): Promise<AttemptRecord[]> {
    return this.read('listAttempts', async (db) => {
      const found = nodeId === undefined ? await rows<AttemptRow>(db, PG.listAttempts, [runId]) : await rows<AttemptRow>(db, PG.listAttemptsOfNode, [runId, nodeId]);
      return found.map(attemptFromRow);
    });
  }

  listAttemptSummaries(runId: string): Promise<AttemptSummary[]> {
    return this.read('listAttemptSummaries', async (db) => (await rows<AttemptSummaryRow>(db, PG.listAttemptSummaries, [runId])).map(attemptSummaryFromRow));
  }

  markNodeRunning(runId: string, nodeId: string, attempts: number, startedAt: string): Promise<void> {
    return this.read('markNodeRunning', async (db) => {
      if ((await exec(db, PG.markNodeRunning, [attempts, startedAt, runId, nodeId])) === 0) {
        throw new TaskgraphError('NOT_FOUND', `markNodeRunning: run ${runId} has no node ${nodeId}`, {
          details: { runId, nodeId },
          hint: 'mark only nodes of the run graph (createRun / expandRunGraph add their rows)',
        });
      }
    });
  }

  interruptRunning(runId: string): Promise<number> {
    return this.write('interruptRunning', (db) => writeInterrupt(db, runId, now()));
  }

  lastSuccessfulAttempt(nodeId: string, beforeRunId?: string): Promise<AttemptRecord | undefined> {
    return this.read('lastSuccessfulAttempt', async (db) => {
      const found = await row<AttemptRow>(db, PG.lastSuccessful, [nodeId, beforeRunId ?? null]);
      return found && attemptFromRow(found);
    });
  }

  recentSuccessfulAttempts(nodeId: string, limit: number, beforeRunId?: string): Promise<AttemptRecord[]> {
    return this.read('recentSuccessfulAttempts', async (db) =>
      (await rows<AttemptRow>(db, PG.recentSuccessful, [nodeId, beforeRunId ?? null, Math.max(0, Math.floor(limit))])).map(attemptFromRow),
    );
  }

  // ---------------------------------------------------------------- cache and decisions

  getCache(key: string): Promise<CacheEntry | undefined> {
    return this.read('getCache', async (db) => {
      const found = await row<CacheRow>(db, PG.getCache, [key]);
      return found && cacheFromRow(found);
    });
  }

  putDecision(decision: DecisionRecord): Promise<void> {
    return this.read('putDecision', (db) => writeDecision(db, decision), { missing: () => `run ${decision.runId} not found` });
  }

  getDecision(runId: string, nodeId: string): Promise<DecisionRecord | undefined> {
    return this.read('getDecision', (db) => readDecision(db, runId, nodeId));
  }

  decide(decision: DecisionRecord, audit: AuditInput): Promise<AuditEntry> {
    return this.write('decide', (db) => writeDecide(db, decision, audit), { missing: () => `run ${decision.runId} not found` });
  }

  // ---------------------------------------------------------------- lease and sessions

  acquireRunLease(request: LeaseRequest): Promise<RunLease> {
    return this.write('acquireRunLease', (db) => writeAcquireLease(db, request), { missing: () => `run ${request.runId} not found` });
  }

  heartbeatRunLease(runId: string, token: string, at: string): Promise<boolean> {
    return this.read('heartbeatRunLease', async (db) => (await exec(db, PG.heartbeatLease, [at, runId, token])) > 0);
  }

  releaseRunLease(runId: string, token: string): Promise<boolean> {
    return this.read('releaseRunLease', async (db) => (await exec(db, PG.releaseLease, [runId, token])) > 0);
  }

  getRunLease(runId: string): Promise<RunLease | undefined> {
    return this.read('getRunLease', (db) => readLease(db, runId));
  }

  startRunSession(session: Omit<RunSession, 'number' | 'endedAt' | 'outcome' | 'reason'>): Promise<RunSession> {
    return this.write('startRunSession', (db) => writeStartSession(db, session), { missing: () => `run ${session.runId} not found` });
  }

  endRunSession(runId: string, number: number, end: SessionEnd): Promise<void> {
    return this.read('endRunSession', (db) => writeEndSession(db, runId, number, end));
  }

  listRunSessions(runId: string): Promise<RunSession[]> {
    return this.read('listRunSessions', (db) => readSessions(db, runId));
  }

  // ---------------------------------------------------------------- audit log, run events, webhook outbox (postgres-logs.ts)

  appendAudit(entry: AuditInput): Promise<AuditEntry> {
    return this.read('appendAudit', (db) => insertAuditPg(db, entry));
  }

  listAudit(runId?: string): Promise<AuditEntry[]> {
    return this.read('listAudit', (db) => listAuditPg(db, runId));
  }

  appendRunEvents(events: readonly RunEventInput[]): Promise<RunEvent[]> {
    if (events.length === 0) return Promise.resolve([]);
    return this.write('appendRunEvents', (db) => insertRunEventsBatch(db, events), {
      missing: () => `run ${[...new Set(events.map((e) => e.runId))].join(', ')} not found`,
    });
  }

  listRunEvents(runId: string, query?: RunEventQuery): Promise<RunEvent[]> {
    return this.read('listRunEvents', (db) => listRunEventsPg(db, runId, query));
  }

  enqueueWebhookDeliveries(input: readonly WebhookDeliveryInput[]): Promise<WebhookDelivery[]> {
    if (input.length === 0) return Promise.resolve([]);
    return this.write('enqueueWebhookDeliveries', (db) => insertWebhookDeliveriesPg(db, input));
  }

  listWebhookDeliveries(query?: WebhookDeliveryQuery): Promise<WebhookDelivery[]> {
    return this.read('listWebhookDeliveries', (db) => listWebhookDeliveriesPg(db, query));
  }

  recordWebhookAttempt(id: string, attempt: WebhookAttempt): Promise<void> {
    return this.read('recordWebhookAttempt', async (db) => {
      if (!(await updateWebhookDeliveryPg(db, id, attempt))) {
        throw new TaskgraphError('NOT_FOUND', `webhook delivery ${id} not found`, { details: { id }, hint: 'list deliveries: taskgraph webhooks deliveries' });
      }
    });
  }
}
