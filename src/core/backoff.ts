/**
 * Exponential backoff with "full jitter" (AWS Architecture Blog, M. Brooker, "Exponential Backoff
 * And Jitter", 2015): a uniform random delay in `[0, min(maxMs, baseMs * 2^(attempt-1))]`.
 * Used by the model client (provider retries) and the engine (node retry policies).
 * @param attempt the failed attempt's number (1 = first try)
 * @param baseMs delay ceiling after the first failure, in ms
 * @param maxMs upper bound for the ceiling, in ms
 * @param random source of uniform [0,1) numbers (for tests)
 * @returns ms to wait
 */
export function backoffDelayMs(attempt: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(random() * ceiling);
}
