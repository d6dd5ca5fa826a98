import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cliJson, describeResult, runCli } from '../support/cli.js';
import { git } from '../support/project.js';
import { calc, planJson, udiff } from '../support/scripted-model.js';
import { branchSubjects, type ParallelSummary, taskRows, useParallelProject } from '../support/parallel-project.js';

/**
 * Issue 11: "An approval pending in one branch of the DAG does not hold up unrelated branches.
 * This includes tasks running in parallel worktrees." With `--task-concurrency 2`, T1 (first in
 * topological order) edits a protected path (`.github/**`), so its `apply` suspends for a
 * person's approval; T2 and T3 (which depends on T2 only) must finish AND be integrated onto the
 * run branch while T1 waits (`ParallelTasks.integrateReady` goes past a task waiting for a
 * person). Approved from the CLI, T1 is then replayed onto the moved tip, T4 (which needs T1 and
 * T3) starts from T1's integrated commit (the latest of its dependencies', though T3 comes later
 * in topological order), and the run succeeds.
 * Real git, the real CLI, a scripted model behind the loopback fake server.
 */

const GOAL = 'Add a CI workflow, announce divide, add notes.';
const CI = '.github/workflows/ci.yml';
const CI_YAML = 'name: ci\non: [push]\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - run: npm test\n';
const readmeDivide = (readme: string) => readme.replace('- `subtract(a, b)`: `a` minus `b`.\n', '- `subtract(a, b)`: `a` minus `b`.\n- `divide(a, b)`: `a` divided by `b` (planned).\n');
const NOTES = '# Notes\n\nThe calculator adds and subtracts; divide is planned.\n';
const NOTES_CI = `${NOTES}\nCI (${CI}) runs the tests on every push.\n`;

describe('parallel tasks: an approval pending in one task does not hold up the others', () => {
  const p = useParallelProject(
    {
      planner: planJson([
        { id: 'T1', title: 'Add a CI workflow', description: 'Add a GitHub Actions workflow running npm test.', files: [CI] },
        { id: 'T2', title: 'Mention divide in the README', description: 'Add a README line announcing divide.', files: ['README.md'] },
        { id: 'T3', title: 'Add notes', description: 'Add NOTES.md.', files: ['NOTES.md'], dependencies: ['T2'] },
        { id: 'T4', title: 'Mention CI in the notes', description: 'Say in NOTES.md that CI runs the tests.', files: ['NOTES.md'], dependencies: ['T1', 'T3'] },
      ]),
      coder: {
        T1: udiff([[CI, null, CI_YAML]]),
        T2: udiff([['README.md', calc.readme, readmeDivide(calc.readme)]]),
        T3: udiff([['NOTES.md', null, NOTES]]),
        T4: udiff([['NOTES.md', NOTES, NOTES_CI]]),
      },
    },
    () => 200,
  );

  it('integrates T2 and T3 while T1 waits; approved, T1 is replayed onto the moved tip and the run succeeds', async () => {
    const { dir } = p.project;
    const r = await runCli(['-C', dir, 'do', GOAL, '--task-concurrency', '2', '--json'], { timeoutMs: 120_000 });
    expect(r.code, describeResult(r)).toBe(3);
    const suspended = JSON.parse(r.stdout) as ParallelSummary;
    expect(suspended.status).toBe('suspended');
    const { runId, branch } = suspended;

    // while T1 waits: T2 and T3 ran, passed and stand on the run branch, one commit each
    const waiting = taskRows(dir, runId);
    expect(await branchSubjects(dir, branch)).toEqual(['feat(T2): mention divide in the README', 'feat(T3): add notes']);
    expect(waiting.get('T2')!.integrated_commit).toBe(await git(dir, 'rev-parse', `${branch}~1`));
    expect(waiting.get('T3')!.integrated_commit).toBe(await git(dir, 'rev-parse', branch));
    // T3 started from T2's integrated commit: it did not wait for T1
    expect(waiting.get('T3')!.start_commit).toBe(waiting.get('T2')!.integrated_commit);
    for (const t of ['T2', 'T3']) expect(existsSync(waiting.get(t)!.worktree!), `${t}'s worktree`).toBe(false);
    const t1 = waiting.get('T1')!;
    expect(t1.status).toBe('running');
    expect(t1.integrated_commit).toBeNull();
    expect(existsSync(t1.worktree!)).toBe(true);
    expect(await git(dir, 'show', `${branch}:${CI}`).catch(() => 'absent')).toBe('absent');
    const pending = await cliJson(dir, ['approvals', '--run', runId, '--json']);
    expect(pending.map((a: { nodeId: string }) => a.nodeId)).toEqual(['T1/apply']);
    const before = await cliJson(dir, ['status', runId, '--json']);
    expect(before.run.status).toBe('suspended');
    const nodes = (s: { nodes: Array<{ nodeId: string; status: string }> }) => Object.fromEntries(s.nodes.map((n) => [n.nodeId, n.status]));
    expect(nodes(before)).toMatchObject({ 'T1/apply': 'suspended', 'T1/commit': 'pending', 'T2/commit': 'succeeded', 'T3/commit': 'succeeded', 'T4/commit': 'pending' });
    expect(p.model.coderRequests('T4')).toHaveLength(0);

    const ok = await runCli(['-C', dir, 'approve', runId, 'T1/apply', '--by', 'alice', '--json'], { timeoutMs: 120_000 });
    expect(ok.code, describeResult(ok)).toBe(0);
    const summary = JSON.parse(ok.stdout) as ParallelSummary;
    expect(summary).toMatchObject({ runId, status: 'succeeded' });

    // T1 is replayed onto T3: the run branch keeps T2 and T3 as they were, then T1, then T4
    const rows = taskRows(dir, runId);
    expect(await branchSubjects(dir, branch)).toEqual(['feat(T2): mention divide in the README', 'feat(T3): add notes', 'feat(T1): add a CI workflow', 'feat(T4): mention CI in the notes']);
    expect(rows.get('T3')!.integrated_commit).toBe(waiting.get('T3')!.integrated_commit);
    expect(rows.get('T1')!.integrated_commit).toBe(await git(dir, 'rev-parse', `${branch}~1`));
    expect(await git(dir, 'rev-parse', `${branch}~2`)).toBe(waiting.get('T3')!.integrated_commit);
    // T4 started from the commit holding both its dependencies: T1's, integrated after T3's
    expect(rows.get('T4')!.start_commit).toBe(rows.get('T1')!.integrated_commit);
    expect(rows.get('T4')!.integrated_commit).toBe(await git(dir, 'rev-parse', branch));
    expect(await git(dir, 'show', `${branch}:${CI}`)).toBe(CI_YAML.trimEnd());
    expect(await readFile(join(summary.worktree, 'README.md'), 'utf8')).toBe(readmeDivide(calc.readme));
    expect(await readFile(join(summary.worktree, 'NOTES.md'), 'utf8')).toBe(NOTES_CI);
    expect(await git(summary.worktree, 'status', '--porcelain')).toBe('');
    for (const t of ['T1', 'T2', 'T3', 'T4']) {
      expect(rows.get(t)!.status, t).toBe('done');
      expect(existsSync(rows.get(t)!.worktree!), `${t}'s worktree`).toBe(false);
      expect(p.model.coderRequests(t), t).toHaveLength(1);
    }
    expect(await git(dir, 'branch', '--list', `taskgraph/${runId}-tasks/*`)).toBe('');
    const after = await cliJson(dir, ['status', runId, '--json']);
    expect(after.run.status).toBe('succeeded');
    expect(await cliJson(dir, ['approvals', '--run', runId, '--json'])).toEqual([]);
  });
});
