import { TaskgraphError } from '../core/errors.js';
import { pendingApprovals, type PendingApproval } from '../safety/pending-approval.js';
import type { CommonOptions } from './commands.js';
import { safeJson, safeText } from './safe-text.js';
import { withProject } from './wiring.js';

/**
 * `taskgraph approvals [--run R] [--diff] [--json]`: the edits waiting for a person's approval
 * (issue 11 "Diff-scoped approval"), each with its risk score, reasons and diff stat (`--diff`
 * adds the diff itself), and the unlisted command lines waiting for one (`unlisted: ask`). Diffs and reasons hold repository and model text, so they pass
 * `safeText`/`safeJson` before the terminal.
 */

/** Options of {@link approvalsCommand}. */
export interface ApprovalsOptions extends CommonOptions {
  /** only this run */
  run?: string;
  /** print each diff too */
  diff?: boolean;
}

/** How many recent runs are looked at without `--run`. */
export const RECENT_RUNS = 50;

/**
 * Prints the pending approvals (of `--run`, else of the {@link RECENT_RUNS} newest runs) or,
 * with `--json`, a JSON array of {@link PendingApproval} (diff included).
 * @returns exit code 0
 * @throws TaskgraphError NOT_FOUND when `--run` names no run
 */
export async function approvalsCommand(opts: ApprovalsOptions): Promise<number> {
  return withProject(opts, async (project) => {
    const store = project.store;
    if (opts.run !== undefined && !(await store.getRun(opts.run))) {
      throw new TaskgraphError('NOT_FOUND', `no run ${opts.run}`, { details: { runId: opts.run }, hint: 'list runs with `taskgraph runs`' });
    }
    const runIds = opts.run !== undefined ? [opts.run] : (await store.listRuns(RECENT_RUNS)).filter((r) => r.status === 'suspended' || r.status === 'running').map((r) => r.id);
    const pending = await pendingApprovals(store, runIds);
    if (opts.json) {
      process.stdout.write(`${safeJson(pending)}\n`);
      return 0;
    }
    const text = pending.length === 0 ? `nothing waits for approval${opts.run ? ` in run ${opts.run}` : ''}` : pending.map((p) => approvalText(p, opts.diff === true)).join('\n\n');
    process.stdout.write(`${safeText(text)}\n`);
    return 0;
  });
}

/**
 * One pending approval as text: a header line (run, node, risk, stat; for a command, the line),
 * one line per reason, the commands to decide it, and with `withDiff` the diff (an edit's).
 */
export function approvalText(p: PendingApproval, withDiff: boolean): string {
  if (p.commandHash !== undefined) {
    return [
      `${p.runId} ${p.nodeId}: command, risk ${p.risk}/100: ${p.command ?? ''}`,
      ...p.reasons.map((r) => `  - ${r}`),
      `  approve: taskgraph approve ${p.runId} ${p.nodeId}`,
      `  reject:  taskgraph reject ${p.runId} ${p.nodeId} --comment "..."`,
    ].join('\n');
  }
  const lines = [
    `${p.runId} ${p.nodeId}: risk ${p.risk}/100, ${p.stat.files} file${p.stat.files === 1 ? '' : 's'} +${p.stat.added} −${p.stat.deleted} (diff ${p.diffHash.slice(0, 12)})`,
    ...p.reasons.map((r) => `  - ${r}`),
    `  approve: taskgraph approve ${p.runId} ${p.nodeId}`,
    `  reject:  taskgraph reject ${p.runId} ${p.nodeId} --comment "..."`,
  ];
  if (withDiff) lines.push(p.diff.trimEnd());
  return lines.join('\n');
}
