import type { Json } from '../core/json.js';

/**
 * The audit log (issue 11, README "Safety and approvals"): an append-only record of who decided
 * what. It records command-policy decisions (`command-refused`,
 * `command-allowed-unlisted`), people's decisions (`approved`, `rejected`, `answered`, each in the
 * transaction of the decision itself), notifications (`notified`, `notify-failed`) and plan
 * review (`plan-edit`, `plan-approved`, written by `Store.editPlan`/`Store.approvePlan` in the
 * transaction of their effect), diff-scoped approvals of edits (`approval-requested`,
 * `auto-approved`) and approvals asked for unlisted command lines (`approval-requested` with the
 * line in details); path refusals follow. Inside a run, `command-refused` and a command's
 * `approval-requested` are written with the node's failed or suspended attempt, in one
 * transaction (`FinishedAttemptExtras.audit`). Rows are
 * never updated or deleted; free text and details are stored with secrets redacted, like every
 * other row.
 */

/** What an audit entry records. */
export const AUDIT_KINDS = [
  'command-refused',
  'command-allowed-unlisted',
  // a person's decision on an `approval` or `human` node, written with it (`Store.decide`)
  'approved',
  'rejected',
  'answered',
  // a notification that a run waits for a person (`engine/notify-person.ts`): sent, or not delivered
  'notified',
  'notify-failed',
  // plan review (`Store.editPlan`/`Store.approvePlan`, in the transaction of their effect)
  'plan-edit',
  'plan-approved',
  // diff-scoped approval of an `apply` node's edit (`nodes/apply.ts`): asked (with the diff hash,
  // stat and risk reasons in details), or skipped because the risk is below `autoApproveBelow`;
  // `approval-requested` also records a node asking about an unlisted command line
  // (`safety/command-approval.ts`: the line and its hash in details)
  'approval-requested',
  'auto-approved',
  // a person's note on a task (`taskgraph note`, PUT /tasks/{id} with a note, MCP update_task) and
  // a change of a task's context pins/excludes (`taskgraph context preview --pin ...`), each in
  // the transaction of its effect
  'note-added',
  'context-changed',
] as const;
/** One of {@link AUDIT_KINDS}. */
export type AuditKind = (typeof AUDIT_KINDS)[number];

/** An audit entry as written by {@link import('./store.js').Store.appendAudit}. */
export interface AuditInput {
  /** the run it belongs to; absent for decisions outside a run (`init`'s probe) */
  runId?: string;
  /** ms since the Unix epoch */
  at: number;
  /** the person (`--by`, default `$USER`) or `taskgraph` for its own policy */
  who: string;
  kind: AuditKind;
  /** what was decided about: the command line, a path, a node id */
  subject: string;
  /** 0–100 when the decision carried a risk score; absent otherwise */
  risk?: number;
  /** one sentence: the rule or flag behind the decision */
  reason: string;
  /** JSON details (rule, matched command, node id …); default `{}` */
  details?: Record<string, Json>;
}

/** A stored audit entry: {@link AuditInput} plus its id (1, 2, … in append order, per store). */
export interface AuditEntry extends AuditInput {
  id: number;
  details: Record<string, Json>;
}
