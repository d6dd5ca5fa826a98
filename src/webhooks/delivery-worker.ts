import { backoffDelayMs } from '../core/backoff.js';
import type { WebhookConfig } from '../core/config.js';
import type { Store } from '../store/store.js';
import type { WebhookDelivery } from '../store/webhook-deliveries.js';
import { DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, signWebhook } from './signature.js';

/** Options of {@link DeliveryWorker}. */
export interface DeliveryWorkerOptions {
  env?: NodeJS.ProcessEnv;
  /** ms between looks at the outbox while started (default 1000) */
  pollMs?: number;
  /** backoff ceiling after the first failure, ms (default 2000) */
  baseDelayMs?: number;
  /** largest backoff ceiling, ms (default 10 minutes) */
  maxDelayMs?: number;
  /** rows per pass (default 50) */
  batch?: number;
  /** HTTP client (default the global fetch) */
  fetch?: typeof fetch;
}

/**
 * POSTs due rows of the webhook outbox (`store/webhook-deliveries.ts`) and records each attempt:
 * a 2xx answer marks the row `delivered`; anything else (status, timeout, refused connection,
 * missing secret) counts an attempt and schedules the next one with exponential backoff and full
 * jitter (`core/backoff.ts`), until the receiver's `maxAttempts`, then `failed`.
 *
 * It runs beside the engine, never in its way: {@link start} polls on an unref'd timer (it never
 * keeps the process alive), and {@link close} stops, giving requests in flight at most `graceMs`.
 * What is left stays `pending` and is delivered by the next process that starts a worker (every
 * CLI command opening the project). Delivery is at least once: a receiver dedupes on the
 * `X-Taskgraph-Delivery` id.
 */
export class DeliveryWorker {
  private timer: NodeJS.Timeout | undefined;
  private pass: Promise<number> | undefined;
  private again = false;
  private stopped = false;
  private readonly aborter = new AbortController();

  /**
   * @param store the outbox
   * @param webhooks receivers by URL: the secret and limits of a row come from the entry with its URL
   */
  constructor(
    private readonly store: Store,
    private readonly webhooks: readonly WebhookConfig[],
    private readonly options: DeliveryWorkerOptions = {},
  ) {}

  /** Starts polling (and delivers what is due now: deliveries an earlier process left pending). */
  start(): void {
    this.stopped = false;
    this.kick();
  }

  /** Asks for a pass soon (after the current one, if any). Never throws. */
  kick(): void {
    if (this.stopped) return;
    if (this.pass) {
      this.again = true;
      return;
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.pass = this.deliverDue().finally(() => {
      this.pass = undefined;
      if (this.stopped) return;
      if (this.again) {
        this.again = false;
        this.kick();
        return;
      }
      this.timer = setTimeout(() => this.kick(), this.options.pollMs ?? 1000);
      this.timer.unref();
    });
  }

  /**
   * One pass: POSTs every pending row due now (up to `batch`, concurrently) and records the outcomes.
   * @returns how many were delivered; never rejects (a store error ends the pass)
   */
  async deliverDue(nowMs = Date.now()): Promise<number> {
    let due: WebhookDelivery[];
    try {
      due = await this.store.listWebhookDeliveries({ status: 'pending', dueBy: nowMs, limit: this.options.batch ?? 50 });
    } catch {
      return 0;
    }
    const results = await Promise.all(due.map((row) => this.attempt(row)));
    return results.filter(Boolean).length;
  }

  /**
   * Stops polling; requests in flight get `graceMs` to finish, then are aborted (their rows stay
   * pending for the next process).
   */
  async close(graceMs = 2000): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const pass = this.pass;
    if (!pass) return;
    let grace: NodeJS.Timeout | undefined;
    await Promise.race([pass, new Promise<void>((resolve) => (grace = setTimeout(resolve, graceMs)))]);
    clearTimeout(grace);
    this.aborter.abort(new Error('taskgraph is exiting; the delivery stays pending'));
    await pass;
  }

  private async attempt(row: WebhookDelivery): Promise<boolean> {
    const hook = this.webhooks.find((w) => w.url === row.url);
    const attempts = row.attempts + 1;
    let error: string | undefined;
    if (!hook) error = `no webhook for ${row.url} in taskgraph.yaml any more`;
    else {
      const secret = (this.options.env ?? process.env)[hook.secretEnv];
      if (!secret) error = `environment variable ${hook.secretEnv} (the webhook secret) is not set`;
      else error = await this.post(row, secret, hook.timeoutMs);
    }
    if (this.aborter.signal.aborted && error !== undefined) return false; // cut short by close: not an attempt
    const done = error === undefined;
    const giveUp = !done && (!hook || attempts >= hook.maxAttempts);
    const delay = backoffDelayMs(attempts, this.options.baseDelayMs ?? 2000, this.options.maxDelayMs ?? 600_000);
    try {
      await this.store.recordWebhookAttempt(row.id, {
        status: done ? 'delivered' : giveUp ? 'failed' : 'pending',
        attempts,
        nextAt: done || giveUp ? row.nextAt : Date.now() + Math.max(1, delay),
        ...(error !== undefined ? { lastError: error } : {}),
      });
    } catch {
      // the store is closing or gone: the row stays as it was, and is tried again later
    }
    return done;
  }

  /** @returns undefined on a 2xx answer, else why not */
  private async post(row: WebhookDelivery, secret: string, timeoutMs: number): Promise<string | undefined> {
    const doFetch = this.options.fetch ?? fetch;
    try {
      const res = await doFetch(row.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'taskgraph-webhooks',
          [SIGNATURE_HEADER]: signWebhook(secret, row.body, Date.now()),
          [DELIVERY_HEADER]: row.id,
          [EVENT_HEADER]: row.event,
        },
        body: row.body,
        signal: AbortSignal.any([AbortSignal.timeout(timeoutMs), this.aborter.signal]),
      });
      await res.arrayBuffer().catch(() => undefined);
      return res.ok ? undefined : `HTTP ${res.status}`;
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause?.code;
      return `${(error as Error).message}${cause ? ` (${cause})` : ''}`;
    }
  }
}
