import picomatch from 'picomatch';
import type { ProjectConfig } from '../../core/config.js';
import { TaskgraphError } from '../../core/errors.js';
import { TaskSchema, type Task } from '../../core/task.js';
import { runGit } from '../../workspace/git-run.js';
import { createScratchWorktree } from '../../workspace/scratch-worktree.js';
import { assembleContext } from '../assemble.js';
import { buildContextIndex } from '../context-index.js';
import { markedGenerated } from '../file-filter.js';
import { taskQuery } from '../search-text.js';
import type { TokenizerFamily } from '../tokenizer.js';
import { bm25WholeFiles } from './baseline.js';
import { measureBundle, type CommitCoverage } from './coverage.js';
import { listEvalCommits, type EvalCommit } from './history.js';

/**
 * `taskgraph context eval` (issue 9 item 9): context quality measured on the repository's own
 * history. For each of the newest N non-merge commits that change source files it checks out
 * the parent in a scratch worktree (`workspace/scratch-worktree.ts`), takes the commit message
 * as the task, builds the bundle with the real assembly (`assembleContext`) and the plain
 * BM25-over-whole-files baseline (`baseline.ts`) at the same budget, and compares both with the
 * files and hunks the commit changed (`coverage.ts`).
 */

/** The figures of one retrieval over all replayed commits. Ratios are in [0, 1], null when nothing was there to count. */
export interface EvalFigures {
  /** changed files found ÷ changed files (that existed at the parent), pooled over commits */
  file_recall: number | null;
  /** hunks held ÷ changed hunks, pooled over commits */
  hunk_recall: number | null;
  /** tokens spent on changed files ÷ bundle tokens, pooled over commits */
  precision: number | null;
  /** median of the bundles' token counts */
  median_tokens: number | null;
}

/** One replayed commit. */
export interface CommitEval {
  sha: string;
  /** first line of the message */
  subject: string;
  taskgraph: CommitCoverage;
  baseline: CommitCoverage;
}

/** The result, in the shape `--json` prints. */
export interface EvalReport extends EvalFigures {
  /** commits replayed */
  commits: number;
  /** token budget of both bundles */
  budget: number;
  baseline: EvalFigures;
  per_commit: CommitEval[];
}

/** Inputs of {@link evaluateContext}. */
export interface EvalOptions {
  /** a directory inside the repository */
  repoDir: string;
  /** commits to replay (≥ 1) */
  commits: number;
  /** tokens per bundle */
  budget: number;
  family: TokenizerFamily;
  /** the project facts the bundles show (tier 1) and its `docs` globs */
  config: ProjectConfig;
  /** `worktreeDir` of taskgraph.yaml, where the scratch worktrees go */
  worktreeDir?: string;
  /** called after each commit (for progress lines) */
  onCommit?: (done: number, total: number, commit: CommitEval) => void;
}

/** The synthetic task of a commit: title = the message's first line, description = the rest. */
export function commitTask(message: string): Task {
  const [first = '', ...rest] = message.split('\n');
  return TaskSchema.parse({ planId: 'context-eval', id: 'commit', title: first.trim() || '(no message)', description: rest.join('\n').trim() });
}

/** Replays one commit: both bundles at its parent, measured. */
async function replay(o: EvalOptions, commit: EvalCommit): Promise<CommitEval> {
  const scratch = await createScratchWorktree(o.repoDir, commit.parent, o.worktreeDir);
  try {
    const ws = scratch.workspace;
    const repoFiles = await ws.listFiles();
    const readFile = (p: string) => ws.readFile(p);
    const docMatch = o.config.docs.length > 0 ? picomatch(o.config.docs) : undefined;
    const docs: Array<{ path: string; text: string }> = [];
    for (const path of docMatch ? repoFiles.filter((f) => docMatch(f)) : []) docs.push({ path, text: await readFile(path) });
    const index = await buildContextIndex({ repoFiles, readFile, docs, marked: (paths) => markedGenerated(ws.dir, paths) });
    const task = commitTask(commit.message);
    const bundle = await assembleContext({
      config: o.config, task, requires: [], siblings: [], refers: [], files: [], repoFiles, readFile,
      earlierOutputs: [], docs, pins: [], excludes: [], budget: o.budget, family: o.family, index,
    });
    const base = bm25WholeFiles(index, taskQuery(task), o.budget, o.family);
    const textAt = (p: string) => index.files.get(p)?.text;
    return {
      sha: commit.sha,
      subject: task.title,
      taskgraph: measureBundle(bundle, commit.files, textAt),
      baseline: measureBundle(base, commit.files, textAt),
    };
  } finally {
    await scratch.dispose();
  }
}

const ratio = (num: number, den: number): number | null => (den > 0 ? num / den : null);

/** Median of numbers (mean of the middle two for an even count); null for none. */
export function median(xs: readonly number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Pools per-commit coverage into the figures. */
export function pool(rows: readonly CommitCoverage[]): EvalFigures {
  const sum = (k: keyof CommitCoverage) => rows.reduce((n, r) => n + r[k], 0);
  return {
    file_recall: ratio(sum('filesFound'), sum('files')),
    hunk_recall: ratio(sum('hunksFound'), sum('hunks')),
    precision: ratio(sum('changedTokens'), sum('tokens')),
    median_tokens: median(rows.map((r) => r.tokens)),
  };
}

/**
 * Replays the newest `commits` qualifying commits and measures both retrievals.
 * Scratch worktrees are removed after each commit, also on failure.
 * @returns the figures (fewer commits than asked when the history has fewer)
 * @throws TaskgraphError NOT_FOUND when the directory is no git repository with commits, or no commit qualifies; CONFIG_INVALID for a bad count or
 *   budget; GIT_ERROR when git fails
 */
export async function evaluateContext(o: EvalOptions): Promise<EvalReport> {
  if (!Number.isInteger(o.commits) || o.commits < 1) {
    throw new TaskgraphError('CONFIG_INVALID', `--commits must be a whole number ≥ 1, got ${String(o.commits)}`, { hint: 'pass e.g. --commits 20' });
  }
  if (!Number.isInteger(o.budget) || o.budget < 256) {
    throw new TaskgraphError('CONFIG_INVALID', `--budget must be a whole number of tokens ≥ 256, got ${String(o.budget)}`, { hint: 'pass e.g. --budget 24000, or leave it out for contextBudget of taskgraph.yaml' });
  }
  const head = await runGit(o.repoDir, ['rev-parse', '--verify', '--quiet', 'HEAD^{commit}'], { okCodes: [0, 1, 128] }).catch(() => undefined);
  if (!head || head.code !== 0) {
    throw new TaskgraphError('NOT_FOUND', `${o.repoDir} is not a git repository with commits`, {
      hint: 'run context eval inside a git repository that has history (git init, then commit)',
    });
  }
  const commits = await listEvalCommits(o.repoDir, o.commits);
  if (commits.length === 0) {
    throw new TaskgraphError('NOT_FOUND', `no non-merge commit in ${o.repoDir} changes a source file that existed at its parent`, {
      hint: 'context eval replays commits that modify existing source files; commit some changes first (docs, lock files and new files are not counted)',
    });
  }
  const per: CommitEval[] = [];
  for (const c of commits) {
    const r = await replay(o, c);
    per.push(r);
    o.onCommit?.(per.length, commits.length, r);
  }
  return {
    commits: per.length,
    budget: o.budget,
    ...pool(per.map((r) => r.taskgraph)),
    baseline: pool(per.map((r) => r.baseline)),
    per_commit: per,
  };
}
