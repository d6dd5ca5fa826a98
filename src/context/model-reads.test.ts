import { describe, expect, it } from 'vitest';
import { attemptEditSection } from './attempt-edit.js';
import { failingTests, failureRefs, latestFailure } from './failure-pins.js';
import { MAX_RECORDED_READS, modelReadsSection, parseModelReads } from './model-reads.js';

const READS = [
  { path: 'src/calc.js', start: 1, end: 4, tool: 'read_file' },
  { path: 'src/util.ts', start: 10, end: 30, tool: 'symbol' },
];

describe('model reads in a failure note', () => {
  it('round-trips through the note, before the recorded edit', () => {
    const note =
      'Attempt 2 failed at T1/verify (VERIFY_FAILED)\nReason: tests failed\nFailing tests (1, read from node):\n- adds' +
      modelReadsSection(2, READS) +
      attemptEditSection({ attempt: 2, status: 'applied', failedAt: 'T1/verify', text: 'diff --git a/x b/x\n+y' });
    const failure = latestFailure([note])!;
    expect(failure.attempt).toBe(2);
    expect(parseModelReads(failure.text)).toEqual({ attempt: 2, reads: READS });
    // the failure locator does not take the list for lines a failure names, nor for failing tests
    expect(failureRefs(failure.text, ['src/calc.js', 'src/util.ts'])).toEqual([]);
    expect(failingTests(failure.text).map((t) => t.name)).toEqual(['adds']);
  });

  it('keeps the first reads only, drops unusable ones, and is empty when nothing was read', () => {
    const many = Array.from({ length: 12 }, (_, i) => ({ path: `f${i}.ts`, start: 1, end: 2, tool: 'read_file' }));
    expect(parseModelReads(modelReadsSection(1, many))!.reads).toHaveLength(MAX_RECORDED_READS);
    expect(modelReadsSection(1, [{ path: 'a b.ts', start: 1, end: 2, tool: 'read_file' }, { path: 'x.ts', start: 5, end: 2, tool: 'read_file' }])).toBe('');
    expect(modelReadsSection(1, [])).toBe('');
    expect(parseModelReads('Attempt 1 failed at T1/verify')).toBeUndefined();
  });
});
