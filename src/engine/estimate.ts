import type { ProjectConfig } from '../core/config.js';
import { costUsd } from '../core/pricing.js';
import type { Usage } from '../store/store.js';
import type { ModelEstimate } from './node-executor.js';

/**
 * Cost estimates for forecasts (`taskgraph run --dry-run`, `do --dry-run`, `why`): the model calls
 * a node would make, priced with the profile's price table.
 */

/**
 * Output tokens one model call is assumed to return when the node has no earlier attempt to learn
 * from, per role. Input tokens are never assumed: they are counted from the rendered prompt (the
 * context bundle the forecast assembles) or, when the prompt is not known yet, bounded by the
 * context budget. The figures are deliberately above what was measured on the bundled demo
 * (893 output tokens over 7 calls, about 130 per call: terse unified diffs and small plans), since
 * live models add prose around an edit and plans for real goals list more tasks:
 * - `coder`: 1,000 (an edit of 20–60 changed lines with a short explanation);
 * - `planner`: 1,500 (one level of 5–10 tasks with descriptions and acceptance criteria);
 * - `reviewer`: 600 (a `review` node: a verdict with a handful of findings, or a pull request's
 *   title, summary, risks and follow-ups);
 * - `other`: 500 (a custom `llm` node's answer).
 */
export const DEFAULT_OUTPUT_TOKENS = { coder: 1_000, planner: 1_500, reviewer: 600, other: 500 } as const;

/** Which {@link DEFAULT_OUTPUT_TOKENS} entry a node's calls fall under. */
export type EstimateRole = keyof typeof DEFAULT_OUTPUT_TOKENS;

/**
 * Output tokens per call for a node: the mean of its last successful attempt's calls when it has
 * one, else the role default.
 * @param last the node's last successful attempt's usage, if any
 * @returns tokens per call and the phrase saying where the number comes from
 */
export function outputTokensPerCall(last: Usage | undefined, role: EstimateRole): { tokens: number; basis: string } {
  if (last && last.calls > 0 && last.outputTokens > 0) {
    return { tokens: Math.round(last.outputTokens / last.calls), basis: 'output as in its last attempt' };
  }
  return { tokens: DEFAULT_OUTPUT_TOKENS[role], basis: `output ${DEFAULT_OUTPUT_TOKENS[role]} tokens per call (${role} default)` };
}

/** A {@link ModelEstimate} with its price. */
export interface PricedEstimate extends ModelEstimate {
  /** USD, from the profile's price table (0 when the profile has no price) */
  costUsd: number;
}

/**
 * Prices an estimate with `models.<profile>.price` (USD per million tokens).
 * @param config the project configuration
 */
export function priceEstimate(estimate: ModelEstimate, config: Pick<ProjectConfig, 'models'>): PricedEstimate {
  const price = config.models[estimate.profile]?.price;
  return { ...estimate, costUsd: costUsd({ inputTokens: estimate.inputTokens, outputTokens: estimate.outputTokens }, price) };
}
