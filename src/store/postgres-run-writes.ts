import { TaskgraphError } from '../core/errors.js';
import { sha256 } from '../core/hash.js';
import type { AuditEntry, AuditInput } from './audit.js';
import { leaseGrant, runLockedError } from './lease-rules.js';
import { exec, row, rows, type Db } from './postgres-db.js';
import { pgCode } from './postgres-errors.js';
import { insertAuditPg } from './postgres-logs.js';
import { PG } from './postgres-statements.js';
import { runNotFound } from './sqlite-errors.js';
import { leaseFromRow, sessionFromRow, type LeaseRow, type SessionRow } from './sqlite-leases.js';
import { decisionFromRow, decisionParams, RUN_PATCH_COLUMNS, REDACTED_RUN_COLUMNS, runNodeValues, runParams, storedJson, storedText, type DecisionRow } from './sqlite-rows.js';
import type { DecisionRecord, LeaseRequest, RunLease, RunRecord, RunSession, SessionEnd } from './store.js';

/**
 * Runs, decisions, the run lease and run sessions for
 * {@link import('./postgres-store.js').PostgresStore}, with SQLite's rules (`sqlite-run-writes.ts`,
 * `sqlite-decisions.ts`, `sqlite-leases.ts`, `lease-rules.ts`). Where SQLite relies on its single
 * writer (`BEGIN IMMEDIATE`) to make read-then-write atomic — taking a lease, numbering a
 * session, deciding a node — these lock the run row first (`lockRun`: FOR NO KEY UPDATE, which
 * does not block inserts of the run's attempts), so processes racing on one run take turns.
 * Functions run inside a transaction the caller opened unless they say otherwise.
 */

/** Locks the run row for this transaction. @throws TaskgraphError NOT_FOUND when the run does not exist */
async function lockRun(db: Db, runId: string): Promise<void> {
  if (!(await row(db, PG.lockRun, [runId]))) throw runNotFound(runId);
}

/**
 * Inserts the run and one `pending` node row per graph node.
 * @throws TaskgraphError STORE_ERROR when a run with this id exists
 */
export async function writeCreateRun(db: Db, run: RunRecord): Promise<void> {
  const p = runParams(run);
  try {
    await exec(db, PG.insertRun, [p['id'], p['status'], p['graph'], p['command'], p['options'], p['plan_id'], p['project_dir'], p['worktree'], p['branch'], p['base_commit'], p['workspace'], p['reason'], p['created_at'], p['updated_at']]);
  } catch (error) {
    if (pgCode(error) !== '23505') throw error;
    throw new TaskgraphError('STORE_ERROR', `createRun: run ${run.id} already exists`, {
      cause: error,
      details: { runId: run.id },
      hint: 'use a new run id, or resume the existing run',
    });
  }
  for (const node of run.graph.nodes) {
    await exec(db, PG.insertRunNode, runNodeValues({ runId: run.id, nodeId: node.id, status: 'pending', attempts: 0, task: node.task }));
  }
}

/**
 * Applies `patch` to run `id` in one UPDATE (alone: one statement is atomic). A key present with
 * value `undefined` clears a nullable column; `updatedAt` defaults to `now`. The UPDATE is named
 * by its sorted column set, so each set is prepared once per connection.
 * @throws TaskgraphError NOT_FOUND when the run is missing
 */
export async function writeRunPatch(db: Db, id: string, patch: Partial<Omit<RunRecord, 'id' | 'createdAt'>>, now: string): Promise<void> {
  const set: Array<{ column: string; value: string | null; json: boolean }> = [];
  for (const [key, value] of Object.entries(patch)) {
    const column = RUN_PATCH_COLUMNS[key];
    if (!column || (value === undefined && !column.nullable)) continue;
    const redact = REDACTED_RUN_COLUMNS.has(column.column);
    let stored: string | null;
    if (value === undefined) stored = null;
    else if (column.json) stored = redact ? storedJson(value) : JSON.stringify(value);
    else stored = redact ? storedText(value as string) : (value as string);
    set.push({ column: column.column, value: stored, json: column.json });
  }
  set.sort((a, b) => a.column.localeCompare(b.column));
  const values: unknown[] = [id, patch.updatedAt ?? now, ...set.map((s) => s.value)];
  const text = `UPDATE runs SET updated_at = $2${set.map((s, i) => `, ${s.column} = $${i + 3}`).join('')} WHERE id = $1`;
  const json = set.flatMap((s, i) => (s.json ? [i + 2] : []));
  // named by a hash of the column set: a statement name is an identifier (at most 63 bytes)
  const name = `tg.updateRun.${sha256(set.map((s) => s.column).join(',')).slice(0, 16)}`;
  if ((await exec(db, { name, text, json }, values)) === 0) throw runNotFound(id);
}

/** The decision of (run, node), or undefined. */
export async function readDecision(db: Db, runId: string, nodeId: string): Promise<DecisionRecord | undefined> {
  const found = await row<DecisionRow>(db, PG.getDecision, [runId, nodeId]);
  return found && decisionFromRow(found);
}

/** Upserts the decision of (run, node) (alone). @throws pg.DatabaseError 23503 when the run is missing */
export async function writeDecision(db: Db, decision: DecisionRecord): Promise<void> {
  const p = decisionParams(decision);
  await exec(db, PG.upsertDecision, [p['run_id'], p['node_id'], p['decision'], p['by'], p['at'], p['comment'], p['subject']]);
}

/**
 * Records `decision` and its audit entry together, under the run's lock, so two deciders racing
 * on one node take turns and the second is refused.
 * @returns the appended audit entry
 * @throws TaskgraphError NOT_FOUND (run), RUN_STATE (the node has a decision for the same subject), CONFIG_INVALID (entry)
 */
export async function writeDecide(db: Db, decision: DecisionRecord, audit: AuditInput): Promise<AuditEntry> {
  await lockRun(db, decision.runId);
  const prior = await row<DecisionRow>(db, PG.getDecision, [decision.runId, decision.nodeId]);
  if (prior && (prior.subject ?? undefined) === decision.subject) {
    throw new TaskgraphError('RUN_STATE', `node ${decision.nodeId} of run ${decision.runId} was already ${prior.decision} by ${prior.by} at ${prior.at}`, {
      details: { runId: decision.runId, nodeId: decision.nodeId, decision: prior.decision, by: prior.by },
    });
  }
  await writeDecision(db, decision);
  return insertAuditPg(db, audit);
}

/** The run's lease, if a row exists. */
export async function readLease(db: Db, runId: string): Promise<RunLease | undefined> {
  const found = await row<LeaseRow>(db, PG.getLease, [runId]);
  return found && leaseFromRow(found);
}

/**
 * Takes the lease as `leaseGrant` allows, under the run's lock: two processes racing for a free
 * lease take turns, and the second is refused.
 * @throws TaskgraphError RUN_LOCKED (see `runLockedError`); NOT_FOUND for an unknown run
 */
export async function writeAcquireLease(db: Db, request: LeaseRequest): Promise<RunLease> {
  await lockRun(db, request.runId);
  const current = await readLease(db, request.runId);
  const grant = leaseGrant(current, request);
  if (grant === 'locked') throw runLockedError(current!, request);
  const lease: RunLease = {
    runId: request.runId,
    token: request.token,
    pid: request.pid,
    host: request.host,
    acquiredAt: grant === 'same-holder' ? current!.acquiredAt : request.now,
    heartbeatAt: request.now,
  };
  await exec(db, PG.upsertLease, [lease.runId, lease.token, lease.pid, lease.host, lease.acquiredAt, lease.heartbeatAt]);
  return lease;
}

/**
 * Records a new session numbered after the run's last one, under the run's lock (two sessions
 * started at once get different numbers).
 * @throws TaskgraphError NOT_FOUND for an unknown run
 */
export async function writeStartSession(db: Db, session: Omit<RunSession, 'number' | 'endedAt' | 'outcome' | 'reason'>): Promise<RunSession> {
  await lockRun(db, session.runId);
  const { number } = (await row<{ number: number }>(db, PG.insertSession, [session.runId, session.command, session.pid, session.host, session.startedAt]))!;
  return { runId: session.runId, number, command: session.command, pid: session.pid, host: session.host, startedAt: session.startedAt };
}

/**
 * Ends a session (alone).
 * @throws TaskgraphError NOT_FOUND when the run has no session `number`
 */
export async function writeEndSession(db: Db, runId: string, number: number, end: SessionEnd): Promise<void> {
  if ((await exec(db, PG.endSession, [runId, number, end.endedAt, end.outcome, end.reason ?? null])) === 0) {
    throw new TaskgraphError('NOT_FOUND', `endRunSession: run ${runId} has no session ${number}`, {
      details: { runId, number },
      hint: 'end only sessions returned by startRunSession',
    });
  }
}

/** The run's sessions in start order. */
export async function readSessions(db: Db, runId: string): Promise<RunSession[]> {
  return (await rows<SessionRow>(db, PG.listSessions, [runId])).map(sessionFromRow);
}

/** Marks running attempts of the run `interrupted` and their nodes `pending`. @returns how many attempts */
export async function writeInterrupt(db: Db, runId: string, now: string): Promise<number> {
  await exec(db, PG.interruptNodes, [runId]);
  return exec(db, PG.interruptAttempts, [runId, now]);
}
