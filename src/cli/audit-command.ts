import { TaskgraphError } from '../core/errors.js';
import type { AuditEntry } from '../store/audit.js';
import type { CommonOptions } from './commands.js';
import { safeJson, safeText } from './safe-text.js';
import { withProject } from './wiring.js';

/**
 * `taskgraph audit [--run R] [--json]`: the audit log (issue 11), oldest first — who decided
 * what, when, with the risk and the reason. Subjects and reasons hold repository or model text
 * (command lines), so they pass `safeText`/`safeJson` before the terminal.
 */

/** Options of {@link auditCommand}. */
export interface AuditOptions extends CommonOptions {
  /** only this run's entries */
  run?: string;
}

/**
 * Prints the audit entries (of `--run` when given) as lines or, with `--json`, as a JSON array
 * of {@link AuditEntry}.
 * @returns exit code 0
 * @throws TaskgraphError NOT_FOUND when `--run` names no run
 */
export async function auditCommand(opts: AuditOptions): Promise<number> {
  return withProject(opts, async (project) => {
    if (opts.run !== undefined && !(await project.store.getRun(opts.run))) {
      throw new TaskgraphError('NOT_FOUND', `no run ${opts.run}`, { details: { runId: opts.run }, hint: 'list runs with `taskgraph runs`' });
    }
    const entries = await project.store.listAudit(opts.run);
    if (opts.json) {
      process.stdout.write(`${safeJson(entries)}\n`);
      return 0;
    }
    const text = entries.length === 0 ? `no audit entries${opts.run ? ` for run ${opts.run}` : ''}` : entries.map(auditLine).join('\n');
    process.stdout.write(`${safeText(text)}\n`);
    return 0;
  });
}

/**
 * One entry as a line: `#id  time  who  kind  [run]  subject — reason (risk N)`.
 * @param entry a stored entry
 */
export function auditLine(entry: AuditEntry): string {
  const risk = entry.risk !== undefined ? ` (risk ${entry.risk})` : '';
  const run = entry.runId ? `  run ${entry.runId}` : '';
  return `#${entry.id}  ${new Date(entry.at).toISOString()}  ${entry.who}  ${entry.kind}${run}  ${entry.subject.replace(/\s+/g, ' ')} — ${entry.reason}${risk}`;
}
