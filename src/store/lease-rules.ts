import { TaskgraphError } from '../core/errors.js';
import type { LeaseRequest, RunLease } from './store.js';

/**
 * When a run's lease may be taken (DESIGN.md §6). Pure: every {@link import('./store.js').Store}
 * reads the current lease inside its write transaction, asks {@link leaseGrant}, and writes or
 * rejects with {@link runLockedError}, so the SQLite and PostgreSQL stores decide alike.
 */

/** Why a lease request is granted, or `locked` when it is not. */
export type LeaseGrant = 'free' | 'same-holder' | 'expired' | 'taken-over' | 'locked';

/**
 * Decides a lease request against the current lease.
 * @param current the run's lease, if any
 * @param request the request (its `now` and `ttlMs` judge expiry; its `takeOver` names a holder found dead)
 * @returns `free` (no lease), `same-holder` (the token already holds it), `expired` (heartbeat
 *   older than the TTL, or an unreadable time), `taken-over` (the named dead holder), else `locked`
 */
export function leaseGrant(current: RunLease | undefined, request: LeaseRequest): LeaseGrant {
  if (!current) return 'free';
  if (current.token === request.token) return 'same-holder';
  if (request.takeOver !== undefined && request.takeOver === current.token) return 'taken-over';
  const age = Date.parse(request.now) - Date.parse(current.heartbeatAt);
  if (!Number.isFinite(age) || age > request.ttlMs) return 'expired';
  return 'locked';
}

/**
 * The `RUN_LOCKED` error for a request refused because `current` holds the lease: who holds it
 * (pid, host), since when, and its last heartbeat; the token is left out.
 * @param current the live lease
 * @param request the refused request
 */
export function runLockedError(current: RunLease, request: LeaseRequest): TaskgraphError {
  const age = Math.max(0, Math.round((Date.parse(request.now) - Date.parse(current.heartbeatAt)) / 1000));
  const ttl = Math.round(request.ttlMs / 1000);
  return new TaskgraphError(
    'RUN_LOCKED',
    `run ${current.runId} is held by process ${current.pid} on ${current.host} since ${current.acquiredAt} (last heartbeat ${age} s ago)`,
    {
      details: { runId: current.runId, pid: current.pid, host: current.host, acquiredAt: current.acquiredAt, heartbeatAt: current.heartbeatAt },
      hint:
        `another taskgraph process is working on this run: wait for it to finish (\`taskgraph status ${current.runId}\`), or stop it; ` +
        `a lease whose process died is taken over by \`taskgraph resume ${current.runId}\` (at once on the same host, elsewhere ${ttl} s after its last heartbeat)`,
    },
  );
}
