import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeEvalHistory } from '../../src/context/fixtures/eval-history.js';
import { cliJson, describeResult, runCli } from '../support/cli.js';
import { createTempDir, git, type TempProject } from '../support/project.js';

/**
 * Issue 9 item 9, end to end: `taskgraph context eval` on the fixture history of
 * src/context/fixtures/eval-history.ts (figures worked out in src/context/eval/evaluate.test.ts):
 * `--json` has exactly the promised keys, `--budget` defaults to contextBudget, `--commits`
 * limits the replay, the human output is a table, and no scratch worktree is left behind.
 */

let tmp: TempProject;
let dir: string;

beforeAll(async () => {
  tmp = await createTempDir('tg-e2e-context-eval-');
  dir = join(tmp.base, 'shop');
  await writeEvalHistory(dir);
  // untracked: the replay reads commits only
  await writeFile(join(dir, 'taskgraph.yaml'), 'name: shop\ncontextBudget: 2000\n');
});
afterAll(async () => tmp.cleanup());

describe('taskgraph context eval', () => {
  it('--json: the required keys, the budget from taskgraph.yaml, both retrievals', async () => {
    const r = await cliJson(dir, ['context', 'eval', '--json']);
    expect(Object.keys(r).sort()).toEqual(['baseline', 'budget', 'commits', 'file_recall', 'hunk_recall', 'median_tokens', 'per_commit', 'precision']);
    expect(Object.keys(r.baseline).sort()).toEqual(['file_recall', 'hunk_recall', 'median_tokens', 'precision']);
    expect(r).toMatchObject({ commits: 4, budget: 2000, file_recall: 0.75, hunk_recall: 0.8, baseline: { file_recall: 0.5, hunk_recall: 0.6, precision: 1 } });
    expect(r.per_commit.map((c: { subject: string }) => c.subject)).toEqual(['Ledger checksum', 'Tidy', 'Carrier parcel weight limit', 'Fix invoice refund rounding']);
    expect(await git(dir, 'worktree', 'list')).not.toContain('scratch-');
  });

  it('--commits and --budget; the human table', async () => {
    const r = await runCli(['-C', dir, 'context', 'eval', '--commits', '2', '--budget', '8000']);
    expect(r.code, describeResult(r)).toBe(0);
    expect(r.stdout).toMatch(/^context eval: 2 commits, budget 8000 tokens\n/);
    // the two newest: "Ledger checksum" (found) and "Tidy" (found by neither)
    expect(r.stdout).toMatch(/\ntaskgraph +50\.0% +50\.0% +\d+\.\d% +\d+\n/);
    // at 8,000 tokens ledger.py (about 4,000) fits whole: the baseline finds the ledger commit's file
    expect(r.stdout).toMatch(/\nBM25 whole files +50\.0% +50\.0% +100\.0% +\d+\n/);
    expect(r.stdout).toContain('Ledger checksum');
    expect(r.stderr).toContain('context eval: 2/2');
  });

  it('refuses a bad --commits with a hint', async () => {
    const r = await runCli(['-C', dir, 'context', 'eval', '--commits', '0']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/--commits must be a whole number/);
  });
});
