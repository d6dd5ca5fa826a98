import type { Graph, GraphSpec, NodeSpec } from '../core/graph.js';
import type { Json } from '../core/json.js';
import type { KeyIngredients } from '../core/hash.js';
import type { RunRecord, Store } from '../store/store.js';
import type { Workspace } from '../workspace/workspace.js';
import type { BudgetGuard } from './budget.js';
import type { EngineOptions } from './engine.js';
import type { EngineEvent } from './events.js';
import type { ModelMeter } from './meter.js';
import type { NodeContext } from './node-executor.js';
import type { ParallelTasks } from './parallel-tasks.js';
import type { RunningMarks } from './running-marks.js';
import type { Scheduler } from './scheduler.js';
import type { WriteBuffer } from './write-buffer.js';

/**
 * The state of one run while it executes, shared by the engine loop, the node runner
 * (`run-node.ts`) and the task tracker (`task-tracker.ts`). The durable truth is the store; this
 * is its in-memory mirror for one session of the run.
 */
export interface RunState {
  run: RunRecord;
  graph: Graph;
  /** current output of every finished node */
  readonly outputs: Map<string, Json>;
  /** attempts made so far per node (across sessions) */
  readonly attempts: Map<string, number>;
  readonly scheduler: Scheduler;
  /** the run's worktree (on the run branch), when the run has one */
  readonly workspace: Workspace | undefined;
  /**
   * where a node of `task` works: the task's own worktree when tasks run in parallel (issue 10,
   * `parallel-tasks.ts`) and it is open, else the run's worktree
   */
  workspaceFor(task: string | undefined): Workspace | undefined;
  /** tasks in parallel, each in a worktree of its own; absent with `taskConcurrency` 1 or no worktree */
  parallel?: ParallelTasks;
  readonly store: Store;
  readonly options: EngineOptions;
  readonly signal: AbortSignal;
  readonly force: ReadonlySet<string>;
  /** group commit of cheap pure nodes' results (see write-buffer.ts) */
  readonly writes: WriteBuffer;
  /** `running` marks of nodes that execute for a while (see running-marks.ts); absent where nothing runs (forecasts) */
  readonly marks?: RunningMarks;
  /** false when nobody listens: hot paths skip building events */
  readonly observed: boolean;
  emit(event: EngineEvent): void;
  /** the run's budget: limits and what has been spent (this session and earlier ones); absent in forecasts */
  readonly budget?: BudgetGuard;
  /** a new model meter for one attempt of `node` (undefined when no model client is configured); absent in forecasts */
  meter?(node: NodeSpec): ModelMeter | undefined;
  /** `models` defaults to a new meter of the node's own */
  nodeContext(node: NodeSpec, attempt: number, ingredients?: KeyIngredients, models?: ModelMeter): NodeContext;
  /** called when the run's plan id is set by a `decompose` expansion (charges the planning of a reused plan) */
  onPlan?(): Promise<void>;
  /** validates a spec against the registered kinds (throws GRAPH_INVALID) */
  buildGraph(spec: GraphSpec): Graph;
}
