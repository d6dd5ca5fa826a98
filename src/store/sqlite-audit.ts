import { TaskgraphError } from '../core/errors.js';
import type { Json } from '../core/json.js';
import { AUDIT_KINDS, type AuditEntry, type AuditInput } from './audit.js';
import { storedJson, storedText } from './sqlite-rows.js';
import type { Statements } from './sqlite-statements.js';

/**
 * Reads and writes the `audit` table (migration 5) for
 * {@link import('./sqlite-store.js').SqliteStore}. Who, subject, reason and details pass the
 * redactor on their way in (`sqlite-rows.ts`), like every stored text.
 */

/** An `audit` row as selected. */
export interface AuditRow {
  id: number;
  run_id: string | null;
  at: number;
  who: string;
  kind: string;
  subject: string;
  risk: number | null;
  reason: string;
  details: string;
}

/**
 * Appends one entry; run inside a write transaction (or alone: one INSERT is atomic).
 * @returns the entry as stored (its id, secrets redacted)
 * @throws TaskgraphError CONFIG_INVALID for an unknown kind, a risk outside 0–100 or a
 *   non-integer `at`, before anything is written
 */
export function insertAudit(s: Statements, input: AuditInput): AuditEntry {
  checkAuditInput(input);
  const row = s.insertAudit.get({
    run_id: input.runId ?? null,
    at: input.at,
    who: storedText(input.who),
    kind: input.kind,
    subject: storedText(input.subject),
    risk: input.risk ?? null,
    reason: storedText(input.reason),
    details: storedJson(input.details ?? {}),
  }) as AuditRow;
  return entryFromRow(row);
}

/**
 * Checks an entry before it is written (shared by the SQLite and PostgreSQL stores).
 * @throws TaskgraphError CONFIG_INVALID for an unknown kind, a risk outside 0–100 or a non-integer `at`
 */
export function checkAuditInput(input: AuditInput): void {
  if (!(AUDIT_KINDS as readonly string[]).includes(input.kind)) throw invalid(`unknown audit kind "${input.kind}"`);
  if (input.risk !== undefined && !(Number.isInteger(input.risk) && input.risk >= 0 && input.risk <= 100)) throw invalid(`audit risk must be an integer 0-100, got ${input.risk}`);
  if (!Number.isSafeInteger(input.at)) throw invalid(`audit time must be whole ms, got ${input.at}`);
}

/** The entries of `runId` (every entry when undefined), in append order. */
export function listAudit(s: Statements, runId?: string): AuditEntry[] {
  const rows = (runId === undefined ? s.listAudit.all() : s.listAuditOfRun.all(runId)) as AuditRow[];
  return rows.map(entryFromRow);
}

/** An `audit` row -> entry (absent optional fields stay absent; shared with the PostgreSQL store). */
export function entryFromRow(row: AuditRow): AuditEntry {
  return {
    id: row.id,
    ...(row.run_id !== null ? { runId: row.run_id } : {}),
    at: row.at,
    who: row.who,
    kind: row.kind as AuditEntry['kind'],
    subject: row.subject,
    ...(row.risk !== null ? { risk: row.risk } : {}),
    reason: row.reason,
    details: JSON.parse(row.details) as Record<string, Json>,
  };
}

function invalid(message: string): TaskgraphError {
  return new TaskgraphError('CONFIG_INVALID', message, { details: {} });
}
