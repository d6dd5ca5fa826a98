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
  | { type: 'graph-expand'; runId: string; by: string; added: string[]; planId?: string }
  | { type: 'task-retry'; runId: string; task: string; attempt: number; maxAttempts: number; note: string }
  | { type: 'task-finish'; runId: string; task: string; status: 'done' | 'failed'; attempts: number }
  | { type: 'log'; runId: string; nodeId: string; message: string }
  /**
   * a node suspended to wait for a person: an approval (an `approval` node, an `apply` node's
   * diff, an unlisted command line) or an answer (a `human` node); `reason` says what it asks.
   * Not emitted for a node stopped by a budget limit.
   */
  | { type: 'approval-requested'; runId: string; nodeId: string; kind: string; task?: string; reason?: string }
  | { type: 'run-finish'; runId: string; status: RunStatus; reason?: string };

/** An observer of engine events. */
export type EngineObserver = (event: EngineEvent) => void;
