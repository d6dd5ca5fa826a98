import { TaskgraphError } from '../core/errors.js';
import type { PlanRecord } from '../core/task.js';
import type { AuditEntry } from '../store/audit.js';
import type { RunRecord, Store } from '../store/store.js';
import type { CommonOptions } from './commands.js';
import { safeJson, safeText } from './safe-text.js';
import { withProject } from './wiring.js';

/**
 * Sessions (issue 13): `--session NAME` on any command tags every record it writes
 * (`store/session-tagged-store.ts`): a run in its options (`runs.options.session`), a plan in its
 * meta (`meta.session`), every audit entry in its details (`details.session`) — and every change
 * a person makes is audited with its effect: plan edits (task status, fields, links, imports),
 * plan approvals, decisions, answers, notes and context pins. `taskgraph ls --session NAME` lists
 * them; a tagged run's own records (nodes, attempts, events) are reached through the run.
 */

/** Everything tagged with one session. */
export interface SessionRecords {
  session: string;
  /** runs whose options carry the session, newest first */
  runs: RunRecord[];
  /** audit entries tagged with the session, or belonging to one of its runs, in append order */
  audit: AuditEntry[];
  /** plans created with the session (`taskgraph import --session`), newest first */
  plans: Pick<PlanRecord, 'id' | 'goal' | 'createdAt'>[];
}

/**
 * Collects the records of `session`.
 * @param limit how many runs to look through (newest first; default 1000)
 */
export async function listSession(store: Store, session: string, limit = 1000): Promise<SessionRecords> {
  const runs = (await store.listRuns(limit)).filter((r) => r.options['session'] === session);
  const runIds = new Set(runs.map((r) => r.id));
  const audit = (await store.listAudit()).filter((e) => e.details['session'] === session || (e.runId !== undefined && runIds.has(e.runId)));
  const plans = (await store.listPlans()).filter((p) => p.meta['session'] === session).map((p) => ({ id: p.id, goal: p.goal, createdAt: p.createdAt }));
  return { session, runs, audit, plans };
}

/** `taskgraph ls --session NAME [--json]`. */
export async function lsCommand(opts: CommonOptions & { session?: string }): Promise<number> {
  return withProject(opts, async (project) => {
    if (opts.session === undefined) {
      throw new TaskgraphError('CONFIG_INVALID', 'say which session to list', { hint: 'taskgraph ls --session NAME' });
    }
    const found = await listSession(project.store, opts.session);
    const write = (text: string) => process.stdout.write(`${safeText(text)}\n`);
    if (opts.json) {
      write(safeJson({ session: found.session, runs: found.runs.map((r) => ({ id: r.id, status: r.status, command: r.command, createdAt: r.createdAt, planId: r.planId ?? null })), audit: found.audit, plans: found.plans }));
      return 0;
    }
    write(`session ${found.session}: ${found.runs.length} runs, ${found.audit.length} audit entries, ${found.plans.length} plans`);
    for (const r of found.runs) write(`run   ${r.id}  ${r.status}  ${r.command}  ${r.createdAt}`);
    for (const p of found.plans) write(`plan  ${p.id}  ${p.createdAt}  ${p.goal.split('\n')[0]}`);
    for (const e of found.audit) write(`audit #${e.id}  ${new Date(e.at).toISOString()}  ${e.kind}  ${e.who}  ${e.subject}: ${e.reason}`);
    return 0;
  });
}
