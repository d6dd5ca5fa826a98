import type { Json } from '../core/json.js';
import type { RunEventInput } from '../store/run-events.js';
import type { Store } from '../store/store.js';
import { BatchWriter } from './batch-writer.js';
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
  private readonly batches: BatchWriter<RunEventInput>;

  /**
   * @param store where batches go (`appendRunEvents`)
   * @param maxItems write when this many events wait
   * @param maxAgeMs write at most this many ms after the oldest waiting event
   */
  constructor(store: Store, maxItems = 256, maxAgeMs = 50) {
    this.batches = new BatchWriter((batch) => store.appendRunEvents(batch), 'keep', maxItems, maxAgeMs);
  }

  /** The engine observer that buffers each event (never throws). */
  readonly observer: EngineObserver = (event) => this.batches.push(runEventOf(event, Date.now()));

  /** the first error a batch write met, if any (the run is not stopped by it) */
  get failure(): unknown {
    return this.batches.failure;
  }

  /** Number of events waiting to be written. */
  get size(): number {
    return this.batches.size;
  }

  /**
   * Writes every buffered event (after any batch already being written). Never rejects: a
   * store error is kept in {@link failure}.
   */
  flush(): Promise<void> {
    return this.batches.flush();
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
