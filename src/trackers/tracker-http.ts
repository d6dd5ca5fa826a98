import { networkReason, retryHttp } from '../core/http-retry.js';
import { TaskgraphError } from '../core/errors.js';
import { parseRetryAfterMs } from '../llm/provider-errors.js';
import { secretRedactor } from '../security/redact.js';

/**
 * The HTTP requests of the trackers (`github-tracker.ts`, `jira-tracker.ts`): JSON in and out with
 * the global `fetch`, transient failures (HTTP 429, 5xx, timeouts, network errors) retried with
 * p-retry, waiting for the response's Retry-After or exponential backoff with full jitter
 * (`core/backoff.ts`), as `notify/chat-webhook.ts` does. Credentials travel in headers only and
 * never reach an error: a failure names the method, the path and the status, and the tracker's
 * own message (redacted of secrets, cut to 200 characters).
 */

/** Options shared by every request of one tracker. */
export interface TrackerHttpOptions {
  /** ms each request may take; default 15,000 */
  timeoutMs?: number;
  /** tries after the first on transient failures; default 3 */
  retries?: number;
  /** backoff ceiling after the first failure, ms; default 500 */
  baseMs?: number;
  /** a Retry-After longer than this (ms) is not waited for: the request fails; default 60,000 */
  maxRetryAfterMs?: number;
  signal?: AbortSignal;
  /** the HTTP client; default the global `fetch` */
  fetch?: typeof fetch;
}

/** One request. */
export interface TrackerRequest {
  method: 'GET' | 'POST' | 'PATCH' | 'PUT';
  /** the full URL (the base URL + the API path) */
  url: string;
  /** the API path as errors show it (`/repos/o/r/issues/1`): never the host's credentials */
  path: string;
  /** request headers (Authorization included): sent, never reported */
  headers: Record<string, string>;
  /** a JSON body */
  body?: unknown;
  /** `github` or `jira`: named in errors */
  tracker: string;
}

/** A response: status and parsed JSON body (undefined for an empty body, e.g. Jira's 204). */
export interface TrackerResponse {
  status: number;
  json: unknown;
}

/**
 * Sends `request`, retrying transient failures.
 * @throws TaskgraphError NOT_FOUND (HTTP 404: no such issue, or the token cannot see it),
 *   TRACKER_FAILED (other 4xx, or every try failed; `retryable` when the last failure was
 *   transient; details: tracker, method, path, status, attempts), ABORTED when `signal` fires
 */
export async function trackerRequest(request: TrackerRequest, options: TrackerHttpOptions = {}): Promise<TrackerResponse> {
  const doFetch = options.fetch ?? fetch;
  const timeoutMs = options.timeoutMs ?? 15_000;
  const maxRetryAfterMs = options.maxRetryAfterMs ?? 60_000;
  const where = `${request.tracker} ${request.method} ${request.path}`;
  const details = { tracker: request.tracker, method: request.method, path: request.path };
  const body = request.body === undefined ? undefined : JSON.stringify(request.body);
  const headers = { accept: 'application/json', ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...request.headers };
  const once = async (): Promise<TrackerResponse> => {
    let response: Response;
    try {
      const signals = [AbortSignal.timeout(timeoutMs), ...(options.signal ? [options.signal] : [])];
      response = await doFetch(request.url, { method: request.method, headers, ...(body !== undefined ? { body } : {}), signal: AbortSignal.any(signals) });
    } catch (error) {
      if (options.signal?.aborted) throw new TaskgraphError('ABORTED', `${where} aborted`);
      const e = error as Error;
      throw new TaskgraphError('TRACKER_FAILED', `${where}: ${e.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : `request failed (${networkReason(e)})`}`, { retryable: true, details });
    }
    const text = await response.text().catch(() => '');
    if (response.ok) {
      let json: unknown;
      try {
        json = text.trim() === '' ? undefined : JSON.parse(text);
      } catch {
        throw new TaskgraphError('TRACKER_FAILED', `${where}: HTTP ${response.status} with a body that is not JSON`, { details: { ...details, status: response.status } });
      }
      return { status: response.status, json };
    }
    const said = secretRedactor().redact(messageOf(text)).slice(0, 200);
    const retryAfterMs = parseRetryAfterMs(Object.fromEntries(response.headers.entries()));
    const status = response.status;
    if (status === 404) {
      throw new TaskgraphError('NOT_FOUND', `${where}: HTTP 404${said ? ` (${said})` : ''}`, {
        details: { ...details, status },
        hint: 'check the issue reference, and that the token can see the repository or project (a private one answers 404 to a token without access)',
      });
    }
    // GitHub answers 403 (not 429) when its rate limit is exhausted, with x-ratelimit-remaining: 0
    const rateLimited = status === 429 || (status === 403 && response.headers.get('x-ratelimit-remaining') === '0');
    const retryable = rateLimited || status >= 500;
    throw new TaskgraphError('TRACKER_FAILED', `${where}: HTTP ${status}${said ? ` (${said})` : ''}`, {
      retryable,
      details: { ...details, status, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) },
      hint: status === 401 || status === 403 ? 'check the token variable named under trackers: in taskgraph.yaml (set, not expired, allowed to read and write issues)' : undefined,
    });
  };
  const { value } = await retryHttp(once, { ...options, maxRetryAfterMs, maxMs: 10_000 }, (error, tries) => new TaskgraphError('TRACKER_FAILED', `${where}: request failed (${networkReason(error)})`, { details: { ...details, attempts: tries } }), where);
  return value;
}

/** The tracker's own error message from a JSON error body (GitHub `message`, Jira `errorMessages`/`errors`), else the text. */
function messageOf(text: string): string {
  try {
    const json = JSON.parse(text) as { message?: unknown; errorMessages?: unknown; errors?: unknown };
    const parts: string[] = [];
    if (typeof json.message === 'string') parts.push(json.message);
    if (Array.isArray(json.errorMessages)) parts.push(...json.errorMessages.filter((m): m is string => typeof m === 'string'));
    if (json.errors && typeof json.errors === 'object' && !Array.isArray(json.errors)) {
      parts.push(...Object.entries(json.errors).map(([k, v]) => `${k}: ${String(v)}`));
    }
    if (parts.length > 0) return parts.join('; ').replace(/\s+/g, ' ').trim();
  } catch {
    // not JSON
  }
  return text.replace(/\s+/g, ' ').trim();
}


/**
 * The value of environment variable `name`, a tracker credential.
 * @param what what it is, for the error (`the GitHub token`)
 * @throws TaskgraphError CONFIG_INVALID when it is unset or empty (the message names the variable, never a value)
 */
export function credential(name: string, what: string, env: NodeJS.ProcessEnv = process.env): string {
  const value = env[name]?.trim();
  if (!value) {
    throw new TaskgraphError('CONFIG_INVALID', `environment variable ${name} (${what}) is not set`, {
      details: { env: name },
      hint: `export ${name}=... before the command, or name another variable under trackers: in taskgraph.yaml`,
    });
  }
  return value;
}
