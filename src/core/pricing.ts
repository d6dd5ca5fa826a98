import type { Price } from '../core/config.js';

/** Token counts of one or more model calls. */
export interface TokenCounts {
  /** prompt tokens */
  inputTokens: number;
  /** completion tokens */
  outputTokens: number;
}

/** Tokens per price unit: {@link Price} is quoted in USD per 1,000,000 tokens. */
export const TOKENS_PER_PRICE_UNIT = 1_000_000;

/**
 * Cost of a model call in USD from its token counts and the profile's price table.
 * `cost = inputTokens * price.input / 1e6 + outputTokens * price.output / 1e6`.
 * @param usage token counts (negative or non-finite counts are treated as 0)
 * @param price USD per million input/output tokens; when absent the call is free (0), e.g. a
 *   local model or a profile without a price table
 * @returns USD (not rounded)
 */
export function costUsd(usage: TokenCounts, price?: Price): number {
  if (!price) return 0;
  const count = (n: number) => (Number.isFinite(n) && n > 0 ? n : 0);
  return (count(usage.inputTokens) * price.input + count(usage.outputTokens) * price.output) / TOKENS_PER_PRICE_UNIT;
}
