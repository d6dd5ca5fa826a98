import { PLAN_GATE_NODE } from '../nodes/plan-approval.js';
import type { Store } from '../store/store.js';

/**
 * The runs waiting at the plan-review gate (`approve-plan` node, `nodes/plan-approval.ts`) of
 * plan `planId`, newest first, among the newest 200 runs: suspended, with the gate node suspended.
 * @param store the project's store
 * @param planId the plan under review
 * @returns run ids
 */
export async function runsWaitingForPlan(store: Store, planId: string): Promise<string[]> {
  const waiting: string[] = [];
  for (const run of await store.listRuns(200)) {
    if (run.planId !== planId || run.status !== 'suspended') continue;
    const gate = (await store.listRunNodes(run.id)).find((n) => n.nodeId === PLAN_GATE_NODE);
    if (gate?.status === 'suspended') waiting.push(run.id);
  }
  return waiting;
}
