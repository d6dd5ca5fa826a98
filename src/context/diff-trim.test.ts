import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runGit } from '../workspace/git-run.js';
import { trimDiff } from './diff-trim.js';
import { countTokens } from './tokenizer.js';

const GIT_ID = ['-c', 'user.name=t', '-c', 'user.email=t@example.com'];
const NAMES = ['applyDiscount', 'taxOf', 'formatInvoice', 'shippingCost', 'refundTotal', 'auditTrail'];

/** A function of 24 lines whose 12th line is `line`. */
function fn(name: string, line: string): string[] {
  const body = Array.from({ length: 22 }, (_, i) => `  const step${i} = order.items.length + ${i};`);
  body[10] = line;
  return [`export function ${name}(order: Order): number {`, ...body, '}', ''];
}

/** The diffs of real git commits: one edit in the middle of each function of shop.ts, and a new 300-line file. */
describe('trimDiff (real git diffs)', () => {
  let dir: string;
  let edits: string;
  let added: string;
  let newFile: string[];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tg-difftrim-'));
    await runGit(dir, ['init', '-q']);
    const shop = (changed: boolean) => ['export interface Order { items: number[]; rate: number }', '', ...NAMES.flatMap((n) => fn(n, changed ? `  const ${n}Rate = order.rate * 2; // ${n} now doubles the rate` : '  const rate = order.rate;'))].join('\n');
    await writeFile(join(dir, 'shop.ts'), shop(false));
    await runGit(dir, ['add', '-A']);
    await runGit(dir, [...GIT_ID, 'commit', '-qm', 'init']);
    await writeFile(join(dir, 'shop.ts'), shop(true));
    await runGit(dir, [...GIT_ID, 'commit', '-qam', 'rates']);
    edits = (await runGit(dir, ['show', '--format=', '--patch', 'HEAD'])).stdout.trimEnd();
    newFile = Array.from({ length: 300 }, (_, i) => (i % 20 === 19 ? '' : `export const entry${i} = ${i}; // ledger entry ${i}`));
    newFile[211] = 'export const settlementWindow = 30; // days before a refund settles';
    await writeFile(join(dir, 'ledger.ts'), `${newFile.join('\n')}\n`);
    await runGit(dir, ['add', '-A']);
    await runGit(dir, [...GIT_ID, 'commit', '-qm', 'ledger']);
    added = (await runGit(dir, ['show', '--format=', '--patch', 'HEAD'])).stdout.trimEnd();
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps the hunks the task is about whole and shows the others as their header and a count', () => {
    expect(edits.match(/^@@ /gm)).toHaveLength(6);
    const max = Math.floor(countTokens(edits, 'cl100k_base') / 2);
    const body = trimDiff(edits, 'Format the invoice with the new formatInvoice rate', max, 'cl100k_base')!;
    expect(countTokens(body, 'cl100k_base')).toBeLessThanOrEqual(max);
    expect(body.startsWith('diff --git a/shop.ts b/shop.ts\n')).toBe(true);
    const hunk = /^@@ [^\n]*formatInvoice[^\n]*\n(?:[ +-][^\n]*\n?)+/m.exec(edits)![0].trimEnd();
    expect(body).toContain(hunk);
    expect(body).not.toContain('tokens trimmed');
    const markers = body.match(/^@@ -\d+,\d+ \+\d+,\d+ @@ \(8 lines elided\) export function \w+/gm) ?? [];
    expect(markers.length).toBeGreaterThanOrEqual(2);
    expect(body).not.toMatch(/^@@ [^\n]*\(\d+ lines elided\)[^\n]*formatInvoice/m);
    // another task, another hunk
    const other = trimDiff(edits, 'refund totals: refundTotal', max, 'cl100k_base')!;
    expect(other).toContain('+  const refundTotalRate = order.rate * 2;');
  });

  it('splits a hunk too large on its own (a new file) into paragraphs, with their own line numbers', () => {
    expect(added.match(/^@@ /gm)).toEqual(['@@ ']);
    const body = trimDiff(added, 'When does a refund settle? settlementWindow', 600, 'cl100k_base')!;
    expect(countTokens(body, 'cl100k_base')).toBeLessThanOrEqual(600);
    expect(body).toContain('+export const settlementWindow = 30; // days before a refund settles');
    // each kept piece's header says where its lines are in the new file
    for (const m of body.matchAll(/^@@ -0,0 \+(\d+),(\d+) @@\n((?:\+.*\n?)+)/gm)) {
      const shown = m[3]!.trimEnd().split('\n').map((l) => l.slice(1));
      expect(shown).toEqual(newFile.slice(Number(m[1]) - 1, Number(m[1]) - 1 + Number(m[2])));
    }
    expect(body).toMatch(/^@@ -0,0 \+\d+,\d+ @@ \(\d+ lines elided\)$/m);
    expect(body).not.toContain('entry0 = 0');
  });

  it('returns the diff when it fits, one marker per run of hunks when the detailed ones do not, undefined below that', () => {
    expect(trimDiff(edits, 'x', 100_000, 'cl100k_base')).toBe(edits);
    const tight = trimDiff(edits, 'formatInvoice', 60, 'cl100k_base')!;
    expect(countTokens(tight, 'cl100k_base')).toBeLessThanOrEqual(60);
    expect(tight).toMatch(/^@@ … @@ \(6 hunks, 48 lines elided\)$/m);
    expect(trimDiff(edits, 'formatInvoice', 10, 'cl100k_base')).toBeUndefined();
  });
});
