import type { ContextIndex } from './context-index.js';

/**
 * A small least-recently-used memo of built context indexes, keyed by what the index is made of
 * (the `context` node uses the worktree tree hash plus a hash of the earlier outputs). Building
 * the index reads and tokenizes every repository file — about 320 ms for 2,000 files — and a
 * task's retry after a failed verify starts from the same tree (the worktree is reset to the
 * task's start commit), so its context is assembled without indexing again. Concurrent requests
 * for one key share one build; a build that fails is not kept.
 */
export class ContextIndexCache {
  readonly #entries = new Map<string, Promise<ContextIndex>>();
  #hits = 0;
  #builds = 0;

  /** @param capacity indexes kept (each holds the text of every indexed file; default 2) */
  constructor(private readonly capacity = 2) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`capacity must be a positive integer, got ${capacity}`);
  }

  /**
   * The index for `key`, built with `build` when it is not cached.
   * @throws whatever `build` throws (the key is then forgotten)
   */
  get(key: string, build: () => Promise<ContextIndex>): Promise<ContextIndex> {
    const known = this.#entries.get(key);
    if (known) {
      this.#hits++;
      // most recently used last
      this.#entries.delete(key);
      this.#entries.set(key, known);
      return known;
    }
    this.#builds++;
    const pending = build();
    this.#entries.set(key, pending);
    pending.catch(() => {
      if (this.#entries.get(key) === pending) this.#entries.delete(key);
    });
    while (this.#entries.size > this.capacity) this.#entries.delete(this.#entries.keys().next().value!);
    return pending;
  }

  /** Lookups served from the cache and builds started, since construction. */
  get stats(): { hits: number; builds: number; size: number } {
    return { hits: this.#hits, builds: this.#builds, size: this.#entries.size };
  }
}
