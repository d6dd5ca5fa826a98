import type { AuditInput } from './audit.js';
import type { PlanApprovalInput, PlanEditInput } from './plan-versions.js';
import type { Store } from './store.js';
import type { AttemptFinish, FinishedAttemptExtras, FinishedAttemptWrite } from './store-records.js';

/**
 * Sessions (issue 13, "Batch and sessions"): `--session NAME` on any command tags every record
 * the command writes, so `taskgraph ls --session NAME` finds them. The tag rides in the free-form
 * JSON each record already has, with no column of its own:
 *
 * - a run: `options.session` (set when the run is created, kept when its options are rewritten;
 *   a run started untagged gets the tag of the first tagged command that resumes it);
 * - a plan: `meta.session` (planning, `import`);
 * - an audit entry: `details.session`. Every change a person makes is audited in the transaction
 *   of its effect (plan edits and approvals, decisions on approval/human nodes, answers, notes,
 *   context pins), so this tags those changes too; entries written inside a run (a refused
 *   command, an approval asked for) carry the session of the command that ran it.
 *
 * Records that belong to a run (nodes, attempts, events, run sessions) are found through their
 * run. A record already tagged keeps its tag (the innermost caller's wins).
 *
 * Implemented as a Proxy over any {@link Store}: the write methods above get the tag added to
 * their argument, every other method is the store's own. Applied once, in `cli/wiring.ts`.
 *
 * @param store the project's store (any implementation)
 * @param session the `--session` name; an empty string is refused by the CLI before this point
 * @returns a Store that writes through `store`
 */
export function sessionTaggedStore(store: Store, session: string): Store {
  const audit = (entry: AuditInput): AuditInput => (entry.details?.['session'] !== undefined ? entry : { ...entry, details: { ...entry.details, session } });
  const audits = (entries: readonly AuditInput[] | undefined) => entries?.map(audit);
  const extras = (x: FinishedAttemptExtras | undefined): FinishedAttemptExtras | undefined => (x?.audit ? { ...x, audit: audits(x.audit)! } : x);
  const wrapped: Partial<Store> = {
    appendAudit: (entry) => store.appendAudit(audit(entry)),
    decide: (decision, entry) => store.decide(decision, audit(entry)),
    appendTaskNoteAudited: (planId, taskId, note, entry) => store.appendTaskNoteAudited(planId, taskId, note, audit(entry)),
    putContextOverrides: (planId, taskId, overrides, entry) => store.putContextOverrides(planId, taskId, overrides, entry && audit(entry)),
    editPlan: (edit: PlanEditInput) => store.editPlan(edit.session !== undefined ? edit : { ...edit, session }),
    approvePlan: (approval: PlanApprovalInput) => store.approvePlan(approval.session !== undefined ? approval : { ...approval, session }),
    createRun: (run) => store.createRun(run.options['session'] !== undefined ? run : { ...run, options: { ...run.options, session } }),
    // the engine rewrites a run's options from its own copy: the tag stays (a run a tagged command resumes gets it if it had none)
    updateRun: (id, patch) => store.updateRun(id, patch.options === undefined || patch.options['session'] !== undefined ? patch : { ...patch, options: { ...patch.options, session } }),
    savePlan: (plan) => store.savePlan(plan.meta['session'] !== undefined ? plan : { ...plan, meta: { ...plan.meta, session } }),
    finishAttempt: (finish: AttemptFinish) => store.finishAttempt(finish.audit ? { ...finish, audit: audits(finish.audit)! } : finish),
    recordFinishedAttempt: (attempt, node, options) => store.recordFinishedAttempt(attempt, node, extras(options)),
    recordFinishedAttempts: (batch: readonly FinishedAttemptWrite[]) => store.recordFinishedAttempts(batch.map((w) => (w.extras?.audit ? { ...w, extras: extras(w.extras)! } : w))),
  };
  return new Proxy(store, {
    get(target, key, receiver) {
      if (typeof key === 'string' && Object.hasOwn(wrapped, key)) return wrapped[key as keyof Store];
      const value: unknown = Reflect.get(target, key, receiver);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}
