import type { GraphSpec } from '../core/graph.js';
import type { PlanRecord, Task, TaskLink } from '../core/task.js';
import type { AuditEntry, AuditInput } from './audit.js';
import type { PlanApprovalInput, PlanEditInput, PlanVersion } from './plan-versions.js';
import type { RunEvent, RunEventInput, RunEventQuery } from './run-events.js';
import type { WebhookAttempt, WebhookDelivery, WebhookDeliveryInput, WebhookDeliveryQuery } from './webhook-deliveries.js';
import type { FinishedAttemptExtras, WorkspaceSnapshot, RunRecord, AttemptRecord, AttemptSummary, RunNodeRecord, RunLease, LeaseRequest, RunSession, SessionEnd, RunTaskRecord, CacheEntry, DecisionRecord, AttemptFinish, FinishedAttemptWrite, ContextOverrides } from './store-records.js';

export type { FinishedAttemptExtras, RunStatus, NodeStatus, AttemptStatus, WorkspaceSnapshot, RunRecord, Usage, AttemptRecord, AttemptSummary, RunNodeRecord, RunLease, LeaseRequest, SessionOutcome, RunSession, SessionEnd, RunTaskRecord, CacheEntry, DecisionRecord, AttemptFinish, FinishedAttemptWrite, ContextOverrides } from './store-records.js';

/**
 * The durable store (DESIGN.md §6, §10): one small interface, implemented by SQLite
 * (`sqlite-store.ts`, the default) and PostgreSQL (`postgres-store.ts`; `open-store.ts` chooses). Every method that changes state commits
 * its transaction before it resolves, so the engine may act on it afterwards ("write, then act").
 * Each implementation passes the shared conformance suite `store.case.ts`.
 */

/**
 * Outputs whose JSON text is larger than this many bytes (UTF-8) are stored once, by content hash,
 * in a blob table (DESIGN.md §5 "large outputs live in a content-addressed blob table keyed by
 * hash"); attempt rows and cache entries refer to the blob. Reads resolve it transparently, so
 * callers never see the difference. 64 KiB.
 */
export const BLOB_THRESHOLD_BYTES = 65_536;


/** The store. All methods reject with `TaskgraphError('STORE_ERROR' | 'NOT_FOUND')` (and `addLink` with `PLAN_INVALID`). */
export interface Store {
  /** Applies pending migrations (idempotent). */
  migrate(): Promise<void>;
  close(): Promise<void>;

  // plans and tasks
  /**
   * Saves a plan and upserts its tasks (and their `requires` links) in one transaction; the
   * first save of a plan also writes its version 1 (`plan-versions.ts`).
   */
  savePlan(plan: PlanRecord): Promise<void>;
  getPlan(id: string): Promise<PlanRecord | undefined>;
  /** newest first */
  listPlans(): Promise<PlanRecord[]>;
  getTask(planId: string, taskId: string): Promise<Task | undefined>;
  listTasks(planId: string): Promise<Task[]>;
  /** Upserts one task. */
  putTask(task: Task): Promise<void>;
  /** Appends a note; rejects NOT_FOUND for an unknown task. Returns the updated task. */
  appendTaskNote(planId: string, taskId: string, note: string): Promise<Task>;
  /**
   * {@link appendTaskNote} and {@link appendAudit} in ONE write transaction: a person's answer to
   * a task held for them, recorded with its audit entry or not at all.
   * @returns the updated task
   * @throws TaskgraphError NOT_FOUND (unknown task), CONFIG_INVALID (invalid entry); nothing is written then
   */
  appendTaskNoteAudited(planId: string, taskId: string, note: string, audit: AuditInput): Promise<Task>;
  setTaskStatus(planId: string, taskId: string, status: Task['status']): Promise<void>;
  /**
   * Adds a link (idempotent); a `requires` link also adds `to` to `from`'s dependencies.
   * Rejects NOT_FOUND (naming task and plan) when either task is unknown, PLAN_INVALID for an
   * unknown type, a non-`requires` self link, or a `requires` link that would close a cycle
   * (`details.cycle`: the path, e.g. `['T1','T3','T2','T1']`; rules in `link-rules.ts`).
   */
  addLink(link: TaskLink): Promise<void>;
  removeLink(link: TaskLink): Promise<void>;
  listLinks(planId: string, taskId?: string): Promise<TaskLink[]>;
  /** The task's context overrides; `{ pins: [], excludes: [] }` when none were stored. Rejects NOT_FOUND for an unknown task. */
  getContextOverrides(planId: string, taskId: string): Promise<ContextOverrides>;
  /**
   * Replaces the task's context overrides; `audit` (a person's `context-changed` entry) is
   * appended in the same transaction. Rejects NOT_FOUND for an unknown task.
   */
  putContextOverrides(planId: string, taskId: string, overrides: ContextOverrides, audit?: AuditInput): Promise<void>;

  // plan review (issue 11; `plan-versions.ts`)
  /**
   * Applies a person's edit to a plan in ONE transaction: the tasks (removed tasks lose their
   * links), `meta.leaves`, the next version and a `plan-edit` audit entry. Returns the new
   * version. Rejects NOT_FOUND (plan) and RUN_STATE when a version newer than
   * `edit.baseVersion` exists (nothing written). The caller validates the edited plan first.
   */
  editPlan(edit: PlanEditInput): Promise<PlanVersion>;
  /**
   * The plan's versions, oldest first; a plan saved before versions existed shows its current
   * tasks as version 1. Empty for an unknown plan.
   */
  listPlanVersions(planId: string): Promise<PlanVersion[]>;
  /**
   * Approves the newest version and appends a `plan-approved` audit entry, in ONE transaction
   * (a second approval of the same version is a no-op). Rejects NOT_FOUND (plan) and RUN_STATE
   * when `approval.version` is not the newest.
   */
  approvePlan(approval: PlanApprovalInput): Promise<PlanVersion>;

  // runs
  /** Creates the run and a `pending` row for every node of its graph. */
  createRun(run: RunRecord): Promise<void>;
  getRun(id: string): Promise<RunRecord | undefined>;
  /** newest first */
  listRuns(limit?: number): Promise<RunRecord[]>;
  updateRun(id: string, patch: Partial<Omit<RunRecord, 'id' | 'createdAt'>>): Promise<void>;
  /** Replaces the run's graph and adds `pending` rows for new nodes (decompose expansion), atomically. */
  expandRunGraph(id: string, graph: GraphSpec, newNodes: RunNodeRecord[]): Promise<void>;
  listRunNodes(runId: string): Promise<RunNodeRecord[]>;
  /** Writes several node states in one transaction (skips, task resets). */
  putRunNodes(nodes: RunNodeRecord[]): Promise<void>;
  getRunTask(runId: string, taskId: string): Promise<RunTaskRecord | undefined>;
  listRunTasks(runId: string): Promise<RunTaskRecord[]>;
  putRunTask(task: RunTaskRecord): Promise<void>;

  // attempts
  /** Inserts a `running` attempt and sets the node `running`, atomically; returns it with `seq`. */
  startAttempt(attempt: Omit<AttemptRecord, 'seq' | 'status'>): Promise<AttemptRecord>;
  /**
   * Finishes an attempt: attempt row + node state + cache entry + run workspace + audit entries
   * (`finish.audit`), one transaction. Rejects NOT_FOUND (unknown seq or run) and CONFIG_INVALID
   * (an invalid audit entry); nothing is written then.
   */
  finishAttempt(finish: AttemptFinish): Promise<void>;
  /**
   * Inserts an attempt that is already finished (any status but `running`: succeeded, failed,
   * cached, suspended, interrupted) + the node's state (`lastAttemptSeq` set to the new seq) +
   * optional cache entry + optional run workspace + optional audit entries
   * ({@link FinishedAttemptExtras.audit}), in ONE transaction; returns the attempt with
   * its `seq`. For nodes without side effects, where a crash mid-node just re-runs it, so one
   * transaction per node suffices (instead of startAttempt + finishAttempt).
   * Rejects `NOT_FOUND` (nothing written) when the run does not exist, `STORE_ERROR` for status
   * `running` (use {@link Store.startAttempt}), `CONFIG_INVALID` for an invalid audit entry.
   */
  recordFinishedAttempt(attempt: Omit<AttemptRecord, 'seq'>, node: RunNodeRecord, options?: FinishedAttemptExtras): Promise<AttemptRecord>;
  /**
   * Writes several finished attempts (each with its node state and optional cache entry / run
   * workspace) in ONE transaction, in order; all or nothing. The engine's group commit for
   * cheap pure nodes.
   */
  recordFinishedAttempts(batch: readonly FinishedAttemptWrite[]): Promise<AttemptRecord[]>;
  /**
   * Records a cache hit as a finished `cached` attempt + node state, one transaction. Kept for
   * compatibility: the same as `recordFinishedAttempt({ ...attempt, status: 'cached' }, node, { runWorkspace })`.
   */
  recordCacheHit(attempt: Omit<AttemptRecord, 'seq'>, node: RunNodeRecord, runWorkspace?: WorkspaceSnapshot): Promise<AttemptRecord>;
  /** all attempts of a run in seq order, optionally of one node */
  listAttempts(runId: string, nodeId?: string): Promise<AttemptRecord[]>;
  /** all attempts of a run in seq order without their payload (see {@link AttemptSummary}): for `status` and reports on large runs */
  listAttemptSummaries(runId: string): Promise<AttemptSummary[]>;
  /**
   * Marks a node that is still executing `running`, with its attempt number and start time, so
   * `status` shows it (the engine calls it only for nodes that run longer than a short delay;
   * side-effecting nodes get the same mark from {@link Store.startAttempt}). Leaves
   * `lastAttemptSeq` and `task` as they are.
   * Rejects `NOT_FOUND` when the run has no such node.
   */
  markNodeRunning(runId: string, nodeId: string, attempts: number, startedAt: string): Promise<void>;
  /** Marks every `running` attempt of the run `interrupted` and its node `pending` (resume). Returns how many. */
  interruptRunning(runId: string): Promise<number>;
  /** latest successful (succeeded or cached) attempt of a node id across all runs, for `why` */
  lastSuccessfulAttempt(nodeId: string, beforeRunId?: string): Promise<AttemptRecord | undefined>;
  /**
   * the newest successful (succeeded or cached) attempts of a node id across all runs, newest
   * first, at most `limit` (attempts of `beforeRunId` left out); e.g. the project indexes earlier
   * plans' `index` nodes produced (`project/stored-index.ts`)
   */
  recentSuccessfulAttempts(nodeId: string, limit: number, beforeRunId?: string): Promise<AttemptRecord[]>;

  // cache
  getCache(key: string): Promise<CacheEntry | undefined>;

  // decisions
  putDecision(decision: DecisionRecord): Promise<void>;
  getDecision(runId: string, nodeId: string): Promise<DecisionRecord | undefined>;
  /**
   * Records a person's decision and its audit entry in ONE write transaction: both rows are
   * written, or neither (issue 11 "every audit entry is written with its effect, or not at all").
   * Unlike {@link putDecision} it never overwrites a decision about the same subject: a node
   * decided already is refused, so two processes deciding the same node at once cannot both win.
   * A prior decision about another {@link DecisionRecord.subject} (an earlier diff of an `apply`
   * node) is replaced.
   * @returns the audit entry as stored
   * @throws TaskgraphError NOT_FOUND (unknown run), RUN_STATE (the node has a decision already,
   *   `details.by`), CONFIG_INVALID (an invalid audit entry: see {@link appendAudit}); nothing
   *   is written then
   */
  decide(decision: DecisionRecord, audit: AuditInput): Promise<AuditEntry>;

  // lease and sessions (DESIGN.md §6)
  /**
   * Takes the run's lease atomically when it is free, expired (heartbeatAt more than
   * `request.ttlMs` before `request.now`), held by `request.takeOver` (a holder the caller found
   * dead), or already held by `request.token` (then it is refreshed). Rules: `lease-rules.ts`.
   * Rejects `NOT_FOUND` for an unknown run, and `RUN_LOCKED` otherwise, with
   * `details: { runId, pid, host, acquiredAt, heartbeatAt }` of the holder (no token), a message
   * naming who holds it since when, and a hint.
   */
  acquireRunLease(request: LeaseRequest): Promise<RunLease>;
  /** Sets heartbeatAt = `now` if `token` still holds the lease; false when it does not (lost or released). */
  heartbeatRunLease(runId: string, token: string, now: string): Promise<boolean>;
  /** Drops the lease if `token` holds it; false when it did not (a no-op). */
  releaseRunLease(runId: string, token: string): Promise<boolean>;
  /** The run's lease, if any process holds one (expired or not: the caller judges). */
  getRunLease(runId: string): Promise<RunLease | undefined>;
  /** Records a new session of the run, numbered after the last one. Rejects `NOT_FOUND` for an unknown run. */
  startRunSession(session: Omit<RunSession, 'number' | 'endedAt' | 'outcome' | 'reason'>): Promise<RunSession>;
  /** Ends a session (ending it again overwrites the end). Rejects `NOT_FOUND` for an unknown session. */
  endRunSession(runId: string, number: number, end: SessionEnd): Promise<void>;
  /** The run's sessions in start order. */
  listRunSessions(runId: string): Promise<RunSession[]>;

  // audit log (issue 11; `audit.ts`)
  /**
   * Appends one audit entry (its own transaction) and returns it as stored: its id (ascending in
   * append order), secrets redacted from who, subject, reason and details. Rejects
   * CONFIG_INVALID for an unknown kind, a risk outside 0–100 or a non-integer `at`.
   */
  appendAudit(entry: AuditInput): Promise<AuditEntry>;
  /** The audit entries of `runId`, or every entry when it is undefined, in append order. */
  listAudit(runId?: string): Promise<AuditEntry[]>;

  // run event log (issue 12; `run-events.ts`)
  /**
   * Appends events in ONE transaction, in the order given (all or nothing), and returns them as
   * stored: each with its `seq` (ascending in append order), secrets redacted from `data`.
   * Rejects NOT_FOUND for an unknown run and CONFIG_INVALID for a non-integer `at` or an empty
   * type; nothing is written then.
   */
  appendRunEvents(events: readonly RunEventInput[]): Promise<RunEvent[]>;
  /** The run's events in `seq` order, after `query.afterSeq`, at most `query.limit`. Empty for an unknown run. */
  listRunEvents(runId: string, query?: RunEventQuery): Promise<RunEvent[]>;

  // webhook outbox (issue 13; `webhook-deliveries.ts`)
  /**
   * Adds deliveries in ONE transaction (all or nothing), each `pending` with 0 attempts, and
   * returns them as stored (secrets redacted from `body`). Rejects CONFIG_INVALID for a
   * non-integer time or an empty id, url or event, and STORE_ERROR for a duplicate id; nothing is
   * written then.
   */
  enqueueWebhookDeliveries(rows: readonly WebhookDeliveryInput[]): Promise<WebhookDelivery[]>;
  /** Deliveries in creation order, filtered by status and due time, at most `query.limit`. */
  listWebhookDeliveries(query?: WebhookDeliveryQuery): Promise<WebhookDelivery[]>;
  /**
   * Records one delivery attempt: status, attempt count, next try and the error (cleared when
   * absent). Rejects NOT_FOUND for an unknown id and CONFIG_INVALID for an unknown status.
   */
  recordWebhookAttempt(id: string, attempt: WebhookAttempt): Promise<void>;
}
