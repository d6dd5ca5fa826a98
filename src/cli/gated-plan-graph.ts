import type { ProjectConfig } from '../core/config.js';
import type { GraphSpecInput } from '../core/graph.js';
import { PLAN_GATE_NODE } from '../nodes/plan-approval.js';
import { baselineRoots, type RunBaselineMode } from '../planning/plan-graph.js';

/**
 * The graph of a saved plan that waits for a person's approval before any task runs (issue 11,
 * README "Plan review before execution"): the root nodes (`setup`, `baseline`), then the
 * `approve-plan` gate (`nodes/plan-approval.ts`), which expands into the plan's task nodes once
 * the plan's newest version is approved. `do --plan P` and `run P` use it under `--approve-plan`
 * or `policy.approvePlan`; a `do` that plans gets the same gate from its `plan` node.
 * @param planId the saved plan; goal its goal (the graph's title keeps 120 characters of it)
 * @param options the project's config, the run's baseline mode, and whether the run has a worktree
 */
export function gatedPlanGraph(planId: string, goal: string, options: { config: ProjectConfig; baseline: RunBaselineMode; worktree: boolean }): GraphSpecInput {
  const roots = baselineRoots(options);
  const gate = { id: PLAN_GATE_NODE, kind: 'plan-approval' as const, title: `approve plan ${planId}`, config: { planId }, needs: [...roots.after] };
  return { id: planId, title: goal.slice(0, 120), nodes: [...roots.nodes, gate] };
}
