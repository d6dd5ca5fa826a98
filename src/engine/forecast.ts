import { randomBytes } from 'node:crypto';
import type { ProjectConfig } from '../core/config.js';
import { TaskgraphError } from '../core/errors.js';
import type { Graph, GraphSpecInput, NodeSpec } from '../core/graph.js';
import { isInputRef } from '../core/graph.js';
import { diffIngredients } from '../core/hash.js';
import type { Json } from '../core/json.js';
import { graphFromSpec } from '../core/validate.js';
import type { ModelClient, ModelRequest, ModelResponse } from '../llm/model-client.js';
import type { AttemptRecord, NodeStatus, Store } from '../store/store.js';
import type { Workspace } from '../workspace/workspace.js';
import { removeRunTaskLeftovers } from '../workspace/task-worktree.js';
import { Engine } from './engine.js';
import { DEFAULT_OUTPUT_TOKENS, type PricedEstimate, priceEstimate } from './estimate.js';
import { ForecastStore } from './forecast-store.js';
import type { ExecutorRegistry, ModelEstimate, NodeExecutor, NodeOutcome, ScriptRegistry } from './node-executor.js';
import { describePromptChanges, type PromptSource } from '../library/prompt-source.js';

/**
 * Forecasts (DESIGN.md §5 "every node can say why it is dirty"; `taskgraph why`,
 * `run --dry-run`, `do --dry-run`): which nodes a new run would execute, and why.
 *
 * A forecast *is* the engine: it runs the real engine on the graph, against a
 * {@link ForecastStore} (the project's store, read-only, seen through a private scratch store) and
 * a scratch worktree at the commit a new run would start from, with every executor wrapped:
 * - nodes that are safe to run for real (`NodeExecutor.forecastSafe`: `context`, `apply`,
 *   `git-commit`, pure `script` functions — no command, no model call, effects only on the
 *   scratch worktree and store) run, so their outputs — the context bundle, the edited tree, the
 *   commit — and with them their dependents' cache keys are exactly the run's;
 * - cache hits are served as in a run, restoring the worktree state a side-effecting node left;
 * - `verify` nodes whose key is not cached will run; the forecast assumes their checks pass
 *   (`NodeExecutor.forecastOutput`) and goes on — a failing check starts refinement, which no
 *   forecast can foresee;
 * - any other node whose key is not cached (a model call, a command) is not executed: it *will
 *   run*. When nothing reads its output by value and it changes nothing (an approval), the
 *   forecast assumes it succeeds and goes on; otherwise its dependents wait, as they would, and
 *   are reported as running *after* it (`certain: false`: they run unless its new output equals
 *   the old one, in which case their keys are unchanged and they come from the cache).
 * Task order, refinement bookkeeping, decompose expansions of cached plans and forced nodes all
 * behave as in a run because they are the run's code, so a forecast equals what the engine then
 * does, node for node (`test/e2e/forecast-property.test.ts` checks it over the end-to-end
 * scenarios). Nothing reaches the project: no attempt, no note, no cache entry, no file.
 */

/** Whether a node will run in a new run, and why. */
export interface NodeForecast {
  nodeId: string;
  kind: string;
  task?: string;
  willRun: boolean;
  /**
   * true when the node's cache key is known, so `willRun` is certain; false when it waits for a
   * node that will run: it runs unless that node's new output equals its old one
   */
  certain: boolean;
  /** one line: "cached", "config changed", "after T1/edit, which will run", ... */
  reason: string;
  /** changed ingredients, e.g. `config`, `input:edit`, `extra:model` (empty when cached or unknown) */
  changed: string[];
  /** cache key, when known */
  key?: string;
  /** the model calls it would make, priced (llm and decompose nodes that will run) */
  estimate?: PricedEstimate;
}

/** A whole forecast. */
export interface Forecast {
  /** every node of the run's graph (after the expansions of cached plans), in topological order */
  nodes: NodeForecast[];
  /** `decompose` nodes that will run: the tasks they plan are not known yet, so not listed */
  expands: string[];
  /** nodes that will run (certain or not) */
  willRun: number;
  /** nodes that will run for certain */
  certain: number;
  cached: number;
  /** USD, sum of the estimates */
  estimatedCostUsd: number;
  /** model calls, sum of the estimates (at least: planners may call more) */
  modelCalls: number;
}

/** What a forecast needs: the project's pieces (as for an engine) and the run to forecast. */
export interface ForecastInput {
  /** the project's store; only read */
  store: Store;
  executors: ExecutorRegistry;
  scripts: ScriptRegistry;
  /** the project's prompts (its library), as a run would use them */
  prompts?: PromptSource;
  projectDir: string;
  config: ProjectConfig;
  /** the graph a new run would start with */
  graph: GraphSpecInput;
  planId?: string;
  /** a scratch worktree at the commit the run would start from (see `workspace/scratch-worktree.ts`); none: a run without a worktree */
  workspace?: Workspace;
  /** node ids the run would be forced to execute (`--force`) */
  force?: readonly string[];
  /**
   * tasks the run would keep open at once (default as the engine: `task-concurrency.ts`); above 1 the
   * forecast cuts task worktrees beside the scratch worktree and integrates as the run would
   * (`parallel-tasks.ts`), and removes those worktrees and task branches when it ends
   */
  taskConcurrency?: number;
}

/** Prefix of the suspend reason a forecast gives nodes it does not execute. */
const MARK = 'forecast: ';

/** Words for a changed cache-key ingredient. */
const INGREDIENT_WORDS: Record<string, string> = {
  'kind-version': 'the node kind was upgraded',
  config: 'config changed',
  'extra:template': 'prompt changed',
  'extra:model': 'model changed',
  'extra:workspace': 'worktree state changed',
  'extra:tree': 'worktree files changed',
  'extra:task': 'task description or notes changed',
  'extra:siblings': 'sibling tasks changed',
  'extra:refers': 'referred tasks changed',
  'extra:overrides': 'context pins or excludes changed',
  'extra:earlier': 'earlier task outputs changed',
  'extra:fnVersion': 'script function version changed',
  'extra:prompt': 'planner prompt version changed',
  'extra:project': 'project context changed',
  'extra:commands': 'verify commands changed',
  'extra:gates': 'verify gates changed',
  'extra:review': 'review prompt changed (task, criteria, diff or verify result)',
  'extra:env': 'environment allowlist changed',
  'extra:budget': 'context budget changed',
  'extra:family': 'tokenizer changed',
  'extra:summarizer': 'summarizer model changed',
  'extra:maxDepth': 'decomposition depth changed',
  'extra:worktree': 'a new worktree (setup runs once in each)',
  'extra:dependencies': 'dependency files changed',
  'extra:command': 'the command changed',
  'extra:baseline': 'the baseline mode changed',
  'extra:index': 'the project index changed (a newer one for the base commit)',
  'extra:indexed': 'the indexed worktree changed',
  'extra:previousGoals': 'the goals of the earlier project index changed',
  'extra:goal': 'task statuses changed',
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

/** A model client that refuses every call and remembers who asked: a forecast never calls a model. */
class RefusingModels implements ModelClient {
  readonly labels: string[] = [];
  async generate(request: ModelRequest): Promise<ModelResponse> {
    this.labels.push(request.label ?? '');
    throw new TaskgraphError('ABORTED', 'a forecast makes no model call');
  }
  askedBy(nodeId: string): boolean {
    return this.labels.some((l) => l === nodeId || l.startsWith(`${nodeId} `));
  }
}

/** The executors of a forecast: safe ones run, the others are reported (see the module comment). */
function forecastExecutors(
  real: ExecutorRegistry,
  models: RefusingModels,
  estimates: Map<string, ModelEstimate>,
  readGraph: (runId: string) => Promise<GraphSpecInput | undefined>,
): ExecutorRegistry {
  const wrapped = new Map<string, NodeExecutor<unknown>>();
  for (const [kind, executor] of real as ReadonlyMap<string, NodeExecutor<unknown>>) {
    wrapped.set(kind, {
      ...executor,
      async execute(config, inputs, ctx): Promise<NodeOutcome> {
        const id = ctx.node.id;
        if (executor.forecastSafe?.(config)) {
          const outcome = await executor.execute(config, inputs, ctx);
          if (models.askedBy(id)) return { status: 'suspended', reason: `${MARK}its bundle needs a summary from the \`cheap\` model` };
          if (outcome.status === 'failed') return { status: 'suspended', reason: `${MARK}will run and fail: ${outcome.error.message.split('\n')[0]}` };
          return outcome;
        }
        if (executor.estimate) {
          const estimate = await executor.estimate(config, inputs, ctx).catch(() => undefined);
          if (estimate) estimates.set(id, estimate);
        }
        const assumed = executor.forecastOutput?.(config, inputs);
        if (assumed !== undefined) return { status: 'succeeded', output: withMark(assumed) };
        const graph = await readGraph(ctx.runId);
        const readByValue = (graph?.nodes ?? []).some((n) => Object.values(n.inputs ?? {}).some((v) => isInputRef(v) && v.$ref === id));
        if (!executor.sideEffects(config) && !readByValue && kind !== 'decompose' && kind !== 'llm') {
          // nothing depends on what it returns, and it changes nothing: assume it succeeds
          return { status: 'succeeded', output: withMark({}) };
        }
        return { status: 'suspended', reason: `${MARK}would execute` };
      },
    });
  }
  return wrapped as ExecutorRegistry;
}

/**
 * Forecasts a new run of `input.graph` (see the module comment). Creates and discards its own
 * scratch store; the caller owns the worktree.
 * @returns every node's forecast and the totals
 * @throws TaskgraphError GRAPH_INVALID for an invalid graph (as a run would); store and git errors pass through
 */
export async function forecastRun(input: ForecastInput): Promise<Forecast> {
  const store = await ForecastStore.over(input.store);
  let runId: string | undefined;
  try {
    const models = new RefusingModels();
    const estimates = new Map<string, ModelEstimate>();
    const assumed = new Set<string>();
    const executors = forecastExecutors(input.executors, models, estimates, async (runId) => (await store.getRun(runId))?.graph);
    const engine = new Engine({
      store,
      executors,
      scripts: input.scripts,
      ...(input.prompts ? { prompts: input.prompts } : {}),
      projectDir: input.projectDir,
      // a forecast tells nobody: its suspended nodes are predictions, not people waited for
      config: { ...input.config, notify: undefined },
      models,
      eventLog: false, // a forecast is watched by nobody
      ...(input.taskConcurrency !== undefined ? { taskConcurrency: input.taskConcurrency } : {}),
      ...(input.force && input.force.length > 0 ? { force: input.force } : {}),
    });
    runId = `forecast-${randomBytes(4).toString('hex')}`;
    await engine.start({ graph: input.graph, command: 'forecast', runId, ...(input.planId ? { planId: input.planId } : {}), ...(input.workspace ? { workspace: input.workspace } : {}) });
    const run = (await store.getRun(runId))!;
    const graph = graphFromSpec(run.graph);
    const states = new Map((await store.listRunNodes(runId)).map((n) => [n.nodeId, n.status]));
    const last = new Map<string, AttemptRecord>();
    for (const a of await store.listAttempts(runId)) last.set(a.nodeId, a);
    for (const [id, a] of last) if (a.status === 'succeeded' && isAssumed(a.output)) assumed.add(id);
    const force = new Set(input.force ?? []);
    const nodes: NodeForecast[] = [];
    for (const id of graph.order) {
      const node = graph.nodes.get(id)!;
      const state = states.get(id) ?? 'pending';
      const attempt = last.get(id);
      nodes.push(await forecastNode(node, state, attempt, { input, graph, states, last, estimates, assumed, force }));
    }
    const expands = nodes.filter((n) => n.kind === 'decompose' && n.willRun).map((n) => n.nodeId);
    const willRun = nodes.filter((n) => n.willRun);
    return {
      nodes,
      expands,
      willRun: willRun.length,
      certain: willRun.filter((n) => n.certain).length,
      cached: nodes.length - willRun.length,
      estimatedCostUsd: nodes.reduce((s, n) => s + (n.estimate?.costUsd ?? 0), 0),
      modelCalls: nodes.reduce((s, n) => s + (n.estimate?.calls ?? 0), 0),
    };
  } finally {
    await store.close();
    // the task worktrees and branches of a forecast of tasks in parallel (none in a shared worktree)
    if (runId && input.workspace) await removeRunTaskLeftovers(input.workspace.dir, runId, true).catch(() => undefined);
  }
}

/** Marks an output the forecast assumed rather than computed. */
function withMark(output: Json): Json {
  return typeof output === 'object' && output !== null && !Array.isArray(output) ? { ...output, forecast: ASSUMED } : { value: output, forecast: ASSUMED };
}

const ASSUMED = 'assumed to succeed';

function isAssumed(output: Json | undefined): boolean {
  return typeof output === 'object' && output !== null && !Array.isArray(output) && output['forecast'] === ASSUMED;
}

interface NodeFacts {
  input: ForecastInput;
  graph: Graph;
  states: ReadonlyMap<string, NodeStatus>;
  last: ReadonlyMap<string, AttemptRecord>;
  estimates: ReadonlyMap<string, ModelEstimate>;
  assumed: ReadonlySet<string>;
  force: ReadonlySet<string>;
}

async function forecastNode(node: NodeSpec, state: NodeStatus, attempt: AttemptRecord | undefined, f: NodeFacts): Promise<NodeForecast> {
  const base = { nodeId: node.id, kind: node.kind, ...(node.task ? { task: node.task } : {}) };
  const key = attempt?.cacheKey ? { key: attempt.cacheKey } : {};
  if (state === 'cached') return { ...base, willRun: false, certain: true, reason: 'cached', changed: [], ...key };
  const known = attempt !== undefined && (state === 'succeeded' || state === 'suspended' || state === 'failed') && attempt.cacheKey !== '';
  if (known) {
    const why = await dirtyReason(node, attempt, f);
    const extra =
      attempt.status === 'suspended' && attempt.suspendReason?.startsWith(MARK) && attempt.suspendReason !== `${MARK}would execute`
        ? `; ${attempt.suspendReason.slice(MARK.length)}`
        : f.assumed.has(node.id)
          ? '; the forecast assumes it succeeds'
          : '';
    const estimate = f.estimates.get(node.id);
    return {
      ...base,
      willRun: true,
      certain: true,
      reason: `${why.reason}${extra}`,
      changed: why.changed,
      ...key,
      ...(estimate ? { estimate: priceEstimate(estimate, f.input.config) } : {}),
    };
  }
  if (attempt && attempt.cacheKey === '' && attempt.error) {
    return { ...base, willRun: true, certain: true, reason: `cannot compute its key: ${attempt.error.message.split('\n')[0]}`, changed: [] };
  }
  const blocker = blockerOf(node.id, f);
  const estimate = await fallbackEstimate(node, f.input);
  return {
    ...base,
    willRun: true,
    certain: false,
    reason: blocker.startsWith('task ')
      ? `after ${blocker}, which will change the worktree first`
      : `after ${blocker}, which will run: its inputs are not known yet (it runs unless ${blocker}'s new output equals its old one)`,
    changed: [],
    ...(estimate ? { estimate: priceEstimate(estimate, f.input.config) } : {}),
  };
}

async function dirtyReason(node: NodeSpec, attempt: AttemptRecord, f: NodeFacts): Promise<{ reason: string; changed: string[] }> {
  const executor = f.input.executors.get(node.kind) as NodeExecutor<unknown> | undefined;
  if (f.force.has(node.id)) return { reason: 'forced (--force)', changed: [] };
  if (executor && !executor.cacheable) return { reason: 'never cached (runs every time)', changed: [] };
  const last = await f.input.store.lastSuccessfulAttempt(node.id);
  if (!last) return { reason: 'never ran before', changed: [] };
  const changed = diffIngredients(last.ingredients, attempt.ingredients);
  if (changed.length > 0) {
    // a prompt's version is in its ingredient's name (`prompt:NAME@VERSION`): name the versions
    const prompts = describePromptChanges(changed, Object.keys(last.ingredients.extra), Object.keys(attempt.ingredients.extra));
    return { reason: [...prompts.rest.map((c) => describeIngredient(c, node)), ...prompts.sentences].join('; '), changed };
  }
  const config = executor?.configSchema.safeParse(node.config);
  if (executor && !f.input.workspace && config?.success && executor.sideEffects(config.data)) {
    return { reason: 'never cached without a worktree (its key cannot hold the state it acts on)', changed: [] };
  }
  return { reason: 'its cache entry is gone', changed: [] };
}

/** The node (or task) a waiting node waits for: the nearest upstream node that will run, else the open task. */
function blockerOf(id: string, f: NodeFacts): string {
  const seen = new Set<string>();
  const stack = [...(f.graph.preds.get(id) ?? [])];
  while (stack.length > 0) {
    const p = stack.shift()!;
    if (seen.has(p)) continue;
    seen.add(p);
    const s = f.states.get(p) ?? 'pending';
    if (s === 'suspended' || s === 'failed') return p;
    if (s !== 'succeeded' && s !== 'cached') stack.push(...(f.graph.preds.get(p) ?? []));
  }
  for (const other of f.graph.order) {
    const n = f.graph.nodes.get(other)!;
    if (n.task && (f.states.get(other) === 'suspended' || f.states.get(other) === 'failed')) return `task ${n.task} (${other} will run)`;
  }
  return 'an earlier node';
}

/**
 * The estimate of a model node whose inputs are not known yet: its last successful attempt's
 * calls and tokens, else an upper bound (`edit` prompts never exceed the context budget) with the
 * role's default output.
 */
async function fallbackEstimate(node: NodeSpec, input: ForecastInput): Promise<ModelEstimate | undefined> {
  if (node.kind !== 'llm' && node.kind !== 'decompose' && node.kind !== 'review') return undefined;
  const role = node.kind === 'llm' ? 'coder' : node.kind === 'review' ? 'reviewer' : 'planner';
  const profile = typeof node.config['profile'] === 'string' ? node.config['profile'] : input.config.roles[role];
  const last = await input.store.lastSuccessfulAttempt(node.id);
  if (last && last.usage.calls > 0) {
    return { profile, inputTokens: last.usage.inputTokens, outputTokens: last.usage.outputTokens, calls: last.usage.calls, basis: 'as its last attempt' };
  }
  const edit = node.kind === 'llm' && node.config['template'] === 'edit';
  const prompt = typeof node.config['prompt'] === 'string' ? node.config['prompt'].length / 4 : 0;
  const inputTokens = edit || node.kind === 'decompose' || node.kind === 'review' ? input.config.contextBudget : Math.ceil(prompt);
  const outputTokens = DEFAULT_OUTPUT_TOKENS[node.kind === 'decompose' ? 'planner' : node.kind === 'review' ? 'reviewer' : edit ? 'coder' : 'other'];
  return { profile, inputTokens, outputTokens, calls: 1, basis: `at most the context budget in, ${outputTokens} out (role default)` };
}
