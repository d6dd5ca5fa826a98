import { TaskgraphError } from '../core/errors.js';
import { diffPlans, renderPlanDiff } from '../planning/plan-diff.js';
import { renderPlanReview } from '../planning/render-review.js';
import type { PlanVersion } from '../store/plan-versions.js';
import type { RunRecord, Store } from '../store/store.js';
import type { BudgetFlags } from './budget-options.js';
import type { CommonOptions } from './commands.js';
import { choosePlan } from './plan-choice.js';
import { runsWaitingForPlan } from './plan-gate-runs.js';
import { leaseRun, resumeLeased } from './resume-command.js';
import { safeJson, safeText } from './safe-text.js';
import { whoOf } from './task-edit-commands.js';
import { type ProjectHandle, withProject } from './wiring.js';
import type { RunLeaseHolder } from '../engine/run-lease.js';

/**
 * `taskgraph plan show|diff|approve PLAN` (issue 11, "Plan review before execution"; README
 * "Safety and approvals"). A run started with `do --approve-plan` (or `policy.approvePlan`)
 * waits at its `approve-plan` node (`nodes/plan-approval.ts`) before any task runs; a person
 * reads the plan (`show`), edits it (`taskgraph task ...`, `taskgraph link ...`), compares it
 * with the planner's output (`diff`) and approves it (`approve`), which resumes the waiting run
 * under its lease, like `taskgraph approve`.
 */

/** Prints a line of output; text from a model or a repository is made terminal-safe here. */
const out = (text: string) => process.stdout.write(`${safeText(text)}\n`);

/** The plan id (checked) and its versions, oldest first. */
export async function versionsOf(store: Store, planArg: string): Promise<{ planId: string; versions: PlanVersion[] }> {
  const planId = await choosePlan(store, planArg);
  return { planId, versions: await store.listPlanVersions(planId) };
}

/**
 * `taskgraph plan show PLAN [--json]`: the plan as it stands (newest version): tree with ids,
 * titles, kinds, dependencies and acceptance criteria; `--json`: `{ id, goal, version, by,
 * approvedBy, approvedAt, leaves, tasks }`.
 * @returns exit code 0
 * @throws TaskgraphError NOT_FOUND (plan)
 */
export async function planShowCommand(planArg: string, opts: CommonOptions): Promise<number> {
  return withProject(opts, async (project) => {
    const { planId, versions } = await versionsOf(project.store, planArg);
    const plan = (await project.store.getPlan(planId))!;
    const v = versions.at(-1)!;
    if (opts.json) {
      out(safeJson({ id: plan.id, goal: plan.goal, version: v.version, by: v.by, approvedBy: v.approvedBy ?? null, approvedAt: v.approvedAt ?? null, leaves: v.leaves, tasks: plan.tasks }));
      return 0;
    }
    out(renderPlanReview({ planId, goal: plan.goal, version: v.version, by: v.by, approvedBy: v.approvedBy, leaves: v.leaves }, plan.tasks));
    if (v.approvedBy === undefined) out(`\nedit: taskgraph task add|rm|update|move ${planId} ..., taskgraph link add|rm FROM requires TO --plan ${planId}\napprove: taskgraph plan approve ${planId}`);
    return 0;
  });
}

function pick(versions: readonly PlanVersion[], n: number | undefined, fallback: PlanVersion, flag: string): PlanVersion {
  if (n === undefined) return fallback;
  const found = versions.find((v) => v.version === n);
  if (!found) throw new TaskgraphError('NOT_FOUND', `${flag} ${n}: plan ${fallback.planId} has versions 1 to ${versions.at(-1)!.version}`);
  return found;
}

/**
 * `taskgraph plan diff PLAN [--from V] [--to V] [--json]`: what changed between two versions;
 * by default between the planner's output (1) and the newest version.
 * @returns exit code 0
 * @throws TaskgraphError NOT_FOUND (plan or version)
 */
export async function planDiffCommand(planArg: string, opts: CommonOptions & { from?: number; to?: number }): Promise<number> {
  return withProject(opts, async (project) => {
    const { planId, versions } = await versionsOf(project.store, planArg);
    const from = pick(versions, opts.from, versions[0]!, '--from');
    const to = pick(versions, opts.to, versions.at(-1)!, '--to');
    const diff = diffPlans(from, to);
    out(opts.json ? safeJson({ planId, ...diff }) : renderPlanDiff(planId, diff));
    return 0;
  });
}

/** What {@link approvePlanLeased} did. */
export interface PlanApproval {
  planId: string;
  /** the approved version */
  version: PlanVersion;
  /** the lease of the run waiting at this plan's gate, when one waits: the caller resumes it, or releases the lease */
  lease?: { run: RunRecord; holder: RunLeaseHolder };
  /** other runs waiting on the same plan (to be resumed by hand) */
  others: string[];
}

/**
 * Approves the plan's newest version (audited in the same transaction), taking first the lease of
 * the run waiting at its gate, if any (RUN_LOCKED while another process holds it: nothing is
 * approved then). `taskgraph plan approve` and `POST /plans/:id/approve` both approve through here.
 * @param resume false: approve only, take no run's lease
 * @throws TaskgraphError NOT_FOUND (plan), RUN_LOCKED, RUN_STATE (a newer version appeared)
 */
export async function approvePlanLeased(project: ProjectHandle, planArg: string, by: string, resume: boolean): Promise<PlanApproval> {
  const { planId, versions } = await versionsOf(project.store, planArg);
  const [runId, ...others] = resume ? await runsWaitingForPlan(project.store, planId) : [];
  const lease = runId !== undefined ? await leaseRun(project, runId) : undefined;
  try {
    const version = await project.store.approvePlan({ planId, version: versions.at(-1)!.version, by, at: Date.now(), ...(runId ? { runId } : {}) });
    return { planId, version, ...(lease ? { lease } : {}), others };
  } catch (error) {
    await lease?.holder.release();
    throw error;
  }
}

/**
 * `taskgraph plan approve PLAN [--by WHO] [--no-resume]`: {@link approvePlanLeased}, then resumes
 * the run waiting at the plan's gate: the run executes the plan as approved. Other runs waiting on
 * the same plan are named.
 * @returns the resumed run's exit code (0 succeeded, 1 failed, 3 suspended), else 0
 * @throws TaskgraphError NOT_FOUND (plan), RUN_LOCKED
 */
export async function planApproveCommand(planArg: string, opts: CommonOptions & BudgetFlags & { by?: string; resume?: boolean }): Promise<number> {
  return withProject(opts, async (project) => {
    const { planId, version: v, lease, others } = await approvePlanLeased(project, planArg, whoOf(opts), opts.resume !== false);
    let resuming = false;
    try {
      if (!opts.json) out(`approved plan ${planId} version ${v.version} (by ${v.approvedBy ?? '?'})${lease ? `; resuming run ${lease.run.id}` : ''}`);
      for (const other of others) process.stderr.write(`run ${other} also waits for this plan: taskgraph resume ${other}\n`);
      if (!lease) {
        if (opts.json) out(safeJson({ planId, version: v.version, approvedBy: v.approvedBy ?? null, approvedAt: v.approvedAt ?? null, resumed: null }));
        return 0;
      }
      resuming = true;
      return await resumeLeased(project, lease, opts, 'approve-plan');
    } finally {
      if (lease && !resuming) await lease.holder.release();
    }
  });
}
