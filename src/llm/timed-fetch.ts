/**
 * Model-call timeouts (issue 8 item 13). Node's fetch (undici) waits up to 300 s for response
 * headers and has no bound on a body that trickles, so a model server that never answers costs
 * about 20 minutes per call with retries, and one that sends a byte every few seconds never
 * times out. {@link timedFetch} wraps `fetch` for the AI SDK providers (their `fetch` option) with
 * two timers per request: a total timeout from the request to the last body byte, and an idle
 * timeout restarted by every body chunk (waiting for the headers counts as idle time too).
 */

/** Default total timeout of one model request, ms (5 minutes); `models.<p>.timeoutMs` overrides it. */
export const DEFAULT_MODEL_TIMEOUT_MS = 300_000;

/** Default idle timeout of one model request, ms (1 minute without a byte); `models.<p>.idleTimeoutMs` overrides it. */
export const DEFAULT_MODEL_IDLE_TIMEOUT_MS = 60_000;

/**
 * Why a model request was aborted by {@link timedFetch}. Its `name` is `TimeoutError`, which the
 * AI SDK passes through unchanged (`isAbortError` in @ai-sdk/provider-utils) and the retry loop
 * treats as transient.
 */
export class ModelTimeoutError extends Error {
  override readonly name = 'TimeoutError';
  /**
   * @param kind `total`: the request took longer than `ms` in all; `idle`: no byte arrived for `ms`
   * @param ms the limit that was reached, ms
   */
  constructor(
    readonly kind: 'total' | 'idle',
    readonly ms: number,
  ) {
    super(kind === 'total' ? `the model server did not finish within ${ms} ms (timeoutMs)` : `the model server sent nothing for ${ms} ms (idleTimeoutMs)`);
  }
}

/** Finds a {@link ModelTimeoutError} along an error's `cause` chain (the AI SDK may wrap it). */
export function findModelTimeout(error: unknown): ModelTimeoutError | undefined {
  let current: unknown = error;
  for (let depth = 0; current != null && depth < 8; depth++) {
    if (current instanceof ModelTimeoutError) return current;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Options of {@link timedFetch}. */
export interface TimedFetchOptions {
  /** ms from the request to the last byte of the response body */
  totalMs: number;
  /** ms without receiving anything (headers or a body chunk) */
  idleMs: number;
  /** the fetch to wrap (default `globalThis.fetch`) */
  fetch?: typeof globalThis.fetch;
}

/**
 * A `fetch` that aborts a request at `totalMs`, or after `idleMs` without a byte. The response
 * body is re-wrapped so that each chunk restarts the idle timer and the timers stop once the body
 * is read to the end (or cancelled). The caller's own `signal` still aborts the request, with the
 * caller's reason.
 * @returns a fetch function for the AI SDK providers' `fetch` option; a timed-out request rejects
 *   (or its body errors) with a {@link ModelTimeoutError}
 */
export function timedFetch(options: TimedFetchOptions): typeof globalThis.fetch {
  const base = options.fetch ?? globalThis.fetch;
  return async (input, init) => {
    const controller = new AbortController();
    let idle: NodeJS.Timeout | undefined;
    const stop = () => {
      clearTimeout(idle);
      clearTimeout(total);
    };
    const fire = (kind: 'total' | 'idle', ms: number) => () => {
      stop();
      controller.abort(new ModelTimeoutError(kind, ms));
    };
    const total = setTimeout(fire('total', options.totalMs), options.totalMs);
    const armIdle = () => {
      clearTimeout(idle);
      idle = setTimeout(fire('idle', options.idleMs), options.idleMs);
    };
    const ours = (error: unknown): unknown => (controller.signal.aborted ? controller.signal.reason : error);
    armIdle();
    const signal = init?.signal ? AbortSignal.any([init.signal, controller.signal]) : controller.signal;
    let response: Response;
    try {
      response = await base(input, { ...init, signal });
    } catch (error) {
      stop();
      throw ours(error);
    }
    if (!response.body) {
      stop();
      return response;
    }
    armIdle();
    const reader = response.body.getReader();
    const body = new ReadableStream<Uint8Array>({
      async pull(into) {
        try {
          const { done, value } = await reader.read();
          if (done) {
            stop();
            into.close();
            return;
          }
          armIdle();
          into.enqueue(value);
        } catch (error) {
          stop();
          into.error(ours(error));
        }
      },
      cancel(reason) {
        stop();
        return reader.cancel(reason);
      },
    });
    return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
  };
}
