/**
 * The webhook outbox (issue 13 "Webhooks", migration 10): one row per event to POST to one
 * receiver. `webhooks/outbox.ts` writes rows when an event happens (before the run goes on), the
 * delivery worker (`webhooks/delivery-worker.ts`) POSTs due rows and records each attempt here, and
 * `taskgraph webhooks deliveries` lists them. A row is never deleted: its status says where it is.
 */

/** `pending`: to be (re)tried at `nextAt`; `delivered`: a 2xx answer came; `failed`: gave up after the last attempt. */
export type WebhookDeliveryStatus = 'pending' | 'delivered' | 'failed';

/** Every {@link WebhookDeliveryStatus}. */
export const WEBHOOK_DELIVERY_STATUSES: readonly WebhookDeliveryStatus[] = ['pending', 'delivered', 'failed'];

/** A delivery as handed to {@link import('./store.js').Store.enqueueWebhookDeliveries}. */
export interface WebhookDeliveryInput {
  /** delivery id (unique; sent as the `X-Taskgraph-Delivery` header) */
  id: string;
  /** receiver URL */
  url: string;
  /** webhook event name (`task_created`, `run_finished`, ...) */
  event: string;
  /** the JSON text to POST (secrets are redacted from it when stored) */
  body: string;
  /** first attempt not before this time, ms since the Unix epoch (an integer) */
  nextAt: number;
  /** when the event happened, ms since the Unix epoch (an integer) */
  createdAt: number;
}

/** A stored delivery. */
export interface WebhookDelivery extends WebhookDeliveryInput {
  /** attempts made so far */
  attempts: number;
  status: WebhookDeliveryStatus;
  /** why the last attempt failed (absent before any failure) */
  lastError?: string;
}

/** What one delivery attempt left, for {@link import('./store.js').Store.recordWebhookAttempt}. */
export interface WebhookAttempt {
  status: WebhookDeliveryStatus;
  /** attempts made so far, this one included */
  attempts: number;
  /** next try, ms since the Unix epoch (meaningful while `pending`) */
  nextAt: number;
  /** why it failed; absent on success */
  lastError?: string;
}

/** Which deliveries {@link import('./store.js').Store.listWebhookDeliveries} returns. */
export interface WebhookDeliveryQuery {
  /** only this status */
  status?: WebhookDeliveryStatus;
  /** only rows with `nextAt <= dueBy` (ms since the Unix epoch) */
  dueBy?: number;
  /** at most this many (default: all) */
  limit?: number;
}
