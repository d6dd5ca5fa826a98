import type { FinishedAttemptWrite, Store } from '../store/store.js';

/**
 * Group commit for cheap pure nodes. A pure node (no side effects, no paid model call) that
 * succeeded or was served from the cache does not need its own transaction before its
 * dependents start: if the process dies, the node simply runs again and produces the same output.
 * Such results are buffered and written together — at most `maxItems` per transaction, at most
 * `maxAgeMs` late — and the buffer is always flushed *before* anything with an effect outside the
 * process happens (a side-effecting node starts or restores the worktree, a model is called, the
 * run ends), so nothing visible outside ever depends on an unrecorded result. Like a database's
 * group commit (Gray & Reuter, "Transaction Processing", 1992, §9.4.7), it trades a bounded
 * window of re-doable work for far fewer commits.
 */
export class WriteBuffer {
  private items: FinishedAttemptWrite[] = [];
  private timer: NodeJS.Timeout | undefined;
  private chain: Promise<void> = Promise.resolve();
  private failure: unknown;

  /**
   * @param store where batches go (`recordFinishedAttempts`, one transaction each)
   * @param maxItems flush when this many results wait
   * @param maxAgeMs flush at most this many ms after the oldest waiting result
   */
  constructor(
    private readonly store: Store,
    private readonly maxItems = 256,
    private readonly maxAgeMs = 25,
  ) {}

  /** Number of results waiting. */
  get size(): number {
    return this.items.length;
  }

  /**
   * Buffers one finished attempt.
   * @throws the error of an earlier failed flush (the run must stop)
   */
  add(item: FinishedAttemptWrite): void {
    if (this.failure !== undefined) throw this.failure;
    this.items.push(item);
    if (this.items.length >= this.maxItems) void this.flush().catch(() => undefined);
    else if (!this.timer) {
      this.timer = setTimeout(() => void this.flush().catch(() => undefined), this.maxAgeMs);
      this.timer.unref();
    }
  }

  /**
   * Writes everything buffered so far in one transaction (after any flush already under way).
   * @throws the store's error; later calls keep throwing it
   */
  flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    const batch = this.items;
    this.items = [];
    this.chain = this.chain.then(async () => {
      if (this.failure !== undefined) throw this.failure;
      if (batch.length === 0) return;
      try {
        await this.store.recordFinishedAttempts(batch);
      } catch (error) {
        this.failure = error;
        throw error;
      }
    });
    return this.chain;
  }
}
