import type { WebhookConfig } from '../core/config.js';
import type { Store } from '../store/store.js';
import { DeliveryWorker, type DeliveryWorkerOptions } from './delivery-worker.js';
import { WebhookOutbox } from './outbox.js';

/**
 * A project's webhooks (issue 13): the outbox that records events and the worker that delivers
 * them, wired together (a new row nudges the worker). `openProject` makes one when taskgraph.yaml
 * has `webhooks:` and starts it, so every CLI start resumes deliveries an earlier process left.
 */
export class Webhooks {
  readonly outbox: WebhookOutbox;
  readonly worker: DeliveryWorker;

  /**
   * @param store the project's store (the outbox)
   * @param config the `webhooks:` entries
   */
  constructor(store: Store, config: readonly WebhookConfig[], options: DeliveryWorkerOptions = {}) {
    this.worker = new DeliveryWorker(store, config, options);
    this.outbox = new WebhookOutbox(store, config, () => this.worker.kick());
  }

  /** Starts delivering (pending rows first). */
  start(): this {
    this.worker.start();
    return this;
  }

  /** Finishes outbox writes, then stops the worker (in-flight requests get `graceMs`). */
  async close(graceMs?: number): Promise<void> {
    await this.outbox.flush();
    await this.worker.close(graceMs);
  }
}
