import type { RunSummary } from '../engine/engine.js';
import type { ReusedBranch } from '../report/run-place.js';
import type { RunNodeRecord, RunRecord, Store } from '../store/store.js';
import { gitText } from '../workspace/git-run.js';
import { deleteRunBranch, hasBranch, removeRunWorkspace, runBranchName } from '../workspace/run-worktree.js';

/**
 * A re-run in which nothing ran leaves no clutter (issue item 10): when `do` (same goal) or
 * `run PLAN` finishes a run whose every node came from the cache, and its branch ends at the
 * very commit an earlier succeeded run of the same plan ends at, a second branch and worktree
 * holding the same result are removed, and the run's record names the earlier branch instead
 * (`RunRecord.branch`), with no worktree of its own. Readers (`finishRun`, `status`, `report`)
 * tell such a run by its stored branch (`reusedBranchOf` in `report/run-place.ts`).
 */

/**
 * Whether nothing executed in the run: every node is a cache hit, except `setup` nodes, which
 * prepare the run's own new worktree (install dependencies, ignored by git) and so run in every
 * new worktree without adding anything to the result. Pure.
 * @param run the run's graph (node kinds)
 * @param nodes the run's node states
 */
export function isFullyCached(run: Pick<RunRecord, 'graph'>, nodes: readonly RunNodeRecord[]): boolean {
  const kinds = new Map(run.graph.nodes.map((n) => [n.id, n.kind]));
  let cached = 0;
  for (const node of nodes) {
    if (node.status === 'cached') cached++;
    else if (!(node.status === 'succeeded' && kinds.get(node.nodeId) === 'setup')) return false;
  }
  return cached > 0;
}

/**
 * After a run of `do` or `run PLAN` finished: when it succeeded, nothing executed
 * ({@link isFullyCached}), its worktree is clean, and its branch head equals the head of the
 * branch of an earlier succeeded run of the same plan, removes the run's worktree
 * (`git worktree remove --force`) and branch (`git branch -D`), then records the earlier branch
 * on the run (worktree cleared). Git first, store second: if git fails, nothing is recorded and
 * the run keeps its own branch and worktree.
 * @param store the project's store
 * @param projectDir the project directory
 * @param summary the finished session's summary
 * @returns the earlier branch the run now points at, or undefined when the run is left as it is
 * @throws TaskgraphError GIT_ERROR / STORE_ERROR when removing or recording fails (the caller warns and carries on)
 */
export async function settleFullyCachedRun(store: Store, projectDir: string, summary: RunSummary): Promise<ReusedBranch | undefined> {
  if (summary.status !== 'succeeded') return undefined;
  const run = await store.getRun(summary.runId);
  if (!run?.planId || !run.worktree || run.branch !== runBranchName(run.id)) return undefined;
  if (!isFullyCached(run, await store.listRunNodes(run.id))) return undefined;
  if ((await gitText(run.worktree, ['status', '--porcelain'])) !== '') return undefined;
  const head = await gitText(projectDir, ['rev-parse', '--verify', `refs/heads/${run.branch}^{commit}`]);
  const seen = new Set<string>([run.branch]);
  for (const earlier of await store.listRuns()) {
    if (earlier.id === run.id || earlier.planId !== run.planId || earlier.status !== 'succeeded' || !earlier.branch || seen.has(earlier.branch)) continue;
    seen.add(earlier.branch);
    if (!(await hasBranch(projectDir, earlier.branch))) continue;
    if ((await gitText(projectDir, ['rev-parse', '--verify', `refs/heads/${earlier.branch}^{commit}`])) !== head) continue;
    await removeRunWorkspace({ projectDir, dir: run.worktree, force: true });
    await deleteRunBranch(projectDir, run.branch);
    await store.updateRun(run.id, { branch: earlier.branch, worktree: undefined });
    return { runId: earlier.branch.slice('taskgraph/'.length), branch: earlier.branch };
  }
  return undefined;
}
