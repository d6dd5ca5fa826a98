import type { Context, Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import { setTimeout as sleep } from 'node:timers/promises';
import { TaskgraphError, toErrorRecord } from '../core/errors.js';
import { holderState, LEASE_TTL_MS, type LeaseOptions } from '../engine/run-lease.js';
import type { RunEvent } from '../store/run-events.js';
import type { Store } from '../store/store.js';

/**
 * Live run events for the HTTP API (issue 12): `GET /runs/:id/events` streams a run's event log
 * (`store/run-events.ts`, written by every run's engine) as server-sent events. The stream reads
 * the store, not the engine, so a run started by the CLI in another process shows up the same as
 * one started by the server: whatever process runs it, its events land in the shared store, and
 * the stream tails the store until the run settles.
 *
 * Order and resumption: each event's SSE `id` is its `seq`, which the store assigns in commit
 * order and never reuses; a client that reconnects with `Last-Event-ID: N` gets every event with
 * `seq > N`, so it misses none and sees none twice.
 */

/** How {@link streamRunEvents} reads. */
export interface RunEventStreamOptions {
  /** yield only events after this seq (a client's `Last-Event-ID`); default 0 (from the start) */
  lastEventId?: number;
  /** stops the stream (the client went away); the iterator then returns */
  signal?: AbortSignal;
  /** ms between polls of the store while nothing new is there; default {@link RUN_EVENT_POLL_MS} */
  pollMs?: number;
  /** events read per query; default 500 */
  pageSize?: number;
  /** keep tailing a `suspended` run, which a decision (from the server or the CLI) continues; default true */
  followSuspended?: boolean;
  /** how a lease is judged (TTL, host, liveness check); defaults of `run-lease.ts` */
  lease?: LeaseOptions;
}

/** ms between two polls of the store by a tailing stream. */
export const RUN_EVENT_POLL_MS = 200;

/**
 * The run's events after `options.lastEventId`, in seq order, then — as they are written, by this
 * process or another — new ones, until the run has settled and every event is read, or
 * `options.signal` aborts. Settled: no live process holds the run's lease and the run is not
 * running (a `running` run whose holder died or stopped heartbeating counts as settled too); with
 * `followSuspended` (the default) a `suspended` run is followed on. The engine writes its last
 * events before it releases the lease, so the final read after "settled" sees them all.
 * @param store the store runs write to
 * @param runId the run
 * @throws TaskgraphError NOT_FOUND when the run does not exist (checked before the first event);
 *   store errors pass through
 */
export async function* streamRunEvents(store: Store, runId: string, options: RunEventStreamOptions = {}): AsyncGenerator<RunEvent, void, undefined> {
  if (!(await store.getRun(runId))) throw runNotFound(runId);
  const pageSize = options.pageSize ?? 500;
  const pollMs = options.pollMs ?? RUN_EVENT_POLL_MS;
  const signal = options.signal;
  let after = Math.max(0, Math.floor(options.lastEventId ?? 0));
  let settled = false;
  while (!signal?.aborted) {
    const page = await store.listRunEvents(runId, { afterSeq: after, limit: pageSize });
    for (const event of page) {
      if (signal?.aborted) return;
      after = event.seq;
      yield event;
    }
    if (page.length === pageSize) continue; // more to read now
    if (settled) return; // drained after the run settled
    settled = await runSettled(store, runId, options);
    if (settled) continue; // one more read: events written between the read above and the check
    try {
      await sleep(pollMs, undefined, signal ? { signal } : {});
    } catch {
      return; // aborted while waiting
    }
  }
}

/**
 * Whether nothing will write more events to the run for now (see {@link streamRunEvents}).
 * A `running` run without any lease is being started (its creator takes the lease next), unless
 * it was last updated longer ago than the lease TTL (its process died before taking it).
 */
async function runSettled(store: Store, runId: string, options: RunEventStreamOptions): Promise<boolean> {
  const run = await store.getRun(runId);
  if (!run) return true;
  const lease = await store.getRunLease(runId);
  const now = Date.now();
  if (lease && holderState(lease, now, options.lease) === 'live') return false;
  if (run.status === 'running') return lease !== undefined || now - Date.parse(run.updatedAt) > (options.lease?.ttlMs ?? LEASE_TTL_MS);
  if (run.status === 'suspended') return options.followSuspended === false;
  return true;
}

function runNotFound(runId: string): TaskgraphError {
  return new TaskgraphError('NOT_FOUND', `no run "${runId}"`, { details: { runId }, hint: 'list runs with `GET /runs` or `taskgraph runs`' });
}

/** What {@link runEventsRoute} needs. */
export interface RunEventsRouteDeps {
  store: Store;
  /** ms between store polls; default {@link RUN_EVENT_POLL_MS} */
  pollMs?: number;
  /** see {@link RunEventStreamOptions.followSuspended}; default true */
  followSuspended?: boolean;
  /** ms between keep-alive comments while no event comes (proxies drop idle streams); default 15 000 */
  keepAliveMs?: number;
  /** lease judgement, see {@link RunEventStreamOptions.lease} */
  lease?: LeaseOptions;
}

/** The JSON `data` of one server-sent event: the stored event. */
export interface RunEventMessage {
  /** the event id (also the SSE `id`) */
  seq: number;
  runId: string;
  /** ms since the Unix epoch */
  at: number;
  /** also the SSE `event` name */
  type: string;
  nodeId?: string;
  data: RunEvent['data'];
}

/**
 * Registers `GET /runs/:id/events` on `app`: the run's events as server-sent events
 * (`text/event-stream`), each with `id` = seq, `event` = type and `data` = the event as JSON
 * ({@link RunEventMessage}), in order, from after the `Last-Event-ID` header (or the
 * `lastEventId` query parameter, for clients that cannot set headers) on, tailing the store until
 * the run settles (see {@link streamRunEvents}). Answers 404 with the error record (`code`,
 * `message`, `hint`) for an unknown run, 400 for a `Last-Event-ID` that is not a whole number,
 * and 204 (which tells an `EventSource` to stop reconnecting) for a settled run with no event
 * after `Last-Event-ID`. A store error mid-stream ends the stream with an `error` event (no id)
 * whose data is the error record. Comments (`: keep-alive`) keep an idle stream open. Authentication is the mounting server's business.
 * @param app the Hono app (or a sub-app) to register on
 * @param deps the store and tunables
 */
export function runEventsRoute(app: Hono<any, any, any>, deps: RunEventsRouteDeps): void {
  app.get('/runs/:id/events', async (c) => {
    const runId = c.req.param('id');
    const raw = c.req.header('Last-Event-ID') ?? c.req.query('lastEventId');
    const lastEventId = raw === undefined || raw.trim() === '' ? 0 : Number(raw);
    if (!Number.isSafeInteger(lastEventId) || lastEventId < 0) {
      return errorResponse(c, 400, new TaskgraphError('CONFIG_INVALID', `Last-Event-ID must be a whole number, got "${raw}"`, {
        details: { path: ['headers', 'last-event-id'] },
        hint: 'send the id of the last event received, or no Last-Event-ID to start from the beginning',
      }));
    }
    const { store } = deps;
    if (!(await store.getRun(runId))) return errorResponse(c, 404, runNotFound(runId));
    const options: RunEventStreamOptions = {
      lastEventId,
      ...(deps.pollMs !== undefined ? { pollMs: deps.pollMs } : {}),
      ...(deps.followSuspended !== undefined ? { followSuspended: deps.followSuspended } : {}),
      ...(deps.lease ? { lease: deps.lease } : {}),
    };
    if ((await store.listRunEvents(runId, { afterSeq: lastEventId, limit: 1 })).length === 0 && (await runSettled(store, runId, options))) {
      return c.body(null, 204);
    }
    return streamSSE(c, async (stream) => {
      const controller = new AbortController();
      stream.onAbort(() => controller.abort());
      c.req.raw.signal.addEventListener('abort', () => controller.abort(), { once: true });
      const keepAlive = setInterval(() => void stream.write(': keep-alive\n\n').catch(() => controller.abort()), deps.keepAliveMs ?? 15_000);
      try {
        for await (const event of streamRunEvents(store, runId, { ...options, signal: controller.signal })) {
          await stream.writeSSE({ id: String(event.seq), event: event.type, data: JSON.stringify(event satisfies RunEventMessage) });
        }
      } catch (error) {
        // a store error mid-stream: tell the client (an `error` event with the error record, no id) and end
        if (!controller.signal.aborted) await stream.writeSSE({ event: 'error', data: JSON.stringify(toErrorRecord(error)) }).catch(() => undefined);
      } finally {
        clearInterval(keepAlive);
      }
    });
  });
}

function errorResponse(c: Context, status: 400 | 404, error: TaskgraphError): Response {
  // the HTTP API's one error shape (`http-errors.ts`, ErrorBodySchema)
  const { code, message, hint, details } = toErrorRecord(error);
  return c.json({ code, message, ...(hint ? { hint } : {}), ...(details ? { details } : {}) }, status);
}
