/** Longest wait, ms, between a chunk of streamed text and the event that carries it. */
export const DELTA_INTERVAL_MS = 100;
/** Text, in characters (UTF-16 code units), that is emitted at once without waiting for the interval. */
export const DELTA_MAX_CHARS = 200;

/** One coalesced piece of streamed model text: see {@link DeltaCoalescer}. */
export interface CoalescedDelta {
  /** the text of one or more chunks, joined, in order */
  text: string;
  /** true when the text streamed before this piece is void (a retried model call starts over) */
  restart: boolean;
}

/**
 * Joins the chunks of a streaming model answer (`ModelRequest.onDelta`) into fewer, larger pieces,
 * so a node's streamed tokens cost the run event log a few rows, not one per token: a piece is
 * emitted when {@link DELTA_MAX_CHARS} characters wait, else at most {@link DELTA_INTERVAL_MS} ms
 * after its first chunk arrived, and by {@link flush}. The pieces, joined, are the chunks joined
 * (a `restart` chunk drops the text still waiting and marks the next piece `restart`).
 * Timers are unref'd; `emit` must not throw (the engine's `emit` does not).
 */
export class DeltaCoalescer {
  private buffer = '';
  private restart = false;
  private timer: NodeJS.Timeout | undefined;

  /**
   * @param emit receives each piece
   * @param intervalMs see {@link DELTA_INTERVAL_MS}
   * @param maxChars see {@link DELTA_MAX_CHARS}
   */
  constructor(
    private readonly emit: (delta: CoalescedDelta) => void,
    private readonly intervalMs = DELTA_INTERVAL_MS,
    private readonly maxChars = DELTA_MAX_CHARS,
  ) {}

  /** Takes one chunk (the `ModelDeltaListener` shape: pass `coalescer.push` as `onDelta`). */
  readonly push = (text: string, restart: boolean): void => {
    if (restart) {
      this.buffer = '';
      this.restart = true;
    }
    this.buffer += text;
    if (this.buffer.length >= this.maxChars) this.flush();
    else if (this.buffer !== '' && !this.timer) {
      this.timer = setTimeout(() => this.flush(), this.intervalMs);
      this.timer.unref();
    }
  };

  /** Emits the text waiting, if any, now (call it when the model call ended, before the node finishes). */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.buffer === '') return;
    const delta = { text: this.buffer, restart: this.restart };
    this.buffer = '';
    this.restart = false;
    this.emit(delta);
  }
}
