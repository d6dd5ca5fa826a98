import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { RunLease, RunRecord, RunSession, RunStatus, SessionOutcome, Store } from '../store/store.js';
import { TaskgraphError } from '../core/errors.js';

/**
 * The run lease and sessions on the engine side (DESIGN.md §6 "a run is owned by one process at
 * a time through a lease"). The store decides atomically who gets the lease (`lease-rules.ts`);
 * this file decides what the caller tells it — whether the current holder is dead — keeps the
 * lease alive with heartbeats, notices when it was lost, records the session, and derives what a
 * reader should show for a `running` run whose holder is gone ({@link effectiveRunStatus}).
 *
 * Numbers: a lease is live while its last heartbeat is at most {@link LEASE_TTL_MS} (30 s) old;
 * the holder heartbeats every {@link HEARTBEAT_INTERVAL_MS} (5 s), so five heartbeats in a row
 * must fail (a stalled event loop, a paused process, a database locked by another writer for
 * longer than its busy timeout) before others may take it. On the same host a dead holder is
 * seen at once: its pid no longer exists (`kill(pid, 0)`), so `resume` right after a `kill -9`
 * does not wait. PID reuse can make a dead holder look alive; the TTL still frees it then.
 */

/** ms: a lease whose last heartbeat is older than this is expired (free for anyone). */
export const LEASE_TTL_MS = 30_000;
/** ms between heartbeats of the holder (an unref'd timer: it never keeps the process alive). */
export const HEARTBEAT_INTERVAL_MS = 5_000;

/** How a lease's holder looks to a reader: `live`, `expired` (no heartbeat for the TTL) or `dead` (same host, its process is gone). */
export type HolderState = 'live' | 'expired' | 'dead';

/** Tunables of the lease, for tests and library users; the defaults are the documented numbers. */
export interface LeaseOptions {
  /** ms, default {@link LEASE_TTL_MS} */
  ttlMs?: number;
  /** ms, default {@link HEARTBEAT_INTERVAL_MS} */
  heartbeatMs?: number;
  /** default `process.pid` */
  pid?: number;
  /** default `os.hostname()` */
  host?: string;
  /** whether a pid is alive on this host; default {@link isProcessAlive} */
  isAlive?: (pid: number) => boolean;
}

/**
 * Whether a process with this pid exists on this host (`kill(pid, 0)`: ESRCH means gone, EPERM
 * means it exists but belongs to someone else).
 * @param pid process id
 */
export function isProcessAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Judges a lease at `nowMs`. Pure apart from `isAlive`.
 * @param lease the lease
 * @param nowMs `Date.now()` of the reader
 * @param options TTL, this host, and the liveness check for pids on this host
 */
export function holderState(lease: RunLease, nowMs: number, options: LeaseOptions = {}): HolderState {
  const age = nowMs - Date.parse(lease.heartbeatAt);
  if (!Number.isFinite(age) || age > (options.ttlMs ?? LEASE_TTL_MS)) return 'expired';
  const host = options.host ?? hostname();
  const pid = options.pid ?? process.pid;
  if (lease.host === host && lease.pid !== pid && !(options.isAlive ?? isProcessAlive)(lease.pid)) return 'dead';
  return 'live';
}

/**
 * The status a reader should show (DESIGN.md §6): a `running` run whose lease is missing, expired
 * or held by a dead process is `interrupted` (its process died without recording an end;
 * `taskgraph resume RUN` takes it over). Every other status is shown as stored. Derived when read,
 * never written, so it cannot drift from the store.
 * @param run the run (its stored status)
 * @param lease the run's lease, if a row exists
 * @param nowMs `Date.now()` of the reader
 * @param options TTL, this host, and the liveness check
 */
export function effectiveRunStatus(run: Pick<RunRecord, 'status'>, lease: RunLease | undefined, nowMs: number, options: LeaseOptions = {}): RunStatus {
  if (run.status !== 'running') return run.status;
  if (!lease || holderState(lease, nowMs, options) !== 'live') return 'interrupted';
  return 'running';
}

/** A session as a reader sees it: its stored end, `running` (the live holder's), or `killed` (no end, and its process is gone). */
export type SessionView = SessionOutcome | 'running' | 'killed';

/**
 * How each session of a run ended, with the killed ones derived: a session without an end is
 * `running` only when it is the newest and the run's lease is live; otherwise its process died.
 * @param sessions the run's sessions in start order
 * @param leaseLive whether the run's lease is live now ({@link holderState} = `live`)
 */
export function sessionViews(sessions: readonly RunSession[], leaseLive: boolean): SessionView[] {
  return sessions.map((s, i) => s.outcome ?? (i === sessions.length - 1 && leaseLive ? 'running' : 'killed'));
}

/**
 * The lease of one run held by this process: taken with {@link RunLeaseHolder.acquire}, kept
 * alive by an unref'd heartbeat timer, dropped with {@link RunLeaseHolder.release}. When a
 * heartbeat finds the lease gone (another process took it over after the TTL), {@link signal}
 * aborts with a `RUN_LOCKED` reason, and the engine stops the run.
 */
export class RunLeaseHolder {
  private readonly lost = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  private released = false;

  private constructor(
    private readonly store: Store,
    /** the lease as granted */
    readonly lease: RunLease,
    heartbeatMs: number,
  ) {
    this.timer = setInterval(() => void this.heartbeat(), heartbeatMs);
    this.timer.unref();
  }

  /**
   * Takes the run's lease: when it is free, expired, or held by a dead process on this host
   * (checked here, passed to the store as `takeOver`). Nothing else is written.
   * @param store the store
   * @param runId the run
   * @param options TTL, heartbeat interval, pid/host (defaults: this process) and liveness check
   * @throws TaskgraphError RUN_LOCKED (a live holder: pid, host, since when), NOT_FOUND (no such run), STORE_ERROR
   */
  static async acquire(store: Store, runId: string, options: LeaseOptions = {}): Promise<RunLeaseHolder> {
    const pid = options.pid ?? process.pid;
    const host = options.host ?? hostname();
    const ttlMs = options.ttlMs ?? LEASE_TTL_MS;
    const current = await store.getRunLease(runId);
    const dead = current !== undefined && holderState(current, Date.now(), { ...options, pid, host, ttlMs }) === 'dead';
    const lease = await store.acquireRunLease({
      runId,
      token: randomBytes(16).toString('hex'),
      pid,
      host,
      now: new Date().toISOString(),
      ttlMs,
      ...(dead ? { takeOver: current.token } : {}),
    });
    return new RunLeaseHolder(store, lease, options.heartbeatMs ?? HEARTBEAT_INTERVAL_MS);
  }

  /** Aborted (reason: a `RUN_LOCKED` TaskgraphError) when a heartbeat found the lease taken by another process. */
  get signal(): AbortSignal {
    return this.lost.signal;
  }

  /**
   * One heartbeat now (the timer calls it). A failed write (database busy) is skipped: the next
   * one retries, and only a lease taken by another process counts as lost.
   * @returns whether this holder still holds the lease (false after release or loss)
   */
  async heartbeat(): Promise<boolean> {
    if (this.released || this.lost.signal.aborted) return false;
    let held: boolean;
    try {
      held = await this.store.heartbeatRunLease(this.lease.runId, this.lease.token, new Date().toISOString());
    } catch {
      return true;
    }
    if (!held && !this.released) {
      this.stop();
      this.lost.abort(
        new TaskgraphError('RUN_LOCKED', `lost the lease of run ${this.lease.runId}: another process took it over`, {
          details: { runId: this.lease.runId },
          hint: `this process missed its heartbeats for ${LEASE_TTL_MS / 1000} s (paused or stalled); see \`taskgraph status ${this.lease.runId}\``,
        }),
      );
    }
    return held;
  }

  /** Stops the heartbeat and drops the lease (if still held). Idempotent; never throws (a lease it could not drop expires after the TTL). */
  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    this.stop();
    await this.store.releaseRunLease(this.lease.runId, this.lease.token).catch(() => undefined);
  }

  private stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}

/**
 * One session of a run (see {@link RunSession}): the lease it works under and its row in the
 * store. {@link RunSessionScope.close} records how it ended and releases the lease.
 */
export class RunSessionScope {
  private closed = false;

  private constructor(
    private readonly store: Store,
    /** the lease this session works under */
    readonly holder: RunLeaseHolder,
    /** the session as recorded */
    readonly session: RunSession,
  ) {}

  /**
   * Records a new session of the run under a held lease. On failure the lease is released.
   * @param store the store
   * @param holder the run's lease, held by this process
   * @param command what continues the run (`do`, `run`, `resume`, `approve`, `reject`, `answer`, ...)
   * @throws TaskgraphError STORE_ERROR, NOT_FOUND
   */
  static async begin(store: Store, holder: RunLeaseHolder, command: string): Promise<RunSessionScope> {
    try {
      const session = await store.startRunSession({
        runId: holder.lease.runId,
        command,
        pid: holder.lease.pid,
        host: holder.lease.host,
        startedAt: new Date().toISOString(),
      });
      return new RunSessionScope(store, holder, session);
    } catch (error) {
      await holder.release();
      throw error;
    }
  }

  /**
   * Ends the session (outcome, reason) and releases the lease. Idempotent: only the first call
   * records. A store failure here is swallowed: the session then shows as killed, the lease expires.
   * @param outcome how the session ended
   * @param reason one line, e.g. the run's reason
   */
  async close(outcome: SessionOutcome, reason?: string): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const { runId, number } = this.session;
    await this.store
      .endRunSession(runId, number, { endedAt: new Date().toISOString(), outcome, ...(reason ? { reason } : {}) })
      .catch(() => undefined);
    await this.holder.release();
  }
}
