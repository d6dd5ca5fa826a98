import { setTimeout as sleep } from 'node:timers/promises';
import pRetry from 'p-retry';
import { backoffDelayMs } from './backoff.js';
import { TaskgraphError } from './errors.js';

/** How {@link retryHttp} retries. Times in ms. */
export interface HttpRetryOptions {
  /** retries after the first try (default 3) */
  retries?: number;
  /** backoff base and cap ({@link backoffDelayMs}; defaults 500 and 10,000) */
  baseMs?: number;
  maxMs?: number;
  /** a `retryAfterMs` the server asks for above this is not waited for: the error is final (default 60,000) */
  maxRetryAfterMs?: number;
  signal?: AbortSignal;
}

/**
 * Runs one HTTP request with retries (p-retry): a `TaskgraphError` marked `retryable` is tried
 * again after the server's `details.retryAfterMs` (429 `Retry-After`), else after
 * {@link backoffDelayMs}; any other error, or a retryAfter above `maxRetryAfterMs`, is final.
 * Shared by the chat webhooks (`notify/chat-webhook.ts`) and the issue trackers
 * (`trackers/tracker-http.ts`).
 * @param once one try; throws a TaskgraphError for an HTTP failure, anything else for a network one
 * @param fail turns a network error (not a TaskgraphError) into the caller's error, given the tries made
 * @returns the value and the tries made (1 = no retry)
 * @throws the last TaskgraphError with `details.attempts` set; `ABORTED` when `signal` aborted;
 *   `fail(error, tries)` for a network error
 */
export async function retryHttp<T>(once: () => Promise<T>, options: HttpRetryOptions, fail: (error: Error, tries: number) => TaskgraphError, what: string): Promise<{ value: T; tries: number }> {
  const maxRetryAfterMs = options.maxRetryAfterMs ?? 60_000;
  const willRetry = (error: unknown): boolean =>
    error instanceof TaskgraphError && error.retryable && !(typeof error.details['retryAfterMs'] === 'number' && error.details['retryAfterMs'] > maxRetryAfterMs);
  let tries = 0;
  try {
    const value = await pRetry(
      async () => {
        tries++;
        return once();
      },
      {
        retries: options.retries ?? 3,
        minTimeout: 0,
        maxTimeout: 0,
        ...(options.signal ? { signal: options.signal } : {}),
        shouldRetry: willRetry,
        onFailedAttempt: async (error) => {
          if (error.retriesLeft <= 0 || !willRetry(error)) return;
          const after = (error as unknown as TaskgraphError).details['retryAfterMs'];
          const wait = typeof after === 'number' ? after : backoffDelayMs(error.attemptNumber, options.baseMs ?? 500, options.maxMs ?? 10_000);
          await sleep(wait, undefined, options.signal ? { signal: options.signal } : undefined);
        },
      },
    );
    return { value, tries };
  } catch (error) {
    if (error instanceof TaskgraphError) {
      error.details['attempts'] = tries;
      throw error;
    }
    if (options.signal?.aborted) throw new TaskgraphError('ABORTED', `${what} aborted`, { cause: error });
    throw fail(error as Error, tries);
  }
}

/** A network error's code (`ECONNREFUSED`) or name, never its message (which may hold the URL). */
export function networkReason(error: Error): string {
  let current: unknown = error;
  for (let depth = 0; current != null && depth < 6; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return error.name || 'network error';
}
