import type { NodeStatus, RunStatus, Usage } from '../store/store.js';
import { EMPTY_USAGE } from './run-node.js';
import type { PlanningCharge } from './run-spend.js';
import { abortMessage } from './stop-signal.js';

/** What a finished (or suspended) run looks like. */
export interface RunSummary {
  runId: string;
  status: RunStatus;
  reason?: string;
  counts: Record<NodeStatus, number>;
  /** every session of the run, plus the planning it is charged for (`planning`) */
  usage: Usage;
  /** the planning of a plan made by `taskgraph plan` that this run executes (see `run-spend.ts`) */
  planning?: PlanningCharge;
  /** ms */
  wallMs: number;
}

/** How many nodes stand in each status. */
export function countStates(states: ReadonlyMap<string, NodeStatus>): Record<NodeStatus, number> {
  const counts: Record<NodeStatus, number> = { pending: 0, running: 0, succeeded: 0, cached: 0, failed: 0, skipped: 0, suspended: 0 };
  for (const s of states.values()) counts[s]++;
  return counts;
}

/** What a session knows when its loop ends, for {@link finalStatus}. */
export interface SessionEnd {
  /** node id → status, as the scheduler ends */
  states: ReadonlyMap<string, NodeStatus>;
  /** the session's stop signal (SIGINT/SIGTERM or a lost lease) */
  signal: AbortSignal;
  /** a run-wide budget limit reached */
  stopReason?: string;
  /** why a task or subtree was held (a subtree budget, a task held for a person, a conflict) */
  holdReason?: string;
  /** tasks held for a person (for the reason when nothing better is known) */
  heldTasks: readonly string[];
  /** finished tasks not yet integrated onto the run branch (parallel tasks) */
  unintegrated: readonly string[];
}

/**
 * The run's status and reason after a session: `interrupted` when stopped with work left,
 * `suspended` at a run budget limit, `failed` when a node failed, `suspended` while nodes wait
 * (approval, person, hold) or tasks wait to be integrated, else `succeeded`. Pure.
 */
export function finalStatus(end: SessionEnd): { status: RunStatus; reason?: string } {
  const counts = countStates(end.states);
  const { signal, stopReason, holdReason } = end;
  if (signal.aborted && (counts.running > 0 || counts.pending > 0)) return { status: 'interrupted', reason: abortMessage(signal.reason) };
  if (stopReason && (counts.pending > 0 || counts.suspended > 0)) {
    return { status: 'suspended', reason: counts.failed > 0 ? `${stopReason} (${counts.failed} node(s) failed)` : stopReason };
  }
  if (counts.failed > 0) {
    const failed = [...end.states].filter(([, s]) => s === 'failed').map(([id]) => id);
    return { status: 'failed', reason: `${failed.length} node${failed.length === 1 ? '' : 's'} failed: ${failed.slice(0, 5).join(', ')}` };
  }
  if (counts.suspended > 0 || counts.pending > 0) {
    const waiting = [...end.states].filter(([, s]) => s === 'suspended').map(([id]) => id);
    const reason = signal.aborted
      ? 'cancelled'
      : (stopReason ?? holdReason ?? (waiting.length > 0 ? `waiting for ${waiting.join(', ')}` : `held: ${end.heldTasks.join(', ')}`));
    return { status: 'suspended', reason };
  }
  if (end.unintegrated.length > 0) {
    return { status: 'suspended', reason: `waiting to integrate ${end.unintegrated.join(', ')} onto the run branch (an earlier task did not finish)` };
  }
  return { status: 'succeeded' };
}

/** The sum of token counts (tokens), cost (USD) and calls over `usages`. */
export function sumUsage(usages: Iterable<Usage>): Usage {
  const usage = { ...EMPTY_USAGE };
  for (const u of usages) {
    usage.inputTokens += u.inputTokens;
    usage.outputTokens += u.outputTokens;
    usage.costUsd += u.costUsd;
    usage.calls += u.calls;
  }
  return usage;
}
