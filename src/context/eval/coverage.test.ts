import { describe, expect, it } from 'vitest';
import { renderItem } from '../render.js';
import { countTokens } from '../tokenizer.js';
import { trimHeadTail } from '../trim.js';
import type { ContextItem } from '../types.js';
import { coveredLines, hunkHeld, measureBundle } from './coverage.js';
import { isSourceFile } from './source-files.js';

/** 120 distinct lines: `line N of the file with some words` */
const TEXT = Array.from({ length: 120 }, (_, i) => `const value${i + 1} = compute(${i + 1}); // line ${i + 1} of the file`).join('\n') + '\n';

function item(path: string, lines: [number, number], text: string, extra: Partial<ContextItem> = {}): ContextItem {
  return { source: 'retrieval', tier: 8, title: path, text, tokens: countTokens(text, 'cl100k_base'), why: '', origin: { path, lines }, ...extra };
}

describe('coveredLines', () => {
  it('an untrimmed passage covers its origin lines', () => {
    const body = TEXT.split('\n').slice(40, 80).join('\n');
    const covered = coveredLines([item('a.ts', [41, 80], renderItem('Retrieved: a.ts:41-80', body, 'ts'))], 'a.ts', TEXT);
    expect([...covered].sort((a, b) => a - b)).toEqual(Array.from({ length: 40 }, (_, i) => 41 + i));
  });

  it('a trimmed file covers its kept head and tail, not the trimmed middle', () => {
    const cut = trimHeadTail(TEXT, 300, 'cl100k_base');
    const head = cut.split('\n[...')[0]!.split('\n').length;
    const tail = cut.split('trimmed ...]\n')[1]!.split('\n').filter(Boolean).length;
    const covered = coveredLines([item('a.ts', [1, 120], renderItem('File a.ts', cut, 'ts'), { source: 'file', trimmed: true })], 'a.ts', TEXT);
    // the head holds lines 1..head, the tail 121-tail..120: exactly those are covered
    const expected = [...Array.from({ length: head }, (_, i) => i + 1), ...Array.from({ length: tail }, (_, i) => 121 - tail + i)];
    expect([...covered].sort((a, b) => a - b)).toEqual(expected);
    expect(covered.has(60)).toBe(false);
    expect(hunkHeld({ oldStart: 1, oldLines: 2 }, covered)).toBe(true);
    expect(hunkHeld({ oldStart: head, oldLines: 2 }, covered)).toBe(false); // runs into the trimmed region
    expect(hunkHeld({ oldStart: 60, oldLines: 0 }, covered)).toBe(false);
  });

  it('a file trimmed code-aware covers exactly the ranges it shows verbatim', () => {
    const covered = coveredLines([item('a.ts', [1, 120], renderItem('Retrieved: a.ts', 'const value1 … 10 lines', 'ts'), { trimmed: true, origin: { path: 'a.ts', lines: [1, 120], shown: [[20, 30], [90, 91]] } })], 'a.ts', TEXT);
    expect([...covered].sort((a, b) => a - b)).toEqual([...Array.from({ length: 11 }, (_, i) => 20 + i), 90, 91]);
    expect(hunkHeld({ oldStart: 22, oldLines: 3 }, covered)).toBe(true);
    expect(hunkHeld({ oldStart: 30, oldLines: 2 }, covered)).toBe(false);
  });

  it('summaries, the repository map and other files cover nothing', () => {
    const items = [
      item('a.ts', [1, 120], '# File a.ts\nA summary.', { source: 'file', trimmed: true, shortened: { action: 'summarized', fromTokens: 900, toTokens: 5 } }),
      { ...item('a.ts', [1, 120], '# Repository map\na.ts'), source: 'repo-map' as const },
      item('b.ts', [1, 120], renderItem('File b.ts', TEXT, 'ts')),
    ];
    expect(coveredLines(items, 'a.ts', TEXT).size).toBe(0);
  });
});

describe('hunkHeld', () => {
  it('needs every pre-image line; a pure addition needs its anchor (line 1 at the top)', () => {
    const covered = new Set([1, 2, 3]);
    expect(hunkHeld({ oldStart: 2, oldLines: 2 }, covered)).toBe(true);
    expect(hunkHeld({ oldStart: 3, oldLines: 2 }, covered)).toBe(false);
    expect(hunkHeld({ oldStart: 3, oldLines: 0 }, covered)).toBe(true);
    expect(hunkHeld({ oldStart: 0, oldLines: 0 }, covered)).toBe(true);
    expect(hunkHeld({ oldStart: 4, oldLines: 0 }, covered)).toBe(false);
  });
});

describe('measureBundle', () => {
  it('counts files, hunks and the tokens spent on changed files; files the index did not read are left out', () => {
    const a = item('a.ts', [1, 40], renderItem('Retrieved: a.ts:1-40', TEXT.split('\n').slice(0, 40).join('\n'), 'ts'));
    const other = item('b.ts', [1, 10], renderItem('Retrieved: b.ts:1-10', 'x', 'ts'));
    const files = [
      { path: 'a.ts', status: 'M', hunks: [{ oldStart: 5, oldLines: 1 }, { oldStart: 50, oldLines: 1 }] },
      { path: 'c.ts', status: 'M', hunks: [{ oldStart: 1, oldLines: 1 }] },
      { path: 'big.bin', status: 'M', hunks: [] },
    ];
    const m = measureBundle({ items: [a, other], tokens: 1000 }, files, (p) => (p === 'big.bin' ? undefined : TEXT));
    expect(m).toEqual({ files: 2, filesFound: 1, hunks: 3, hunksFound: 1, tokens: 1000, changedTokens: a.tokens });
  });
});

describe('isSourceFile', () => {
  it('leaves out docs, lock files, generated and binary files', () => {
    for (const p of ['src/a.ts', 'lib/x.py', 'main.go', 'Cargo.toml', 'package.json', 'src/docsify.ts']) expect(isSourceFile(p), p).toBe(true);
    for (const p of ['README.md', 'docs/guide.html', 'notes.txt', 'LICENSE', 'CHANGELOG.rst', 'package-lock.json', 'go.sum', 'Cargo.lock', 'dist/index.js', 'a.min.js', 'api.pb.go', 'x_pb2.py', 'logo.png', 'src/__snapshots__/a.snap']) {
      expect(isSourceFile(p), p).toBe(false);
    }
  });
});
