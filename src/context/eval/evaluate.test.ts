import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProjectConfigSchema } from '../../core/config.js';
import { BILLING, SHIPPING, writeEvalHistory } from '../fixtures/eval-history.js';
import { renderItem } from '../render.js';
import { countTokens } from '../tokenizer.js';
import { evaluateContext, type EvalReport } from './evaluate.js';
import { listEvalCommits } from './history.js';
import { markedGenerated } from '../file-filter.js';
import { runGit } from '../../workspace/git-run.js';

/**
 * `context eval` on the fixture history of `fixtures/eval-history.ts` (real git, real scratch
 * worktrees, the real assembly), budget 2,000 cl100k_base tokens. The expected figures are
 * worked out by hand below from the fixture's commits.
 */

let dir: string;
let shas: string[];
let report: EvalReport;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tg-context-eval-'));
  shas = await writeEvalHistory(join(dir, 'repo'));
  report = await evaluateContext({ repoDir: join(dir, 'repo'), commits: 20, budget: 2000, family: 'cl100k_base', config: ProjectConfigSchema.parse({ name: 'shop' }) });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const file = (path: string, text: string) => countTokens(renderItem(`File ${path}`, text, 'python'), 'cl100k_base');

describe('listEvalCommits', () => {
  it('keeps non-root commits that change a source file that existed at the parent, with its hunks in parent line numbers', async () => {
    const commits = await listEvalCommits(join(dir, 'repo'), 20);
    // commit 2 changes README.md only (docs) and commit 0 is the root: neither is replayed
    expect(commits.map((c) => c.sha)).toEqual([shas[5], shas[4], shas[3], shas[1]]);
    // commit 3: the new src/carrier.py and the lock file are left out; line 3 replaced, and a
    // line added after line 6 (a pure addition: oldStart is the line it follows, as git says)
    expect(commits[2]).toMatchObject({ parent: shas[2], message: 'Carrier parcel weight limit', files: [{ path: 'src/shipping.py', status: 'M', hunks: [{ oldStart: 3, oldLines: 1 }, { oldStart: 6, oldLines: 0 }] }] });
    expect(commits[0]!.files).toEqual([{ path: 'src/ledger.py', status: 'M', hunks: [{ oldStart: 102, oldLines: 1 }] }]);
  });

  it('stops at N commits', async () => {
    expect((await listEvalCommits(join(dir, 'repo'), 2)).map((c) => c.sha)).toEqual([shas[5], shas[4]]);
  });
});

describe('evaluateContext', () => {
  it('measures taskgraph per commit', () => {
    const tg = report.per_commit.map((c) => [c.subject, c.taskgraph.filesFound, c.taskgraph.files, c.taskgraph.hunksFound, c.taskgraph.hunks]);
    expect(tg).toEqual([
      // "ledger", "checksum": ledger.py is over its share (15% of 2,000), and so is its outline of 200 signatures: it is trimmed by code to `… N lines` markers around the defs kept whole, ledger_checksum (line 100) first, then the equally scored defs nearest to it: line 102 is one
      ['Ledger checksum', 1, 1, 1, 1],
      // "tidy" is in no file: retrieval finds nothing; the repository map names util.py but holds none of its lines
      ['Tidy', 0, 1, 0, 1],
      // shipping.py (6 lines) fits its share: retrieved whole, line 3 and the anchor line 6 are in it
      ['Carrier parcel weight limit', 1, 1, 2, 2],
      // billing.py (8 lines) is retrieved whole: line 4 is in it
      ['Fix invoice refund rounding', 1, 1, 1, 1],
    ]);
    // the billing commit's changed-file tokens are exactly its one retrieved item: the whole file
    expect(report.per_commit[3]!.taskgraph.changedTokens).toBe(countTokens(renderItem('Retrieved: src/billing.py', BILLING, 'python'), 'cl100k_base'));
  });

  it('measures the whole-file BM25 baseline per commit', () => {
    const bl = report.per_commit.map((c) => [c.baseline.filesFound, c.baseline.files, c.baseline.hunksFound, c.baseline.hunks, c.baseline.tokens, c.baseline.changedTokens]);
    const tb = file('src/billing.py', BILLING);
    const ts = file('src/shipping.py', SHIPPING);
    expect(bl).toEqual([
      // ledger.py (~4,000 tokens) is the only match and does not fit 2,000 tokens: an empty bundle
      [0, 1, 0, 1, 0, 0],
      // no file matches "tidy"
      [0, 1, 0, 1, 0, 0],
      // shipping.py is the only match, whole: both hunks, every token on the changed file
      [1, 1, 2, 2, ts, ts],
      // billing.py is the only match
      [1, 1, 1, 1, tb, tb],
    ]);
  });

  it('pools the figures over commits', () => {
    const tb = file('src/billing.py', BILLING);
    const ts = file('src/shipping.py', SHIPPING);
    const per = report.per_commit.map((c) => c.taskgraph);
    expect(report).toMatchObject({
      commits: 4,
      budget: 2000,
      // files: 1 + 0 + 1 + 1 of 4; hunks: 1 + 0 + 2 + 1 of 5
      file_recall: 3 / 4,
      hunk_recall: 4 / 5,
      precision: per.reduce((n, c) => n + c.changedTokens, 0) / per.reduce((n, c) => n + c.tokens, 0),
      baseline: {
        // files: 0 + 0 + 1 + 1 of 4; hunks: 0 + 0 + 2 + 1 of 5
        file_recall: 2 / 4,
        hunk_recall: 3 / 5,
        // every baseline token is on a changed file
        precision: 1,
        // bundles of 0, 0, ts and tb tokens: the median is (0 + the smaller) / 2
        median_tokens: Math.min(tb, ts) / 2,
      },
    });
    expect(report.precision).toBeGreaterThan(0);
    expect(report.precision).toBeLessThan(1);
    const sorted = per.map((c) => c.tokens).sort((a, b) => a - b);
    expect(report.median_tokens).toBe((sorted[1]! + sorted[2]!) / 2);
    expect(Math.max(...sorted)).toBeLessThanOrEqual(2000);
  });

  it('refuses a history with nothing to replay, and bad numbers', async () => {
    // a root commit, then a docs-only commit: nothing qualifies
    const docs = join(dir, 'docs-only');
    const g = (...args: string[]) => runGit(docs, ['-c', 'user.name=t', '-c', 'user.email=t@t.invalid', ...args]);
    await mkdir(docs);
    await g('init', '-q');
    await writeFile(join(docs, 'main.py'), 'x = 1\n');
    await writeFile(join(docs, 'README.md'), '# a\n');
    await g('add', '-A');
    await g('commit', '-q', '-m', 'root');
    await writeFile(join(docs, 'README.md'), '# b\n');
    await g('commit', '-q', '-am', 'docs');
    const base = { repoDir: docs, commits: 5, budget: 2000, family: 'cl100k_base' as const, config: ProjectConfigSchema.parse({}) };
    await expect(evaluateContext(base)).rejects.toMatchObject({ code: 'NOT_FOUND', message: expect.stringMatching(/no non-merge commit/) });
    // not a repository at all
    await expect(evaluateContext({ ...base, repoDir: dir })).rejects.toMatchObject({ code: 'NOT_FOUND', message: expect.stringMatching(/not a git repository with commits/) });
    await expect(evaluateContext({ ...base, commits: 0 })).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
    await expect(evaluateContext({ ...base, budget: 100 })).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
  });
});

describe('markedGenerated', () => {
  it('finds the paths .gitattributes marks linguist-generated or linguist-vendored', async () => {
    const repo = join(dir, 'attrs');
    await mkdir(repo);
    await runGit(repo, ['init', '-q']);
    await writeFile(join(repo, '.gitattributes'), 'gen/** linguist-generated\nthird_party/** linguist-vendored=true\nkeep.ts linguist-generated=false\n');
    const marked = await markedGenerated(repo, ['gen/api.ts', 'third_party/x.go', 'keep.ts', 'src/a.ts']);
    expect([...marked].sort()).toEqual(['gen/api.ts', 'third_party/x.go']);
  });
});
