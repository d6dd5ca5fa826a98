import type { Store } from '../store/store.js';

/**
 * The `running` mark of nodes that execute for a while (issue 8 item 3: "every node that is
 * executing shows as `running`, with its elapsed time"). A node with side effects gets a durable
 * `running` attempt before it starts; a pure node is written once, when it finishes, so without
 * a mark a `verify` running the tests for minutes would show `pending, attempts 0`.
 *
 * Each node registers when it starts ({@link RunningMarks.begin}: one small entry in a map) and
 * settles before its final state is written ({@link RunningMarks.settle}). One unref'd timer per
 * session sweeps the map every {@link SWEEP_MS} and marks the nodes that have run for at least
 * {@link RUNNING_MARK_DELAY_MS}, so a cheap node costs no write and no timer of its own. Settling
 * waits for a mark already under way, so a node's final state is always written after its mark.
 */

/** ms a node may execute before it is marked `running` in the store. */
export const RUNNING_MARK_DELAY_MS = 250;
/** ms between sweeps: a slow node is marked between 250 and 350 ms after it started. */
export const SWEEP_MS = 100;

interface Entry {
  attempts: number;
  /** `Date.now()` when the node started */
  t0: number;
  /** the mark's write, once started */
  write?: Promise<void>;
}

/** The nodes of one session that are executing, and their marks. */
export class RunningMarks {
  private readonly inflight = new Map<string, Entry>();
  private readonly timer: NodeJS.Timeout;

  /**
   * @param store where marks go ({@link Store.markNodeRunning}; a failed mark is ignored: it is only a view)
   * @param runId the run
   */
  constructor(
    private readonly store: Store,
    private readonly runId: string,
  ) {
    this.timer = setInterval(() => this.sweep(Date.now()), SWEEP_MS);
    this.timer.unref();
  }

  /** A node starts executing (attempt `attempts`, at `t0` = `Date.now()`). */
  begin(nodeId: string, attempts: number, t0: number): void {
    this.inflight.set(nodeId, { attempts, t0 });
  }

  /**
   * The node is about to write its final state (or a durable `running` attempt): no mark after
   * this. Returns the mark's write to await when one is under way, else undefined (no await
   * needed on the hot path).
   */
  settle(nodeId: string): Promise<void> | undefined {
    const entry = this.inflight.get(nodeId);
    if (entry === undefined) return undefined;
    this.inflight.delete(nodeId);
    return entry.write;
  }

  /** Marks every node that has executed for at least {@link RUNNING_MARK_DELAY_MS} at `now` (the timer calls it). */
  sweep(now: number): void {
    for (const [nodeId, entry] of this.inflight) {
      if (entry.write === undefined && now - entry.t0 >= RUNNING_MARK_DELAY_MS) {
        entry.write = this.store.markNodeRunning(this.runId, nodeId, entry.attempts, new Date(entry.t0).toISOString()).catch(() => undefined);
      }
    }
  }

  /** Stops sweeping and forgets every node (the session ended). */
  stop(): void {
    clearInterval(this.timer);
    this.inflight.clear();
  }
}
