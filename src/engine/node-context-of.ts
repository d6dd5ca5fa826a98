import type { KeyIngredients } from '../core/hash.js';
import type { NodeSpec } from '../core/graph.js';
import { DeltaCoalescer } from './delta-coalescer.js';
import type { ModelMeter } from './meter.js';
import type { NodeContext } from './node-executor.js';
import type { RunState } from './run-state.js';

/**
 * What a node gets while it runs (`NodeContext`), for one attempt of `node` in the run `state`:
 * its worktree (the task's own with tasks in parallel), the outputs it may read, the run's abort
 * signal, a log line emitter, and `modelStream` (the coalesced `model-delta` events of its model
 * call's streamed text, `delta-coalescer.ts`).
 * @param state the run
 * @param node the node
 * @param attempt the attempt number (1-based)
 * @param models the metered model client for this node (undefined without models)
 * @param ingredients the attempt's cache-key ingredients, when known
 */
export function nodeContextOf(state: RunState, node: NodeSpec, attempt: number, models: ModelMeter | undefined, ingredients?: KeyIngredients): NodeContext {
  const { options } = state;
  return {
    runId: state.run.id,
    node,
    attempt,
    store: state.store,
    projectDir: options.projectDir,
    config: options.config,
    workspace: state.workspaceFor(node.task),
    models,
    planId: state.run.planId,
    outputOf: (id) => state.outputs.get(id),
    scripts: options.scripts,
    ...(options.prompts ? { prompts: options.prompts } : {}),
    signal: state.signal,
    log: (message) => state.emit({ type: 'log', runId: state.run.id, nodeId: node.id, message }),
    modelStream: () =>
      new DeltaCoalescer(({ text, restart }) => state.emit({ type: 'model-delta', runId: state.run.id, nodeId: node.id, attempt, text, ...(restart ? { restart: true as const } : {}) })),
    ...(ingredients ? { ingredients } : {}),
  };
}
