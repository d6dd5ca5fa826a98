/**
 * How a run hears that it is to stop: the abort signal the CLI raises on SIGINT/SIGTERM (or a
 * lost lease raises), and the one line the run records as its reason.
 */

/**
 * Runs `fn` with a listener on `signal`, so whoever raises it (the CLI's SIGINT/SIGTERM handler)
 * can see with `events.getEventListeners` that a run will stop and record itself; an abort that
 * comes before the engine's loop starts is still honoured there (`signal.aborted`).
 */
export async function listening<T>(signal: AbortSignal | undefined, fn: () => Promise<T>): Promise<T> {
  const interest = () => undefined;
  signal?.addEventListener('abort', interest, { once: true });
  try {
    return await fn();
  } finally {
    signal?.removeEventListener('abort', interest);
  }
}

/** One line for why a run was stopped: the abort reason's message (`stopped by SIGTERM`, a lost lease), else `stopped`. */
export function abortMessage(reason: unknown): string {
  if (reason instanceof Error && reason.name !== 'AbortError') return reason.message;
  return typeof reason === 'string' && reason !== '' ? reason : 'stopped';
}
