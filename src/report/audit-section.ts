import type { AuditEntry } from '../store/audit.js';
import { table } from './markdown.js';

/**
 * The report's "Audit" section (issue 11): the run's audit entries in append order — when, who,
 * what, the subject (a command line: repository or model text, escaped by {@link table} and made
 * plain by the report's last pass), the risk and the reason. Left out when the run has none.
 * @param entries the run's entries, from `Store.listAudit(runId)`
 * @returns Markdown, or undefined when `entries` is empty
 */
export function renderAuditSection(entries: readonly AuditEntry[]): string | undefined {
  if (entries.length === 0) return undefined;
  const rows = entries.map((e) => [
    e.id,
    new Date(e.at).toISOString(),
    e.who,
    e.kind,
    e.subject.replace(/\s+/g, ' '),
    e.risk,
    e.reason.replace(/\s+/g, ' '),
  ]);
  return ['## Audit', table(['#', 'at', 'who', 'what', 'subject', 'risk', 'reason'], rows, ['r', 'l', 'l', 'l', 'l', 'r', 'l'])].join('\n\n');
}
