import type { Price } from '../core/config.js';
import { TaskgraphError } from '../core/errors.js';
import { costUsd } from '../core/pricing.js';
import type { Usage } from '../store/store.js';

/**
 * Usage a model server reports is untrusted input (issue 8 item 14): a negative count would be a
 * credit that disables `--max-tokens`, NaN would poison every sum, and an absurd count is a broken
 * server. Counts are checked here, where they enter, before anything adds them up.
 */

/**
 * Largest token count accepted for one side (input or output) of one model call: 10,000,000.
 * The largest context windows offered in 2025 are about 1–2 million tokens, so a bigger count is a
 * broken or hostile server, not a real call.
 */
export const MAX_TOKENS_PER_CALL = 10_000_000;

/** Raw token counts as the AI SDK reports them (`undefined`: the server said nothing). */
export interface ReportedTokens {
  inputTokens: number | undefined;
  outputTokens: number | undefined;
}

/**
 * Checks the token counts a server reported for one call. A missing count (`undefined`, or `null`
 * from a server that sends it) is 0: some servers report no usage at all.
 * @param reported the AI SDK's `usage` (only `inputTokens` and `outputTokens` are read)
 * @param who the caller and profile, for the message (e.g. `T1/edit (profile "coder", openai:gpt-4o)`)
 * @param modelName `provider:model`
 * @returns whole, non-negative counts, each at most {@link MAX_TOKENS_PER_CALL}
 * @throws TaskgraphError `PROVIDER_ERROR`, not retryable, "the server reported invalid usage"
 *   with `details.usage` = the raw counts, when a count is negative, fractional, not a finite
 *   number, or larger than {@link MAX_TOKENS_PER_CALL}
 */
export function validateTokens(reported: ReportedTokens, who: string, modelName: string): { inputTokens: number; outputTokens: number } {
  const problems: string[] = [];
  const check = (name: string, value: unknown): number => {
    if (value === undefined || value === null) return 0;
    if (typeof value !== 'number' || !Number.isFinite(value)) problems.push(`${name} ${String(value)} is not a number`);
    else if (value < 0) problems.push(`${name} ${value} is negative`);
    else if (!Number.isInteger(value)) problems.push(`${name} ${value} is not a whole number`);
    else if (value > MAX_TOKENS_PER_CALL) problems.push(`${name} ${value} is over ${MAX_TOKENS_PER_CALL} per call`);
    else return value;
    return 0;
  };
  const inputTokens = check('input tokens', reported.inputTokens);
  const outputTokens = check('output tokens', reported.outputTokens);
  if (problems.length > 0) {
    throw new TaskgraphError('PROVIDER_ERROR', `model call ${who}: the server reported invalid usage: ${problems.join('; ')}`, {
      retryable: false,
      details: {
        model: modelName,
        invalidUsage: { inputTokens: String(reported.inputTokens), outputTokens: String(reported.outputTokens) },
      },
      hint: 'the model server reports token counts that cannot be true; fix or replace the server (the call is not counted as a credit)',
    });
  }
  return { inputTokens, outputTokens };
}

/**
 * The {@link Usage} of one model call: its checked token counts, their cost from the profile's
 * price table, the model, and `calls: 1`.
 * @param tokens counts already checked by {@link validateTokens}
 * @param price USD per million tokens (none: cost 0)
 * @param modelName `provider:model`
 */
export function callUsage(tokens: { inputTokens: number; outputTokens: number }, price: Price | undefined, modelName: string): Usage {
  return { ...tokens, costUsd: costUsd(tokens, price), model: modelName, calls: 1 };
}
