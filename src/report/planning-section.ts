import { isJsonObject, type Json } from '../core/json.js';
import { rootDecomposeNode, usageFromJson } from '../planning/plan-archive.js';
import type { RunRecord, Store, Usage } from '../store/store.js';
import { code } from './markdown.js';

/**
 * The report's "Planning" section (issue 14, "Reuse in planning"): how the run's plan was made —
 * from the cache, from scratch, or from an earlier plan (as it was for the same goal, or adapted
 * by one planner call) — and, for a reuse, what it saved against planning from scratch, in
 * tokens and USD. Read from the run's root `decompose` attempt in the store (its output's
 * `reuse` record, written by `nodes/decompose-reuse.ts`); left out for runs that planned nothing.
 */

/** How the plan of a run was made, as read from the store. */
export type PlanningOrigin =
  | { kind: 'cache' }
  | { kind: 'scratch'; usage: Usage }
  | { kind: 'reuse'; mode: 'identical' | 'customise'; from: { planId: string; runId: string; goal: string }; score: number; usage: Usage; fresh: Usage; saved: Usage };

/**
 * Reads how `run` got its plan.
 * @returns undefined when the run has no root `decompose` node or it has not succeeded
 * @throws what the store throws
 */
export async function planningOrigin(store: Store, run: RunRecord): Promise<PlanningOrigin | undefined> {
  const nodeId = rootDecomposeNode(run);
  if (!nodeId) return undefined;
  const last = (await store.listAttempts(run.id, nodeId)).filter((a) => a.status === 'succeeded' || a.status === 'cached').at(-1);
  if (!last) return undefined;
  if (last.status === 'cached') return { kind: 'cache' };
  const reuse = isJsonObject(last.output) ? (last.output as Record<string, Json>)['reuse'] : undefined;
  if (!isJsonObject(reuse)) return { kind: 'scratch', usage: last.usage };
  const from = isJsonObject(reuse['from']) ? reuse['from'] : {};
  const zero: Usage = { inputTokens: 0, outputTokens: 0, costUsd: 0, calls: 0 };
  return {
    kind: 'reuse',
    mode: reuse['mode'] === 'identical' ? 'identical' : 'customise',
    from: { planId: String(from['planId'] ?? ''), runId: String(from['runId'] ?? ''), goal: String(from['goal'] ?? '') },
    score: typeof reuse['score'] === 'number' ? reuse['score'] : 0,
    usage: last.usage,
    fresh: usageFromJson(reuse['fresh']) ?? zero,
    saved: usageFromJson(reuse['saved']) ?? zero,
  };
}

const tokens = (u: Usage) => `${u.inputTokens.toLocaleString('en-US')} input + ${u.outputTokens.toLocaleString('en-US')} output tokens, ${u.costUsd.toFixed(4)} USD`;

/**
 * Renders {@link planningOrigin} as Markdown.
 * @returns the section, or undefined when there is nothing to say
 */
export function renderPlanningSection(origin: PlanningOrigin | undefined): string | undefined {
  if (!origin) return undefined;
  if (origin.kind === 'cache') return '## Planning\n\nThe plan came from the cache (the same goal and project state were planned before): no planner call.';
  if (origin.kind === 'scratch') return `## Planning\n\nPlanned from scratch (no earlier plan of a similar goal reached \`planner.reuseThreshold\`, or reuse was off): ${tokens(origin.usage)} in ${origin.usage.calls} planner call(s).`;
  const how =
    origin.mode === 'identical'
      ? `taken as it was (the same goal): no planner call`
      : `adapted to this goal by one planner call (goal similarity ${origin.score.toFixed(2)}): ${tokens(origin.usage)}`;
  return [
    '## Planning',
    `Reused plan ${code(origin.from.planId)} of run ${code(origin.from.runId)}, ${how}.`,
    `Planning that goal from scratch cost ${tokens(origin.fresh)}; **saved ${tokens(origin.saved)}**. Plan from scratch with \`--no-reuse\`.`,
  ].join('\n\n');
}
