import { isJsonObject } from './json.js';
import type { Usage } from '../store/store.js';

/** Token and cost arithmetic shared by the model layer, the engine and the views. Pure. */

/** Zero usage (no call). */
export const NO_USAGE: Readonly<Usage> = Object.freeze({ inputTokens: 0, outputTokens: 0, costUsd: 0, calls: 0 });

/**
 * Adds two usages: tokens, USD and calls summed, `model` from the later one when it has one.
 * @param a running total
 * @param b one more call's (or node's) usage
 */
export function sumUsage(a: Usage, b: Usage): Usage {
  const model = b.model ?? a.model;
  return {
    inputTokens: a.inputTokens + b.inputTokens,
    outputTokens: a.outputTokens + b.outputTokens,
    costUsd: a.costUsd + b.costUsd,
    calls: a.calls + b.calls,
    ...(model !== undefined ? { model } : {}),
  };
}

/**
 * Whether a value is a well-formed {@link Usage}: finite, non-negative counts, USD and calls (what
 * a `ModelClient` puts in `details.usage` of an error).
 * @param value anything, e.g. `error.details.usage`
 */
export function isUsage(value: unknown): value is Usage {
  if (!isJsonObject(value)) return false;
  const ok = (n: unknown) => typeof n === 'number' && Number.isFinite(n) && n >= 0;
  return ok(value['inputTokens']) && ok(value['outputTokens']) && ok(value['costUsd']) && ok(value['calls']);
}
