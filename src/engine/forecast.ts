import { toErrorRecord } from '../core/errors.js';
import type { Graph, NodeSpec } from '../core/graph.js';
import { diffIngredients } from '../core/hash.js';
import type { Json } from '../core/json.js';
import { costUsd } from '../core/pricing.js';
import type { Store, WorkspaceSnapshot } from '../store/store.js';
import type { ApplyResult, Workspace } from '../workspace/workspace.js';
import type { EngineOptions } from './engine.js';
import type { NodeContext, NodeExecutor } from './node-executor.js';
import { nodeKey } from './run-node.js';
import type { RunState } from './run-state.js';
import { Scheduler } from './scheduler.js';
import { WriteBuffer } from './write-buffer.js';

/** Whether a node will run in the next run, and why (`taskgraph why`, `run --dry-run`). */
export interface NodeForecast {
  nodeId: string;
  kind: string;
  willRun: boolean;
  /** one line: "cached", "config changed", "input edit changed (from T1/edit)", ... */
  reason: string;
  /** changed ingredients, e.g. `config`, `input:edit`, `extra:model` (empty when cached or unknown) */
  changed: string[];
  /** cache key, when it can be computed before running upstream nodes */
  key?: string;
  /** USD, for llm/decompose nodes that will run, from the last attempt's tokens and today's price */
  estimatedCostUsd?: number;
}

const INGREDIENT_WORDS: Record<string, string> = {
  'kind-version': 'the node kind was upgraded',
  config: 'config changed',
  'extra:template': 'prompt template changed',
  'extra:model': 'model changed',
  'extra:workspace': 'worktree state changed',
  'extra:tree': 'worktree state changed',
  'extra:task': 'task description or notes changed',
  'extra:fnVersion': 'script function version changed',
  'extra:prompt': 'planner prompt version changed',
  'extra:project': 'project context changed',
  'extra:commands': 'verify commands changed',
  'extra:env': 'environment allowlist changed',
};

/** Words for a changed ingredient, naming the upstream node of an input when there is one. */
export function describeIngredient(name: string, node: NodeSpec): string {
  if (name.startsWith('input:')) {
    const input = name.slice(6);
    const value = node.inputs[input];
    const from = value && typeof value === 'object' && !Array.isArray(value) && '$ref' in value ? ` (from ${String(value['$ref'])})` : '';
    return `input ${input} changed${from}`;
  }
  return INGREDIENT_WORDS[name] ?? `${name} changed`;
}

/** A stand-in worktree for forecasts: it only knows its snapshot, and refuses to change anything. */
class ForecastWorkspace implements Workspace {
  readonly branch = '(forecast)';
  constructor(
    readonly dir: string,
    public state: WorkspaceSnapshot,
    private readonly real: Workspace | undefined,
  ) {}
  async snapshot(): Promise<WorkspaceSnapshot> {
    return this.state;
  }
  async commitSnapshot(commit: string): Promise<WorkspaceSnapshot> {
    return this.real ? this.real.commitSnapshot(commit) : this.state;
  }
  async listFiles(): Promise<string[]> {
    return this.real ? this.real.listFiles() : [];
  }
  async readFile(path: string): Promise<string> {
    if (!this.real) throw new Error('no files in a forecast without a worktree');
    return this.real.readFile(path);
  }
  restore(): Promise<void> {
    return Promise.reject(new Error('a forecast never changes the worktree'));
  }
  resetTo(): Promise<void> {
    return Promise.reject(new Error('a forecast never changes the worktree'));
  }
  applyEdit(): Promise<ApplyResult> {
    return Promise.reject(new Error('a forecast never changes the worktree'));
  }
  commit(): Promise<string> {
    return Promise.reject(new Error('a forecast never changes the worktree'));
  }
  writeFile(): Promise<void> {
    return Promise.reject(new Error('a forecast never changes the worktree'));
  }
}

/**
 * Forecasts, without executing anything, which nodes of a graph the next run would execute and
 * why (DESIGN.md §5 "every node can say why it is dirty"). Walks the graph in topological order
 * computing each node's cache key the way the engine would, with upstream outputs taken from the
 * cache; a node whose key is cached will be served from it; otherwise the changed ingredients are
 * found by comparing with the node's last successful attempt. A node downstream of one that will
 * run cannot know its key yet: its reason names that upstream node. Side-effecting nodes move the
 * forecast worktree to the state their cache entry recorded.
 * @param graph the graph to forecast
 * @param base the worktree state the run would start from (e.g. the project's HEAD), if any
 * @param realWorkspace a worktree to read files from (context nodes), if any
 */
export async function forecastGraph(
  graph: Graph,
  options: EngineOptions,
  planId: string | undefined,
  base: WorkspaceSnapshot | undefined,
  realWorkspace?: Workspace,
): Promise<NodeForecast[]> {
  const store: Store = options.store;
  const outputs = new Map<string, Json>();
  const workspace = base ? new ForecastWorkspace(realWorkspace?.dir ?? options.projectDir, base, realWorkspace) : undefined;
  const controller = new AbortController();
  const state = {
    run: { id: '(forecast)', planId } as RunState['run'],
    graph,
    outputs,
    attempts: new Map<string, number>(),
    scheduler: new Scheduler(graph),
    workspace,
    store,
    options,
    signal: controller.signal,
    force: new Set<string>(),
    writes: new WriteBuffer(store),
    observed: false,
    emit: () => undefined,
    nodeContext: (node: NodeSpec, attempt: number): NodeContext => ({
      runId: '(forecast)',
      node,
      attempt,
      store,
      projectDir: options.projectDir,
      config: options.config,
      workspace,
      models: undefined,
      planId,
      outputOf: (id) => outputs.get(id),
      scripts: options.scripts,
      signal: controller.signal,
      log: () => undefined,
    }),
    buildGraph: () => graph,
  } satisfies RunState;

  const unknown = new Map<string, string>(); // node -> the upstream node that will run
  let worktreeMovedBy: string | undefined;
  const result: NodeForecast[] = [];
  for (const id of graph.order) {
    const node = graph.nodes.get(id)!;
    const executor = options.executors.get(node.kind) as NodeExecutor<unknown>;
    const blocked = (graph.preds.get(id) ?? []).map((p) => unknown.get(p) ?? (unknown.has(p) ? p : undefined)).find((x) => x !== undefined);
    const config = executor.configSchema.safeParse(node.config);
    const touchesWorktree = executor.needsWorkspace || (config.success && executor.sideEffects(config.data)) || node.kind === 'verify' || node.kind === 'context';
    if (blocked || (worktreeMovedBy && touchesWorktree)) {
      const because = blocked ?? worktreeMovedBy!;
      unknown.set(id, because);
      result.push({ nodeId: id, kind: node.kind, willRun: true, reason: `upstream ${because} will run, so this node's inputs are not known yet`, changed: [] });
      if (config.success && executor.sideEffects(config.data)) worktreeMovedBy ??= id;
      continue;
    }
    try {
      const { ingredients, key } = await nodeKey(state, node, executor, 1);
      const entry = executor.cacheable ? await store.getCache(key) : undefined;
      if (entry) {
        outputs.set(id, entry.output);
        if (workspace && entry.workspaceAfter && executor.sideEffects(config.data)) workspace.state = entry.workspaceAfter;
        result.push({ nodeId: id, kind: node.kind, willRun: false, reason: 'cached', changed: [], key });
        continue;
      }
      const last = await store.lastSuccessfulAttempt(id);
      const changed = last ? diffIngredients(last.ingredients, ingredients) : [];
      const reason = !executor.cacheable
        ? 'never cached (runs every time)'
        : !last
          ? 'never ran before'
          : changed.length > 0
            ? changed.map((c) => describeIngredient(c, node)).join('; ')
            : 'its cache entry is gone';
      const price = estimate(node, options, last?.usage);
      unknown.set(id, id);
      if (config.success && executor.sideEffects(config.data)) worktreeMovedBy ??= id;
      result.push({ nodeId: id, kind: node.kind, willRun: true, reason, changed, key, ...(price !== undefined ? { estimatedCostUsd: price } : {}) });
    } catch (error) {
      unknown.set(id, id);
      result.push({ nodeId: id, kind: node.kind, willRun: true, reason: `cannot compute its key: ${toErrorRecord(error).message}`, changed: [] });
    }
  }
  return result;
}

function estimate(node: NodeSpec, options: EngineOptions, usage: { inputTokens: number; outputTokens: number } | undefined): number | undefined {
  if (node.kind !== 'llm' && node.kind !== 'decompose') return undefined;
  if (!usage) return undefined;
  const role = node.kind === 'llm' ? 'coder' : 'planner';
  const name = typeof node.config['profile'] === 'string' ? node.config['profile'] : options.config.roles[role];
  return costUsd(usage, options.config.models[name]?.price);
}
