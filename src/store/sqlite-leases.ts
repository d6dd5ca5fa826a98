import { TaskgraphError } from '../core/errors.js';
import { leaseGrant, runLockedError } from './lease-rules.js';
import { runNotFound } from './sqlite-errors.js';
import type { Statements } from './sqlite-statements.js';
import type { LeaseRequest, RunLease, RunSession, SessionEnd, SessionOutcome } from './store.js';

/**
 * The `run_leases` and `run_sessions` tables (migration 4) for
 * {@link import('./sqlite-store.js').SqliteStore}: a run's lease (DESIGN.md §6) and its sessions.
 * The write functions run INSIDE a write transaction the caller opened (`BEGIN IMMEDIATE`), so the
 * read of the current lease and the write that replaces it are one atomic step across processes.
 */

/** A `run_leases` row. */
export interface LeaseRow { run_id: string; token: string; pid: number; host: string; acquired_at: string; heartbeat_at: string }
/** A `run_sessions` row. */
export interface SessionRow {
  run_id: string; number: number; command: string; pid: number; host: string; started_at: string;
  ended_at: string | null; outcome: string | null; reason: string | null;
}

/** Lease row -> record (shared with the PostgreSQL store). */
export function leaseFromRow(row: LeaseRow): RunLease {
  return { runId: row.run_id, token: row.token, pid: row.pid, host: row.host, acquiredAt: row.acquired_at, heartbeatAt: row.heartbeat_at };
}

/** Session row -> record (absent optional fields stay absent; shared with the PostgreSQL store). */
export function sessionFromRow(row: SessionRow): RunSession {
  const session: RunSession = {
    runId: row.run_id,
    number: row.number,
    command: row.command,
    pid: row.pid,
    host: row.host,
    startedAt: row.started_at,
  };
  if (row.ended_at !== null) session.endedAt = row.ended_at;
  if (row.outcome !== null) session.outcome = row.outcome as SessionOutcome;
  if (row.reason !== null) session.reason = row.reason;
  return session;
}

/** The run's lease, if a row exists. */
export function readLease(s: Statements, runId: string): RunLease | undefined {
  const row = s.getLease.get(runId) as LeaseRow | undefined;
  return row && leaseFromRow(row);
}

/**
 * Takes the lease as {@link leaseGrant} allows. Run inside a write transaction.
 * @returns the lease now held by `request.token` (a same-holder request keeps its acquiredAt)
 * @throws TaskgraphError RUN_LOCKED (see {@link runLockedError}); NOT_FOUND for an unknown run
 */
export function writeAcquireLease(s: Statements, request: LeaseRequest): RunLease {
  const current = readLease(s, request.runId);
  const grant = leaseGrant(current, request);
  if (grant === 'locked') throw runLockedError(current!, request);
  if (!current && !s.getRun.get(request.runId)) throw runNotFound(request.runId);
  const lease: RunLease = {
    runId: request.runId,
    token: request.token,
    pid: request.pid,
    host: request.host,
    acquiredAt: grant === 'same-holder' ? current!.acquiredAt : request.now,
    heartbeatAt: request.now,
  };
  s.upsertLease.run({
    run_id: lease.runId,
    token: lease.token,
    pid: lease.pid,
    host: lease.host,
    acquired_at: lease.acquiredAt,
    heartbeat_at: lease.heartbeatAt,
  });
  return lease;
}

/**
 * Records a new session, numbered after the run's last one (the number is computed in the insert).
 * @throws SqliteError SQLITE_CONSTRAINT_FOREIGNKEY when the run does not exist (the caller maps it to NOT_FOUND)
 */
export function writeStartSession(s: Statements, session: Omit<RunSession, 'number' | 'endedAt' | 'outcome' | 'reason'>): RunSession {
  const { number } = s.insertSession.get({
    run_id: session.runId,
    command: session.command,
    pid: session.pid,
    host: session.host,
    started_at: session.startedAt,
  }) as { number: number };
  return { runId: session.runId, number, command: session.command, pid: session.pid, host: session.host, startedAt: session.startedAt };
}

/**
 * Ends a session.
 * @throws TaskgraphError NOT_FOUND when the run has no session `number`
 */
export function writeEndSession(s: Statements, runId: string, number: number, end: SessionEnd): void {
  const changes = s.endSession.run({ run_id: runId, number, ended_at: end.endedAt, outcome: end.outcome, reason: end.reason ?? null }).changes;
  if (changes === 0) {
    throw new TaskgraphError('NOT_FOUND', `endRunSession: run ${runId} has no session ${number}`, {
      details: { runId, number },
      hint: 'end only sessions returned by startRunSession',
    });
  }
}

/** The run's sessions in start order. */
export function readSessions(s: Statements, runId: string): RunSession[] {
  return (s.listSessions.all(runId) as SessionRow[]).map(sessionFromRow);
}
