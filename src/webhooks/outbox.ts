import { randomUUID } from 'node:crypto';
import type { WebhookConfig } from '../core/config.js';
import type { EngineObserver } from '../engine/events.js';
import type { Store } from '../store/store.js';
import type { WebhookDeliveryInput } from '../store/webhook-deliveries.js';
import { type WebhookEvent, webhookEventOf } from './webhook-events.js';

/**
 * Writes webhook events into the store's outbox (`store/webhook-deliveries.ts`): one row per event
 * and configured receiver that wants it, body `{ id, event, at, data }` (JSON; the store redacts
 * secrets from it). The write is started synchronously when the event happens — the SQLite store
 * commits before the call returns — so an event is on disk before the run goes on, and a crash
 * after it loses nothing: the next start delivers it (`delivery-worker.ts`). Delivery itself is
 * never awaited here.
 */
export class WebhookOutbox {
  /** the first write error met (writes go on; the run is never stopped by one) */
  failure: unknown;
  private readonly pending = new Set<Promise<unknown>>();

  /**
   * @param store where rows go
   * @param webhooks the `webhooks:` entries of taskgraph.yaml
   * @param onEnqueued called after rows were written (the worker's nudge)
   */
  constructor(
    private readonly store: Store,
    private readonly webhooks: readonly WebhookConfig[],
    private readonly onEnqueued: () => void = () => undefined,
  ) {}

  /** Engine observer: enqueues the webhook event an engine event stands for (never throws). */
  readonly observer: EngineObserver = (event) => {
    const hook = webhookEventOf(event);
    if (hook) void this.enqueue([hook]);
  };

  /**
   * Enqueues `events` for every receiver that wants them, in one store write.
   * @param nowMs the events' time (ms since the Unix epoch)
   * @returns the rows written (none when no receiver wants them); never rejects — an error is kept in {@link failure}
   */
  enqueue(events: readonly WebhookEvent[], nowMs = Date.now()): Promise<WebhookDeliveryInput[]> {
    const rows: WebhookDeliveryInput[] = [];
    for (const e of events) {
      for (const hook of this.webhooks) {
        if (!hook.events.includes(e.event)) continue;
        const id = randomUUID();
        rows.push({ id, url: hook.url, event: e.event, body: JSON.stringify({ id, event: e.event, at: nowMs, data: e.data }), nextAt: nowMs, createdAt: nowMs });
      }
    }
    if (rows.length === 0) return Promise.resolve([]);
    const write = this.store.enqueueWebhookDeliveries(rows).then(
      () => {
        this.onEnqueued();
        return rows;
      },
      (error: unknown) => {
        this.failure ??= error;
        return [];
      },
    );
    this.pending.add(write);
    void write.finally(() => this.pending.delete(write));
    return write;
  }

  /** Waits for writes already started (never rejects). */
  async flush(): Promise<void> {
    await Promise.all([...this.pending]);
  }
}
