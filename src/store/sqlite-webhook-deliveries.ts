import { TaskgraphError } from '../core/errors.js';
import { secretRedactor } from '../security/redact.js';
import type { Statements } from './sqlite-statements.js';
import { WEBHOOK_DELIVERY_STATUSES, type WebhookAttempt, type WebhookDelivery, type WebhookDeliveryInput, type WebhookDeliveryQuery, type WebhookDeliveryStatus } from './webhook-deliveries.js';

/**
 * Reads and writes the `webhook_deliveries` table (migration 10) for
 * {@link import('./sqlite-store.js').SqliteStore}. The body passes the store's redactor on its way
 * in, like every stored value, so a receiver never gets a secret the store does not hold.
 */

/** A `webhook_deliveries` row as selected. */
export interface DeliveryRow {
  id: string;
  url: string;
  event: string;
  body: string;
  attempts: number;
  next_at: number;
  status: string;
  last_error: string | null;
  created_at: number;
}

/**
 * Inserts `rows` in order (the caller runs this inside ONE write transaction).
 * @returns the rows as stored (`attempts` 0, `pending`, body redacted)
 * @throws TaskgraphError CONFIG_INVALID for a non-integer time or an empty id, url, event, before
 *   any row is written; SqliteError (primary key) for a duplicate id
 */
export function insertWebhookDeliveries(s: Statements, rows: readonly WebhookDeliveryInput[]): WebhookDelivery[] {
  checkWebhookDeliveries(rows);
  const redactor = secretRedactor();
  return rows.map((r) => {
    const body = redactor.redact(r.body);
    s.insertWebhookDelivery.run(r.id, r.url, r.event, body, r.nextAt, r.createdAt);
    return { ...r, body, attempts: 0, status: 'pending' as const };
  });
}

/**
 * Checks deliveries before any is written (shared by the SQLite and PostgreSQL stores).
 * @throws TaskgraphError CONFIG_INVALID for a non-integer time or an empty id, url or event
 */
export function checkWebhookDeliveries(rows: readonly WebhookDeliveryInput[]): void {
  for (const r of rows) {
    if (!Number.isSafeInteger(r.nextAt) || !Number.isSafeInteger(r.createdAt)) throw invalid(`webhook delivery times must be whole ms, got ${r.nextAt}/${r.createdAt}`);
    if (!r.id || !r.url || !r.event) throw invalid('a webhook delivery needs an id, a url and an event');
  }
}

/** Deliveries in creation order (then insertion), filtered by `query`. */
export function listWebhookDeliveries(s: Statements, query: WebhookDeliveryQuery = {}): WebhookDelivery[] {
  const limit = query.limit === undefined ? -1 : Math.max(0, Math.floor(query.limit));
  const rows = s.listWebhookDeliveries.all({ status: query.status ?? null, due: query.dueBy ?? null, limit }) as DeliveryRow[];
  return rows.map(deliveryFromRow);
}

/**
 * Records one attempt of delivery `id`.
 * @returns false when no such delivery exists
 * @throws TaskgraphError CONFIG_INVALID for an unknown status or a negative attempt count
 */
export function updateWebhookDelivery(s: Statements, id: string, attempt: WebhookAttempt): boolean {
  const error = checkWebhookAttempt(attempt);
  return s.updateWebhookDelivery.run(attempt.status, attempt.attempts, attempt.nextAt, error, id).changes > 0;
}

/**
 * Checks one delivery attempt (shared by the SQLite and PostgreSQL stores).
 * @returns the error to store: redacted, or null when absent
 * @throws TaskgraphError CONFIG_INVALID for an unknown status or a negative attempt count
 */
export function checkWebhookAttempt(attempt: WebhookAttempt): string | null {
  if (!WEBHOOK_DELIVERY_STATUSES.includes(attempt.status)) throw invalid(`unknown webhook delivery status "${attempt.status}"`);
  if (!Number.isSafeInteger(attempt.attempts) || attempt.attempts < 0 || !Number.isSafeInteger(attempt.nextAt)) throw invalid('attempts and nextAt must be whole numbers');
  return attempt.lastError === undefined ? null : secretRedactor().redact(attempt.lastError);
}

/** A `webhook_deliveries` row -> delivery (shared with the PostgreSQL store). */
export function deliveryFromRow(row: DeliveryRow): WebhookDelivery {
  return {
    id: row.id,
    url: row.url,
    event: row.event,
    body: row.body,
    nextAt: row.next_at,
    createdAt: row.created_at,
    attempts: row.attempts,
    status: row.status as WebhookDeliveryStatus,
    ...(row.last_error !== null ? { lastError: row.last_error } : {}),
  };
}

function invalid(message: string): TaskgraphError {
  return new TaskgraphError('CONFIG_INVALID', message, { details: {}, hint: 'give each webhook delivery an id, url, event and integer times (ms since the Unix epoch)' });
}
