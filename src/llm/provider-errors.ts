import { APICallError } from 'ai';
import { redactError, TaskgraphError } from '../core/errors.js';
import { type Redactor, secretRedactor } from '../security/redact.js';

/**
 * Provider failures -> `PROVIDER_ERROR` with a `retryable` verdict, plus the two numbers the retry
 * loop needs: the server's `Retry-After` and the backoff delay.
 */

/** Node/undici error codes of transient network failures, looked up along the `cause` chain. */
export const TRANSIENT_NETWORK_CODES: ReadonlySet<string> = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

/**
 * Parses `Retry-After` (RFC 9110 §10.2.3: `HTTP-date / delay-seconds`) into ms from `now`.
 * Also honours the non-standard `retry-after-ms` header (milliseconds) that OpenAI and Azure send,
 * which takes precedence. Header names are matched case-insensitively.
 * @param headers response headers
 * @param now current time in ms since the epoch (for HTTP dates)
 * @returns ms to wait (>= 0; a date in the past gives 0), or undefined when absent or unparsable
 */
export function parseRetryAfterMs(headers: Record<string, string | undefined> | undefined, now: number = Date.now()): number | undefined {
  if (!headers) return undefined;
  const get = (name: string) => Object.entries(headers).find(([k]) => k.toLowerCase() === name)?.[1]?.trim();
  const ms = get('retry-after-ms');
  if (ms && /^\d+(\.\d+)?$/.test(ms)) return Number(ms);
  const value = get('retry-after');
  if (!value) return undefined;
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  // all three HTTP-date forms (IMF-fixdate, rfc850-date, asctime-date; RFC 9110 §5.6.7) carry a
  // month name and hh:mm:ss; checking that keeps Date.parse's leniency (e.g. "-1") out
  if (!/[A-Za-z]{3}/.test(value) || !/\d{2}:\d{2}:\d{2}/.test(value)) return undefined;
  const date = Date.parse(value);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

export { backoffDelayMs } from '../core/backoff.js';

function networkCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; current != null && depth < 8; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && TRANSIENT_NETWORK_CODES.has(code)) return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

function hintFor(status: number | undefined): string {
  if (status === 401 || status === 403) return 'check the API key (and its permissions) for this provider';
  if (status === 404) return 'check the model id and baseURL of the profile';
  if (status === 429) return 'the provider is rate limiting: wait, lower policy.concurrency, or raise your quota';
  if (status !== undefined && status >= 500) return 'the provider had a server error; try again later';
  if (status !== undefined && status >= 400) return 'the provider rejected the request; check the model id and parameters of the profile';
  return 'check the network connection and the profile baseURL';
}

/**
 * Classifies a failed model call.
 * - `APICallError` (AI SDK): retryable when the SDK says so (408, 409, 429, 5xx, connection
 *   failures) or the status is 429/5xx; `details.status`, `details.retryAfterMs` (parsed
 *   Retry-After), and the provider's own message in the error message.
 * - errors with a transient network code (ECONNRESET, ...) or a `TimeoutError`: retryable.
 * - anything else: not retryable.
 *
 * The result is redacted ({@link redactError}): a provider that echoes the API key in its error
 * body (a 401 quoting the key it refused) or a URL carrying a key never reaches a record, the
 * terminal or a log. The AI SDK error is kept as `cause` only when it holds no secret.
 * @param who the caller/profile for the message, e.g. `T1/edit (profile "coder", openai:gpt-4o)`
 * @param modelName `provider:model`
 * @param redactor default: the process-wide redactor (`security/redact.ts`)
 * @returns TaskgraphError `PROVIDER_ERROR` (an existing TaskgraphError is returned, redacted)
 */
export function classifyProviderError(error: unknown, who: string, modelName: string, redactor: Redactor = secretRedactor()): TaskgraphError {
  return redactError(classify(error, who, modelName), redactor);
}

function classify(error: unknown, who: string, modelName: string): TaskgraphError {
  if (error instanceof TaskgraphError) return error;
  if (APICallError.isInstance(error)) {
    const status = error.statusCode;
    const retryAfterMs = parseRetryAfterMs(error.responseHeaders);
    const retryable = error.isRetryable || status === 429 || (status !== undefined && status >= 500);
    return new TaskgraphError(
      'PROVIDER_ERROR',
      `model call ${who} failed${status !== undefined ? ` with HTTP ${status}` : ''}: ${error.message}`,
      {
        cause: error,
        retryable,
        details: {
          model: modelName,
          ...(status !== undefined ? { status } : {}),
          ...(error.url ? { url: error.url } : {}),
          ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
        },
        hint: hintFor(status),
      },
    );
  }
  const code = networkCode(error);
  const isTimeout = error instanceof Error && error.name === 'TimeoutError';
  const message = error instanceof Error ? error.message : String(error);
  return new TaskgraphError('PROVIDER_ERROR', `model call ${who} failed: ${message}`, {
    cause: error,
    retryable: code !== undefined || isTimeout,
    details: { model: modelName, ...(code ? { code } : {}), ...(error instanceof Error ? { name: error.name } : {}) },
    hint: hintFor(undefined),
  });
}
