import { type BudgetLine, budgetLines, type RunSpend, runSpend } from '../engine/run-spend.js';
import type { Store } from '../store/store.js';
import { code, formatDuration, table, usd } from './markdown.js';

/**
 * The report's Budget section (issue 8 item 7: every view shows cost against budget): each limit
 * of the run with what was spent and the headroom left, and where the money went — the run's own
 * nodes, and the planning of a plan made by `taskgraph plan` that the run is charged for. Derived
 * from the store only (`engine/run-spend.ts`).
 */

/** What the Budget section shows. */
export interface BudgetReport {
  runId: string;
  spend: RunSpend;
  lines: BudgetLine[];
}

/**
 * Reads a run's spend and budget lines from the store.
 * @throws TaskgraphError NOT_FOUND for an unknown run; store errors pass through
 */
export async function budgetReport(store: Store, runId: string): Promise<BudgetReport> {
  const run = await store.getRun(runId);
  const spend = await runSpend(store, runId);
  return { runId, spend, lines: run ? budgetLines(run, spend) : [] };
}

function amount(line: BudgetLine, n: number): string {
  if (line.key === 'maxCostUsd') return usd(n);
  if (line.key === 'maxWallMs') return formatDuration(n);
  return String(Math.round(n));
}

/**
 * Renders the Budget section as Markdown: a table of limits (spent, limit — marked `(default)`
 * when taskgraph's default applies — headroom, and `reached`), then where the spending came from.
 * Pure.
 */
export function renderBudgetSection(report: BudgetReport): string {
  const { spend, lines } = report;
  const parts = ['## Budget'];
  if (lines.length === 0) parts.push('This run has no limits.');
  else {
    const rows = lines.map((l) => [l.label, amount(l, l.spent), `${amount(l, l.limit)}${l.isDefault ? ' (default)' : ''}`, l.reached ? 'reached' : amount(l, l.headroom), code(`${l.flag}`)]);
    parts.push(table(['limit', 'spent', 'limit', 'headroom', 'raise with'], rows, ['l', 'r', 'r', 'r', 'l']));
  }
  const n = spend.nodes;
  const where = [`- this run's nodes: ${usd(n.costUsd)} USD in ${n.calls} model call(s), ${n.inputTokens + n.outputTokens} tokens`];
  const p = spend.planning;
  if (p && p.chargedTo === report.runId) {
    where.push(`- planning of plan ${code(p.planId)} by \`taskgraph plan\` (run ${p.planRuns.map(code).join(', ')}): ${usd(p.usage.costUsd)} USD in ${p.usage.calls} model call(s), charged to this run, the first to execute the plan`);
  } else if (p) {
    where.push(`- planning of plan ${code(p.planId)}: charged to run ${code(p.chargedTo)}, the first to execute it (not counted here)`);
  }
  where.push(`- total: ${usd(spend.total.costUsd)} USD in ${spend.total.calls} model call(s); ${spend.decompositions} decomposition(s)`);
  parts.push(where.join('\n'));
  return parts.join('\n\n');
}
