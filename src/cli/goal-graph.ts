import type { GraphSpecInput } from '../core/graph.js';

/**
 * The graph of a goal: one node, `plan`, of kind `decompose` (README "The main job"). `taskgraph
 * plan` and `taskgraph do` build it the same way, so both compute the same cache key for the
 * `plan` node (the key holds the node's config — goal and `--max-depth` — the planner prompt
 * version and model, and the project context of a worktree at HEAD, not the graph's id): a `do`
 * after a `plan` of the same goal and project state gets the saved plan from the cache instead of
 * asking the planner again (issue 8 item 6).
 * @param goal the goal in the user's words (or a PRD's text)
 * @param options `id` of the graph (`do` or `plan`), `maxDepth` from `--max-depth`, `reuse`
 *   false to plan from scratch instead of from an earlier plan of a similar goal (`--no-reuse`,
 *   `--replan`; the config then says `reuse: false`, so the node's cache key differs)
 */
export function goalGraph(goal: string, options: { id: 'do' | 'plan'; maxDepth?: number | undefined; reuse?: boolean | undefined }): GraphSpecInput {
  return {
    id: options.id,
    title: goal.split('\n')[0]!.slice(0, 120),
    nodes: [{ id: 'plan', kind: 'decompose', config: { goal, ...(options.maxDepth !== undefined ? { maxDepth: options.maxDepth } : {}), ...(options.reuse === false ? { reuse: false } : {}) } }],
  };
}

/** The id of the `decompose` node of {@link goalGraph}. */
export const PLAN_NODE = 'plan';
