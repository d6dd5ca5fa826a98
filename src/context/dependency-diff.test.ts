import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProjectConfigSchema } from '../core/config.js';
import { TaskSchema } from '../core/task.js';
import { runGit } from '../workspace/git-run.js';
import { assembleContext } from './assemble.js';
import { dependencyChange, dependencySummary, fitDependencyDiff, renderDependency, type DependencyChange } from './dependency-diff.js';
import { countTokens } from './tokenizer.js';

const GIT_ID = ['-c', 'user.name=t', '-c', 'user.email=t@example.com'];

describe('tier 3: the diff of a dependency commit (real git)', () => {
  let dir: string;
  let first: string;
  let second: string;
  const big = Array.from({ length: 400 }, (_, i) => `export const line${i} = ${i};`).join('\n');

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tg-depdiff-'));
    await runGit(dir, ['init', '-q']);
    await mkdir(join(dir, 'src'));
    await writeFile(join(dir, 'src/a.ts'), 'export const a = 1;\n');
    await runGit(dir, ['add', '-A']);
    await runGit(dir, [...GIT_ID, 'commit', '-qm', 'init']);
    await writeFile(join(dir, 'src/a.ts'), 'export const a = 2;\nexport const b = 3;\n');
    await writeFile(join(dir, 'src/invoices.ts'), 'export function invoiceTotal() {\n  return 42;\n}\n');
    await writeFile(join(dir, 'src/big.ts'), `${big}\n`);
    await writeFile(join(dir, 'yarn.lock'), 'invoice@1.0.0:\n  version "1.0.0"\n');
    await runGit(dir, ['add', '-A']);
    await runGit(dir, [...GIT_ID, 'commit', '-qm', 'feat: invoices (T1)']);
    first = (await runGit(dir, ['rev-parse', 'HEAD'])).stdout.trim();
    await writeFile(join(dir, 'src/a.ts'), 'export const a = 3;\n');
    await runGit(dir, ['add', '-A']);
    await runGit(dir, [...GIT_ID, 'commit', '-qm', 'fix: a (T2)']);
    second = (await runGit(dir, ['rev-parse', 'HEAD'])).stdout.trim();
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads the files, +/− counts and per-file diff of the commit, and a summary line', async () => {
    const change = (await dependencyChange(dir, first, 'feat: invoices (T1)'))!;
    expect(change.files.map((f) => [f.path, f.added, f.removed])).toEqual([
      ['src/a.ts', 2, 1],
      ['src/big.ts', 400, 0],
      ['src/invoices.ts', 3, 0],
      ['yarn.lock', 2, 0],
    ]);
    // a lock file is counted in the summary, its diff is left out
    expect(change.files[3]!.diff).toBe('');
    expect(renderDependency('S', change)).not.toContain('invoice@1.0.0');
    expect(change.files[2]!.diff).toMatch(/^diff --git a\/src\/invoices.ts b\/src\/invoices.ts[\s\S]*\+export function invoiceTotal\(\) \{/);
    expect(dependencySummary('T1 Add invoices', change)).toBe(
      'T1 Add invoices: "feat: invoices (T1)"; 4 files changed, +407 −1 (src/a.ts +2 −1, src/big.ts +400 −0, src/invoices.ts +3 −0, yarn.lock +2 −0)',
    );
    expect(renderDependency('S', change)).toMatch(/^S\n\n```diff\ndiff --git a\/src\/a.ts/);
  });

  it('says "no changes" when the commit is another one (the dependency committed nothing), and undefined for an unknown commit', async () => {
    const none = (await dependencyChange(dir, second, 'feat: something else'))!;
    expect(none.files).toEqual([]);
    expect(dependencySummary('T9 Nothing', none)).toBe('T9 Nothing: no changes committed');
    expect(await dependencyChange(dir, 'f'.repeat(40))).toBeUndefined();
    expect(await dependencyChange(dir, '--output=/tmp/x')).toBeUndefined();
  });

  it('trims file by file: small files stay whole, the big one keeps the part the task is about, the rest as @@ markers, within the allowance', async () => {
    const change = (await dependencyChange(dir, first))!;
    const summary = dependencySummary('T1 Add invoices', change);
    const body = fitDependencyDiff(summary, change, 600, 'cl100k_base', 'Read line250 of big.ts');
    expect(countTokens(body, 'cl100k_base')).toBeLessThanOrEqual(600);
    expect(body.startsWith(summary)).toBe(true);
    expect(body).toContain('+export function invoiceTotal() {');
    expect(body).toContain('+export const b = 3;');
    expect(body).not.toContain('tokens trimmed');
    expect(body).toContain('+export const line250 = 250;');
    expect(body).toMatch(/^@@ -0,0 \+1,\d+ @@ \(\d+ lines elided\)$/m);
    expect(body).not.toContain('line0 = 0');
    // without a query the hunks go in file order
    expect(fitDependencyDiff(summary, change, 600, 'cl100k_base')).toContain('+export const line0 = 0;');
    expect(body.trimEnd().endsWith('```')).toBe(true);
    expect(fitDependencyDiff(summary, change, 5, 'cl100k_base')).toBe('');
  });

  it('the bundle shows the dependency commit diff under its share, not the task text', async () => {
    const change: DependencyChange = (await dependencyChange(dir, first, 'feat: invoices (T1)'))!;
    const dep = TaskSchema.parse({ planId: 'p', id: 'T1', title: 'Add invoices', description: 'Write invoiceTotal in src/invoices.ts', status: 'done' });
    const task = TaskSchema.parse({ planId: 'p', id: 'T2', title: 'Use invoices', description: 'Call invoiceTotal', dependencies: ['T1'] });
    const bundle = await assembleContext({
      config: ProjectConfigSchema.parse({ name: 'shop' }), task, requires: [{ task: dep, output: 'Commit message: feat: invoices (T1)', change }], siblings: [], refers: [], files: [],
      repoFiles: [], readFile: async () => '', earlierOutputs: [], docs: [], pins: [], excludes: [], budget: 2000, family: 'cl100k_base',
    });
    const item = bundle.items.find((i) => i.source === 'dependency')!;
    expect(item.text).toMatch(/^# Change made by required task T1: Add invoices\nT1 Add invoices: "feat: invoices \(T1\)"; 4 files changed/);
    expect(item.text).toContain('+export function invoiceTotal() {');
    expect(item.text).not.toContain('Write invoiceTotal in src/invoices.ts');
    expect(item.tokens).toBeLessThanOrEqual(1000); // the per-item share: half the budget
    expect(item.trimmed).toBe(true);
    expect(item.text).toMatch(/^@@ -0,0 \+\d+,\d+ @@ \(\d+ lines elided\)$/m);
    expect(item.text).not.toMatch(/tokens trimmed/);
  });
});
