import type { Json } from '../core/json.js';

/**
 * The run event log (issue 12, migration 9): an append-only record of what the engine told its
 * observers during a run — node and task status changes, log lines, graph expansions, approvals
 * requested, the run's start and finish — written in batches by `engine/run-event-log.ts` and
 * read by `GET /runs/:id/events` (`server/run-events.ts`), also from another process. Rows are
 * never updated or deleted; `data` is stored with secrets redacted, like every other row.
 */

/** One event as handed to {@link import('./store.js').Store.appendRunEvents}. */
export interface RunEventInput {
  runId: string;
  /** ms since the Unix epoch (an integer) */
  at: number;
  /** what happened: an engine event type (`node-start`, `node-finish`, `log`, ...) or `approval-requested` */
  type: string;
  /** the node the event is about, when it is about one */
  nodeId?: string;
  /** the event's fields (a JSON object) */
  data: Record<string, Json>;
}

/** A stored event: its input plus `seq`, the event id. */
export interface RunEvent extends RunEventInput {
  /**
   * store-assigned, strictly increasing in append order across all runs, never reused: the
   * event id of server-sent events, which a client names in `Last-Event-ID` to resume
   */
  seq: number;
}

/** Which events {@link import('./store.js').Store.listRunEvents} returns. */
export interface RunEventQuery {
  /** only events with `seq` greater than this (default 0: from the start) */
  afterSeq?: number;
  /** at most this many events (default: all) */
  limit?: number;
}
