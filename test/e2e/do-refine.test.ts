import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readAttemptResults } from '../support/attempt-outputs.js';
import { cliJson, describeResult, runCli } from '../support/cli.js';
import { git, readTree } from '../support/project.js';
import { calc, planJson, scriptedModel, udiff } from '../support/scripted-model.js';
import { useScriptedProject } from '../support/scripted-project.js';

const GOAL = 'Add multiply to the calculator and document it in the README.';
const PLAN = planJson([
  { id: 'T1', title: 'Add multiply', description: 'Add multiply(a, b) to src/calc.js.', files: ['src/calc.js'] },
  { id: 'T2', title: 'Document multiply in the README', files: ['README.md'], dependencies: ['T1'] },
]);
const FAILING_CHECK = 'FAIL multiply multiplies: expected -6, got 6';

describe('taskgraph do: plan, edit, verify, refine, commit', () => {
  const model = scriptedModel({
    planner: PLAN,
    coder: {
      // the first answer has a sign bug (test fails); the retry, which sees the note, is right
      T1: (req) => udiff([['src/calc.js', calc.src, calc.withMultiply(req.attempt === 1 ? 'Math.abs(a) * b' : 'a * b')]]),
      T2: udiff([['README.md', calc.readme, calc.readmeWithMultiply()]]),
    },
  });
  const scripted = useScriptedProject(model);

  it('retries a failed task with the failure note and commits one conventional commit per task on its own branch', async () => {
    const { dir } = scripted.project;
    const headBefore = await git(dir, 'rev-parse', 'HEAD');
    const branchBefore = await git(dir, 'rev-parse', '--abbrev-ref', 'HEAD');
    const filesBefore = await readTree(dir);

    const r = await runCli(['-C', dir, 'do', GOAL, '--json']);
    expect(r.code, describeResult(r)).toBe(0);
    const summary = JSON.parse(r.stdout);
    const runId: string = summary.runId;
    expect(summary.status).toBe('succeeded');
    expect(summary.branch).toBe(`taskgraph/${runId}`);
    expect(r.stderr).toContain('task T1: retry 2/3 with a failure note');

    // the coder was asked twice for T1; the second prompt carries the failing check
    const t1 = model.coderRequests('T1');
    expect(t1).toHaveLength(2);
    expect(t1[0]!.user).not.toContain('Notes from earlier attempts');
    expect(t1[1]!.user).toContain('Notes from earlier attempts');
    expect(t1[1]!.user).toContain(FAILING_CHECK);
    expect(t1[1]!.user).toContain('Attempt 1 failed at T1/verify (VERIFY_FAILED)');
    expect(model.coderRequests('T2')).toHaveLength(1);
    expect(model.coderRequests('T2')[0]!.user).not.toContain('Notes from earlier attempts');
    // the same on the wire: the fake server's raw request bodies
    const wire = scripted.server.requests.map((b) => JSON.stringify(b.messages));
    expect(wire.filter((m) => m.includes('Notes from earlier attempts') && m.includes(FAILING_CHECK))).toHaveLength(1);

    // one commit per task, conventional messages, on the run's branch only (the project index is
    // the root task's output in the store, not a commit: test/e2e/project-index.test.ts)
    const subjects = (await git(dir, 'log', '--reverse', '--format=%s', `main..${summary.branch}`)).split('\n');
    expect(subjects).toEqual(['feat(T1): add multiply', 'feat(T2): document multiply in the README']);
    expect(summary.commits.map((c: { message: string }) => c.message)).toEqual(subjects);
    const body = await git(dir, 'log', '-1', '--format=%B', `${summary.branch}~1`);
    expect(body).toContain('Taskgraph-Task: T1');
    expect(await git(dir, 'rev-parse', `${summary.branch}~2`)).toBe(headBefore);

    // the root task's project index: the project line, the module map and the goal with its tasks
    const index = JSON.parse(readAttemptResults(dir, runId).find((a) => a.node_id === 'index')!.output!).text as string;
    expect(index).toContain('**calculator**');
    expect(index).toMatch(/- `src\/calc\.js` — exports: add, subtract, multiply/);
    expect(index).toContain(`${GOAL.replace(/\.$/, '')}`);
    expect(index).toMatch(/- `p-[0-9a-f]+` .* — T1 Add multiply \(done\); T2 Document multiply in the README \(done\)/);

    // the worktree holds the fixed code and passes the tests
    const worktree: string = summary.worktree;
    expect(await readFile(join(worktree, 'src', 'calc.js'), 'utf8')).toBe(calc.withMultiply('a * b'));
    expect(await readFile(join(worktree, 'README.md'), 'utf8')).toBe(calc.readmeWithMultiply());
    expect(await git(worktree, 'status', '--porcelain')).toBe('');

    // the user's checkout is untouched
    expect(await git(dir, 'rev-parse', 'HEAD')).toBe(headBefore);
    expect(await git(dir, 'rev-parse', '--abbrev-ref', 'HEAD')).toBe(branchBefore);
    expect(await git(dir, 'status', '--porcelain')).toBe('');
    expect(await readTree(dir)).toEqual(filesBefore);

    // the report exists and carries the note
    const reportPath = join(dir, '.taskgraph', 'reports', `${runId}.md`);
    expect(summary.report).toBe(reportPath);
    expect(existsSync(reportPath)).toBe(true);
    const report = await readFile(reportPath, 'utf8');
    expect(report).toContain('**succeeded**');
    expect(report).toContain('Attempt 1 failed at T1/verify');
    expect(report).toContain(FAILING_CHECK);
    expect(report).toContain('feat(T1): add multiply');

    // status and runs agree
    const status = await cliJson(dir, ['status', runId, '--json']);
    expect(status.run.status).toBe('succeeded');
    expect(status.run.branch).toBe(summary.branch);
    const tasks = Object.fromEntries(status.tasks.map((t: { taskId: string }) => [t.taskId, t]));
    expect(tasks['T1']).toMatchObject({ status: 'done', attempt: 2 });
    expect(tasks['T2']).toMatchObject({ status: 'done', attempt: 1 });
    expect(status.nodes.every((n: { status: string }) => n.status === 'succeeded' || n.status === 'cached')).toBe(true);
    const planTasks = Object.fromEntries(status.plan.tasks.map((t: { id: string }) => [t.id, t]));
    expect(planTasks['T1'].notes).toHaveLength(1);
    expect(planTasks['T1'].notes[0]).toContain(FAILING_CHECK);
    expect(planTasks['T2'].notes).toEqual([]);
    const runs = await cliJson(dir, ['runs', '--json']);
    expect(runs[0]).toMatchObject({ id: runId, status: 'succeeded', command: 'do', branch: summary.branch });
  });
});
