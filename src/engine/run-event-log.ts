import type { Json } from '../core/json.js';
import type { RunEventInput } from '../store/run-events.js';
import type { Store } from '../store/store.js';
import type { EngineEvent, EngineObserver } from './events.js';

/**
 * Writes a run's engine events to the store's run event log (`store/run-events.ts`, issue 12),
 * where `GET /runs/:id/events` reads them — from this process or any other sharing the store.
 * The engine installs one for every session of every run (`engine.ts`), so runs started by the
 * CLI, the library or the server alike leave the same log.
 *
 * Events are buffered and written in batches, one transaction each (at most `maxItems` per
 * batch, at most `maxAgeMs` after the oldest waiting event), so observing a node costs the hot
 * path one object and an array push, not a commit. Batches are written one after another, so
 * the log holds events in the order the engine emitted them. {@link RunEventLog.flush} writes
 * what is left; the engine awaits it before it releases the run's lease, so a reader that finds
 * the run settled and its lease gone has seen every event.
 *
 * Like every observer it never changes the run: a failed write is kept in {@link failure} and
 * the events of that batch are lost (later batches are still tried), but the run goes on.
 */
export class RunEventLog {
  private items: RunEventInput[] = [];
  private timer: NodeJS.Timeout | undefined;
  private chain: Promise<void> = Promise.resolve();
  /** the first error a batch write met, if any (the run is not stopped by it) */
  failure: unknown;

  /**
   * @param store where batches go (`appendRunEvents`)
   * @param maxItems write when this many events wait
   * @param maxAgeMs write at most this many ms after the oldest waiting event
   */
  constructor(
    private readonly store: Store,
    private readonly maxItems = 256,
    private readonly maxAgeMs = 50,
  ) {}

  /** The engine observer that buffers each event (never throws). */
  readonly observer: EngineObserver = (event) => {
    this.items.push(runEventOf(event, Date.now()));
    if (this.items.length >= this.maxItems) void this.flush();
    else if (!this.timer) {
      this.timer = setTimeout(() => void this.flush(), this.maxAgeMs);
      this.timer.unref();
    }
  };

  /** Number of events waiting to be written. */
  get size(): number {
    return this.items.length;
  }

  /**
   * Writes every buffered event (after any batch already being written). Never rejects: a
   * store error is kept in {@link failure}.
   */
  flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    const batch = this.items;
    this.items = [];
    if (batch.length === 0) return this.chain;
    this.chain = this.chain.then(async () => {
      try {
        await this.store.appendRunEvents(batch);
      } catch (error) {
        this.failure ??= error;
      }
    });
    return this.chain;
  }
}

/**
 * The stored form of an engine event: its `type`, its `nodeId` (when it has one) and the rest of
 * its fields as `data` (`runId` and `type` left out; `undefined` fields dropped).
 * @param event the engine event
 * @param at ms since the Unix epoch
 */
export function runEventOf(event: EngineEvent, at: number): RunEventInput {
  const { type, runId, ...rest } = event;
  const data: Record<string, Json> = {};
  let nodeId: string | undefined;
  for (const [key, value] of Object.entries(rest)) {
    if (value === undefined) continue;
    if (key === 'nodeId') nodeId = value as string;
    else data[key] = value as Json;
  }
  return { runId, at, type, ...(nodeId !== undefined ? { nodeId } : {}), data };
}
