import type { Json } from '../core/json.js';
import type { AuditEntry } from '../store/audit.js';
import type { Store } from '../store/store.js';
import type { EditReview } from './edit-review.js';
import { reviewSummary } from './edit-review.js';

/**
 * The record of an approval a node asks for (issue 11): an `approval-requested` audit entry
 * (subject: the node id) holding, for an `apply` node's edit, the diff, its sha256, stat and
 * risk; for an unlisted command line (`command-approval.ts`), the line and its sha256.
 * `taskgraph approve|reject` binds its decision to that hash (`DecisionRecord.subject`);
 * `taskgraph approvals` lists the ones still waiting. Written once per diff or line: a node that
 * suspends again on the same one (a resumed session) does not append a second entry.
 */

/** Largest part of a diff kept in the audit entry, characters; the rest is cut with a marker. */
export const MAX_STORED_DIFF_CHARS = 20_000;

/** An approval a node asked for: of an `apply` node's edit, or of a command line. */
export interface PendingApproval {
  runId: string;
  nodeId: string;
  /** what a decision binds to (`DecisionRecord.subject`): {@link diffHash} or {@link commandHash} */
  subject: string;
  /** sha256 (hex) of the diff; '' for a command's approval */
  diffHash: string;
  /** the command line asked about (secrets redacted), for a command's approval */
  command?: string;
  /** sha256 (hex) of the exact command line, for a command's approval */
  commandHash?: string;
  /** 0–100 */
  risk: number;
  /** one line per reason, with its points */
  reasons: string[];
  stat: { files: number; added: number; deleted: number };
  /** the unified diff (secrets redacted by the store; cut at {@link MAX_STORED_DIFF_CHARS}) */
  diff: string;
  /** ms since the Unix epoch */
  at: number;
}

/**
 * Appends the `approval-requested` entry for `review` unless the node's latest request is for
 * the same diff already.
 * @returns the suspension reason shown by `status`, the report and `taskgraph approvals`
 */
export async function requestApproval(store: Store, runId: string, nodeId: string, review: EditReview, at = Date.now()): Promise<string> {
  const latest = await latestRequest(store, runId, nodeId);
  if (latest?.diffHash !== review.diffHash) {
    const diff = review.diff.length > MAX_STORED_DIFF_CHARS ? `${review.diff.slice(0, MAX_STORED_DIFF_CHARS)}\n[... ${review.diff.length - MAX_STORED_DIFF_CHARS} characters cut ...]\n` : review.diff;
    const details: Record<string, Json> = {
      node: nodeId,
      diffHash: review.diffHash,
      stat: review.stat,
      reasons: review.risk.reasons.map((r) => `${r.message} (+${r.points})`),
      protectedPaths: review.protectedPaths.map((p) => p.path),
      secrets: review.secrets.map((s) => `${s.path}:${s.line} ${s.rule}`),
      diff,
    };
    await store.appendAudit({ runId, at, who: 'taskgraph', kind: 'approval-requested', subject: nodeId, risk: review.risk.score, reason: reviewSummary(review), details });
  }
  return `approval needed for the edit (${reviewSummary(review)}); see the diff with \`taskgraph approvals --run ${runId}\`, then \`taskgraph approve ${runId} ${nodeId}\` or \`taskgraph reject ${runId} ${nodeId} --comment "..."\``;
}

/** The node's latest `approval-requested` entry as a {@link PendingApproval}, or undefined. */
export async function latestRequest(store: Pick<Store, 'listAudit'>, runId: string, nodeId: string): Promise<PendingApproval | undefined> {
  const entries = await store.listAudit(runId);
  for (let k = entries.length - 1; k >= 0; k--) {
    const e = entries[k]!;
    if (e.kind === 'approval-requested' && e.subject === nodeId) return fromEntry(e);
  }
  return undefined;
}

/**
 * The approvals waiting now: for each `suspended` node of the runs given that has an
 * `approval-requested` entry, its latest one.
 * @param runIds the runs to look at
 */
export async function pendingApprovals(store: Store, runIds: readonly string[]): Promise<PendingApproval[]> {
  const found: PendingApproval[] = [];
  for (const runId of runIds) {
    const suspended = new Set((await store.listRunNodes(runId)).filter((n) => n.status === 'suspended').map((n) => n.nodeId));
    if (suspended.size === 0) continue;
    const latest = new Map<string, PendingApproval>();
    for (const e of await store.listAudit(runId)) {
      if (e.kind === 'approval-requested' && suspended.has(e.subject)) latest.set(e.subject, fromEntry(e));
    }
    found.push(...latest.values());
  }
  return found;
}

function fromEntry(e: AuditEntry): PendingApproval {
  const d = e.details;
  const stat = (typeof d['stat'] === 'object' && d['stat'] !== null && !Array.isArray(d['stat']) ? d['stat'] : {}) as Record<string, Json>;
  const diffHash = typeof d['diffHash'] === 'string' ? d['diffHash'] : '';
  const commandHash = typeof d['commandHash'] === 'string' ? d['commandHash'] : undefined;
  return {
    runId: e.runId ?? '',
    nodeId: e.subject,
    subject: commandHash ?? diffHash,
    diffHash,
    ...(commandHash !== undefined ? { commandHash, command: typeof d['command'] === 'string' ? d['command'] : '' } : {}),
    risk: e.risk ?? 0,
    reasons: Array.isArray(d['reasons']) ? d['reasons'].filter((r): r is string => typeof r === 'string') : [],
    stat: { files: Number(stat['files'] ?? 0), added: Number(stat['added'] ?? 0), deleted: Number(stat['deleted'] ?? 0) },
    diff: typeof d['diff'] === 'string' ? d['diff'] : '',
    at: e.at,
  };
}
