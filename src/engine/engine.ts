import { randomBytes } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import type { Budget, ProjectConfig } from '../core/config.js';
import { TaskgraphError, toErrorRecord } from '../core/errors.js';
import { type Graph, type GraphSpec, type GraphSpecInput, GraphSpecSchema, type NodeSpec } from '../core/graph.js';
import type { Json } from '../core/json.js';
import { graphFromSpec, graphToSpec } from '../core/validate.js';
import type { KeyIngredients } from '../core/hash.js';
import type { ModelClient } from '../llm/model-client.js';
import type { NodeStatus, RunRecord, SessionOutcome, Store, Usage } from '../store/store.js';
import type { Workspace } from '../workspace/workspace.js';
import { BudgetGuard, effectiveBudget, isDecomposition } from './budget.js';
import { DECISION_POLL_MS, decidedAfterRelease, DecisionWatch } from './decision-pickup.js';
import { ModelMeter } from './meter.js';
import { type PlanningCharge, planningCharge } from './run-spend.js';
import { killOrphanProcessGroups, pidDir } from './orphans.js';
import { Notices } from './notify-person.js';
import { ChatNotices } from './notify-chat.js';
import { type EngineObserver, fanOut } from './events.js';
import type { ExecutorRegistry, NodeContext, ScriptRegistry } from './node-executor.js';
import { RunLeaseHolder, RunSessionScope, type LeaseOptions } from './run-lease.js';
import { type NodeResult, runNode } from './run-node.js';
import { RunEventLog } from './run-event-log.js';
import { TraceObserver } from '../observability/trace-observer.js';
import { RunningMarks } from './running-marks.js';
import { keptOptionsOf, readKeptOptions } from './run-options.js';
import type { RunState } from './run-state.js';
import { ParallelTasks } from './parallel-tasks.js';
import { taskConcurrencyOf } from './task-concurrency.js';
import { BackgroundIntegration, integrateFinishedTasks } from './task-integration.js';
import { Scheduler } from './scheduler.js';
import { listening } from './stop-signal.js';
import { TaskTracker } from './task-tracker.js';
import { resetForResume } from './resume-reset.js';
import { countStates, finalStatus, type RunSummary, sumUsage } from './run-summary.js';
import { sessionHistory } from './session-history.js';
import { skipAfterFailure } from './skip-after-failure.js';
import { WriteBuffer } from './write-buffer.js';
import { nodeContextOf } from './node-context-of.js';
import type { PromptSource } from '../library/prompt-source.js';

/**
 * The engine (DESIGN.md §3-6): runs a graph durably. The scheduler says what is ready; the engine
 * runs up to `concurrency` nodes at once (`run-node.ts`: cache, execute, record), keeps task
 * bookkeeping (`task-tracker.ts`: refinement, loop detection), enforces budgets (`budget.ts`),
 * expands `decompose` nodes and suspends on approvals. Every state change is written to the store
 * before it is acted on; a run killed at any point is continued with {@link Engine.resume}.
 */
export interface EngineOptions {
  store: Store;
  executors: ExecutorRegistry;
  scripts: ScriptRegistry;
  /** the project's prompts (its library); default: the bundled prompts (`library/prompt-source.ts`) */
  prompts?: PromptSource;
  projectDir: string;
  config: ProjectConfig;
  models?: ModelClient;
  /** nodes running at once (default: graph.concurrency, else config.policy.concurrency); kept with the run, so later sessions use it too */
  concurrency?: number;
  /** tasks open at once (default policy.taskConcurrency, else `task-concurrency.ts`; above 1 each in a worktree of its own: `parallel-tasks.ts`); kept with the run */
  taskConcurrency?: number;
  /** node ids whose cache entries are ignored this run (`--force`); kept with the run, so later sessions honour it too */
  force?: readonly string[];
  /** run-wide limits overriding policy.budget (also stored with the run, so resume keeps them) */
  budget?: Budget;
  observers?: readonly EngineObserver[];
  /**
   * the project's webhook outbox (`webhooks/outbox.ts`): its observer is installed for every
   * session, like the run event log; it writes the event's outbox rows and never waits for delivery
   */
  webhooks?: { readonly observer: EngineObserver };
  /**
   * stops the run (the CLI aborts it on SIGINT/SIGTERM): running commands and model calls are
   * aborted, their attempts recorded `interrupted`, and the run ends `interrupted` with the
   * abort reason's message (e.g. `stopped by SIGTERM`)
   */
  signal?: AbortSignal;
  /**
   * plan only (`taskgraph plan`): a `decompose` node saves its plan and sets the run's plan id,
   * but adds no task nodes to the run's graph
   */
  planOnly?: boolean;
  /** run lease tunables (TTL, heartbeat interval); defaults in `run-lease.ts` */
  lease?: LeaseOptions;
  /**
   * write the run's events to the store's run event log (`run-event-log.ts`), which
   * `GET /runs/:id/events` streams; default true. Forecasts turn it off (nobody watches them).
   */
  eventLog?: boolean;
  /**
   * make OpenTelemetry spans of the run (`observability/trace-observer.ts`: run → task → node →
   * model call → tool call) on the global tracer provider; default true. Without an SDK
   * registered the spans are no-ops.
   */
  tracing?: boolean;
}

/** How {@link Engine.resume} continues a run. */
export interface ResumeOptions {
  /** the command recorded for the session (default `resume`): `approve`, `reject`, `answer`, ... */
  command?: string;
  /**
   * the run's lease, already taken by the caller (who wrote something under it first, e.g. a
   * decision); the engine releases it when the session ends. Without it the engine takes the lease.
   */
  lease?: RunLeaseHolder;
}

/** Where a new run works. */
export interface RunStart {
  graph: GraphSpecInput;
  command: string;
  options?: Record<string, Json>;
  planId?: string;
  runId?: string;
  /** the run's worktree, created by the caller (see `workspace/git-workspace.ts`) */
  workspace?: Workspace;
  baseCommit?: string;
}

export type { RunSummary } from './run-summary.js';

/** A new run id: `r-` + UTC time + 6 random hex chars, sortable by creation. */
export function newRunId(now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:T]/g, '').slice(0, 14);
  return `r-${stamp}-${randomBytes(3).toString('hex')}`;
}

/** Runs graphs. One instance may run several runs one after another. */
export class Engine {
  constructor(private readonly options: EngineOptions) {}

  /**
   * Validates the graph (every kind's config included), creates the run, takes its lease, records
   * the session and executes it. The run's options keep `force`, `concurrency` and the budget for
   * later sessions.
   * @throws TaskgraphError GRAPH_INVALID before anything is written
   */
  async start(start: RunStart): Promise<RunSummary> {
    return listening(this.options.signal, async () => this.handOff(await this.startRun(start), start.workspace));
  }

  /**
   * After a session ended suspended and released the lease: a decision another process recorded
   * meanwhile (`decision-pickup.ts`) is acted on by resuming once more, unless another process
   * took the lease in between (then that one continues the run).
   */
  private async handOff(summary: RunSummary, workspace: Workspace | undefined): Promise<RunSummary> {
    if (summary.status !== 'suspended' || this.options.signal?.aborted || !(await decidedAfterRelease(this.options.store, summary.runId))) return summary;
    try {
      return await this.resumeRun(summary.runId, workspace, { command: 'resume' });
    } catch (error) {
      if (error instanceof TaskgraphError && error.code === 'RUN_LOCKED') return summary;
      throw error;
    }
  }

  private async startRun(start: RunStart): Promise<RunSummary> {
    const graph = this.buildGraph(GraphSpecSchema.parse(start.graph));
    const now = new Date().toISOString();
    const snapshot = start.workspace ? await start.workspace.snapshot() : undefined;
    const run: RunRecord = {
      id: start.runId ?? newRunId(),
      status: 'running',
      graph: graphToSpec(graph),
      command: start.command,
      // the budget is kept with the run: every later session (resume) and view (report) uses it
      options: {
        ...(start.options ?? {}),
        budget: { ...(this.options.budget ?? this.options.config.policy.budget) } as Json,
        ...keptOptionsOf(this.options),
      },
      projectDir: this.options.projectDir,
      createdAt: now,
      updatedAt: now,
      ...(start.planId !== undefined ? { planId: start.planId } : {}),
      ...(start.workspace ? { worktree: start.workspace.dir, branch: start.workspace.branch } : {}),
      ...(snapshot ? { baseCommit: start.baseCommit ?? snapshot.head, workspace: snapshot } : {}),
    };
    await this.options.store.createRun(run);
    const holder = await RunLeaseHolder.acquire(this.options.store, run.id, this.options.lease);
    const scope = await RunSessionScope.begin(this.options.store, holder, start.command);
    return this.execute(run, start.workspace, false, scope, graph);
  }

  /**
   * Continues a run whose process died, that failed, or that is suspended: attempts left
   * `running` become `interrupted` and run again; finished attempts are not repeated; the
   * worktree is put back to the last recorded state; failed and skipped nodes get another try; a
   * task held for a person continues once its notes changed (an answer or an edit). The lease is
   * taken first (or given by the caller), so nothing is written, killed or asked of a model while
   * another live process works on the run; a holder that died is taken over. Options kept with the
   * run (`force`, `concurrency`, budget) apply; values given to this engine replace them.
   * @throws TaskgraphError NOT_FOUND for an unknown run, RUN_LOCKED when a live process holds it,
   *   RUN_STATE for a succeeded one
   */
  async resume(runId: string, workspace?: Workspace, how: ResumeOptions = {}): Promise<RunSummary> {
    return listening(this.options.signal, async () => this.handOff(await this.resumeRun(runId, workspace, how), workspace));
  }

  private async resumeRun(runId: string, workspace: Workspace | undefined, how: ResumeOptions): Promise<RunSummary> {
    const store = this.options.store;
    const known = how.lease ? true : (await store.getRun(runId)) !== undefined;
    if (!known) throw new TaskgraphError('NOT_FOUND', `no run "${runId}"`, { hint: 'list runs with `taskgraph runs`' });
    const holder = how.lease ?? (await RunLeaseHolder.acquire(store, runId, this.options.lease));
    let scope: RunSessionScope | undefined;
    try {
      const run = await store.getRun(runId); // read again under the lease: the last holder may have just finished it
      if (!run) throw new TaskgraphError('NOT_FOUND', `no run "${runId}"`, { hint: 'list runs with `taskgraph runs`' });
      if (run.status === 'succeeded') {
        throw new TaskgraphError('RUN_STATE', `run ${runId} already succeeded; nothing to resume`, {
          hint: 'start a new run; unchanged nodes will be served from the cache',
        });
      }
      scope = await RunSessionScope.begin(store, holder, how.command ?? 'resume');
      return await this.continueRun(run, workspace, scope);
    } finally {
      if (!scope) await holder.release();
    }
  }

  /** The body of {@link resume} under the lease: restores the worktree and node states, then executes. */
  private async continueRun(run: RunRecord, workspace: Workspace | undefined, scope: RunSessionScope): Promise<RunSummary> {
    try {
      return await this.restoreAndExecute(run, workspace, scope);
    } catch (error) {
      await scope.close('failed', toErrorRecord(error).message); // no-op when execute already closed it
      throw error;
    }
  }

  private async restoreAndExecute(run: RunRecord, workspace: Workspace | undefined, scope: RunSessionScope): Promise<RunSummary> {
    const store = this.options.store;
    const runId = run.id;
    killOrphanProcessGroups(pidDir(this.options.projectDir, runId)); // commands of the dead process
    await store.interruptRunning(runId);
    if (workspace && run.workspace) await workspace.restore(run.workspace);
    await resetForResume(store, run);
    const budget: Record<string, Json> = this.options.budget ? { budget: { ...this.options.budget } } : {};
    const options = { ...run.options, ...budget, ...keptOptionsOf(this.options) };
    await store.updateRun(runId, { status: 'running', options, updatedAt: new Date().toISOString() });
    const { reason: _reason, ...rest } = run;
    return this.execute({ ...rest, status: 'running', options }, workspace, true, scope);
  }

  private buildGraph(spec: GraphSpec): Graph {
    return graphFromSpec(spec, {
      checkNode: (node) => {
        const executor = this.options.executors.get(node.kind);
        if (!executor) return [`no executor for kind "${node.kind}"`];
        const problems: string[] = [];
        const parsed = executor.configSchema.safeParse(node.config);
        if (!parsed.success) {
          for (const issue of parsed.error.issues) problems.push(`config.${issue.path.join('.')}: ${issue.message}`);
        }
        for (const name of executor.requiredInputs ?? []) {
          if (!(name in node.inputs)) problems.push(`missing input "${name}" (kind ${node.kind} needs: ${executor.requiredInputs!.join(', ')})`);
        }
        return problems;
      },
    });
  }

  /** Runs one session of the run, then records how the session ended and releases the lease. */
  private async execute(run: RunRecord, workspace: Workspace | undefined, resumed: boolean, scope: RunSessionScope, built?: Graph): Promise<RunSummary> {
    let outcome: SessionOutcome = 'failed';
    let reason: string | undefined;
    const events = this.options.eventLog === false ? undefined : new RunEventLog(this.options.store);
    const tracing = this.options.tracing === false ? undefined : new TraceObserver();
    try {
      const summary = await this.executeSession(run, workspace, resumed, scope, events, tracing, built);
      outcome = summary.status === 'running' ? 'interrupted' : summary.status;
      reason = summary.reason;
      return summary;
    } catch (error) {
      reason = toErrorRecord(error).message;
      throw error;
    } finally {
      tracing?.end(); // a session that stopped without run-finish still ends its spans
      await events?.flush(); // before the lease goes: a reader that sees it gone has every event
      await scope.close(outcome, reason);
    }
  }

  private async executeSession(initialRun: RunRecord, workspace: Workspace | undefined, resumed: boolean, scope: RunSessionScope, events: RunEventLog | undefined, tracing: TraceObserver | undefined, built?: Graph): Promise<RunSummary> {
    const { store } = this.options;
    const kept = readKeptOptions(initialRun.id, initialRun.options);
    const started = Date.now();
    const graph = built ?? this.buildGraph(GraphSpecSchema.parse(initialRun.graph));
    const history = await store.listAttempts(initialRun.id);
    const states = new Map<string, NodeStatus>((await store.listRunNodes(initialRun.id)).map((n) => [n.nodeId, n.status]));
    const { outputs, attempts } = sessionHistory(history, states);
    const controller = new AbortController();
    setMaxListeners(0, controller.signal); // every running node (and its model call) listens to it
    // SIGINT/SIGTERM (the caller's signal) and a lost lease stop the run alike
    const stops = [this.options.signal, scope.holder.signal].filter((s): s is AbortSignal => s !== undefined);
    const onAbort = (event: Event) => controller.abort((event.target as AbortSignal).reason);
    for (const s of stops) {
      if (s.aborted) controller.abort(s.reason);
      else s.addEventListener('abort', onAbort, { once: true });
    }
    // chat messages of run events (notify.chat: runs finished, budgets reached), settled after run-finish
    const chat = ChatNotices.wanted(this.options.config) ? new ChatNotices({ store, config: this.options.config }) : undefined;
    const observers = [...(this.options.observers ?? []), ...(events ? [events.observer] : []), ...(tracing ? [tracing.observer] : []), ...(this.options.webhooks ? [this.options.webhooks.observer] : []), ...(chat ? [chat.observer] : [])];
    const policy = this.options.config.policy;
    const { limits, defaults } = effectiveBudget((initialRun.options['budget'] as Budget | undefined) ?? policy.budget);
    const budget = new BudgetGuard(limits, policy.taskBudgets, Number(initialRun.options['activeMs'] ?? 0), started, defaults);
    let planning: PlanningCharge | undefined;
    const chargePlanning = async () => {
      if (planning) return;
      planning = await planningCharge(store, state.run);
      if (planning) budget.record(undefined, planning.usage, 'other');
    };
    const meterFor = (node: NodeSpec): ModelMeter | undefined => {
      const models = this.options.models;
      if (!models) return undefined;
      return new ModelMeter(tracing ? tracing.modelClient(models, node.id, node.task) : models, { beforeCall: () => budget.beforeCall(node.task), charge: (usage) => budget.charge(node.task, usage) });
    };
    const state: RunState = {
      run: initialRun,
      graph,
      outputs,
      attempts,
      scheduler: new Scheduler(graph, states),
      workspace,
      workspaceFor: (task) => state.parallel?.workspaceOf(task) ?? workspace,
      store,
      options: this.options,
      signal: controller.signal,
      force: new Set(kept.force ?? []),
      writes: new WriteBuffer(store),
      marks: new RunningMarks(store, initialRun.id),
      observed: observers.length > 0,
      emit: fanOut(observers),
      budget,
      meter: meterFor,
      onPlan: chargePlanning,
      nodeContext: (node: NodeSpec, attempt: number, ingredients?: KeyIngredients, models?: ModelMeter): NodeContext =>
        nodeContextOf(state, node, attempt, models ?? meterFor(node), ingredients), // every model call is metered and checked against the budget
      buildGraph: (spec) => this.buildGraph(spec),
    };
    const taskConcurrency = taskConcurrencyOf(graph, kept.taskConcurrency, policy.taskConcurrency);
    if (taskConcurrency > 1 && workspace) state.parallel = new ParallelTasks(state, taskConcurrency);
    const tasks = new TaskTracker(state);
    await tasks.init();
    for (const a of history) {
      // what earlier sessions of this run spent counts against the same budget
      const outcome = a.status === 'failed' ? 'failed' : a.status === 'succeeded' ? 'succeeded' : 'other';
      const node = graph.nodes.get(a.nodeId);
      budget.record(node?.task, a.usage, outcome);
      if (isDecomposition(node?.kind, a)) budget.decomposition(node?.task);
    }
    await chargePlanning(); // `run PLAN`, `do --plan`, a resumed run: the plan is known already
    state.emit({ type: 'run-start', runId: initialRun.id, nodes: graph.order.length, resumed });
    const concurrency = kept.concurrency ?? graph.concurrency ?? policy.concurrency;

    const sessionUsage: Usage[] = [];
    let stopReason: string | undefined;
    let holdReason: string | undefined;
    const budgetsReached = new Set<string>();
    const budgetReached = (scope: 'run' | 'task', reason: string, task: string | undefined) => {
      if (budgetsReached.has(reason)) return;
      budgetsReached.add(reason);
      state.emit({ type: 'budget-reached', runId: state.run.id, scope, reason, ...(scope === 'task' && task ? { task } : {}) });
    };
    const admit = (id: string) => {
      if (stopReason) return false;
      const task = state.graph.nodes.get(id)!.task;
      const reached = budget.exceeded(task);
      if (reached) {
        if (!task || budget.exceeded() !== undefined) stopReason = reached;
        else holdReason ??= reached; // a subtree budget only stops that subtree
        budgetReached(stopReason === reached ? 'run' : 'task', reached, task);
        return false;
      }
      return tasks.admit(id);
    };

    // the loop: keep up to `concurrency` nodes running; handle each completion in turn
    const running = new Set<string>();
    const completions: Array<{ id: string; result?: NodeResult; thrown?: unknown }> = [];
    let wake: (() => void) | undefined;
    let fatal: unknown;
    // decisions recorded by other processes while this one holds the lease; notifications of people waited for
    const watch = new DecisionWatch(store, initialRun.id, (id) => state.graph.nodes.get(id)?.kind);
    const pickUpDecisions = async (): Promise<boolean> => {
      const ids = controller.signal.aborted || fatal !== undefined || stopReason ? [] : await watch.pickUp(state.scheduler.states());
      for (const id of ids) state.emit({ type: 'log', runId: state.run.id, nodeId: id, message: 'a decision was recorded: continuing this branch' });
      state.scheduler.reset(ids);
      return ids.length > 0;
    };
    const notices = new Notices({ store, config: this.options.config, projectDir: this.options.projectDir }, (nodeId, message) =>
      state.emit({ type: 'log', runId: state.run.id, nodeId, message }),
    );
    // tasks in parallel: integrate finished tasks in topological order, in the background (the
    // loop goes on scheduling while an integration check runs); a conflict refines its task
    let poked = false; // something the loop must look at happened while it was busy
    const poke = () => {
      poked = true;
      wake?.();
    };
    const integration = new BackgroundIntegration(
      () => (!state.parallel || fatal !== undefined || controller.signal.aborted ? undefined : integrateFinishedTasks(state, tasks, (id) => skipAfterFailure(state, tasks, id))),
      (held) => void (holdReason ??= held),
      (error) => void (controller.signal.aborted || (fatal ??= error)), // git or store trouble: stop scheduling, keep state
      poke,
    );
    const integrate = () => integration.request();
    if (state.parallel) state.parallel.onAdmissible = poke; // dependents may start on a batch being checked
    integrate(); // tasks an earlier session finished but did not integrate
    try {
      for (;;) {
        while (running.size < concurrency && !controller.signal.aborted && fatal === undefined) {
          const id = state.scheduler.next(admit);
          if (id === undefined) break;
          running.add(id);
          void (async () => {
            try {
              await tasks.beforeNode(id);
              completions.push({ id, result: await runNode(state, id) });
            } catch (thrown) {
              state.marks?.settle(id); // no mark for a node whose write failed
              completions.push({ id, thrown });
            }
            wake?.();
          })();
        }
        if (running.size === 0 && completions.length === 0 && !integration.busy && !poked) {
          if (await pickUpDecisions()) continue;
          break;
        }
        if (completions.length === 0 && !poked) {
          // an approval or human node waits: look for its decision every DECISION_POLL_MS meanwhile
          const poll = watch.waiting(state.scheduler.states()) ? setTimeout(() => wake?.(), DECISION_POLL_MS) : undefined;
          await new Promise<void>((resolve) => (wake = resolve));
          clearTimeout(poll);
        }
        wake = undefined;
        poked = false;
        await pickUpDecisions();
        const finished = completions.length > 0;
        while (completions.length > 0) {
          const done = completions.shift()!;
          running.delete(done.id);
          if (done.thrown !== undefined) {
            fatal ??= done.thrown; // store or workspace failure: stop scheduling, keep state
            continue;
          }
          const { status, error, usage, metered, budgetStop } = done.result!;
          const task = state.graph.nodes.get(done.id)!.task;
          // a metered node's calls were charged as they happened
          budget.record(task, metered ? undefined : usage, status === 'failed' ? 'failed' : status === 'succeeded' ? 'succeeded' : 'other');
          if (usage) sessionUsage.push(usage);
          if (budgetStop) {
            // stopped before a model call: like a limit reached between nodes
            if (budgetStop.scope === 'run') stopReason ??= budgetStop.reason;
            else holdReason ??= budgetStop.reason;
            budgetReached(budgetStop.scope === 'run' ? 'run' : 'task', budgetStop.reason, task);
          }
          if (status === 'interrupted') continue; // stopped by a signal: pending again, runs on resume
          state.scheduler.finish(done.id, status);
          if (status === 'suspended' && !budgetStop) {
            const node = state.graph.nodes.get(done.id)!;
            const asks = done.result!.reason;
            state.emit({ type: 'approval-requested', runId: state.run.id, nodeId: done.id, kind: node.kind, ...(node.task ? { task: node.task } : {}), ...(asks ? { reason: asks } : {}) });
            notices.node(state.run.id, node);
          }
          if (status === 'succeeded' || status === 'cached') await tasks.afterSuccess(done.id);
          if (status === 'failed') {
            const decision = await tasks.afterFailure(done.id, error!);
            if (decision.action === 'hold' && task) notices.task(state.run.id, task, decision.reason);
            if (decision.action === 'hold') holdReason ??= decision.reason;
            if (decision.action === 'replan') continue;
            if (decision.action === 'fail') await skipAfterFailure(state, tasks, done.id);
          }
        }
        if (finished) integrate(); // (not after a poke alone: an integration's end pokes the loop)
      }
    } finally {
      for (const s of stops) s.removeEventListener('abort', onAbort);
      state.marks?.stop();
      await notices.settled();
    }
    try {
      await state.writes.flush();
    } catch (error) {
      fatal ??= error;
    }
    const activeMs = budget.activeMs();
    if (fatal !== undefined) {
      const reason = toErrorRecord(fatal).message;
      await store.updateRun(state.run.id, { status: 'failed', reason, options: { ...state.run.options, activeMs }, updatedAt: new Date().toISOString() }).catch(() => undefined);
      throw fatal;
    }

    // final status
    const counts = countStates(state.scheduler.states());
    const unintegrated = state.parallel ? await state.parallel.waitingForIntegration() : [];
    const { status, reason } = finalStatus({ states: state.scheduler.states(), signal: controller.signal, stopReason, holdReason, heldTasks: tasks.heldTasks(), unintegrated });
    await store.updateRun(state.run.id, { status, ...(reason ? { reason } : {}), options: { ...state.run.options, activeMs }, updatedAt: new Date().toISOString() });
    state.emit({ type: 'run-finish', runId: state.run.id, status, ...(reason ? { reason } : {}) });
    await chat?.settled();
    const usage = sumUsage([...history.map((a) => a.usage), ...sessionUsage, ...(planning ? [planning.usage] : [])]);
    return { runId: state.run.id, status, ...(reason ? { reason } : {}), counts, usage, ...(planning ? { planning } : {}), wallMs: Date.now() - started };
  }
}
