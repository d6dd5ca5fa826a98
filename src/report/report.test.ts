import { mkdtempSync, rmSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { TaskgraphError } from '../core/errors.js';
import { resetSecretRedactor } from '../security/redact.js';
import { GraphSpecSchema } from '../core/graph.js';
import { keyIngredients } from '../core/hash.js';
import { TaskSchema } from '../core/task.js';
import { SqliteStore } from '../store/sqlite-store.js';
import type { RunRecord, Usage } from '../store/store.js';
import { buildRunReport, renderRunReport, writeRunReport } from './report.js';
import { summarizeRun } from './run-summary.js';
import { rejectionOf } from '../../test/support/expect-error.js';
import { createTempDir, git } from '../../test/support/project.js';

const T0 = '2025-03-01T10:00:00.000Z';
const T1 = '2025-03-01T10:02:05.000Z';
const SECRET = 'sk-test-0123456789abcdef';
/** the run's worktree: an existing directory (a missing one is reported as removed) */
const WORKTREE = mkdtempSync(join(tmpdir(), 'taskgraph-report-wt-'));
afterAll(() => rmSync(WORKTREE, { recursive: true, force: true }));

let store: SqliteStore;

function usage(inputTokens: number, outputTokens: number, costUsd: number, calls = 1): Usage {
  return { inputTokens, outputTokens, costUsd, calls, model: 'openai:gpt-4.1' };
}

function task(id: string, title: string, extra: Record<string, unknown> = {}) {
  return TaskSchema.parse({ planId: 'P1', id, title, ...extra });
}

const graph = GraphSpecSchema.parse({
  id: 'R1',
  nodes: [
    { id: 'auth.1/edit', kind: 'llm', task: 'auth.1' },
    { id: 'auth.1/verify', kind: 'verify', task: 'auth.1', needs: ['auth.1/edit'] },
    { id: 'auth.2/edit', kind: 'llm', task: 'auth.2', needs: ['auth.1/verify'] },
    { id: 'final', kind: 'command', needs: ['auth.2/edit'] },
  ],
});

function runRecord(patch: Partial<RunRecord> = {}): RunRecord {
  return {
    id: 'R1',
    status: 'running',
    graph,
    command: 'do',
    options: { goal: 'Add a login page' },
    planId: 'P1',
    projectDir: '/home/me/shop',
    worktree: WORKTREE,
    branch: 'taskgraph/R1',
    baseCommit: 'a'.repeat(40),
    createdAt: T0,
    updatedAt: T0,
    ...patch,
  };
}

/** One attempt through the real store: start, then finish. */
async function attempt(nodeId: string, number: number, status: 'succeeded' | 'failed', u: Usage, durationMs: number, task?: string) {
  const ingredients = keyIngredients('llm', 1, {}, { n: number }, {});
  const started = await store.startAttempt({
    runId: 'R1',
    nodeId,
    number,
    cacheKey: `key-${nodeId}-${number}`,
    ingredients,
    usage: usage(0, 0, 0, 0),
    startedAt: T0,
  });
  await store.finishAttempt({
    seq: started.seq,
    status,
    usage: u,
    finishedAt: T1,
    durationMs,
    ...(status === 'failed'
      ? { error: { code: 'VERIFY_FAILED', message: 'npm test exited with 1 | 2 tests failed\nmore', retryable: false, details: {} } }
      : { output: 'ok', outputHash: 'h' }),
    node: { runId: 'R1', nodeId, status, attempts: number, ...(task ? { task } : {}) },
  });
}

async function seed(runPatch: Partial<RunRecord> = {}): Promise<void> {
  await store.savePlan({
    id: 'P1',
    goal: 'Add a login page',
    createdAt: T0,
    meta: {},
    tasks: [
      task('auth', 'Authentication', { atomic: false }),
      task('auth.1', 'Login form', { parent: 'auth', depth: 1 }),
      task('auth.2', 'Session cookie', { parent: 'auth', depth: 1, dependencies: ['auth.1'] }),
    ],
  });
  await store.createRun(runRecord(runPatch));

  await attempt('auth.1/edit', 1, 'succeeded', usage(1000, 200, 0.0123), 1500, 'auth.1');
  await store.recordCacheHit(
    {
      runId: 'R1',
      nodeId: 'auth.1/verify',
      number: 1,
      status: 'cached',
      cacheKey: 'key-verify',
      ingredients: keyIngredients('verify', 1, {}, {}, {}),
      usage: usage(0, 0, 0, 0),
      startedAt: T0,
      finishedAt: T0,
      durationMs: 2,
    },
    { runId: 'R1', nodeId: 'auth.1/verify', status: 'cached', attempts: 1, task: 'auth.1' },
  );
  await store.putRunTask({ runId: 'R1', taskId: 'auth.1', attempt: 1, status: 'done', startCommit: 'b'.repeat(40) });

  await attempt('auth.2/edit', 1, 'failed', usage(3000, 400, 0.05), 2500, 'auth.2');
  await store.appendTaskNote(
    'P1',
    'auth.2',
    `Attempt 1 failed at auth.2/verify (VERIFY_FAILED): tests failed\nCommand: npm test\nExit code: 1\nOutput:\n\`\`\`\nAuthorization: Bearer ${SECRET}\nexpected cookie "sid"\n\`\`\``,
  );
  await attempt('auth.2/edit', 2, 'failed', usage(3100, 450, 0.0511), 2600, 'auth.2');
  await store.appendTaskNote('P1', 'auth.2', 'Attempt 2 failed at auth.2/verify (VERIFY_FAILED): cookie missing\n```\nunterminated output');
  await store.putRunTask({ runId: 'R1', taskId: 'auth.2', attempt: 2, status: 'failed' });
  await store.putRunNodes([{ runId: 'R1', nodeId: 'final', status: 'skipped', attempts: 0 }]);
  await store.updateRun('R1', { status: 'failed', reason: 'task auth.2 failed after 2 attempts', updatedAt: T1, ...runPatch });
}

/** The cells of the table row whose first cell is `first`. */
function row(report: string, first: string): string[] {
  const line = report.split('\n').find((l) => l.startsWith(`| ${first} |`));
  if (!line) throw new Error(`no row ${first} in\n${report}`);
  return line.slice(2, -2).split(' | ');
}

beforeEach(async () => {
  store = SqliteStore.open(':memory:');
  await store.migrate();
});
afterEach(async () => {
  vi.unstubAllEnvs();
  await store.close();
});

describe('buildRunReport', () => {
  it('shows the run overview, tasks, notes, nodes, totals, commits and merge instructions', async () => {
    await seed();
    const report = await buildRunReport(store, 'R1');

    expect(report.startsWith('# taskgraph run R1\n')).toBe(true);
    expect(row(report, 'status')).toEqual(['status', '**failed**']);
    expect(row(report, 'reason')).toEqual(['reason', 'task auth.2 failed after 2 attempts']);
    expect(report).toContain('## Goal\n\n> Add a login page\n');
    expect(row(report, 'branch')).toEqual(['branch', 'taskgraph/R1']);
    expect(row(report, 'started')).toEqual(['started', T0]);
    expect(row(report, 'finished')).toEqual(['finished', T1]);
    expect(row(report, 'wall time')).toEqual(['wall time', '2m 05s']);

    // tasks: leaves only (the non-atomic parent is not executed)
    expect(report).not.toContain('| auth | Authentication');
    expect(row(report, 'auth.1')).toEqual(['auth.1', 'Login form', 'done', '1', '1200', '0.0123']);
    expect(row(report, 'auth.2')).toEqual(['auth.2', 'Session cookie', 'failed', '2', String(3000 + 400 + 3100 + 450), '0.1011']);

    // notes, with the open fence of the second note closed and the bearer token redacted
    expect(report).toContain('#### auth.2 — Session cookie (failed)');
    expect(report).toContain('Exit code: 1');
    expect(report).toContain('expected cookie "sid"');
    expect(report).toContain('unterminated output\n```\n');
    expect(report).not.toContain(SECRET);
    expect(report).toContain('Authorization: Bearer [redacted]');

    // nodes
    expect(row(report, 'auth.1/edit')).toEqual(['auth.1/edit', 'llm', 'auth.1', 'succeeded', '1', '0', '1000', '200', '0.0123', '1500']);
    expect(row(report, 'auth.1/verify')).toEqual(['auth.1/verify', 'verify', 'auth.1', 'cached', '1', '1', '0', '0', '0.0000', '2']);
    expect(row(report, 'auth.2/edit')).toEqual(['auth.2/edit', 'llm', 'auth.2', 'failed', '2', '0', '6100', '850', '0.1011', '5100']);
    expect(row(report, 'final')).toEqual(['final', 'command', '—', 'skipped', '0', '0', '0', '0', '0.0000', '0']);
    expect(report).toContain('- `auth.2/edit`: VERIFY_FAILED — npm test exited with 1 | 2 tests failed');

    // totals
    expect(report).toContain('- tokens: 8150 (7100 in, 1050 out)');
    expect(report).toContain('- cost: 0.1134 USD');
    expect(report).toContain('- model calls: 3');
    expect(report).toContain('- node attempts: 4 (3 executed, 1 cache hits)');

    // commits come from git: this run's project directory does not exist, and the report says so
    expect(report).toContain('The commits on `taskgraph/R1` cannot be listed');
    // merging
    expect(report).toContain('git merge --ff-only taskgraph/R1');
    expect(report).toContain('git merge taskgraph/R1 ');
    expect(report).toContain('cd /home/me/shop\n');
    expect(row(report, 'worktree')).toEqual(['worktree', WORKTREE]);
    expect(report).toContain(`git worktree remove ${WORKTREE}`);
    expect(report).toContain('review the branch before merging');
  });

  it('redacts secret values taken from the environment', async () => {
    vi.stubEnv('MY_SERVICE_API_KEY', 'zz-secret-value-42');
    resetSecretRedactor(); // the process-wide redactor read process.env before the stub
    try {
      await seed({ reason: 'failed with key zz-secret-value-42' });
      // the store already redacted the reason on its way in; the report redacts again
      expect((await store.getRun('R1'))?.reason).toBe('failed with key [redacted]');
      const report = await buildRunReport(store, 'R1');
      expect(report).not.toContain('zz-secret-value-42');
      expect(report).toContain('failed with key [redacted]');
    } finally {
      vi.unstubAllEnvs();
      resetSecretRedactor();
    }
  });

  it('tells a suspended run to resume, and a run without branch that there is nothing to merge', async () => {
    await seed({ status: 'suspended', reason: 'approval needed for migrations/' });
    const suspended = await buildRunReport(store, 'R1');
    expect(suspended).toContain('`taskgraph resume R1`');
    expect(row(suspended, 'wall time')).toEqual(['wall time', '2m 05s so far']);
    expect(row(suspended, 'finished')[1]).toContain('suspended');

    await store.createRun(runRecord({ id: 'R2', planId: undefined, branch: undefined, worktree: undefined, options: {} }));
    const plain = await buildRunReport(store, 'R2');
    expect(plain).toContain('nothing to merge');
    expect(plain).toContain('No commits.');
    expect(row(plain, 'auth.1/edit')).toEqual(['auth.1/edit', 'llm', 'auth.1', 'pending', '0', '0', '0', '0', '0.0000', '0']);
  });

  it('says when the stored worktree was removed, the branch deleted, or the branch is an earlier run\'s (fully cached)', async () => {
    await seed({ status: 'succeeded', reason: undefined, worktree: '/gone/r-1', branch: 'taskgraph/R0' });
    const summary = await summarizeRun(store, 'R1');
    const removed = renderRunReport(summary, { commits: [] }, undefined, { branchExists: true, worktreeExists: false, reused: { runId: 'R0', branch: 'taskgraph/R0' } });
    expect(row(removed, 'worktree')).toEqual(['worktree', '/gone/r-1 (removed)']);
    expect(row(removed, 'branch')).toEqual(['branch', "taskgraph/R0 (run R0's: this run was fully cached)"]);
    expect(removed).toContain('the branch of run `R0` already holds this result');
    expect(removed).not.toContain('git worktree remove');
    expect(removed).toContain('taskgraph clean --branches');
    const deleted = renderRunReport(summary, { commits: [], unavailable: 'unknown revision' }, undefined, { branchExists: false, worktreeExists: false });
    expect(row(deleted, 'branch')).toEqual(['branch', 'taskgraph/R0 (deleted)']);
    expect(deleted).toContain('The branch `taskgraph/R0` no longer exists');
    expect(deleted).not.toContain('git merge');
  });

  it('rejects an unknown run with NOT_FOUND', async () => {
    const error = await rejectionOf(buildRunReport(store, 'nope'));
    expect(error).toBeInstanceOf(TaskgraphError);
    expect(error.code).toBe('NOT_FOUND');
  });
});

describe('buildRunReport: rebuilt from the store and the branch', () => {
  it('lists the commits of `git log base..branch` in the project directory, oldest first', async () => {
    const repo = await createTempDir('tg-report-git-');
    try {
      await git(repo.dir, 'init', '-q', '-b', 'main');
      await git(repo.dir, 'commit', '-q', '--allow-empty', '-m', 'base');
      const base = await git(repo.dir, 'rev-parse', 'HEAD');
      await git(repo.dir, 'switch', '-q', '-c', 'taskgraph/R9');
      await git(repo.dir, 'commit', '-q', '--allow-empty', '-m', 'feat(T1): add multiply', '-m', 'body text');
      await git(repo.dir, 'commit', '-q', '--allow-empty', '-m', 'feat(T2): document it');
      await git(repo.dir, 'switch', '-q', 'main');
      await git(repo.dir, 'commit', '-q', '--allow-empty', '-m', 'later work on main (not the run)');
      await store.createRun(runRecord({ id: 'R9', projectDir: repo.dir, branch: 'taskgraph/R9', baseCommit: base, status: 'succeeded' }));
      const report = await buildRunReport(store, 'R9');
      const log = (await git(repo.dir, 'log', '--reverse', '--format=%h %s', `${base}..taskgraph/R9`)).split('\n');
      expect(log).toHaveLength(2);
      const listed = [...report.matchAll(/^- `([0-9a-f]{12})` (.*)$/gm)].map((m) => [m[1], m[2]]);
      expect(listed.map(([, subject]) => subject)).toEqual(['feat(T1): add multiply', 'feat(T2): document it']);
      for (const [i, [sha]] of listed.entries()) expect(log[i]!.startsWith(sha!.slice(0, 7))).toBe(true);
      expect(report).not.toContain('No commits.');
      expect(report).not.toContain('later work on main');
    } finally {
      await repo.cleanup();
    }
  });

  it('shows the goal as written, in its own section (headings and lines kept, quoted)', async () => {
    const goal = '# Login\n\nAdd a login page.\n\n- email | password\n- remember me\n\n```\nPOST /login';
    await store.createRun(runRecord({ id: 'R5', options: { goal }, branch: undefined, baseCommit: undefined }));
    const report = await buildRunReport(store, 'R5');
    expect(report).toContain('## Goal\n\n> # Login\n>\n> Add a login page.\n>\n> - email | password\n> - remember me\n>\n> ```\n> POST /login\n> ```\n');
    expect(report).not.toMatch(/^\| goal \|/m);
  });

  it('shows a running run whose process is gone as interrupted, with a timeline of its sessions (killed ones derived)', async () => {
    await store.createRun(runRecord({ id: 'R7', branch: 'taskgraph/R7', baseCommit: undefined }));
    const at = (m: number) => new Date(Date.parse(T0) + m * 60_000).toISOString();
    await store.startRunSession({ runId: 'R7', command: 'do', pid: 101, host: 'box', startedAt: at(0) }); // killed: never ended
    await store.startRunSession({ runId: 'R7', command: 'resume', pid: 102, host: 'box', startedAt: at(1) });
    await store.endRunSession('R7', 2, { endedAt: at(2), outcome: 'interrupted', reason: 'stopped by SIGTERM' });
    await store.startRunSession({ runId: 'R7', command: 'resume', pid: 103, host: 'box', startedAt: at(3) });
    await store.endRunSession('R7', 3, { endedAt: at(4), outcome: 'suspended', reason: 'waiting for review' });
    await store.startRunSession({ runId: 'R7', command: 'approve', pid: 104, host: 'box', startedAt: at(5) }); // killed too: no lease
    const report = await buildRunReport(store, 'R7');
    expect(row(report, 'status')).toEqual(['status', '**interrupted**']);
    expect(row(report, 'reason')[1]).toContain('without recording an end');
    expect(row(report, '1')).toEqual(['1', at(0), 'started (do)', 'pid 101 on box', '—', 'killed (no end recorded; its process is gone)']);
    expect(row(report, '2')).toEqual(['2', at(1), 'resumed (resume)', 'pid 102 on box', at(2), 'interrupted — stopped by SIGTERM']);
    expect(row(report, '3')).toEqual(['3', at(3), 'resumed (resume)', 'pid 103 on box', at(4), 'suspended — waiting for review']);
    expect(row(report, '4')[5]).toBe('killed (no end recorded; its process is gone)');
    expect(report).toContain('continue it with `taskgraph resume R7` before merging');

    // the same run while a live process holds its lease: running, and its open session is running
    await store.acquireRunLease({ runId: 'R7', token: 't', pid: process.pid, host: 'box', now: new Date().toISOString(), ttlMs: 30_000 });
    const live = await buildRunReport(store, 'R7', { lease: { host: 'box', isAlive: () => true } });
    expect(row(live, 'status')).toEqual(['status', '**running**']);
    expect(row(live, '4')[5]).toBe('running');
    expect(row(live, '1')[5]).toBe('killed (no end recorded; its process is gone)');
  });

  it('removes terminal escape sequences and control characters that model or repository text brought in', async () => {
    await seed();
    await store.appendTaskNote('P1', 'auth.2', 'output:\u001b[2J\u001b]0;owned\u0007 all tests passed\rfake');
    const report = await buildRunReport(store, 'R1');
    expect(report).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
    expect(report).toContain('output: all tests passed\\x0dfake');
  });
});

describe('writeRunReport', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tg-report-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes .taskgraph/reports/<run>.md and returns its path', async () => {
    await seed();
    const path = await writeRunReport(store, 'R1', dir);
    expect(path).toBe(join(dir, '.taskgraph', 'reports', 'R1.md'));
    expect(await readFile(path, 'utf8')).toBe(await buildRunReport(store, 'R1'));
  });
});
