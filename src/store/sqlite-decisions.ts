import { TaskgraphError } from '../core/errors.js';
import type { AuditEntry, AuditInput } from './audit.js';
import { insertAudit } from './sqlite-audit.js';
import { decisionFromRow, decisionParams, type DecisionRow } from './sqlite-rows.js';
import type { Statements } from './sqlite-statements.js';
import type { DecisionRecord } from './store.js';

/**
 * The `decisions` table for {@link import('./sqlite-store.js').SqliteStore}: a human's approve /
 * reject of one run node (DESIGN.md §6), one row per (run, node). Write functions that say so run
 * INSIDE a write transaction the caller opened.
 */

/**
 * Upserts the decision of (run, node).
 * @throws SqliteError (foreign key) when the run is missing; the store maps it to NOT_FOUND
 */
export function writeDecision(s: Statements, decision: DecisionRecord): void {
  s.upsertDecision.run(decisionParams(decision));
}

/** The decision of (run, node), or undefined when there is none. */
export function readDecision(s: Statements, runId: string, nodeId: string): DecisionRecord | undefined {
  const row = s.getDecision.get(runId, nodeId) as DecisionRow | undefined;
  return row && decisionFromRow(row);
}

/**
 * Records `decision` and its audit entry together: both rows or neither. Run inside a write
 * transaction (`BEGIN IMMEDIATE`), so two deciders racing on one node serialise.
 * @returns the appended audit entry
 * @throws TaskgraphError RUN_STATE when the node already has a decision for the same subject
 * @throws SqliteError (foreign key) when the run is missing; the store maps it to NOT_FOUND
 */
export function writeDecide(s: Statements, decision: DecisionRecord, audit: AuditInput): AuditEntry {
  const prior = s.getDecision.get(decision.runId, decision.nodeId) as DecisionRow | undefined;
  if (prior && (prior.subject ?? undefined) === decision.subject) {
    throw new TaskgraphError('RUN_STATE', `node ${decision.nodeId} of run ${decision.runId} was already ${prior.decision} by ${prior.by} at ${prior.at}`, {
      details: { runId: decision.runId, nodeId: decision.nodeId, decision: prior.decision, by: prior.by },
    });
  }
  s.upsertDecision.run(decisionParams(decision));
  return insertAudit(s, audit); // same transaction: both rows or neither
}
