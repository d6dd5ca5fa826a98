import { describe, expect, it } from 'vitest';
import { compareWithBaseline, failingSetOf, listIds } from './known-failures.js';

describe('failingSetOf', () => {
  const read = (failing: string[], extra: { incomplete?: string; runners?: string[] } = {}) => ({ failing, runners: (extra.runners ?? ['tap']) as never, ...(extra.incomplete ? { incomplete: extra.incomplete } : {}) });

  it('a passing check has no failing test whatever its output', () => {
    expect(failingSetOf(0, false, read(['stale id']))).toEqual({ known: true, failing: [] });
  });

  it('a failing check with named failures is known', () => {
    expect(failingSetOf(1, false, read(['a', 'b']))).toEqual({ known: true, failing: ['a', 'b'] });
  });

  it('is unknown, with the reason, when the check timed out, was killed, stopped early or named no test', () => {
    expect(failingSetOf(null, true, read(['a']))).toMatchObject({ known: false, reason: expect.stringContaining('timed out') });
    expect(failingSetOf(null, false, read(['a']))).toMatchObject({ known: false, reason: expect.stringContaining('signal') });
    expect(failingSetOf(1, false, read(['a'], { incomplete: 'pytest stopped early' }))).toEqual({ known: false, reason: 'pytest stopped early' });
    expect(failingSetOf(2, false, read([], { runners: [] }))).toMatchObject({ known: false, reason: expect.stringContaining('no test runner taskgraph reads') });
    expect(failingSetOf(1, false, read([], { runners: ['jest'] }))).toMatchObject({ known: false, reason: expect.stringContaining('jest output names no failing test') });
  });
});

describe('compareWithBaseline', () => {
  it('splits the failures of now into new ones and ones that failed at the base, and lists the fixed ones', () => {
    expect(compareWithBaseline(['c', 'a', 'x'], ['a', 'b', 'c'])).toEqual({ newFailures: ['x'], stillFailing: ['a', 'c'], fixed: ['b'] });
    expect(compareWithBaseline([], ['a'])).toEqual({ newFailures: [], stillFailing: [], fixed: ['a'] });
  });
});

describe('listIds', () => {
  it('names the first few and counts the rest', () => {
    expect(listIds(['a', 'b'])).toBe('a, b');
    expect(listIds(['a', 'b', 'c', 'd'], 2)).toBe('a, b and 2 more');
  });
});
