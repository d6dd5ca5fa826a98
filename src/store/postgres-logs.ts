import { secretRedactor } from '../security/redact.js';
import type { AuditEntry, AuditInput } from './audit.js';
import { exec, row, rows, type Db } from './postgres-db.js';
import { PG } from './postgres-statements.js';
import type { RunEvent, RunEventQuery } from './run-events.js';
import { checkAuditInput, entryFromRow, type AuditRow } from './sqlite-audit.js';
import { storedJson, storedText } from './sqlite-rows.js';
import { eventFromRow, type RunEventRow } from './sqlite-run-events.js';
import { checkWebhookAttempt, checkWebhookDeliveries, deliveryFromRow, type DeliveryRow } from './sqlite-webhook-deliveries.js';
import type { WebhookAttempt, WebhookDelivery, WebhookDeliveryInput, WebhookDeliveryQuery } from './webhook-deliveries.js';

/**
 * The append-only logs of {@link import('./postgres-store.js').PostgresStore}: the audit log
 * (`audit.ts`), reads of the run event log (`run-events.ts`; appends: `postgres-batch-writes.ts`) and the webhook outbox
 * (`webhook-deliveries.ts`). Validation, redaction and row mapping are the SQLite store's own
 * functions, so both stores accept, refuse and return the same things.
 */

/**
 * Appends one audit entry (inside the caller's transaction, or alone: one INSERT is atomic).
 * @returns the entry as stored (its id, secrets redacted)
 * @throws TaskgraphError CONFIG_INVALID (see `checkAuditInput`) before anything is written
 */
export async function insertAuditPg(db: Db, input: AuditInput): Promise<AuditEntry> {
  checkAuditInput(input);
  const stored = await row<AuditRow>(db, PG.insertAudit, [
    input.runId ?? null,
    input.at,
    storedText(input.who),
    input.kind,
    storedText(input.subject),
    input.risk ?? null,
    storedText(input.reason),
    storedJson(input.details ?? {}),
  ]);
  return entryFromRow(stored!);
}

/** Appends several entries in order (inside the caller's transaction). */
export async function insertAuditsPg(db: Db, entries: readonly AuditInput[] | undefined): Promise<void> {
  for (const entry of entries ?? []) await insertAuditPg(db, entry);
}

/** The audit entries of `runId` (every entry when undefined), in append order. */
export async function listAuditPg(db: Db, runId?: string): Promise<AuditEntry[]> {
  const found = runId === undefined ? await rows<AuditRow>(db, PG.listAudit) : await rows<AuditRow>(db, PG.listAuditOfRun, [runId]);
  return found.map(entryFromRow);
}

/** The run's events in seq order after `query.afterSeq`, at most `query.limit`. */
export async function listRunEventsPg(db: Db, runId: string, query: RunEventQuery = {}): Promise<RunEvent[]> {
  const after = Math.max(0, Math.floor(query.afterSeq ?? 0));
  const limit = query.limit === undefined ? null : Math.max(0, Math.floor(query.limit));
  return (await rows<RunEventRow>(db, PG.listRunEvents, [runId, after, limit])).map(eventFromRow);
}

/**
 * Inserts deliveries in order inside the caller's transaction.
 * @returns the rows as stored (`attempts` 0, `pending`, body redacted)
 * @throws TaskgraphError CONFIG_INVALID before anything is written; pg unique violation for a duplicate id
 */
export async function insertWebhookDeliveriesPg(db: Db, input: readonly WebhookDeliveryInput[]): Promise<WebhookDelivery[]> {
  checkWebhookDeliveries(input);
  const redactor = secretRedactor();
  const out: WebhookDelivery[] = [];
  for (const r of input) {
    const body = redactor.redact(r.body);
    await exec(db, PG.insertWebhookDelivery, [r.id, r.url, r.event, body, r.nextAt, r.createdAt]);
    out.push({ ...r, body, attempts: 0, status: 'pending' });
  }
  return out;
}

/** Deliveries in creation order (then insertion), filtered by `query`. */
export async function listWebhookDeliveriesPg(db: Db, query: WebhookDeliveryQuery = {}): Promise<WebhookDelivery[]> {
  const limit = query.limit === undefined ? null : Math.max(0, Math.floor(query.limit));
  return (await rows<DeliveryRow>(db, PG.listWebhookDeliveries, [query.status ?? null, query.dueBy ?? null, limit])).map(deliveryFromRow);
}

/**
 * Records one attempt of delivery `id`.
 * @returns false when no such delivery exists
 * @throws TaskgraphError CONFIG_INVALID for an unknown status or a negative attempt count
 */
export async function updateWebhookDeliveryPg(db: Db, id: string, attempt: WebhookAttempt): Promise<boolean> {
  const error = checkWebhookAttempt(attempt);
  return (await exec(db, PG.updateWebhookDelivery, [attempt.status, attempt.attempts, attempt.nextAt, error, id])) > 0;
}
