import { describe, expect, it } from 'vitest';
import { answerTokens, fitAnswer, fitText, pageOf } from './fit-answer.js';

const long = 'a storage layer with careful tests and clear names '.repeat(400); // ~4,000 tokens

describe('fitAnswer', () => {
  it('leaves a small answer as its JSON', () => {
    expect(fitAnswer({ id: 'T1', notes: ['x'] })).toBe('{"id":"T1","notes":["x"]}');
  });

  it('clips long strings and arrays under 8,000 tokens and marks the answer truncated', () => {
    const value = { task: { id: 'T7', notes: Array.from({ length: 50 }, () => long) } };
    expect(answerTokens(JSON.stringify(value))).toBeGreaterThan(100_000);
    const text = fitAnswer(value);
    expect(answerTokens(text)).toBeLessThan(8_000);
    const parsed = JSON.parse(text);
    expect(parsed).toMatchObject({ truncated: true, task: { id: 'T7' } });
    expect(parsed.task.notes.at(-1)).toMatch(/more$/);
  });
});

describe('pageOf', () => {
  const rows = Array.from({ length: 25 }, (_, i) => ({ id: `T${i}` }));

  it('pages by cursor until the last page, which has no nextCursor', () => {
    const first = pageOf(rows, undefined, 10);
    expect(first).toMatchObject({ total: 25, nextCursor: '10' });
    expect(first.rows.map((r) => r.id)).toEqual(rows.slice(0, 10).map((r) => r.id));
    const last = pageOf(rows, '20', 10);
    expect(last.rows).toHaveLength(5);
    expect(last.nextCursor).toBeUndefined();
  });

  it('shrinks a page whose rows are too large for one answer', () => {
    const big = Array.from({ length: 20 }, (_, i) => ({ id: `T${i}`, text: long }));
    const page = pageOf(big, undefined, 20);
    expect(page.rows.length).toBeLessThan(20);
    expect(page.nextCursor).toBe(String(page.rows.length));
    expect(answerTokens(JSON.stringify(page))).toBeLessThan(8_000);
  });

  it('refuses a cursor that is not an offset', () => {
    expect(() => pageOf(rows, 'abc', 10)).toThrow(/bad cursor/);
  });
});

describe('fitText', () => {
  it('keeps short text and cuts long text under 8,000 tokens with a note', () => {
    expect(fitText('# report')).toBe('# report');
    const cut = fitText(long.repeat(4));
    expect(answerTokens(cut)).toBeLessThan(8_000);
    expect(cut).toMatch(/more chars cut/);
  });
});
