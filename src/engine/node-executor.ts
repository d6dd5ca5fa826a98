import type { z } from 'zod';
import type { ProjectConfig } from '../core/config.js';
import type { ErrorRecord } from '../core/errors.js';
import type { KeyIngredients } from '../core/hash.js';
import type { NodeKind, NodeSpec, NodeSpecInput } from '../core/graph.js';
import type { Json } from '../core/json.js';
import type { ModelClient } from '../llm/model-client.js';
import type { DeltaCoalescer } from './delta-coalescer.js';
import type { PromptSource } from '../library/prompt-source.js';
import type { Store, Usage } from '../store/store.js';
import type { Workspace } from '../workspace/workspace.js';

/**
 * The NodeExecutor boundary (DESIGN.md §4): every node kind implements this one interface. Given
 * its validated config and resolved inputs plus a context (store, workspace, models, abort signal),
 * it returns an outcome. Expected failures are returned as `{ status: 'failed' }` or thrown as a
 * TaskgraphError; suspension (approval, human) is a returned outcome, never an exception.
 */

/** Everything a node may use while it runs. */
export interface NodeContext {
  runId: string;
  node: Readonly<NodeSpec>;
  /** 1-based attempt number of this node in this run */
  attempt: number;
  store: Store;
  /** the user's project directory */
  projectDir: string;
  config: ProjectConfig;
  /** the run's git worktree, when the run has one */
  workspace: Workspace | undefined;
  /** model access, when configured */
  models: ModelClient | undefined;
  /** plan the run executes (set by `decompose` or by `run PLAN`) */
  planId: string | undefined;
  /** the current output of any node of the run already finished */
  outputOf(nodeId: string): Json | undefined;
  /** registered `script` functions */
  scripts: ScriptRegistry;
  /**
   * the project's prompts (its library: `library/prompt-source.ts`); absent where no library is
   * open (unit tests), where nodes use the bundled prompts
   */
  prompts?: PromptSource;
  /** while executing: the cache-key ingredients of this attempt (per-ingredient hashes), e.g. the worktree tree a `context` node's key holds */
  ingredients?: KeyIngredients;
  /** aborted when the run is cancelled */
  signal: AbortSignal;
  /** progress line for observers */
  log(message: string): void;
  /**
   * a sink for a model answer's text as it streams: pass its `push` as `ModelRequest.onDelta`
   * and call its `flush` when the call ended; observers get `model-delta` events (absent where
   * nobody listens, e.g. forecasts and unit tests)
   */
  modelStream?(): DeltaCoalescer;
}

/** What a node returns. */
export type NodeOutcome =
  | { status: 'succeeded'; output: Json; usage?: Usage }
  | { status: 'failed'; error: ErrorRecord; output?: Json; usage?: Usage }
  | { status: 'suspended'; reason: string };

/** One node kind. `C` is the parsed config type. */
export interface NodeExecutor<C = unknown> {
  readonly kind: NodeKind;
  /** bump to invalidate every cached output of this kind */
  readonly version: number;
  /** validates `node.config` where it enters (graph load), never deeper */
  readonly configSchema: z.ZodType<C>;
  /** whether the node changes the worktree (then its workspace state is recorded and restored on cache hits) */
  sideEffects(config: C): boolean;
  /** whether a successful output may be served from the cache (approval: never) */
  readonly cacheable: boolean;
  /** inputs that must be present */
  readonly requiredInputs?: readonly string[];
  /**
   * whether an attempt is written as `running` before it starts even without side effects:
   * kinds that call a paid model, so an attempt killed in flight still shows (as `interrupted`)
   */
  readonly recordStart?: boolean;
  /** whether the kind cannot run without a git worktree */
  readonly needsWorkspace?: boolean;
  /**
   * whether a forecast (`engine/forecast.ts`) may execute this node for real to learn its output:
   * no model call, no command, quick and deterministic, and no effect but on the store and the
   * run's worktree — a forecast runs in a scratch worktree and a scratch store (`context`, `apply`,
   * `git-commit`, pure `script` functions). Other nodes are never executed by a forecast.
   */
  forecastSafe?(config: C): boolean;
  /**
   * the output a forecast assumes this node produces when it runs and succeeds, for nodes it may
   * not execute but whose success it can assume (`verify`: the checks pass); the forecast says so
   */
  forecastOutput?(config: C, inputs: Record<string, Json>): Json;
  /**
   * kinds that call models: the model calls a new execution would make, for a forecast's cost
   * estimate (input tokens counted from the rendered prompt where the inputs are known)
   */
  estimate?(config: C, inputs: Record<string, Json>, ctx: NodeContext): Promise<ModelEstimate>;
  /** the kind's own cache-key ingredients (template hash, model id, worktree state, task notes ...) */
  keyIngredients?(config: C, inputs: Record<string, Json>, ctx: NodeContext): Promise<Record<string, Json>>;
  execute(config: C, inputs: Record<string, Json>, ctx: NodeContext): Promise<NodeOutcome>;
  /**
   * `decompose` only: the nodes to add to the run's graph, derived from the node's output (also on
   * a cache hit, so an expansion is reproducible). May persist the plan it describes. `needs`
   * adds ordering edges to existing nodes (node id -> ids it must now wait for).
   */
  expand?(output: Json, ctx: NodeContext): Promise<{ nodes: NodeSpecInput[]; planId?: string; needs?: Record<string, string[]> }>;
}

/** The model calls a node would make (a forecast's cost estimate, `engine/estimate.ts`). */
export interface ModelEstimate {
  /** model profile the calls use */
  profile: string;
  /** tokens sent, all calls together */
  inputTokens: number;
  /** tokens expected back, all calls together */
  outputTokens: number;
  /** model calls (at least) */
  calls: number;
  /** where the figures come from, one phrase: "prompt counted", "last attempt", "role default" ... */
  basis: string;
}

/** A registered TypeScript function for `script` nodes. */
export interface ScriptFunction {
  /** bump when the function's behaviour changes (part of the cache key) */
  version: number;
  /**
   * whether it changes the worktree: a flag, or a function of the node's `args` (the
   * `project-index` function commits INDEX.md only when its args ask for it)
   */
  sideEffects: boolean | ((args: Json) => boolean);
  /**
   * the function's own cache-key ingredients beyond its name, version, args and inputs (what it
   * reads from the worktree or the store), e.g. the worktree tree it indexes; called before `run`
   */
  keyIngredients?(args: Json, inputs: Record<string, Json>, ctx: NodeContext): Promise<Record<string, Json>>;
  run(args: Json, inputs: Record<string, Json>, ctx: NodeContext): Promise<Json>;
  description: string;
  /** safe to run inside a forecast: no waiting, deterministic, effects only on the worktree (see {@link NodeExecutor.forecastSafe}) */
  forecastSafe?: boolean;
}

/** Script functions by name. */
export type ScriptRegistry = ReadonlyMap<string, ScriptFunction>;

/** Node executors by kind. */
export type ExecutorRegistry = ReadonlyMap<NodeKind, NodeExecutor<any>>;
