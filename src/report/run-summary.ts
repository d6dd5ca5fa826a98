import type { ErrorRecord } from '../core/errors.js';
import { TaskgraphError } from '../core/errors.js';
import type { PlanRecord, Task } from '../core/task.js';
import { effectiveRunStatus, holderState, sessionViews, type LeaseOptions, type SessionView } from '../engine/run-lease.js';
import type { AttemptSummary, RunLease, RunRecord, RunSession, RunStatus, RunTaskRecord, Store } from '../store/store.js';

/**
 * The numbers behind a run report (DESIGN.md §2 steps 5 and 7): per task, per node and in total,
 * gathered from the {@link Store} only. Shared by the Markdown report and `--json` output.
 */

/** Token and cost sums. Cache hits spend nothing, so only executed attempts are summed. */
export interface UsageTotals {
  inputTokens: number;
  outputTokens: number;
  /** USD */
  costUsd: number;
  /** model calls */
  calls: number;
}

/** One task's line in the report. */
export interface TaskSummary {
  id: string;
  title?: string;
  /** the run's task status, else the plan task's status */
  status: RunTaskRecord['status'] | Task['status'];
  /** tries of the task in this run (the refinement counter), 0 when it never started */
  attempts: number;
  usage: UsageTotals;
  /** the task's notes (failure notes appended by refinement), oldest first */
  notes: string[];
  startCommit?: string;
  /** ISO time the task's first attempt of any node started in this run (absent when none ran) */
  startedAt?: string;
  /** ISO time the last finished attempt of its nodes ended */
  finishedAt?: string;
  /** tasks in parallel (issue 10): the run-branch commit that holds the task */
  integratedCommit?: string;
  /** tasks in parallel: the task's own worktree, as recorded */
  worktree?: string;
}

/** One node's line in the report. */
export interface NodeSummary {
  id: string;
  kind?: string;
  task?: string;
  status: string;
  /** attempts recorded for the node, cache hits included */
  attempts: number;
  cacheHits: number;
  /** attempts that actually ran (not cache hits) */
  executed: number;
  usage: UsageTotals;
  /** sum of attempt durations, ms */
  durationMs: number;
  /** error of the latest failed attempt, when the node is `failed` */
  lastError?: ErrorRecord;
}

/** A session of the run with how it ended, killed ones derived (see `sessionViews`). */
export interface SessionSummary extends RunSession {
  view: SessionView;
}

/** How a summary reads the lease: the reader's clock and the liveness check (defaults: now, this host). */
export interface SummaryOptions {
  /** `Date.now()` of the reader */
  now?: number;
  lease?: LeaseOptions;
}

/** Everything a run report shows. */
export interface RunSummary {
  run: RunRecord;
  /** what the run is now: the stored status, except `interrupted` for a `running` run whose lease holder is gone */
  status: RunStatus;
  /** the run's lease, when a process holds one (token left out of every view) */
  lease?: RunLease;
  /** the run's sessions in start order */
  sessions: SessionSummary[];
  plan?: PlanRecord;
  /** the goal from `run.options.goal`, else the plan's goal */
  goal?: string;
  /** ISO time the run reached `succeeded`/`failed` (its last update); absent while running, suspended or interrupted */
  finishedAt?: string;
  /** createdAt to the last update, ms */
  wallMs: number;
  tasks: TaskSummary[];
  nodes: NodeSummary[];
  totals: UsageTotals & { attempts: number; cacheHits: number; executed: number; durationMs: number };
}

function emptyUsage(): UsageTotals {
  return { inputTokens: 0, outputTokens: 0, costUsd: 0, calls: 0 };
}

function addUsage(into: UsageTotals, from: UsageTotals): void {
  into.inputTokens += from.inputTokens;
  into.outputTokens += from.outputTokens;
  into.costUsd += from.costUsd;
  into.calls += from.calls;
}

function summarizeNode(
  id: string,
  attempts: AttemptSummary[],
  base: { kind?: string; task?: string; status: string },
): NodeSummary {
  const usage = emptyUsage();
  let cacheHits = 0;
  let durationMs = 0;
  let lastError: ErrorRecord | undefined;
  for (const attempt of attempts) {
    if (attempt.status === 'cached') cacheHits += 1;
    else addUsage(usage, attempt.usage);
    durationMs += attempt.durationMs ?? 0;
    if (attempt.status === 'failed' && attempt.error) lastError = attempt.error;
  }
  return {
    id,
    ...(base.kind === undefined ? {} : { kind: base.kind }),
    ...(base.task === undefined ? {} : { task: base.task }),
    status: base.status,
    attempts: attempts.length,
    cacheHits,
    executed: attempts.length - cacheHits,
    usage,
    durationMs,
    ...(base.status === 'failed' && lastError ? { lastError } : {}),
  };
}

/**
 * Reads a run, its plan, node states, attempts, task states, lease and sessions from the store
 * and sums them. Linear in nodes + attempts + tasks (attempts and usage are grouped once).
 *
 * Tasks listed: every task with a run task record, every atomic task of the run's plan, and every
 * task named by a node; in plan order, then by id. Nodes: in graph order, then any others.
 * @param store the store
 * @param runId the run
 * @param options the reader's clock and liveness check, for the effective status and killed sessions
 * @throws TaskgraphError `NOT_FOUND` for an unknown run; store errors pass through
 */
export async function summarizeRun(store: Store, runId: string, options: SummaryOptions = {}): Promise<RunSummary> {
  const run = await store.getRun(runId);
  if (!run) {
    throw new TaskgraphError('NOT_FOUND', `no run ${runId}`, {
      details: { runId },
      hint: 'run `taskgraph runs` to list run ids',
    });
  }
  const plan = run.planId ? await store.getPlan(run.planId) : undefined;
  const planTasks = run.planId ? await store.listTasks(run.planId) : [];
  const [runNodes, attempts, runTasks, lease, sessions] = await Promise.all([
    store.listRunNodes(runId),
    store.listAttemptSummaries(runId),
    store.listRunTasks(runId),
    store.getRunLease(runId),
    store.listRunSessions(runId),
  ]);
  const now = options.now ?? Date.now();
  const status = effectiveRunStatus(run, lease, now, options.lease);
  const leaseLive = lease !== undefined && holderState(lease, now, options.lease) === 'live';
  const views = sessionViews(sessions, leaseLive);

  const specs = new Map(run.graph.nodes.map((n) => [n.id, n]));
  const byNode = new Map<string, AttemptSummary[]>();
  for (const attempt of attempts) {
    const list = byNode.get(attempt.nodeId) ?? [];
    list.push(attempt);
    byNode.set(attempt.nodeId, list);
  }
  const nodeRecords = new Map(runNodes.map((n) => [n.nodeId, n]));
  const nodeIds = [...new Set([...run.graph.nodes.map((n) => n.id), ...runNodes.map((n) => n.nodeId), ...byNode.keys()])];
  const nodes = nodeIds.map((id) => {
    const spec = specs.get(id);
    const record = nodeRecords.get(id);
    const task = record?.task ?? spec?.task;
    return summarizeNode(id, byNode.get(id) ?? [], {
      ...(spec ? { kind: spec.kind } : {}),
      ...(task === undefined ? {} : { task }),
      status: record?.status ?? 'pending',
    });
  });

  const runTaskById = new Map(runTasks.map((t) => [t.taskId, t]));
  const planTaskById = new Map(planTasks.map((t) => [t.id, t]));
  const spanByTask = new Map<string, { startedAt: string; finishedAt?: string }>();
  for (const attempt of attempts) {
    const task = nodeRecords.get(attempt.nodeId)?.task ?? specs.get(attempt.nodeId)?.task;
    if (task === undefined) continue;
    const span = spanByTask.get(task);
    if (!span) spanByTask.set(task, { startedAt: attempt.startedAt, ...(attempt.finishedAt ? { finishedAt: attempt.finishedAt } : {}) });
    else {
      if (attempt.startedAt < span.startedAt) span.startedAt = attempt.startedAt;
      if (attempt.finishedAt && (!span.finishedAt || attempt.finishedAt > span.finishedAt)) span.finishedAt = attempt.finishedAt;
    }
  }
  const usageByTask = new Map<string, UsageTotals>();
  for (const node of nodes) {
    if (node.task === undefined) continue;
    let usage = usageByTask.get(node.task);
    if (!usage) usageByTask.set(node.task, (usage = emptyUsage()));
    addUsage(usage, node.usage);
  }
  const taskIds = [
    ...new Set([
      ...planTasks.filter((t) => t.atomic || runTaskById.has(t.id) || usageByTask.has(t.id)).map((t) => t.id),
      ...[...new Set([...runTaskById.keys(), ...usageByTask.keys()])].filter((id) => !planTaskById.has(id)).sort(),
    ]),
  ];
  const tasks = taskIds.map((id): TaskSummary => {
    const planTask = planTaskById.get(id);
    const runTask = runTaskById.get(id);
    const usage = { ...(usageByTask.get(id) ?? emptyUsage()) };
    return {
      id,
      ...(planTask ? { title: planTask.title } : {}),
      status: runTask?.status ?? planTask?.status ?? 'pending',
      attempts: runTask?.attempt ?? 0,
      usage,
      notes: planTask ? [...planTask.notes] : [],
      ...(runTask?.startCommit ? { startCommit: runTask.startCommit } : {}),
      ...(spanByTask.get(id) ?? {}),
      ...(runTask?.integratedCommit ? { integratedCommit: runTask.integratedCommit } : {}),
      ...(runTask?.worktree ? { worktree: runTask.worktree } : {}),
    };
  });

  const totals = { ...emptyUsage(), attempts: 0, cacheHits: 0, executed: 0, durationMs: 0 };
  for (const node of nodes) {
    addUsage(totals, node.usage);
    totals.attempts += node.attempts;
    totals.cacheHits += node.cacheHits;
    totals.executed += node.executed;
    totals.durationMs += node.durationMs;
  }

  const finished = run.status === 'succeeded' || run.status === 'failed';
  const goal = typeof run.options['goal'] === 'string' ? run.options['goal'] : plan?.goal;
  return {
    run,
    status,
    ...(lease ? { lease } : {}),
    sessions: sessions.map((session, i) => ({ ...session, view: views[i]! })),
    ...(plan ? { plan } : {}),
    ...(goal === undefined ? {} : { goal }),
    ...(finished ? { finishedAt: run.updatedAt } : {}),
    wallMs: Math.max(0, Date.parse(run.updatedAt) - Date.parse(run.createdAt)),
    tasks,
    nodes,
    totals,
  };
}
