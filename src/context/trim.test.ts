import { describe, expect, it } from 'vitest';
import { countTokens } from './tokenizer.js';
import { MIN_TRIM_TOKENS, trimHeadTail } from './trim.js';

const file = Array.from({ length: 400 }, (_, i) => `export function step${i}(x: number): number { return x + ${i}; } // line ${i + 1}`).join('\n');

describe('trimHeadTail', () => {
  it('keeps head and tail on line boundaries with an explicit marker, within the limit', () => {
    const total = countTokens(file, 'cl100k_base');
    for (const max of [40, 100, 500, 2000]) {
      const out = trimHeadTail(file, max, 'cl100k_base');
      expect(countTokens(out, 'cl100k_base')).toBeLessThanOrEqual(max);
      expect(countTokens(out, 'cl100k_base')).toBeGreaterThan(max * 0.8);
      const m = /\n\[\.\.\. (\d+) tokens trimmed \.\.\.\]\n/.exec(out);
      expect(m).not.toBeNull();
      const cutOut = Number(m![1]);
      expect(cutOut).toBeGreaterThan(total - max - 10);
      expect(out.startsWith('export function step0(')).toBe(true);
      expect(out.endsWith('// line 400')).toBe(true);
      const [head, tail] = out.split(m![0]);
      expect(file.startsWith(head!)).toBe(true);
      expect(file.endsWith(tail!)).toBe(true);
      // whole lines on both sides once the kept parts are longer than a line or two
      if (max >= 100) {
        expect(file.startsWith(`${head!}\n`)).toBe(true);
        expect(file.endsWith(`\n${tail!}`)).toBe(true);
      }
    }
  });

  it('returns the text when it fits and nothing below the minimum', () => {
    expect(trimHeadTail('short text', 100, 'o200k_base')).toBe('short text');
    expect(trimHeadTail(file, MIN_TRIM_TOKENS - 1, 'o200k_base')).toBe('');
  });

  it('handles text without line breaks and with astral characters', () => {
    const text = '🙂 word '.repeat(3000);
    const out = trimHeadTail(text, 300, 'o200k_base');
    expect(countTokens(out, 'o200k_base')).toBeLessThanOrEqual(300);
    expect(out).toContain('tokens trimmed');
    expect(out).not.toContain('\uFFFD');
  });
});
