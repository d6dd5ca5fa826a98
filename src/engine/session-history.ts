import type { Json } from '../core/json.js';
import type { AttemptRecord, NodeStatus } from '../store/store.js';

/**
 * What earlier sessions of a run left for this one: `attempts` maps node id → highest attempt
 * number; `outputs` maps node id → output, only for nodes that stand finished (`succeeded` or
 * `cached` in `states`): a node reset for a retry, or superseded by a split, must not feed its old
 * output to anyone (another task's context, above all). Pure.
 */
export function sessionHistory(history: readonly AttemptRecord[], states: ReadonlyMap<string, NodeStatus>): { outputs: Map<string, Json>; attempts: Map<string, number> } {
  const outputs = new Map<string, Json>();
  const attempts = new Map<string, number>();
  for (const a of history) {
    attempts.set(a.nodeId, Math.max(attempts.get(a.nodeId) ?? 0, a.number));
    const done = states.get(a.nodeId) === 'succeeded' || states.get(a.nodeId) === 'cached';
    if (done && (a.status === 'succeeded' || a.status === 'cached') && a.output !== undefined) outputs.set(a.nodeId, a.output);
  }
  return { outputs, attempts };
}
