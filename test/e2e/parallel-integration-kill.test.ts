import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { cliJson, describeResult, runCli } from '../support/cli.js';
import { git } from '../support/project.js';
import { readAttemptResults } from '../support/attempt-outputs.js';
import { calc, planJson, udiff } from '../support/scripted-model.js';
import { type ParallelSummary, runParallelDo, taskRows, useParallelProject } from '../support/parallel-project.js';
import { queryStore, readAttempts } from '../support/store-db.js';

/**
 * Issue 10, durability of an integration (`ParallelTasks.commit`): a batch's integrated commits
 * and the run worktree's new state are written to the store, THEN the run branch moves (`git
 * reset --hard`), THEN the tasks' worktrees go. A kill between the write and the move leaves the
 * store saying "integrated" while the run branch stands before it; `resume` finishes the move
 * (`ParallelTasks.init` → `finishMove`) before anything else.
 *
 * That window is a few milliseconds wide and cannot be hit by a kill from outside, so the test
 * builds the state such a kill leaves, from a real run: a parallel run with T2 depending on T1
 * (so T2 is integrated on its own, after T1) runs to completion; then the run worktree is put
 * back to T1's integrated commit, the run's recorded workspace to that commit's snapshot (the
 * write of the run's workspace comes after the tasks' integrated commits), T2's worktree and
 * branch are back (their removal comes after the move), and the run is left as a kill leaves it:
 * status `running`, its last session open, its lease held by a process that no longer exists.
 * A second case does the same where the last task integrated is not the last in topological
 * order (it waited for an approval, and was integrated after the tasks behind it).
 */

const GOAL = 'Add multiply and document it.';

/** The pid of a process that has exited (a `kill -9`ed taskgraph's, as far as the lease can tell). */
function deadPid(): number {
  const child = spawnSync('true');
  expect(child.status).toBe(0);
  return child.pid;
}

/**
 * Writes into the project's store what a `kill -9` of the session leaves: the run `running` with
 * `workspace` as its recorded worktree state, its last session without an end, and its lease
 * held by a dead process on this host (taken over at once by `resume`).
 */
function leaveAsKilled(dir: string, runId: string, workspace: { head: string; tree: string }): void {
  const db = new Database(join(dir, '.taskgraph', 'taskgraph.db'), { fileMustExist: true });
  try {
    const now = new Date().toISOString();
    db.transaction(() => {
      db.prepare("UPDATE runs SET status = 'running', reason = NULL, workspace = ?, updated_at = ? WHERE id = ?").run(JSON.stringify(workspace), now, runId);
      db.prepare('UPDATE run_sessions SET ended_at = NULL, outcome = NULL, reason = NULL WHERE run_id = ? AND number = (SELECT max(number) FROM run_sessions WHERE run_id = ?)').run(
        runId,
        runId,
      );
      db.prepare('INSERT OR REPLACE INTO run_leases (run_id, token, pid, host, acquired_at, heartbeat_at) VALUES (?, ?, ?, ?, ?, ?)').run(
        runId,
        randomBytes(16).toString('hex'),
        deadPid(),
        hostname(),
        now,
        now,
      );
    })();
  } finally {
    db.close();
  }
}

describe('parallel tasks: a kill between recording an integration and moving the run branch', () => {
  const p = useParallelProject(
    {
      planner: planJson([
        { id: 'T1', title: 'Add multiply', description: 'Add multiply(a, b) to src/calc.js with a check.', files: ['src/calc.js', 'test/multiply.test.mjs'] },
        { id: 'T2', title: 'Document multiply in the README', files: ['README.md'], dependencies: ['T1'] },
      ]),
      coder: {
        T1: udiff([
          ['src/calc.js', calc.src, calc.withMultiply('a * b')],
          ['test/multiply.test.mjs', null, calc.multiplyTest],
        ]),
        T2: udiff([['README.md', calc.readme, calc.readmeWithMultiply()]]),
      },
    },
    () => 100,
  );

  it('resume moves the run branch to the recorded integrated commit, repeats no model request and leaves no task worktree', async () => {
    const { dir } = p.project;
    const summary: ParallelSummary = await runParallelDo(dir, GOAL, 2);
    const { runId, branch, worktree } = summary;
    const done = taskRows(dir, runId);
    const t1 = done.get('T1')!.integrated_commit!;
    const t2 = done.get('T2')!.integrated_commit!;
    expect(await git(dir, 'rev-parse', branch)).toBe(t2);
    expect(await git(dir, 'rev-parse', `${branch}~1`)).toBe(t1);
    const t2Commit = JSON.parse(readAttemptResults(dir, runId).find((a) => a.node_id === 'T2/commit' && a.status === 'succeeded')!.output!).commit as string;

    // the state a kill right after T2's integrated commit was written leaves
    const t2Task = done.get('T2')!;
    await git(worktree, 'reset', '-q', '--hard', t1);
    await git(dir, 'worktree', 'add', '-q', '-b', t2Task.branch!, t2Task.worktree!, t2Commit);
    leaveAsKilled(dir, runId, { head: t1, tree: await git(dir, 'rev-parse', `${t1}^{tree}`) });
    expect(await git(dir, 'rev-parse', branch)).toBe(t1);
    expect((await cliJson(dir, ['status', runId, '--json'])).run.status).toBe('interrupted');
    const requests = p.model.requests.length;
    const attempts = readAttempts(dir, runId);

    const r = await runCli(['-C', dir, 'resume', runId, '--json'], { timeoutMs: 120_000 });
    expect(r.code, describeResult(r)).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ runId, status: 'succeeded' });

    // the run branch and worktree stand at T2's recorded integrated commit, recorded as such
    expect(await git(dir, 'rev-parse', branch)).toBe(t2);
    expect(await git(worktree, 'status', '--porcelain')).toBe('');
    expect(await readFile(join(worktree, 'README.md'), 'utf8')).toBe(calc.readmeWithMultiply());
    expect(await readFile(join(worktree, 'src', 'calc.js'), 'utf8')).toBe(calc.withMultiply('a * b'));
    const recorded = JSON.parse(queryStore<{ workspace: string }>(dir, 'SELECT workspace FROM runs WHERE id = ?', runId)[0]!.workspace) as { head: string };
    expect(recorded.head).toBe(t2);
    const after = taskRows(dir, runId);
    for (const t of ['T1', 'T2']) expect(after.get(t)!.integrated_commit, t).toBe(done.get(t)!.integrated_commit);
    // nothing ran again: no model request, no new attempt
    expect(p.model.requests.length).toBe(requests);
    expect(readAttempts(dir, runId)).toEqual(attempts);
    // no task worktree nor task branch is left
    for (const row of after.values()) expect(existsSync(row.worktree!), row.task_id).toBe(false);
    expect(await git(dir, 'branch', '--list', `taskgraph/${runId}-tasks/*`)).toBe('');
    expect(await git(dir, 'worktree', 'list')).not.toContain(`${runId}-tasks`);
    expect((await cliJson(dir, ['status', runId, '--json'])).run.status).toBe('succeeded');
  });
});

const CI = '.github/workflows/ci.yml';
const CI_YAML = 'name: ci\non: [push]\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - run: npm test\n';

describe('parallel tasks: the same kill after a task that waited for an approval was integrated last', () => {
  const p = useParallelProject(
    {
      planner: planJson([
        { id: 'T1', title: 'Add a CI workflow', description: 'Add a GitHub Actions workflow running npm test.', files: [CI] },
        { id: 'T2', title: 'Document multiply in the README', files: ['README.md'] },
      ]),
      coder: { T1: udiff([[CI, null, CI_YAML]]), T2: udiff([['README.md', calc.readme, calc.readmeWithMultiply()]]) },
    },
    () => 100,
  );

  it('resume moves the run branch to the integrated commit of the task integrated last, not the last in topological order', async () => {
    const { dir } = p.project;
    // T1's edit touches .github/: it waits for an approval while T2 is integrated; approved, T1 goes on top
    const first = await runCli(['-C', dir, 'do', 'Add CI and document multiply.', '--task-concurrency', '2', '--json'], { timeoutMs: 120_000 });
    expect(first.code, describeResult(first)).toBe(3);
    const { runId, branch, worktree } = JSON.parse(first.stdout) as ParallelSummary;
    const ok = await runCli(['-C', dir, 'approve', runId, 'T1/apply', '--json'], { timeoutMs: 120_000 });
    expect(ok.code, describeResult(ok)).toBe(0);
    const done = taskRows(dir, runId);
    const t1 = done.get('T1')!.integrated_commit!;
    const t2 = done.get('T2')!.integrated_commit!;
    expect(await git(dir, 'rev-parse', branch)).toBe(t1);
    expect(await git(dir, 'rev-parse', `${branch}~1`)).toBe(t2);
    const t1Commit = JSON.parse(readAttemptResults(dir, runId).find((a) => a.node_id === 'T1/commit' && a.status === 'succeeded')!.output!).commit as string;

    // the state a kill right after T1's integrated commit was written leaves
    const t1Task = done.get('T1')!;
    await git(worktree, 'reset', '-q', '--hard', t2);
    await git(dir, 'worktree', 'add', '-q', '-b', t1Task.branch!, t1Task.worktree!, t1Commit);
    leaveAsKilled(dir, runId, { head: t2, tree: await git(dir, 'rev-parse', `${t2}^{tree}`) });
    const requests = p.model.requests.length;
    const attempts = readAttempts(dir, runId);

    const r = await runCli(['-C', dir, 'resume', runId, '--json'], { timeoutMs: 120_000 });
    expect(r.code, describeResult(r)).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ runId, status: 'succeeded' });
    expect(await git(dir, 'rev-parse', branch)).toBe(t1);
    expect(await git(worktree, 'status', '--porcelain')).toBe('');
    expect(await readFile(join(worktree, CI), 'utf8')).toBe(CI_YAML);
    expect(await readFile(join(worktree, 'README.md'), 'utf8')).toBe(calc.readmeWithMultiply());
    expect(p.model.requests.length).toBe(requests);
    expect(readAttempts(dir, runId)).toEqual(attempts);
    for (const row of taskRows(dir, runId).values()) expect(existsSync(row.worktree!), row.task_id).toBe(false);
    expect(await git(dir, 'branch', '--list', `taskgraph/${runId}-tasks/*`)).toBe('');
  });
});
