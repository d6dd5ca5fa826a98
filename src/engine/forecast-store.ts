import type { GraphSpec } from '../core/graph.js';
import type { PlanRecord, Task, TaskLink } from '../core/task.js';
import type { AuditEntry, AuditInput } from '../store/audit.js';
import type { PlanApprovalInput, PlanEditInput, PlanVersion } from '../store/plan-versions.js';
import type { RunEvent, RunEventInput, RunEventQuery } from '../store/run-events.js';
import type { WebhookAttempt, WebhookDelivery, WebhookDeliveryInput, WebhookDeliveryQuery } from '../store/webhook-deliveries.js';
import { SqliteStore } from '../store/sqlite-store.js';
import type {
  AttemptFinish,
  AttemptRecord,
  AttemptSummary,
  CacheEntry,
  LeaseRequest,
  RunLease,
  RunSession,
  SessionEnd,
  ContextOverrides,
  DecisionRecord,
  FinishedAttemptExtras,
  FinishedAttemptWrite,
  RunNodeRecord,
  RunRecord,
  RunTaskRecord,
  Store,
  WorkspaceSnapshot,
} from '../store/store.js';

/**
 * The store a forecast runs the engine against (`forecast.ts`): the project's store seen through
 * a private scratch store, so the engine can do everything it does in a real run — create the
 * run, record attempts, mark tasks, save a plan a cached `decompose` node expands — while the
 * project's store is only read.
 *
 * - Runs, run nodes, run tasks, attempts, decisions and run events live in the scratch store only (the
 *   forecast's run is new).
 * - A plan (its tasks, links and context overrides) is copied into the scratch store the first
 *   time the forecast touches it; every later read and write of it goes to the copy, so a task
 *   marked done or a note appended during the forecast never reaches the project.
 * - Cache entries and "the last successful attempt of a node" are read from the scratch store
 *   first (entries the forecast itself wrote) and then from the project's store.
 *
 * The scratch store is an in-memory SQLite database: it holds one run and the plans the forecast
 * touched, and disappears with {@link ForecastStore.close} (which leaves the project's store
 * open: the caller owns it).
 */
export class ForecastStore implements Store {
  private readonly scratch: SqliteStore;
  private readonly copied = new Map<string, Promise<void>>();

  private constructor(
    private readonly real: Store,
    scratch: SqliteStore,
  ) {
    this.scratch = scratch;
  }

  /**
   * Opens a forecast view of `real`.
   * @throws TaskgraphError STORE_ERROR when the in-memory database cannot be created
   */
  static async over(real: Store): Promise<ForecastStore> {
    const scratch = SqliteStore.open(':memory:');
    await scratch.migrate();
    return new ForecastStore(real, scratch);
  }

  /** Copies plan `id` (tasks, links, context overrides) from the project's store, once. */
  private ensurePlan(id: string): Promise<void> {
    let done = this.copied.get(id);
    if (!done) {
      done = (async () => {
        const plan = await this.real.getPlan(id);
        if (!plan) return;
        await this.scratch.savePlan(plan);
        for (const link of await this.real.listLinks(id)) if (link.type !== 'requires') await this.scratch.addLink(link);
        for (const task of plan.tasks) {
          const overrides = await this.real.getContextOverrides(id, task.id);
          if (overrides.pins.length > 0 || overrides.excludes.length > 0) await this.scratch.putContextOverrides(id, task.id, overrides);
        }
      })();
      this.copied.set(id, done);
    }
    return done;
  }

  migrate(): Promise<void> {
    return this.scratch.migrate();
  }
  /** Closes the scratch store only. */
  close(): Promise<void> {
    return this.scratch.close();
  }

  // plans and tasks: copied on first touch
  async savePlan(plan: PlanRecord): Promise<void> {
    await this.ensurePlan(plan.id);
    return this.scratch.savePlan(plan);
  }
  async getPlan(id: string): Promise<PlanRecord | undefined> {
    await this.ensurePlan(id);
    return this.scratch.getPlan(id);
  }
  /** The project's plans (a forecast never lists plans; kept for the interface). */
  listPlans(): Promise<PlanRecord[]> {
    return this.real.listPlans();
  }
  async getTask(planId: string, taskId: string): Promise<Task | undefined> {
    await this.ensurePlan(planId);
    return this.scratch.getTask(planId, taskId);
  }
  async listTasks(planId: string): Promise<Task[]> {
    await this.ensurePlan(planId);
    return this.scratch.listTasks(planId);
  }
  async putTask(task: Task): Promise<void> {
    await this.ensurePlan(task.planId);
    return this.scratch.putTask(task);
  }
  async appendTaskNote(planId: string, taskId: string, note: string): Promise<Task> {
    await this.ensurePlan(planId);
    return this.scratch.appendTaskNote(planId, taskId, note);
  }
  async appendTaskNoteAudited(planId: string, taskId: string, note: string, audit: AuditInput): Promise<Task> {
    await this.ensurePlan(planId);
    return this.scratch.appendTaskNoteAudited(planId, taskId, note, audit);
  }
  async setTaskStatus(planId: string, taskId: string, status: Task['status']): Promise<void> {
    await this.ensurePlan(planId);
    return this.scratch.setTaskStatus(planId, taskId, status);
  }
  async addLink(link: TaskLink): Promise<void> {
    await this.ensurePlan(link.planId);
    return this.scratch.addLink(link);
  }
  async removeLink(link: TaskLink): Promise<void> {
    await this.ensurePlan(link.planId);
    return this.scratch.removeLink(link);
  }
  async listLinks(planId: string, taskId?: string): Promise<TaskLink[]> {
    await this.ensurePlan(planId);
    return this.scratch.listLinks(planId, taskId);
  }
  async getContextOverrides(planId: string, taskId: string): Promise<ContextOverrides> {
    await this.ensurePlan(planId);
    return this.scratch.getContextOverrides(planId, taskId);
  }
  async putContextOverrides(planId: string, taskId: string, overrides: ContextOverrides, audit?: AuditInput): Promise<void> {
    await this.ensurePlan(planId);
    return this.scratch.putContextOverrides(planId, taskId, overrides, audit);
  }

  // the forecast's own run: scratch only
  createRun(run: RunRecord): Promise<void> {
    return this.scratch.createRun(run);
  }
  getRun(id: string): Promise<RunRecord | undefined> {
    return this.scratch.getRun(id);
  }
  listRuns(limit?: number): Promise<RunRecord[]> {
    return this.scratch.listRuns(limit);
  }
  updateRun(id: string, patch: Partial<Omit<RunRecord, 'id' | 'createdAt'>>): Promise<void> {
    return this.scratch.updateRun(id, patch);
  }
  expandRunGraph(id: string, graph: GraphSpec, newNodes: RunNodeRecord[]): Promise<void> {
    return this.scratch.expandRunGraph(id, graph, newNodes);
  }
  listRunNodes(runId: string): Promise<RunNodeRecord[]> {
    return this.scratch.listRunNodes(runId);
  }
  putRunNodes(nodes: RunNodeRecord[]): Promise<void> {
    return this.scratch.putRunNodes(nodes);
  }
  getRunTask(runId: string, taskId: string): Promise<RunTaskRecord | undefined> {
    return this.scratch.getRunTask(runId, taskId);
  }
  listRunTasks(runId: string): Promise<RunTaskRecord[]> {
    return this.scratch.listRunTasks(runId);
  }
  putRunTask(task: RunTaskRecord): Promise<void> {
    return this.scratch.putRunTask(task);
  }
  startAttempt(attempt: Omit<AttemptRecord, 'seq' | 'status'>): Promise<AttemptRecord> {
    return this.scratch.startAttempt(attempt);
  }
  finishAttempt(finish: AttemptFinish): Promise<void> {
    return this.scratch.finishAttempt(finish);
  }
  recordFinishedAttempt(attempt: Omit<AttemptRecord, 'seq'>, node: RunNodeRecord, options?: FinishedAttemptExtras): Promise<AttemptRecord> {
    return this.scratch.recordFinishedAttempt(attempt, node, options);
  }
  recordFinishedAttempts(batch: readonly FinishedAttemptWrite[]): Promise<AttemptRecord[]> {
    return this.scratch.recordFinishedAttempts(batch);
  }
  recordCacheHit(attempt: Omit<AttemptRecord, 'seq'>, node: RunNodeRecord, runWorkspace?: WorkspaceSnapshot): Promise<AttemptRecord> {
    return this.scratch.recordCacheHit(attempt, node, runWorkspace);
  }
  listAttempts(runId: string, nodeId?: string): Promise<AttemptRecord[]> {
    return this.scratch.listAttempts(runId, nodeId);
  }
  listAttemptSummaries(runId: string): Promise<AttemptSummary[]> {
    return this.scratch.listAttemptSummaries(runId);
  }
  markNodeRunning(runId: string, nodeId: string, attempts: number, startedAt: string): Promise<void> {
    return this.scratch.markNodeRunning(runId, nodeId, attempts, startedAt);
  }
  interruptRunning(runId: string): Promise<number> {
    return this.scratch.interruptRunning(runId);
  }
  /** The project's last successful attempt of the node (the forecast's own attempts are not history). */
  lastSuccessfulAttempt(nodeId: string, beforeRunId?: string): Promise<AttemptRecord | undefined> {
    return this.real.lastSuccessfulAttempt(nodeId, beforeRunId);
  }
  /** The project's recent successful attempts of the node (the forecast's own attempts are not history). */
  recentSuccessfulAttempts(nodeId: string, limit: number, beforeRunId?: string): Promise<AttemptRecord[]> {
    return this.real.recentSuccessfulAttempts(nodeId, limit, beforeRunId);
  }
  putDecision(decision: DecisionRecord): Promise<void> {
    return this.scratch.putDecision(decision);
  }
  getDecision(runId: string, nodeId: string): Promise<DecisionRecord | undefined> {
    return this.scratch.getDecision(runId, nodeId);
  }
  decide(decision: DecisionRecord, audit: AuditInput): Promise<AuditEntry> {
    return this.scratch.decide(decision, audit);
  }

  // the forecast's run holds its own lease and sessions, in the scratch store
  acquireRunLease(request: LeaseRequest): Promise<RunLease> {
    return this.scratch.acquireRunLease(request);
  }
  heartbeatRunLease(runId: string, token: string, now: string): Promise<boolean> {
    return this.scratch.heartbeatRunLease(runId, token, now);
  }
  releaseRunLease(runId: string, token: string): Promise<boolean> {
    return this.scratch.releaseRunLease(runId, token);
  }
  getRunLease(runId: string): Promise<RunLease | undefined> {
    return this.scratch.getRunLease(runId);
  }
  startRunSession(session: Omit<RunSession, 'number' | 'endedAt' | 'outcome' | 'reason'>): Promise<RunSession> {
    return this.scratch.startRunSession(session);
  }
  endRunSession(runId: string, number: number, end: SessionEnd): Promise<void> {
    return this.scratch.endRunSession(runId, number, end);
  }
  listRunSessions(runId: string): Promise<RunSession[]> {
    return this.scratch.listRunSessions(runId);
  }

  // audit: a forecast runs no command, so whatever it would audit stays in the scratch store
  appendAudit(entry: AuditInput): Promise<AuditEntry> {
    return this.scratch.appendAudit(entry);
  }

  listAudit(runId?: string): Promise<AuditEntry[]> {
    return this.scratch.listAudit(runId);
  }

  // the forecast's run lives in the scratch store, and so do its events
  appendRunEvents(events: readonly RunEventInput[]): Promise<RunEvent[]> {
    return this.scratch.appendRunEvents(events);
  }

  listRunEvents(runId: string, query?: RunEventQuery): Promise<RunEvent[]> {
    return this.scratch.listRunEvents(runId, query);
  }

  // plan review: on the copy, like every other write of a plan
  async editPlan(edit: PlanEditInput): Promise<PlanVersion> {
    await this.ensurePlan(edit.planId);
    return this.scratch.editPlan(edit);
  }
  /** The project's versions (a forecast never edits a plan: its copy has only version 1). */
  listPlanVersions(planId: string): Promise<PlanVersion[]> {
    return this.real.listPlanVersions(planId);
  }
  async approvePlan(approval: PlanApprovalInput): Promise<PlanVersion> {
    await this.ensurePlan(approval.planId);
    return this.scratch.approvePlan(approval);
  }

  // cache: what the forecast computed itself, else the project's
  async getCache(key: string): Promise<CacheEntry | undefined> {
    return (await this.scratch.getCache(key)) ?? this.real.getCache(key);
  }

  // webhooks: a forecast's events are not real, so they stay in the scratch store (never delivered)
  enqueueWebhookDeliveries(rows: readonly WebhookDeliveryInput[]): Promise<WebhookDelivery[]> {
    return this.scratch.enqueueWebhookDeliveries(rows);
  }

  listWebhookDeliveries(query?: WebhookDeliveryQuery): Promise<WebhookDelivery[]> {
    return this.scratch.listWebhookDeliveries(query);
  }

  recordWebhookAttempt(id: string, attempt: WebhookAttempt): Promise<void> {
    return this.scratch.recordWebhookAttempt(id, attempt);
  }
}
