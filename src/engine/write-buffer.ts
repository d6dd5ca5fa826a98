import type { FinishedAttemptWrite, Store } from '../store/store.js';
import { BatchWriter } from './batch-writer.js';

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
  private readonly batches: BatchWriter<FinishedAttemptWrite>;

  /**
   * @param store where batches go (`recordFinishedAttempts`, one transaction each)
   * @param maxItems flush when this many results wait
   * @param maxAgeMs flush at most this many ms after the oldest waiting result
   */
  constructor(store: Store, maxItems = 256, maxAgeMs = 25) {
    this.batches = new BatchWriter((batch) => store.recordFinishedAttempts(batch), 'stop', maxItems, maxAgeMs);
  }

  /** Number of results waiting. */
  get size(): number {
    return this.batches.size;
  }

  /**
   * Buffers one finished attempt.
   * @throws the error of an earlier failed flush (the run must stop)
   */
  add(item: FinishedAttemptWrite): void {
    this.batches.push(item);
  }

  /**
   * Writes everything buffered so far in one transaction (after any flush already under way).
   * @throws the store's error; later calls keep throwing it
   */
  flush(): Promise<void> {
    return this.batches.flush();
  }
}
