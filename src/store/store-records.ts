import type { ErrorRecord } from '../core/errors.js';
import type { GraphSpec } from '../core/graph.js';
import type { KeyIngredients } from '../core/hash.js';
import type { Json } from '../core/json.js';
import type { AuditInput } from './audit.js';

/**
 * The records the durable store keeps and returns (`store.ts`, DESIGN.md §6): runs, nodes,
 * attempts, sessions, leases, tasks of a run, cache entries, decisions. Re-exported by `store.ts`.
 */

/**
 * Run status. `suspended`: waiting for an approval, an answer or a raised budget;
 * `interrupted`: stopped by a signal (SIGINT/SIGTERM), or shown for a `running` run whose lease
 * expired (its process died); `taskgraph resume` continues it.
 */
export type RunStatus = 'running' | 'suspended' | 'succeeded' | 'failed' | 'interrupted';

/** Node status inside one run. */
export type NodeStatus = 'pending' | 'running' | 'succeeded' | 'cached' | 'failed' | 'skipped' | 'suspended';

/** Attempt status. `interrupted`: was `running` when its process died (set on resume). */
export type AttemptStatus = 'running' | 'succeeded' | 'cached' | 'failed' | 'suspended' | 'interrupted';

/** Where a run's git work happens. */
export interface WorkspaceSnapshot {
  /** commit HEAD points at (40 hex) */
  head: string;
  /** tree of the working tree including uncommitted changes (40 hex) */
  tree: string;
}

/** A run: one execution of a graph (DESIGN.md §1). */
export interface RunRecord {
  id: string;
  status: RunStatus;
  /** the graph being executed, including nodes added by `decompose` expansions */
  graph: GraphSpec;
  /** what started it: `do`, `run`, ... and its options (goal, graph file, flags) */
  command: string;
  options: Record<string, Json>;
  planId?: string;
  /** project directory (the user's checkout) */
  projectDir: string;
  /** git worktree the run works in, if any */
  worktree?: string;
  branch?: string;
  baseCommit?: string;
  /** latest committed workspace state, restored on resume */
  workspace?: WorkspaceSnapshot;
  /** why the run is suspended or failed (one line) */
  reason?: string;
  createdAt: string;
  updatedAt: string;
}

/** Token usage and cost of one attempt. */
export interface Usage {
  inputTokens: number;
  outputTokens: number;
  /** USD */
  costUsd: number;
  /** `provider:model` of the last model call */
  model?: string;
  /** number of model calls made */
  calls: number;
}

/** One try of one node in one run (DESIGN.md §1 "attempt"). */
export interface AttemptRecord {
  /** store-assigned, increasing in creation order */
  seq: number;
  runId: string;
  nodeId: string;
  /** 1-based per (run, node) */
  number: number;
  status: AttemptStatus;
  cacheKey: string;
  ingredients: KeyIngredients;
  output?: Json;
  outputHash?: string;
  error?: ErrorRecord;
  /** what the node suspended for (approval question) */
  suspendReason?: string;
  usage: Usage;
  startedAt: string;
  finishedAt?: string;
  /** ms */
  durationMs?: number;
  /** workspace state after a side-effecting node succeeded */
  workspaceAfter?: WorkspaceSnapshot;
}

/**
 * An attempt without its payload (output, ingredients, cache key, workspace): what listings and
 * reports need — status, usage, error, timing — read without decoding outputs.
 */
export type AttemptSummary = Omit<AttemptRecord, 'output' | 'outputHash' | 'ingredients' | 'cacheKey' | 'workspaceAfter'>;

/** A node's state in a run. */
export interface RunNodeRecord {
  runId: string;
  nodeId: string;
  status: NodeStatus;
  /** attempts made so far (cache hits count as attempts with status `cached`) */
  attempts: number;
  /** task the node belongs to, if any */
  task?: string;
  /** seq of the attempt that produced the current status */
  lastAttemptSeq?: number;
  /**
   * ISO time the node's current attempt started executing; present only while the node is
   * `running` (set by {@link Store.startAttempt} and {@link Store.markNodeRunning}, cleared by
   * any other write of the node's state)
   */
  startedAt?: string;
}

/**
 * The lease of a run (DESIGN.md §6): the one process allowed to work on the run. The holder
 * heartbeats it; a lease whose heartbeat is older than the caller's TTL counts as free. The
 * token is a random value only the holder knows: heartbeat and release must name it, so a holder
 * whose lease was taken over (it was paused past the TTL) cannot keep or drop the new holder's.
 */
export interface RunLease {
  runId: string;
  /** random token of the holder (never shown to people: `details` of `RUN_LOCKED` omit it) */
  token: string;
  /** process id of the holder */
  pid: number;
  /** host name of the holder (`os.hostname()`) */
  host: string;
  /** ISO time the holder took the lease */
  acquiredAt: string;
  /** ISO time of the holder's last heartbeat */
  heartbeatAt: string;
}

/** What {@link Store.acquireRunLease} is asked. Times are the caller's clock (hosts sharing a store keep their clocks in sync, e.g. NTP; the TTL dwarfs normal skew). */
export interface LeaseRequest {
  runId: string;
  token: string;
  pid: number;
  host: string;
  /** ISO time of the request: becomes acquiredAt and heartbeatAt */
  now: string;
  /** ms: a lease whose heartbeatAt is more than this before `now` is expired, so free */
  ttlMs: number;
  /**
   * token of the current holder, which the caller found dead (same host, its pid gone): that
   * lease is taken over at once, without waiting for the TTL. Ignored when another token holds it.
   */
  takeOver?: string;
}

/** How a session of a run ended (a session with no end whose lease is gone was killed). */
export type SessionOutcome = 'succeeded' | 'failed' | 'suspended' | 'interrupted';

/**
 * One session of a run: the process that started it, or one that continued it (`resume`,
 * `approve`, `reject`, `answer`), from taking the lease to releasing it.
 */
export interface RunSession {
  runId: string;
  /** 1-based, in start order */
  number: number;
  /** the CLI command (`do`, `run`, `resume`, `approve`, `reject`, `answer`) or the library caller's name */
  command: string;
  pid: number;
  host: string;
  startedAt: string;
  /** absent while the session runs, or when its process died (then it shows as killed) */
  endedAt?: string;
  outcome?: SessionOutcome;
  /** one line: why it ended so (the run's reason) */
  reason?: string;
}

/** How {@link Store.endRunSession} closes a session. */
export interface SessionEnd {
  endedAt: string;
  outcome: SessionOutcome;
  reason?: string;
}

/** A task's state in a run: refinement counter and the commit it started from. */
export interface RunTaskRecord {
  runId: string;
  taskId: string;
  /** 1-based: which try of the task is current */
  attempt: number;
  status: 'pending' | 'running' | 'done' | 'failed' | 'skipped' | 'needs-human';
  /** commit the task started from (the worktree is reset here before a retry) */
  startCommit?: string;
  /** taskConcurrency > 1 (issue 10): the task's own worktree directory, absolute */
  worktree?: string;
  /** taskConcurrency > 1: the task's branch, `taskgraph/<run>-tasks/<task>` */
  branch?: string;
  /** taskConcurrency > 1: the run-branch commit that holds the task once integrated (absent until then) */
  integratedCommit?: string;
}

/** A completed cache entry (DESIGN.md §5). Only fully written entries exist. */
export interface CacheEntry {
  key: string;
  kind: string;
  nodeId: string;
  ingredients: KeyIngredients;
  output: Json;
  outputHash: string;
  usage: Usage;
  workspaceAfter?: WorkspaceSnapshot;
  createdAt: string;
}

/** A person's answer to an `approval` (or `human`) node. */
export interface DecisionRecord {
  runId: string;
  nodeId: string;
  decision: 'approved' | 'rejected' | 'answered';
  by: string;
  at: string;
  comment?: string;
  /**
   * the answer of an `answered` decision (a `human` node): any JSON value, validated by the
   * caller against the node's choices or schema. Stored as JSON text in the `comment` column of
   * an `answered` row (which has no comment), so no migration was needed.
   */
  answer?: Json;
  /**
   * what the decision is about, when a node can ask about different things in turn: for an
   * `apply` node's approval, the sha256 (hex) of the diff shown (`safety/edit-review.ts`); the
   * node applies its edit only when the approval's subject is the diff it would apply now. For
   * the approval of an unlisted command line (`command`, `verify`, `setup` nodes), the sha256
   * (hex) of the exact line (`safety/command-approval.ts`): only that line runs.
   * Absent for `approval` and `human` nodes.
   */
  subject?: string;
}

/** What {@link Store.finishAttempt} writes atomically. */
export interface AttemptFinish {
  seq: number;
  status: Exclude<AttemptStatus, 'running'>;
  output?: Json;
  outputHash?: string;
  error?: ErrorRecord;
  suspendReason?: string;
  usage: Usage;
  finishedAt: string;
  durationMs: number;
  workspaceAfter?: WorkspaceSnapshot;
  /** the node's new state, written in the same transaction */
  node: RunNodeRecord;
  /** written in the same transaction when the attempt succeeded and the node is cacheable */
  cache?: CacheEntry;
  /** run workspace state to record in the same transaction */
  runWorkspace?: WorkspaceSnapshot;
  /** audit entries appended in the same transaction (see {@link FinishedAttemptExtras.audit}) */
  audit?: readonly AuditInput[];
}

/** One item of {@link Store.recordFinishedAttempts}. */
export interface FinishedAttemptWrite {
  attempt: Omit<AttemptRecord, 'seq'>;
  node: RunNodeRecord;
  extras?: FinishedAttemptExtras;
}

/**
 * Manual context changes of one task (DESIGN.md §7, tier "manual pins"), set with
 * `taskgraph context preview TASK --pin X --exclude Y` and honoured by every later bundle of the
 * task (re-runs included). Each entry is a repository-relative path, a glob (picomatch syntax) or
 * a task id of the same plan. Order is kept as written.
 */
export interface ContextOverrides {
  /** always included (highest-priority manual tier) */
  pins: string[];
  /** never included, whatever tier would have brought them */
  excludes: string[];
}

/** What {@link Store.recordFinishedAttempt} writes besides the attempt and the node, in the same transaction. */
export interface FinishedAttemptExtras {
  /** cache entry to write (only fully written entries exist: it commits with the attempt or not at all) */
  cache?: CacheEntry;
  /** run workspace state to record */
  runWorkspace?: WorkspaceSnapshot;
  /**
   * audit entries of the decision behind the attempt's outcome (a refused command, an approval
   * asked for: `TaskgraphError.audit`), appended in the same transaction: written with the
   * attempt or not at all. An invalid entry (see {@link Store.appendAudit}) fails the whole write.
   */
  audit?: readonly AuditInput[];
}
