import { afterEach, describe, expect, it, vi } from 'vitest';
import { type CoalescedDelta, DeltaCoalescer } from './delta-coalescer.js';

/** The coalescer joins streamed chunks by size and time, and a restart voids the text before it. */
afterEach(() => {
  vi.useRealTimers();
});

function coalescer(intervalMs = 100, maxChars = 10) {
  const out: CoalescedDelta[] = [];
  return { out, c: new DeltaCoalescer((d) => out.push(d), intervalMs, maxChars) };
}

describe('DeltaCoalescer', () => {
  it('emits once maxChars characters wait, and the rest on flush', () => {
    const { out, c } = coalescer();
    for (const chunk of ['abcd', 'efgh', 'ijkl', 'mn']) c.push(chunk, false);
    expect(out).toEqual([{ text: 'abcdefghijkl', restart: false }]);
    c.flush();
    expect(out).toEqual([{ text: 'abcdefghijkl', restart: false }, { text: 'mn', restart: false }]);
    c.flush();
    expect(out).toHaveLength(2);
  });

  it('emits what waits intervalMs after its first chunk', () => {
    vi.useFakeTimers();
    const { out, c } = coalescer();
    c.push('ab', false);
    vi.advanceTimersByTime(60);
    c.push('cd', false);
    expect(out).toEqual([]);
    vi.advanceTimersByTime(40);
    expect(out).toEqual([{ text: 'abcd', restart: false }]);
    c.push('ef', false);
    vi.advanceTimersByTime(99);
    expect(out).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(out.at(-1)).toEqual({ text: 'ef', restart: false });
  });

  it('a restart drops the text still waiting and marks the next piece', () => {
    const { out, c } = coalescer();
    c.push('abcdefghijk', false);
    c.push('lm', false);
    c.push('AB', true);
    c.push('CD', false);
    c.flush();
    expect(out).toEqual([
      { text: 'abcdefghijk', restart: false },
      { text: 'ABCD', restart: true },
    ]);
  });
});
