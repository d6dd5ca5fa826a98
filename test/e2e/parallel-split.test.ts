import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cliJson, describeResult, runCli, startCli } from '../support/cli.js';
import { git } from '../support/project.js';
import { calc, planJson, udiff, type Script } from '../support/scripted-model.js';
import { branchSubjects, type ParallelSummary, runParallelDo, taskRows, useParallelProject } from '../support/parallel-project.js';
import { queryStore } from '../support/store-db.js';

/**
 * As-needed decomposition (ADaPT) with tasks in parallel (`--task-concurrency 2`, each task in a
 * worktree of its own): a task that fails its verify `maxAttempts` times is split into subtasks,
 * which start from where it started, run in worktrees of their own and are integrated onto the
 * run branch one commit each; the split task adds no commit, its failed edits reach no branch,
 * and the task that depends on it starts only from a base holding all of it. Real git, the real
 * CLI, a scripted model behind the loopback fake server.
 */

/** The model's delay per answer, in ms, so tasks that run at once overlap. */
const MODEL_DELAY_MS = 200;

/** A check of the calculator's exports listing `names` (comma-separated, sorted). */
const exportsTest = (names: string) =>
  `import * as calc from '../src/calc.js';\n\ncheck('exports', () => {\n  const names = Object.keys(calc).sort().join(',');\n  if (names !== '${names}') throw new Error(\`expected exports ${names}, got \${names}\`);\n});\n`;
/** passes only on a base that holds multiply */
const apiTest = exportsTest('add,multiply,subtract');
const readmeDivide = (readme: string) => readme.replace('- `subtract(a, b)`: `a` minus `b`.\n', '- `subtract(a, b)`: `a` minus `b`.\n- `divide(a, b)`: `a` divided by `b` (planned).\n');
/** T1's two wrong attempts (different failures, so no loop is detected) */
const WRONG = ['Math.abs(a) * b', 'a * b + 1'];

/**
 * T1 (multiply with its check, after T0) fails twice and is split into T1.1 (the function) and
 * T1.2 (the check, after T1.1); T2 (a changelog) runs beside them; T3 (an exports check) depends on T1.
 */
function script(): Script {
  return {
    planner: (_req, n) =>
      n === 1
        ? planJson([
            { id: 'T0', title: 'Mention divide in the README', files: ['README.md'] },
            { id: 'T1', title: 'Add multiply with a check', files: ['src/calc.js', 'test/multiply.test.mjs'], dependencies: ['T0'] },
            { id: 'T2', title: 'Add a changelog', files: ['CHANGELOG.md'] },
            { id: 'T3', title: 'Check the exports', files: ['test/api.test.mjs'], dependencies: ['T1'] },
          ])
        : planJson([
            { id: 'T1.1', title: 'Add the multiply function', files: ['src/calc.js'] },
            { id: 'T1.2', title: 'Add the multiply check', files: ['test/multiply.test.mjs'], dependencies: ['T1.1'] },
          ]),
    coder: {
      T1: (req) =>
        udiff([
          ['src/calc.js', calc.src, calc.withMultiply(WRONG[req.attempt - 1] ?? 'a - b')],
          ['test/multiply.test.mjs', null, calc.multiplyTest],
        ]),
      T0: udiff([['README.md', calc.readme, readmeDivide(calc.readme)]]),
      T2: udiff([['CHANGELOG.md', null, '# Changelog\n\n- multiply\n']]),
      T3: udiff([['test/api.test.mjs', null, apiTest]]),
      'T1.1': udiff([['src/calc.js', calc.src, calc.withMultiply('a * b')]]),
      'T1.2': udiff([['test/multiply.test.mjs', null, calc.multiplyTest]]),
    },
  };
}

const maxAttempts2 = { config: (y: string) => y.replace('maxAttempts: 3', 'maxAttempts: 2') };

const EXPECTED_SUBJECTS = ['feat(T0): mention divide in the README', 'feat(T2): add a changelog', 'feat(T1.1): add the multiply function', 'feat(T1.2): add the multiply check', 'feat(T3): check the exports'];

/** What a split run must end with: statuses, bases, one commit per subtask, nothing left over. */
async function expectSplitRun(dir: string, summary: ParallelSummary): Promise<void> {
  const status = await cliJson(dir, ['status', summary.runId, '--json']);
  expect(status.run.status).toBe('succeeded');
  const nodes = Object.fromEntries(status.nodes.map((n: { nodeId: string; status: string }) => [n.nodeId, n.status]));
  expect(nodes).toMatchObject({ 'T1/verify': 'skipped', 'T1/replan': 'succeeded', 'T1.1/commit': 'succeeded', 'T1.2/commit': 'succeeded', 'T1/commit': 'succeeded', 'T3/commit': 'succeeded' });

  const rows = taskRows(dir, summary.runId);
  for (const t of ['T0', 'T1', 'T1.1', 'T1.2', 'T2', 'T3']) expect(rows.get(t)?.status, t).toBe('done');
  const [t0, t1, t11, t12, t3] = ['T0', 'T1', 'T1.1', 'T1.2', 'T3'].map((t) => rows.get(t)!);
  // the subtasks start from where T1 started (a base holding T0), each in a worktree of its own
  expect(t1!.start_commit).toBe(t0!.integrated_commit);
  expect(t11!.start_commit).toBe(t1!.start_commit);
  expect(t12!.start_commit).toBe(t11!.integrated_commit);
  expect(t11!.worktree).toBe(`${summary.worktree}-tasks/T1.1`);
  expect(t12!.worktree).toBe(`${summary.worktree}-tasks/T1.2`);
  // T1 itself added no commit (its integration was empty): it stands where T1.2 put the run branch
  expect(t1!.integrated_commit).toBe(t12!.integrated_commit);
  // T3 waited for all of T1: its base holds both subtasks (its check passed at once there)
  expect(t3!.start_commit).toBe(t1!.integrated_commit);

  // one commit per subtask (none for T1), in topological order; T1's failed edits are on no branch
  expect(await branchSubjects(dir, summary.branch)).toEqual(EXPECTED_SUBJECTS);
  expect(t3!.integrated_commit).toBe(await git(dir, 'rev-parse', summary.branch));
  const history = await git(dir, 'log', '-p', `main..${summary.branch}`);
  for (const wrong of WRONG) expect(history).not.toContain(wrong);
  expect(await readFile(join(summary.worktree, 'src', 'calc.js'), 'utf8')).toBe(calc.withMultiply('a * b'));
  expect(await git(summary.worktree, 'status', '--porcelain')).toBe('');

  // no task worktree nor task branch left, T1's included
  for (const row of rows.values()) {
    expect(row.worktree, row.task_id).toBeTruthy();
    expect(existsSync(row.worktree!), row.task_id).toBe(false);
  }
  expect(await git(dir, 'worktree', 'list')).not.toContain(`${summary.runId}-tasks`);
  expect(await git(dir, 'branch', '--list', 'taskgraph/*-tasks/*')).toBe('');
}

describe('parallel tasks: a task that fails maxAttempts times is split', () => {
  const p = useParallelProject(script(), () => MODEL_DELAY_MS, maxAttempts2);

  it('splits it in task worktrees, integrates the subtasks one commit each, and the run succeeds', async () => {
    const { dir } = p.project;
    const summary = await runParallelDo(dir, 'Add multiply, announce divide and check the exports.', 2);
    expect(p.model.coderRequests('T1')).toHaveLength(2);
    const planners = p.model.requests.filter((q) => q.role === 'planner');
    expect(planners).toHaveLength(2);
    expect(planners[1]!.user).toContain('expected -6, got -5'); // T1's failure notes reach the split
    // the subtasks saw the project as T1 started: no trace of T1's failed attempts
    expect(p.model.coderRequests('T1.1')[0]!.user).not.toContain(WRONG[1]);
    expect(p.model.coderRequests('T1.1')).toHaveLength(1);
    expect(p.model.coderRequests('T1.2')).toHaveLength(1);
    expect(p.model.coderRequests('T3')).toHaveLength(1);
    await expectSplitRun(dir, summary);
  });
});

describe('parallel tasks: kill -9 mid-split, then resume', () => {
  const p = useParallelProject(script(), (req) => (req.role === 'coder' && req.task === 'T1.1' ? 1500 : MODEL_DELAY_MS), maxAttempts2);

  it('resumes the split where it stopped: no second split, each subtask runs once, the run succeeds', async () => {
    const { dir } = p.project;
    const cli = startCli(['-C', dir, 'do', 'Add multiply, announce divide and check the exports.', '--task-concurrency', '2']);
    // killed while T1.1's (slow) model call runs: the split is written, T1.1's worktree open
    await cli.waitFor((out) => /T1\.1\/context succeeded/.test(out));
    cli.child.kill('SIGKILL');
    expect((await cli.done).signal).toBe('SIGKILL');
    const runId = queryStore<{ id: string }>(dir, 'SELECT id FROM runs ORDER BY created_at DESC LIMIT 1')[0]!.id;
    const graph = JSON.parse(queryStore<{ graph: string }>(dir, 'SELECT graph FROM runs WHERE id = ?', runId)[0]!.graph) as { nodes: Array<{ id: string }> };
    expect(graph.nodes.map((n) => n.id)).toEqual(expect.arrayContaining(['T1/replan', 'T1.1/commit', 'T1.2/commit']));

    const r = await runCli(['-C', dir, 'resume', runId, '--json'], { timeoutMs: 120_000 });
    expect(r.code, describeResult(r)).toBe(0);
    const summary = JSON.parse(r.stdout) as ParallelSummary;
    expect(p.model.coderRequests('T1')).toHaveLength(2); // T1 is not tried again
    expect(p.model.requests.filter((q) => q.role === 'planner')).toHaveLength(2); // nor split again
    expect(p.model.coderRequests('T1.2')).toHaveLength(1);
    await expectSplitRun(dir, summary);
  });
});

describe('parallel tasks: a task whose integration breaks the checks, with no attempt left, is split', () => {
  const p = useParallelProject(
    {
      planner: (_req, n) =>
        n === 1
          ? planJson([
              { id: 'T1', title: 'Add multiply', files: ['src/calc.js', 'test/multiply.test.mjs'] },
              { id: 'T2', title: 'Check the exports', files: ['test/api.test.mjs'] },
            ])
          : planJson([
              { id: 'T2.1', title: 'Add the exports check', files: ['test/api.test.mjs'] },
              { id: 'T2.2', title: 'Mention divide in the README', files: ['README.md'], dependencies: ['T2.1'] },
            ]),
      coder: {
        T1: udiff([
          ['src/calc.js', calc.src, calc.withMultiply('a * b')],
          ['test/multiply.test.mjs', null, calc.multiplyTest],
        ]),
        // passes on the base, fails once T1 is on the run branch
        T2: udiff([['test/api.test.mjs', null, exportsTest('add,subtract')]]),
        'T2.1': udiff([['test/api.test.mjs', null, exportsTest('add,multiply,subtract')]]),
        'T2.2': udiff([['README.md', calc.readme, readmeDivide(calc.readme)]]),
      },
    },
    () => MODEL_DELAY_MS,
    { config: (y: string) => y.replace('maxAttempts: 3', 'maxAttempts: 1') },
  );

  it('drops its commit, starts the subtasks on the run branch as it is now, and integrates them', async () => {
    const { dir } = p.project;
    const summary = await runParallelDo(dir, 'Add multiply and check the exports.', 2);
    expect(p.model.coderRequests('T2')).toHaveLength(1);
    expect(p.model.requests.filter((q) => q.role === 'planner')).toHaveLength(2);
    // the progress says where the split came from: T2's integration check, not its own verify
    expect(summary.stderr).toContain(': 1 nodes added by T2/commit (T2: 1 attempt(s) failed, the last at T2/commit (VERIFY_FAILED): splitting it into smaller tasks)');
    const rows = taskRows(dir, summary.runId);
    for (const t of ['T1', 'T2', 'T2.1', 'T2.2']) expect(rows.get(t)?.status, t).toBe('done');
    // the subtasks start from the run branch's tip the integration failed on (it holds T1)
    expect(rows.get('T2')!.start_commit).toBe(rows.get('T1')!.integrated_commit);
    expect(rows.get('T2.1')!.start_commit).toBe(rows.get('T1')!.integrated_commit);
    expect(rows.get('T2')!.integrated_commit).toBe(rows.get('T2.2')!.integrated_commit);
    expect(await branchSubjects(dir, summary.branch)).toEqual(['feat(T1): add multiply', 'feat(T2.1): add the exports check', 'feat(T2.2): mention divide in the README']);
    // T2's own commit, which broke the checks, is on no branch
    expect(await git(dir, 'log', '-p', `main..${summary.branch}`)).not.toContain("'add,subtract'");
    expect(await readFile(join(summary.worktree, 'test', 'api.test.mjs'), 'utf8')).toBe(exportsTest('add,multiply,subtract'));
    expect(await git(dir, 'worktree', 'list')).not.toContain(`${summary.runId}-tasks`);
    expect(await git(dir, 'branch', '--list', 'taskgraph/*-tasks/*')).toBe('');
  });
});
