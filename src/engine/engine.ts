import { randomBytes } from 'node:crypto';
import type { ProjectConfig } from '../core/config.js';
import { TaskgraphError, toErrorRecord, type ErrorRecord } from '../core/errors.js';
import { type Graph, type GraphSpec, type GraphSpecInput, GraphSpecSchema, type NodeSpec, isInputRef, pickPath } from '../core/graph.js';
import { cacheKey, hashJson, keyIngredients, type KeyIngredients } from '../core/hash.js';
import type { Json } from '../core/json.js';
import { graphFromSpec, graphToSpec } from '../core/validate.js';
import type { ModelClient } from '../llm/model-client.js';
import type { NodeStatus, RunNodeRecord, RunRecord, RunStatus, Store, Usage, WorkspaceSnapshot } from '../store/store.js';
import type { Workspace } from '../workspace/workspace.js';
import type { EngineEvent, EngineObserver } from './events.js';
import type { ExecutorRegistry, NodeContext, NodeExecutor, NodeOutcome, ScriptRegistry } from './node-executor.js';
import { REFINABLE_CODES, failureNote } from './refine.js';
import { Scheduler } from './scheduler.js';

/**
 * The engine (DESIGN.md §3-6): runs a graph durably. The scheduler says what is ready; the engine
 * runs up to `concurrency` nodes at once, serves cache hits, records every state change in the
 * store *before* acting on it, refines failed tasks, expands `decompose` nodes and suspends on
 * approvals. A run killed at any point is continued with {@link Engine.resume}.
 */
export interface EngineOptions {
  store: Store;
  executors: ExecutorRegistry;
  scripts: ScriptRegistry;
  projectDir: string;
  config: ProjectConfig;
  models?: ModelClient;
  /** nodes running at once (default: graph.concurrency, else config.policy.concurrency) */
  concurrency?: number;
  /** node ids whose cache entries are ignored this run (`--force`) */
  force?: readonly string[];
  observers?: readonly EngineObserver[];
  signal?: AbortSignal;
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

/** What a finished (or suspended) run looks like. */
export interface RunSummary {
  runId: string;
  status: RunStatus;
  reason?: string;
  counts: Record<NodeStatus, number>;
  usage: Usage;
  /** ms */
  wallMs: number;
}

/** A new run id: `r-` + UTC time + 6 random hex chars, sortable by creation. */
export function newRunId(now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:T]/g, '').slice(0, 14);
  return `r-${stamp}-${randomBytes(3).toString('hex')}`;
}

const EMPTY_USAGE: Usage = { inputTokens: 0, outputTokens: 0, costUsd: 0, calls: 0 };

/** Runs graphs. One instance may run several runs one after another. */
export class Engine {
  constructor(private readonly options: EngineOptions) {}

  /**
   * Validates the graph (every kind's config included), creates the run and executes it.
   * @throws TaskgraphError GRAPH_INVALID before anything is written
   */
  async start(start: RunStart): Promise<RunSummary> {
    const spec = GraphSpecSchema.parse(start.graph);
    const graph = this.buildGraph(spec);
    const now = new Date().toISOString();
    const runId = start.runId ?? newRunId();
    const snapshot = start.workspace ? await start.workspace.snapshot() : undefined;
    const run: RunRecord = {
      id: runId,
      status: 'running',
      graph: graphToSpec(graph),
      command: start.command,
      options: start.options ?? {},
      projectDir: this.options.projectDir,
      createdAt: now,
      updatedAt: now,
      ...(start.planId !== undefined ? { planId: start.planId } : {}),
      ...(start.workspace ? { worktree: start.workspace.dir, branch: start.workspace.branch } : {}),
      ...(snapshot ? { baseCommit: start.baseCommit ?? snapshot.head, workspace: snapshot } : {}),
    };
    await this.options.store.createRun(run);
    return this.execute(run, start.workspace, false);
  }

  /**
   * Continues a run whose process died or that was suspended: attempts left `running` become
   * `interrupted` and run again; finished attempts are not repeated; the worktree is put back to
   * the last recorded state.
   * @throws TaskgraphError NOT_FOUND for an unknown run, RUN_STATE for a finished one
   */
  async resume(runId: string, workspace?: Workspace): Promise<RunSummary> {
    const store = this.options.store;
    const run = await store.getRun(runId);
    if (!run) throw new TaskgraphError('NOT_FOUND', `no run "${runId}"`, { hint: 'list runs with `taskgraph runs`' });
    if (run.status === 'succeeded') {
      throw new TaskgraphError('RUN_STATE', `run ${runId} already succeeded; nothing to resume`, {
        hint: 'start a new run; unchanged nodes will be served from the cache',
      });
    }
    await store.interruptRunning(runId);
    if (workspace && run.workspace) await workspace.restore(run.workspace);
    // failed/skipped nodes get another chance on resume
    const nodes = await store.listRunNodes(runId);
    const again = nodes.filter((n) => n.status === 'failed' || n.status === 'skipped' || n.status === 'suspended');
    if (again.length > 0) await store.putRunNodes(again.map((n) => ({ ...n, status: 'pending' as const })));
    const tasks = await store.listRunTasks(runId);
    for (const t of tasks) {
      if (t.status === 'failed' || t.status === 'skipped' || t.status === 'needs-human') {
        await store.putRunTask({ ...t, status: 'pending', attempt: t.status === 'failed' ? 1 : t.attempt });
      }
    }
    await store.updateRun(runId, { status: 'running', updatedAt: new Date().toISOString() });
    const { reason: _reason, ...rest } = run;
    return this.execute({ ...rest, status: 'running' }, workspace, true);
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

  private async execute(initialRun: RunRecord, workspace: Workspace | undefined, resumed: boolean): Promise<RunSummary> {
    const { store } = this.options;
    const started = Date.now();
    let run = initialRun;
    let graph = this.buildGraph(GraphSpecSchema.parse(run.graph));
    const nodeRows = new Map((await store.listRunNodes(run.id)).map((n) => [n.nodeId, n]));
    const outputs = new Map<string, Json>();
    const attemptsByNode = new Map<string, number>();
    for (const a of await store.listAttempts(run.id)) {
      attemptsByNode.set(a.nodeId, Math.max(attemptsByNode.get(a.nodeId) ?? 0, a.number));
      if ((a.status === 'succeeded' || a.status === 'cached') && a.output !== undefined) outputs.set(a.nodeId, a.output);
    }
    const states = new Map<string, NodeStatus>([...nodeRows].map(([id, n]) => [id, n.status]));
    const scheduler = new Scheduler(graph, states);
    const emit = (event: EngineEvent) => {
      for (const observer of this.options.observers ?? []) {
        try {
          observer(event);
        } catch {
          // observers never change a run
        }
      }
    };
    emit({ type: 'run-start', runId: run.id, nodes: graph.order.length, resumed });
    const concurrency = this.options.concurrency ?? graph.concurrency ?? this.options.config.policy.concurrency;
    const force = new Set(this.options.force ?? []);
    const controller = new AbortController();
    const onAbort = () => controller.abort();
    this.options.signal?.addEventListener('abort', onAbort, { once: true });

    const ctxFor = (node: NodeSpec, attempt: number): NodeContext => ({
      runId: run.id,
      node,
      attempt,
      store,
      projectDir: this.options.projectDir,
      config: this.options.config,
      workspace,
      models: this.options.models,
      planId: run.planId,
      outputOf: (id) => outputs.get(id),
      scripts: this.options.scripts,
      signal: controller.signal,
      log: (message) => emit({ type: 'log', runId: run.id, nodeId: node.id, message }),
    });

    /** Runs one node to a final state, writing every change first. */
    const runNode = async (id: string): Promise<{ status: NodeStatus; error?: ErrorRecord }> => {
      const node = graph.nodes.get(id)!;
      const executor = this.options.executors.get(node.kind) as NodeExecutor<unknown>;
      const attemptNo = (attemptsByNode.get(id) ?? 0) + 1;
      attemptsByNode.set(id, attemptNo);
      const ctx = ctxFor(node, attemptNo);
      const row = (status: NodeStatus, seq?: number): RunNodeRecord => ({
        runId: run.id,
        nodeId: id,
        status,
        attempts: attemptNo,
        ...(node.task !== undefined ? { task: node.task } : {}),
        ...(seq !== undefined ? { lastAttemptSeq: seq } : {}),
      });
      const t0 = Date.now();
      emit({ type: 'node-start', runId: run.id, nodeId: id, attempt: attemptNo, ...(node.task ? { task: node.task } : {}) });
      const finishEvent = (status: NodeStatus, extra: { usage?: Usage; error?: ErrorRecord; reason?: string } = {}) =>
        emit({
          type: 'node-finish',
          runId: run.id,
          nodeId: id,
          attempt: attemptNo,
          status,
          durationMs: Date.now() - t0,
          ...(node.task ? { task: node.task } : {}),
          ...extra,
        });

      // 1. resolve inputs, key ingredients, cache key (pure + reads only)
      let config: unknown;
      let inputs: Record<string, Json>;
      let ingredients: KeyIngredients;
      try {
        config = executor.configSchema.parse(node.config);
        inputs = resolveInputs(node, outputs);
        if (executor.needsWorkspace && !workspace) {
          throw new TaskgraphError('RUN_STATE', `node ${id} (${node.kind}) needs a git worktree, but this run has none`, {
            hint: 'run it inside a git repository (taskgraph creates a branch and worktree per run)',
          });
        }
        const extra = (await executor.keyIngredients?.(config, inputs, ctx)) ?? {};
        ingredients = keyIngredients(node.kind, executor.version, node.config, inputs, extra);
      } catch (error) {
        const record = toErrorRecord(error);
        const attempt = await store.startAttempt({
          runId: run.id,
          nodeId: id,
          number: attemptNo,
          cacheKey: '',
          ingredients: keyIngredients(node.kind, executor.version, node.config, {}, {}),
          usage: EMPTY_USAGE,
          startedAt: new Date(t0).toISOString(),
        });
        await store.finishAttempt({
          seq: attempt.seq,
          status: 'failed',
          error: record,
          usage: EMPTY_USAGE,
          finishedAt: new Date().toISOString(),
          durationMs: Date.now() - t0,
          node: row('failed', attempt.seq),
        });
        finishEvent('failed', { error: record });
        return { status: 'failed', error: record };
      }
      const key = cacheKey(ingredients);
      // DESIGN.md §5: a side-effecting node is cached only when its key holds the state it acts
      // on — the worktree snapshot. Without a worktree (e.g. --no-worktree) it always runs.
      const cacheable = executor.cacheable && !(executor.sideEffects(config) && !workspace);

      // 2. cache
      if (cacheable && !force.has(id)) {
        const entry = await store.getCache(key);
        let restored = entry !== undefined;
        if (entry && executor.sideEffects(config) && entry.workspaceAfter) {
          if (!workspace) restored = false;
          else {
            try {
              await workspace.restore(entry.workspaceAfter);
            } catch {
              restored = false; // objects pruned or worktree gone: execute instead
            }
          }
        }
        if (entry && restored) {
          const now = new Date().toISOString();
          const attempt = await store.recordCacheHit(
            {
              runId: run.id,
              nodeId: id,
              number: attemptNo,
              status: 'cached',
              cacheKey: key,
              ingredients,
              output: entry.output,
              outputHash: entry.outputHash,
              usage: EMPTY_USAGE,
              startedAt: new Date(t0).toISOString(),
              finishedAt: now,
              durationMs: Date.now() - t0,
              ...(entry.workspaceAfter ? { workspaceAfter: entry.workspaceAfter } : {}),
            },
            row('cached'),
            executor.sideEffects(config) ? entry.workspaceAfter : undefined,
          );
          void attempt;
          outputs.set(id, entry.output);
          await expandIfNeeded(id, executor, entry.output);
          finishEvent('cached');
          return { status: 'cached' };
        }
      }

      // 3. execute
      const attempt = await store.startAttempt({
        runId: run.id,
        nodeId: id,
        number: attemptNo,
        cacheKey: key,
        ingredients,
        usage: EMPTY_USAGE,
        startedAt: new Date(t0).toISOString(),
      });
      let outcome: NodeOutcome;
      try {
        outcome = await executor.execute(config, inputs, ctx);
      } catch (error) {
        outcome = { status: 'failed', error: toErrorRecord(error) };
      }
      const usage = (outcome.status !== 'suspended' ? outcome.usage : undefined) ?? EMPTY_USAGE;
      const finishedAt = new Date().toISOString();
      const durationMs = Date.now() - t0;
      if (outcome.status === 'succeeded') {
        const outputHash = hashJson(outcome.output);
        const after = executor.sideEffects(config) && workspace ? await workspace.snapshot() : undefined;
        await store.finishAttempt({
          seq: attempt.seq,
          status: 'succeeded',
          output: outcome.output,
          outputHash,
          usage,
          finishedAt,
          durationMs,
          node: row('succeeded', attempt.seq),
          ...(after ? { workspaceAfter: after, runWorkspace: after } : {}),
          ...(cacheable
            ? {
                cache: {
                  key,
                  kind: node.kind,
                  nodeId: id,
                  ingredients,
                  output: outcome.output,
                  outputHash,
                  usage,
                  createdAt: finishedAt,
                  ...(after ? { workspaceAfter: after } : {}),
                },
              }
            : {}),
        });
        outputs.set(id, outcome.output);
        await expandIfNeeded(id, executor, outcome.output);
        finishEvent('succeeded', { usage });
        return { status: 'succeeded' };
      }
      if (outcome.status === 'suspended') {
        await store.finishAttempt({
          seq: attempt.seq,
          status: 'suspended',
          suspendReason: outcome.reason,
          usage,
          finishedAt,
          durationMs,
          node: row('suspended', attempt.seq),
        });
        finishEvent('suspended', { reason: outcome.reason });
        return { status: 'suspended' };
      }
      await store.finishAttempt({
        seq: attempt.seq,
        status: 'failed',
        error: outcome.error,
        ...(outcome.output !== undefined ? { output: outcome.output } : {}),
        usage,
        finishedAt,
        durationMs,
        node: row('failed', attempt.seq),
      });
      finishEvent('failed', { usage, error: outcome.error });
      return { status: 'failed', error: outcome.error };
    };

    /** Adds a decompose node's subgraph to the run graph (durably) and the scheduler. */
    const expandIfNeeded = async (id: string, executor: NodeExecutor<unknown>, output: Json) => {
      if (!executor.expand) return;
      const node = graph.nodes.get(id)!;
      const expansion = await executor.expand(output, ctxFor(node, attemptsByNode.get(id) ?? 1));
      const fresh = expansion.nodes.filter((n) => !graph.nodes.has(n.id));
      if (expansion.planId && run.planId !== expansion.planId) {
        run = { ...run, planId: expansion.planId };
        await store.updateRun(run.id, { planId: expansion.planId, updatedAt: new Date().toISOString() });
      }
      if (fresh.length === 0) return;
      const withParent = fresh.map((n) => ({ ...n, needs: [...new Set([...(n.needs ?? []), id])] }));
      const spec = GraphSpecSchema.parse({ ...graphToSpec(graph), nodes: [...graphToSpec(graph).nodes, ...withParent] });
      const next = this.buildGraph(spec);
      const added = withParent.map((n) => n.id);
      await store.expandRunGraph(
        run.id,
        graphToSpec(next),
        added.map((nodeId) => {
          const n = next.nodes.get(nodeId)!;
          return { runId: run.id, nodeId, status: 'pending' as const, attempts: 0, ...(n.task ? { task: n.task } : {}) };
        }),
      );
      graph = next;
      run = { ...run, graph: graphToSpec(next) };
      scheduler.grow(next);
      emit({ type: 'graph-expand', runId: run.id, by: id, added, ...(expansion.planId ? { planId: expansion.planId } : {}) });
    };

    /** Task bookkeeping: record the starting commit before a task's first node acts. */
    const beforeNode = async (id: string) => {
      const task = graph.nodes.get(id)!.task;
      if (!task) return;
      const current = await store.getRunTask(run.id, task);
      if (current && current.status === 'running') return;
      const snap = workspace ? await workspace.snapshot() : undefined;
      await store.putRunTask({
        runId: run.id,
        taskId: task,
        attempt: current?.attempt ?? 1,
        status: 'running',
        ...(current?.startCommit ? { startCommit: current.startCommit } : snap ? { startCommit: snap.head } : {}),
      });
    };

    const taskNodes = (task: string) => graph.order.filter((n) => graph.nodes.get(n)!.task === task);

    // Tasks share the run's worktree, so with a worktree one task is open at a time: from its
    // first node to its commit (or its failure). Independent tasks still run when one fails.
    let openTask: string | undefined = workspace
      ? (await store.listRunTasks(run.id)).find((t) => t.status === 'running')?.taskId
      : undefined;
    const admit = (id: string): boolean => {
      if (!workspace) return true;
      const task = graph.nodes.get(id)!.task;
      if (task === undefined || openTask === undefined || task === openTask) {
        if (task !== undefined) openTask = task;
        return true;
      }
      return false;
    };
    const closeTask = (task: string) => {
      if (openTask === task) openTask = undefined;
    };

    /** Called after a node of a task failed: refine (note + reset + retry) or give up. */
    const refine = async (id: string, error: ErrorRecord): Promise<'retry' | 'fail'> => {
      const task = graph.nodes.get(id)!.task;
      if (!task) return 'fail';
      if (!REFINABLE_CODES.has(error.code)) {
        const rt = await store.getRunTask(run.id, task);
        await store.putRunTask({ ...(rt ?? { runId: run.id, taskId: task, attempt: 1 }), status: 'failed' });
        emit({ type: 'task-finish', runId: run.id, task, status: 'failed', attempts: rt?.attempt ?? 1 });
        closeTask(task);
        return 'fail';
      }
      const current = (await store.getRunTask(run.id, task)) ?? { runId: run.id, taskId: task, attempt: 1, status: 'running' as const };
      const max = this.options.config.policy.maxAttempts;
      const note = failureNote(id, current.attempt, error);
      if (run.planId) {
        try {
          // idempotent: a crash right after appending must not add the same note twice on resume
          const stored = await store.getTask(run.planId, task);
          if (stored && stored.notes[stored.notes.length - 1] !== note) await store.appendTaskNote(run.planId, task, note);
        } catch (e) {
          if (!(e instanceof TaskgraphError && e.code === 'NOT_FOUND')) throw e;
        }
      }
      if (current.attempt >= max) {
        await store.putRunTask({ ...current, status: 'failed' });
        if (run.planId) await store.setTaskStatus(run.planId, task, 'failed').catch(() => undefined);
        emit({ type: 'task-finish', runId: run.id, task, status: 'failed', attempts: current.attempt });
        closeTask(task);
        return 'fail';
      }
      // write first (next attempt, nodes pending), then act (reset the worktree)
      const ids = taskNodes(task);
      await store.putRunTask({ ...current, attempt: current.attempt + 1, status: 'running' });
      await store.putRunNodes(
        ids.map((nodeId) => ({ runId: run.id, nodeId, status: 'pending' as const, attempts: attemptsByNode.get(nodeId) ?? 0, task })),
      );
      if (workspace && current.startCommit) {
        // record the state we reset to before resetting: a resume after a crash here restores it
        const start = await workspace.commitSnapshot(current.startCommit);
        await store.updateRun(run.id, { workspace: start, updatedAt: new Date().toISOString() });
        await workspace.resetTo(current.startCommit);
      }
      for (const nodeId of ids) outputs.delete(nodeId);
      scheduler.reset(ids);
      emit({ type: 'task-retry', runId: run.id, task, attempt: current.attempt + 1, maxAttempts: max, note });
      return 'retry';
    };

    const afterSuccess = async (id: string) => {
      const task = graph.nodes.get(id)!.task;
      if (!task) return;
      const ids = taskNodes(task);
      if (!ids.every((n) => ['succeeded', 'cached'].includes(scheduler.status(n)))) return;
      const current = await store.getRunTask(run.id, task);
      if (current?.status === 'done') return;
      await store.putRunTask({ ...(current ?? { runId: run.id, taskId: task, attempt: 1 }), status: 'done' });
      closeTask(task);
      if (run.planId) await store.setTaskStatus(run.planId, task, 'done').catch(() => undefined);
      emit({ type: 'task-finish', runId: run.id, task, status: 'done', attempts: current?.attempt ?? 1 });
    };

    // the loop: keep up to `concurrency` nodes running; handle each completion in turn
    const running = new Map<string, Promise<void>>();
    const completions: Array<{ id: string; result?: { status: NodeStatus; error?: ErrorRecord }; thrown?: unknown }> = [];
    let wake: (() => void) | undefined;
    let fatal: unknown;
    try {
      for (;;) {
        while (running.size < concurrency && !controller.signal.aborted) {
          const id = scheduler.next(admit);
          if (id === undefined) break;
          const p = (async () => {
            try {
              await beforeNode(id);
              completions.push({ id, result: await runNode(id) });
            } catch (thrown) {
              completions.push({ id, thrown });
            }
            wake?.();
          })();
          running.set(id, p);
        }
        if (running.size === 0 && completions.length === 0) break;
        if (completions.length === 0) await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
        while (completions.length > 0) {
          const done = completions.shift()!;
          running.delete(done.id);
          if (done.thrown !== undefined) {
            fatal ??= done.thrown; // store or workspace failure: stop scheduling, keep state
            controller.abort();
            continue;
          }
          const { status, error } = done.result!;
          scheduler.finish(done.id, status as Exclude<NodeStatus, 'pending' | 'running'>);
          if (status === 'succeeded' || status === 'cached') await afterSuccess(done.id);
          if (status === 'failed') {
            const decision = await refine(done.id, error!);
            if (decision === 'fail') {
              const skipped = scheduler.skipDownstream(done.id);
              const task = graph.nodes.get(done.id)!.task;
              const sameTask = task ? taskNodes(task).filter((n) => scheduler.status(n) === 'pending') : [];
              for (const n of sameTask) scheduler.finish(n, 'skipped');
              const all = [...new Set([...skipped, ...sameTask, ...sameTask.flatMap((n) => scheduler.skipDownstream(n))])];
              if (all.length > 0) {
                await store.putRunNodes(
                  all.map((nodeId) => {
                    const n = graph.nodes.get(nodeId)!;
                    return { runId: run.id, nodeId, status: 'skipped' as const, attempts: attemptsByNode.get(nodeId) ?? 0, ...(n.task ? { task: n.task } : {}) };
                  }),
                );
                const skippedTasks = [...new Set(all.map((n) => graph.nodes.get(n)!.task).filter((t): t is string => !!t && t !== task))];
                for (const t of skippedTasks) {
                  const rt = await store.getRunTask(run.id, t);
                  await store.putRunTask({ ...(rt ?? { runId: run.id, taskId: t, attempt: 0 }), status: 'skipped' });
                  if (run.planId) await store.setTaskStatus(run.planId, t, 'skipped').catch(() => undefined);
                }
                emit({ type: 'node-skip', runId: run.id, nodeIds: all, because: done.id });
              }
            }
          }
        }
        if (fatal !== undefined && running.size === 0) break;
      }
    } finally {
      this.options.signal?.removeEventListener('abort', onAbort);
    }
    if (fatal !== undefined) {
      const reason = toErrorRecord(fatal).message;
      await store.updateRun(run.id, { status: 'failed', reason, updatedAt: new Date().toISOString() }).catch(() => undefined);
      throw fatal;
    }

    // final status
    const counts = countStates(scheduler.states());
    let status: RunStatus;
    let reason: string | undefined;
    if (counts.failed > 0) {
      status = 'failed';
      const failed = [...scheduler.states()].filter(([, s]) => s === 'failed').map(([id]) => id);
      reason = `${failed.length} node${failed.length === 1 ? '' : 's'} failed: ${failed.slice(0, 5).join(', ')}`;
    } else if (counts.suspended > 0 || counts.pending > 0) {
      status = 'suspended';
      const waiting = [...scheduler.states()].filter(([, s]) => s === 'suspended').map(([id]) => id);
      reason = controller.signal.aborted ? 'cancelled' : `waiting for ${waiting.join(', ')}`;
    } else {
      status = 'succeeded';
    }
    await store.updateRun(run.id, { status, ...(reason ? { reason } : {}), updatedAt: new Date().toISOString() });
    emit({ type: 'run-finish', runId: run.id, status, ...(reason ? { reason } : {}) });
    const usage = { ...EMPTY_USAGE };
    for (const a of await store.listAttempts(run.id)) {
      usage.inputTokens += a.usage.inputTokens;
      usage.outputTokens += a.usage.outputTokens;
      usage.costUsd += a.usage.costUsd;
      usage.calls += a.usage.calls;
    }
    return { runId: run.id, status, ...(reason ? { reason } : {}), counts, usage, wallMs: Date.now() - started };
  }
}

/**
 * Resolves a node's inputs: literals as they are, `$ref`s to the upstream output (or the field
 * `path` names).
 * @throws TaskgraphError NODE_FAILED when an upstream output lacks the field
 */
export function resolveInputs(node: NodeSpec, outputs: ReadonlyMap<string, Json>): Record<string, Json> {
  const resolved: Record<string, Json> = {};
  for (const [name, value] of Object.entries(node.inputs)) {
    if (!isInputRef(value)) {
      resolved[name] = value as Json;
      continue;
    }
    const upstream = outputs.get(value.$ref);
    if (upstream === undefined) {
      throw new TaskgraphError('NODE_FAILED', `input "${name}" of ${node.id}: node ${value.$ref} has no output`, { details: { input: name } });
    }
    const picked = pickPath(upstream, value.path);
    if (picked === undefined) {
      throw new TaskgraphError('NODE_FAILED', `input "${name}" of ${node.id}: output of ${value.$ref} has no field "${value.path}"`, {
        details: { input: name, ref: value.$ref, path: value.path ?? null },
        hint: 'check the `path` of the $ref against the upstream node kind\'s output',
      });
    }
    resolved[name] = picked;
  }
  return resolved;
}

function countStates(states: ReadonlyMap<string, NodeStatus>): Record<NodeStatus, number> {
  const counts: Record<NodeStatus, number> = { pending: 0, running: 0, succeeded: 0, cached: 0, failed: 0, skipped: 0, suspended: 0 };
  for (const s of states.values()) counts[s]++;
  return counts;
}

export type { WorkspaceSnapshot };
