/**
 * Items buffered and written in batches, one `write` call (one store transaction) each: at most
 * `maxItems` per batch, at most `maxAgeMs` after the oldest waiting item. Batches are written one
 * after another, in the order the items came. The shared mechanism of the engine's group commit
 * (`write-buffer.ts`) and its run event log (`run-event-log.ts`).
 *
 * `onError` says what a failed write means: `stop` keeps the error, and every later `push` and
 * `flush` throws it (the caller must stop); `keep` keeps the first error in {@link failure}, drops
 * that batch and goes on (flush never rejects).
 */
export class BatchWriter<T> {
  private items: T[] = [];
  private timer: NodeJS.Timeout | undefined;
  private chain: Promise<void> = Promise.resolve();
  /** the first error a batch write met, if any */
  failure: unknown;

  /**
   * @param write writes one batch (a store transaction); what it resolves to is not used
   * @param onError `stop` or `keep` (see the class note)
   * @param maxItems write when this many items wait
   * @param maxAgeMs write at most this many ms after the oldest waiting item
   */
  constructor(
    private readonly write: (batch: T[]) => Promise<unknown>,
    private readonly onError: 'stop' | 'keep',
    private readonly maxItems: number,
    private readonly maxAgeMs: number,
  ) {}

  /** Number of items waiting. */
  get size(): number {
    return this.items.length;
  }

  /**
   * Buffers one item.
   * @throws the error of an earlier failed write, with `onError: 'stop'`
   */
  push(item: T): void {
    if (this.onError === 'stop' && this.failure !== undefined) throw this.failure;
    this.items.push(item);
    if (this.items.length >= this.maxItems) void this.flush().catch(() => undefined);
    else if (!this.timer) {
      this.timer = setTimeout(() => void this.flush().catch(() => undefined), this.maxAgeMs);
      this.timer.unref();
    }
  }

  /**
   * Writes everything buffered so far (after any batch already being written).
   * @throws with `onError: 'stop'`, the write's error; later calls keep throwing it. Never
   *   rejects with `keep`.
   */
  flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    const batch = this.items;
    this.items = [];
    this.chain = this.chain.then(async () => {
      if (this.onError === 'stop' && this.failure !== undefined) throw this.failure;
      if (batch.length === 0) return;
      try {
        await this.write(batch);
      } catch (error) {
        this.failure ??= error;
        if (this.onError === 'stop') throw error;
      }
    });
    return this.chain;
  }
}
