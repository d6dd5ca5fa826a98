import type { Graph } from '../core/graph.js';
import { BASELINE_NODE_ID } from '../planning/plan-graph.js';

/** Tasks open at once when neither `--task-concurrency` nor `policy.taskConcurrency` says (issue 10). */
export const DEFAULT_TASK_CONCURRENCY = 4;

/**
 * How many tasks a run keeps open at once, each in a worktree of its own when above 1
 * (`parallel-tasks.ts`): the number given (`--task-concurrency`, kept with the run), else
 * `policy.taskConcurrency`, else {@link DEFAULT_TASK_CONCURRENCY} when the run checks its base
 * commit (its graph has the `baseline` node: `policy.baseline` strict or known-failures) and 1
 * when it does not (`baseline: off`): a base that may be red would make independent tasks cut
 * from it fail on tests that an earlier task fixes, which one shared worktree avoids.
 * Pure; the same answer in every session of a run (the graph and the kept options are stored).
 * @param given the flag's value kept with the run, if any (≥ 1)
 * @param configured `policy.taskConcurrency`, if set (≥ 1)
 */
export function taskConcurrencyOf(graph: Pick<Graph, 'nodes'>, given: number | undefined, configured: number | undefined): number {
  return given ?? configured ?? (graph.nodes.has(BASELINE_NODE_ID) ? DEFAULT_TASK_CONCURRENCY : 1);
}
