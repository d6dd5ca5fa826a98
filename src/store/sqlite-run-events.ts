import { TaskgraphError } from '../core/errors.js';
import type { Json } from '../core/json.js';
import type { RunEvent, RunEventInput, RunEventQuery } from './run-events.js';
import { storedJson } from './sqlite-rows.js';
import type { Statements } from './sqlite-statements.js';

/**
 * Reads and writes the `run_events` table (migration 9) for
 * {@link import('./sqlite-store.js').SqliteStore}. `data` passes the store's redactor on its way
 * in (`storedJson`, `sqlite-rows.ts`), like every stored JSON value; the event is returned as
 * stored, so a caller never holds a secret the log does not.
 */

/** A `run_events` row as selected. */
export interface RunEventRow {
  seq: number;
  run_id: string;
  at: number;
  type: string;
  node_id: string | null;
  data: string;
}

/**
 * Inserts `events` in order; run inside ONE write transaction (all or nothing).
 * @returns the events as stored (with `seq`, `data` redacted)
 * @throws TaskgraphError CONFIG_INVALID for a non-integer `at` or an empty type, before any row
 *   of the batch is written; SqliteError (foreign key) for an unknown run — the caller maps it to NOT_FOUND
 */
export function insertRunEvents(s: Statements, events: readonly RunEventInput[]): RunEvent[] {
  checkRunEvents(events);
  return events.map((e) => {
    const row = s.insertRunEvent.get(e.runId, e.at, e.type, e.nodeId ?? null, storedJson(e.data)) as { seq: number; data: string };
    return {
      seq: row.seq,
      runId: e.runId,
      at: e.at,
      type: e.type,
      ...(e.nodeId !== undefined ? { nodeId: e.nodeId } : {}),
      data: JSON.parse(row.data) as Record<string, Json>,
    };
  });
}

/**
 * Checks a batch before any of it is written (shared by the SQLite and PostgreSQL stores).
 * @throws TaskgraphError CONFIG_INVALID for a non-integer `at` or an empty type
 */
export function checkRunEvents(events: readonly RunEventInput[]): void {
  for (const e of events) {
    if (!Number.isSafeInteger(e.at)) throw invalid(`run event time must be whole ms, got ${e.at}`);
    if (typeof e.type !== 'string' || e.type === '') throw invalid('a run event needs a type');
  }
}

/** The run's events in seq order after `query.afterSeq`, at most `query.limit`. */
export function listRunEvents(s: Statements, runId: string, query: RunEventQuery = {}): RunEvent[] {
  const after = Math.max(0, Math.floor(query.afterSeq ?? 0));
  const limit = query.limit === undefined ? -1 : Math.max(0, Math.floor(query.limit));
  return (s.listRunEvents.all(runId, after, limit) as RunEventRow[]).map(eventFromRow);
}

/** A `run_events` row -> event (shared with the PostgreSQL store). */
export function eventFromRow(row: RunEventRow): RunEvent {
  return {
    seq: row.seq,
    runId: row.run_id,
    at: row.at,
    type: row.type,
    ...(row.node_id !== null ? { nodeId: row.node_id } : {}),
    data: JSON.parse(row.data) as Record<string, Json>,
  };
}

function invalid(message: string): TaskgraphError {
  return new TaskgraphError('CONFIG_INVALID', message, { details: {}, hint: 'give each run event a type and an integer `at` (ms since the Unix epoch)' });
}
