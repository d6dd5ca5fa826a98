import { beforeAll, describe, expect, it } from 'vitest';
import { countTokens } from '../tokenizer.js';
import { ensureParsers } from './parse.js';
import { trimCode } from './trim-code.js';

// parsing is synchronous once the grammars are loaded (the async entry points load them)
beforeAll(() => ensureParsers());

/** A class of 40 methods; method 20 handles refunds. */
function bigClass(): string {
  const out = ["import { db } from './db';", '', 'export class Orders {'];
  for (let i = 0; i < 40; i++) {
    const name = i === 20 ? 'applyRefund' : `step${i}`;
    const body = i === 20 ? ['    const refund = order.total - order.refundedAmount;', '    return db.saveRefund(order.id, refund);'] : Array.from({ length: 6 }, (_, j) => `    total += order.lines[${j}].price * ${i};`);
    out.push(`  ${name}(order: Order): number {`, '    let total = 0;', ...body, '    return total;', '  }', '');
  }
  out.push('}', '');
  return out.join('\n');
}

describe('trimCode', () => {
  const text = bigClass();
  const lines = text.split('\n');

  it('keeps the relevant method in the middle of a big file whole, the others as one-line signatures', () => {
    const total = countTokens(text, 'cl100k_base');
    const max = Math.floor(total / 3);
    const r = trimCode('orders.ts', text, 'applyRefund: saves the refunded amount', max, 'cl100k_base')!;
    expect(r).toBeDefined();
    expect(countTokens(r.body, 'cl100k_base')).toBeLessThanOrEqual(max);
    expect(r.kept[0]).toBe('applyRefund');
    const start = lines.findIndex((l) => l.includes('applyRefund(')) + 1;
    // the method is shown verbatim, and `shown` says so
    expect(r.shown.some(([a, b]) => a <= start && b >= start + 4)).toBe(true);
    expect(r.body).toContain('    return db.saveRefund(order.id, refund);');
    // an elided method is its signature and a line count; never a head + tail cut
    expect(r.body).toMatch(/^ {2}step0\(order: Order\): number … 10 lines$/m);
    expect(r.body).not.toContain('tokens trimmed');
    // the class head shows as its signature (it holds shown lines)
    expect(r.body).toContain('export class Orders');
    // every shown line is verbatim in the body
    for (const [a, b] of r.shown) for (let l = a; l <= b; l++) if (lines[l - 1]!.trim()) expect(r.body.split('\n')).toContain(lines[l - 1]);
  });

  it('returns the file when it fits, undefined for files without a grammar or when the outline does not fit', () => {
    expect(trimCode('a.ts', 'export const a = 1;\n', 'a', 100, 'cl100k_base')).toEqual({ body: 'export const a = 1;\n', shown: [[1, 1]], kept: [] });
    expect(trimCode('notes.md', text, 'refund', 100, 'cl100k_base')).toBeUndefined();
    expect(trimCode('orders.ts', text, 'refund', 2, 'cl100k_base')).toBeUndefined();
  });

  it('shows `… N lines` alone when even the outline of signatures is too large, keeping the code around the best symbol', () => {
    const many = Array.from({ length: 200 }, (_, i) => (i === 99 ? 'def ledger_checksum(rows): return hash(tuple(rows)) % 65521' : `def ledger_entry_${i + 1}(amount): return amount * ${i + 1}  # ledger row ${i + 1}`)).join('\n');
    const r = trimCode('ledger.py', many, 'ledger checksum', 600, 'cl100k_base')!;
    expect(r.kept[0]).toBe('ledger_checksum');
    expect(countTokens(r.body, 'cl100k_base')).toBeLessThanOrEqual(600);
    expect(r.body).toMatch(/^… \d+ lines$/m);
    expect(r.body).not.toContain('def ledger_entry_1(');
    // equal scores: the nearest to line 100 first
    const shownLines = r.shown.flatMap(([a, b]) => Array.from({ length: b - a + 1 }, (_, i) => a + i));
    for (const l of [98, 99, 100, 101, 102]) expect(shownLines).toContain(l);
  });

  it('opens a big class for its relevant method with `… N lines` markers when the signatures of the others do not fit', () => {
    const r = trimCode('orders.ts', text, 'applyRefund refunded', 120, 'cl100k_base')!;
    expect(countTokens(r.body, 'cl100k_base')).toBeLessThanOrEqual(120);
    expect(r.kept).toContain('applyRefund');
    expect(r.body).toContain('    return db.saveRefund(order.id, refund);');
    expect(r.body).toMatch(/^ {2}… \d+ lines$/m);
    expect(r.body).not.toContain('step0(');
  });

  it('is deterministic', () => {
    const a = trimCode('orders.ts', text, 'step7 step9 price', 900, 'o200k_base');
    expect(trimCode('orders.ts', text, 'step7 step9 price', 900, 'o200k_base')).toEqual(a);
    expect(a!.kept.slice(0, 2).sort()).toEqual(['step7', 'step9']);
  });
});
