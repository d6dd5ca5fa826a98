import type { ErrorRecord } from '../core/errors.js';
import type { NodeStatus, RunStatus, Usage } from '../store/store.js';

/**
 * What the engine tells observers (progress rendering, logs, server-sent events later). Observers
 * are hooks: they never change the run, and an observer that throws is ignored.
 */
export type EngineEvent =
  | { type: 'run-start'; runId: string; nodes: number; resumed: boolean }
  | { type: 'node-start'; runId: string; nodeId: string; attempt: number; task?: string }
  | {
      type: 'node-finish';
      runId: string;
      nodeId: string;
      attempt: number;
      status: NodeStatus;
      task?: string;
      usage?: Usage;
      /** ms */
      durationMs: number;
      error?: ErrorRecord;
      reason?: string;
      /** for a cache hit: when the cached output was made (ISO time) */
      cachedAt?: string;
    }
  | { type: 'node-skip'; runId: string; nodeIds: string[]; because: string }
  /** nodes `added` to the run's graph by node `by` (a plan, or a split: `reason` then says why) */
  | { type: 'graph-expand'; runId: string; by: string; added: string[]; planId?: string; reason?: string }
  | { type: 'task-retry'; runId: string; task: string; attempt: number; maxAttempts: number; note: string }
  /**
   * A task's nodes all succeeded (`done`), it failed for good (`failed`), or it is held for a
   * person (`needs-human`: the same failure twice; `reason` says so and names the `answer`
   * command; the run suspends once nothing else can run). With tasks in parallel a `done`
   * task has `awaitsIntegration: true`: it is committed in its own worktree and goes onto the run
   * branch later (`task-integrate`), where a conflict or a failing check can still refine it.
   */
  | { type: 'task-finish'; runId: string; task: string; status: 'done' | 'failed' | 'needs-human'; attempts: number; awaitsIntegration?: boolean; reason?: string }
  /**
   * Tasks in parallel: the task's commit is now on the run branch `branch` as `commit` (full
   * hash), by `how` (`fast-forward`, `replayed` over a moved tip, `empty`), in a batch of `batch`
   * tasks (1: alone); `durationMs` is the integration's time, its check included.
   */
  | { type: 'task-integrate'; runId: string; task: string; branch: string; commit: string; how: 'fast-forward' | 'replayed' | 'empty'; batch: number; durationMs: number }
  | { type: 'log'; runId: string; nodeId: string; message: string }
  /**
   * text of a model answer as it streams, for node `nodeId`'s attempt `attempt`: the pieces of one
   * attempt, joined in order, are the answer (coalesced: see `delta-coalescer.ts`). `restart`: the
   * model call was retried, so the text streamed before for this attempt is void. Emitted before
   * the attempt's `node-finish`; only plain text calls to a live model stream (`ModelRequest.onDelta`).
   */
  | { type: 'model-delta'; runId: string; nodeId: string; attempt: number; text: string; restart?: true }
  /**
   * a node suspended to wait for a person: an approval (an `approval` node, an `apply` node's
   * diff, an unlisted command line) or an answer (a `human` node); `reason` says what it asks.
   * Not emitted for a node stopped by a budget limit.
   */
  | { type: 'approval-requested'; runId: string; nodeId: string; kind: string; task?: string; reason?: string }
  /**
   * a budget limit was reached (`budget.ts`): `scope: 'run'` stops the run, `'task'` holds the
   * task `task` (its subtree's budget). `reason` names the limit. Once per limit reason per session.
   */
  | { type: 'budget-reached'; runId: string; scope: 'run' | 'task'; reason: string; task?: string }
  | { type: 'run-finish'; runId: string; status: RunStatus; reason?: string };

/** An observer of engine events. */
export type EngineObserver = (event: EngineEvent) => void;

/**
 * One observer that hands each event to every one of `observers`, in order; an observer that
 * throws is ignored (observers never change a run).
 */
export function fanOut(observers: readonly EngineObserver[]): EngineObserver {
  return (event) => {
    for (const observer of observers) {
      try {
        observer(event);
      } catch {
        // observers never change a run
      }
    }
  };
}
