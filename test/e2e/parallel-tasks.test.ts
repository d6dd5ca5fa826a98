import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeResult, runCli, startCli } from '../support/cli.js';
import { git, type SampleRepoOptions, type TempProject } from '../support/project.js';
import { calc, planJson, udiff, type Script, type ScriptedModel } from '../support/scripted-model.js';
import { branchSubjects, type ParallelSummary, runParallelDo, taskRows, useParallelProject, type TaskRow } from '../support/parallel-project.js';
import { byNode, queryStore, readAttempts } from '../support/store-db.js';

/**
 * Issue 10, first slice: with `--task-concurrency 2` each task works in a worktree of its own and
 * is integrated onto the run branch in the plan's topological order. Real git, the real CLI, and
 * a scripted model behind the loopback fake server that answers after a delay (so two tasks that
 * run at once are seen to overlap).
 */

/** The model's delay per answer, in ms: long enough that two tasks run at once overlap for sure. */
const MODEL_DELAY_MS = 400;

/** The sample project with a base commit whose tests pass (the multiply check comes with a task). */
function useProject(script: Script, repo: Pick<SampleRepoOptions, 'config' | 'files'> = {}): { model: ScriptedModel; readonly project: TempProject } {
  return useParallelProject(script, () => MODEL_DELAY_MS, repo);
}

const runDo = (dir: string, goal: string) => runParallelDo(dir, goal, 2);

/** [first start, last finish] of a task's attempts, in ms since the epoch. */
function interval(dir: string, runId: string, task: string): [number, number] {
  const rows = queryStore<{ started_at: string; finished_at: string }>(dir, "SELECT started_at, finished_at FROM attempts WHERE run_id = ? AND node_id LIKE ? || '/%'", runId, task);
  expect(rows.length).toBeGreaterThan(0);
  return [Math.min(...rows.map((r) => Date.parse(r.started_at))), Math.max(...rows.map((r) => Date.parse(r.finished_at)))];
}

/** Every task worktree is gone and every task branch deleted once the tasks are integrated. */
async function expectTaskWorktreesGone(dir: string, runId: string, rows: Map<string, TaskRow>): Promise<void> {
  for (const row of rows.values()) {
    expect(row.worktree).toBeTruthy();
    expect(existsSync(row.worktree!)).toBe(false);
  }
  expect(await git(dir, 'branch', '--list', `taskgraph/${runId}-tasks/*`)).toBe('');
  expect(await git(dir, 'worktree', 'list')).not.toContain(`${runId}-tasks`);
}

const multiplyEdit = udiff([
  ['src/calc.js', calc.src, calc.withMultiply('a * b')],
  ['test/multiply.test.mjs', null, calc.multiplyTest],
]);
const readmeDivide = (readme: string) => readme.replace('- `subtract(a, b)`: `a` minus `b`.\n', '- `subtract(a, b)`: `a` minus `b`.\n- `divide(a, b)`: `a` divided by `b` (planned).\n');

describe('parallel tasks: two independent tasks', () => {
  const p = useProject({
    planner: planJson([
      // every file the edit touches is listed, so the task's record (in its context's key) is the same in a re-run
      { id: 'T1', title: 'Add multiply', description: 'Add multiply(a, b) to src/calc.js with a check.', files: ['src/calc.js', 'test/multiply.test.mjs'] },
      { id: 'T2', title: 'Mention divide in the README', description: 'Add a README line announcing divide.', files: ['README.md'] },
    ]),
    coder: { T1: multiplyEdit, T2: udiff([['README.md', calc.readme, readmeDivide(calc.readme)]]) },
  });

  it('runs both at once, each in its own worktree, and ends with one commit per task on the run branch', async () => {
    const { dir } = p.project;
    const summary = await runDo(dir, 'Add multiply and announce divide.');
    expect(p.model.coderRequests('T1')).toHaveLength(1);
    expect(p.model.coderRequests('T2')).toHaveLength(1);
    // each sees the other as pending, whatever it had done by then: neither is in the other's base
    expect(p.model.coderRequests('T1')[0]!.user).toContain('- T2 [pending]: Mention divide in the README');
    expect(p.model.coderRequests('T2')[0]!.user).toContain('- T1 [pending]: Add multiply');

    // the two tasks' recorded intervals overlap: they ran at the same time
    const [s1, e1] = interval(dir, summary.runId, 'T1');
    const [s2, e2] = interval(dir, summary.runId, 'T2');
    expect(s2).toBeLessThan(e1);
    expect(s1).toBeLessThan(e2);

    // each task had a worktree of its own on a task branch, both cut from the same base
    const rows = taskRows(dir, summary.runId);
    const base = await git(dir, 'rev-parse', 'main');
    for (const t of ['T1', 'T2']) {
      const row = rows.get(t)!;
      expect(row.status).toBe('done');
      expect(row.branch).toBe(`taskgraph/${summary.runId}-tasks/${t}`);
      expect(row.worktree).toBe(`${summary.worktree}-tasks/${t}`);
      expect(row.start_commit).toBe(base);
    }
    expect(rows.get('T1')!.worktree).not.toBe(rows.get('T2')!.worktree);

    // integrated in topological order, one commit per task, the last one the branch tip
    expect(await branchSubjects(dir, summary.branch)).toEqual(['feat(T1): add multiply', 'feat(T2): mention divide in the README']);
    expect(rows.get('T2')!.integrated_commit).toBe(await git(dir, 'rev-parse', summary.branch));
    expect(rows.get('T1')!.integrated_commit).toBe(await git(dir, 'rev-parse', `${summary.branch}~1`));
    expect(await readFile(join(summary.worktree, 'src', 'calc.js'), 'utf8')).toBe(calc.withMultiply('a * b'));
    expect(await readFile(join(summary.worktree, 'README.md'), 'utf8')).toBe(readmeDivide(calc.readme));
    expect(await git(summary.worktree, 'status', '--porcelain')).toBe('');
    await expectTaskWorktreesGone(dir, summary.runId, rows);
    // the report's Gantt chart shows both tasks' bars, which overlap
    const report = await readFile(summary.report, 'utf8');
    expect(report).toContain('## Task timeline');
    const bar = (t: string) => new RegExp(`    ${t} [^\\n]* :done, (\\d+), (\\d+)`).exec(report)!.slice(1).map(Number);
    const [b1s, b1e] = bar('T1');
    const [b2s, b2e] = bar('T2');
    expect(b2s!).toBeLessThan(b1e!);
    expect(b1s!).toBeLessThan(b2e!);
    first = summary;
  });

  let first: ParallelSummary | undefined;
  it('rebuilds the same run branch, commit for commit, in a fully cached re-run', async () => {
    expect(first).toBeDefined();
    const { dir } = p.project;
    const tip = await git(dir, 'rev-parse', first!.branch);
    const again = await runDo(dir, 'Add multiply and announce divide.');
    expect(again.runId).not.toBe(first!.runId);
    expect(p.model.coderRequests('T1')).toHaveLength(1); // no new model call
    const rows = taskRows(dir, again.runId);
    expect(rows.get('T2')!.integrated_commit).toBe(tip);
    expect(rows.get('T1')!.integrated_commit).toBe(await git(dir, 'rev-parse', `${first!.branch}~1`));
    // T2 was replayed onto T1: its integration check ran in the first run and is a cache hit now
    const integrateStatuses = (runId: string) => queryStore<{ status: string }>(dir, "SELECT status FROM attempts WHERE run_id = ? AND node_id = 'T2/integrate'", runId).map((r) => r.status);
    expect(integrateStatuses(first!.runId)).toEqual(['succeeded']);
    expect(integrateStatuses(again.runId)).toEqual(['cached']);
    // the same result as the earlier branch: the re-run keeps no branch of its own (cached-rerun.ts)
    expect(again.branch).toBe(first!.branch);
    await expectTaskWorktreesGone(dir, again.runId, rows);
  });
});

/** `commands.setup` writes an ignored file; T1's check needs it, so T1 passes only in a worktree setup ran in. */
const SETUP = `node -e "require('fs').mkdirSync('.deps',{recursive:true});require('fs').writeFileSync('.deps/installed','yes')"`;
const needsSetupTest = `import { existsSync } from 'node:fs';\n${calc.multiplyTest}\ncheck('dependencies installed', () => {\n  if (!existsSync('.deps/installed')) throw new Error('expected .deps/installed: setup did not run here');\n});\n`;

describe('parallel tasks: a dependency chain', () => {
  const p = useProject(
    {
      planner: planJson([
        { id: 'T1', title: 'Add multiply', description: 'Add multiply(a, b) to src/calc.js with a check.', files: ['src/calc.js'] },
        { id: 'T2', title: 'Document multiply in the README', files: ['README.md'], dependencies: ['T1'] },
      ]),
      coder: {
        T1: udiff([
          ['src/calc.js', calc.src, calc.withMultiply('a * b')],
          ['test/multiply.test.mjs', null, needsSetupTest],
        ]),
        T2: udiff([['README.md', calc.readme, calc.readmeWithMultiply()]]),
      },
    },
    { config: (yaml) => yaml.replace('commands:\n', `commands:\n  setup: ${JSON.stringify(SETUP)}\n`), files: { '.gitignore': '.deps/\n' } },
  );

  it('starts the dependent task from a base that holds its dependency’s commit', async () => {
    const { dir } = p.project;
    const summary = await runDo(dir, 'Add multiply and document it.');
    const rows = taskRows(dir, summary.runId);
    const t1 = rows.get('T1')!;
    const t2 = rows.get('T2')!;
    expect(t2.start_commit).toBe(t1.integrated_commit);
    expect(await git(dir, 'show', `${t2.start_commit}:src/calc.js`)).toContain('export function multiply');
    // T2 started only after T1 was integrated
    const [, e1] = interval(dir, summary.runId, 'T1');
    const [s2] = interval(dir, summary.runId, 'T2');
    expect(s2).toBeGreaterThanOrEqual(e1);
    expect(p.model.coderRequests('T2')).toHaveLength(1);
    expect(p.model.coderRequests('T2')[0]!.user).toContain('- T1 [done]: Add multiply');
    // commands.setup ran in T1's own worktree: its check, which needs what setup writes, passed at once
    expect(p.model.coderRequests('T1')).toHaveLength(1);
    expect(await branchSubjects(dir, summary.branch)).toEqual(['feat(T1): add multiply', 'feat(T2): document multiply in the README']);
    await expectTaskWorktreesGone(dir, summary.runId, rows);
  });
});

describe('parallel tasks: a conflict between two parallel tasks', () => {
  const p = useProject({
    planner: planJson([
      { id: 'T1', title: 'Document multiply in the README', files: ['README.md'] },
      { id: 'T2', title: 'Mention divide in the README', description: 'Add a README line announcing divide.', files: ['README.md'] },
    ]),
    coder: {
      T1: udiff([['README.md', calc.readme, calc.readmeWithMultiply()]]),
      // the first answer edits the README as it was; the retry, on the new base, keeps T1's line
      T2: (req) =>
        req.attempt === 1
          ? udiff([['README.md', calc.readme, readmeDivide(calc.readme)]])
          : udiff([['README.md', calc.readmeWithMultiply(), readmeDivide(calc.readmeWithMultiply())]]),
    },
  }, { config: (y: string) => y.replace('maxAttempts: 3', 'maxAttempts: 1') });

  // maxAttempts 1: a conflict is not the task's own failure, so it is redone rather than split
  it('refines the second task on the new base with the conflict in its note, and integrates it', async () => {
    const { dir } = p.project;
    const summary = await runDo(dir, 'Document multiply and announce divide.');
    expect(p.model.coderRequests('T1')).toHaveLength(1);
    const t2 = p.model.coderRequests('T2');
    expect(t2).toHaveLength(2);
    expect(t2[1]!.user).toContain('Attempt 1 failed at T2/commit (INTEGRATION_CONFLICT)');
    expect(t2[1]!.user).toContain('README.md');
    expect(t2[1]!.user).toContain('<<<<<<<'); // the conflicting hunk
    expect(t2[1]!.user).toContain("the worktree is now at the run branch's tip, which holds the tasks integrated since, so redo this edit on top of those files");
    expect(t2[1]!.user).not.toContain("back at the task's start");
    // the retry sees T1's line in the README it edits (its context comes from the new base)
    expect(t2[1]!.user).toContain('`multiply(a, b)`: the product');

    const rows = taskRows(dir, summary.runId);
    expect(rows.get('T2')!.attempt).toBe(2);
    expect(rows.get('T2')!.start_commit).toBe(rows.get('T1')!.integrated_commit);
    expect(await branchSubjects(dir, summary.branch)).toEqual(['feat(T1): document multiply in the README', 'feat(T2): mention divide in the README']);
    expect(await readFile(join(summary.worktree, 'README.md'), 'utf8')).toBe(readmeDivide(calc.readmeWithMultiply()));
    // the conflict was never committed
    expect(await git(dir, 'log', '-p', `main..${summary.branch}`)).not.toContain('<<<<<<<');
    await expectTaskWorktreesGone(dir, summary.runId, rows);
  });
});

describe('parallel tasks: a run that stops with a task open, then taskgraph clean', () => {
  const p = useProject({
    planner: planJson([
      { id: 'T1', title: 'Add multiply', description: 'Add multiply(a, b) to src/calc.js with a check.', files: ['src/calc.js'] },
      { id: 'T2', title: 'Mention divide in the README', description: 'Add a README line announcing divide.', files: ['README.md'] },
    ]),
    // no answer for T2: its model call fails (HTTP 400, not refinable), so T2 stays on its branch
    coder: { T1: multiplyEdit },
  });

  it('integrates the task that passed, keeps the failed one in its worktree, and clean removes that worktree and branch', async () => {
    const { dir } = p.project;
    const r = await runCli(['-C', dir, 'do', 'Add multiply and announce divide.', '--task-concurrency', '2', '--json'], { timeoutMs: 120_000 });
    expect(r.code, describeResult(r)).toBe(1);
    const summary = JSON.parse(r.stdout) as ParallelSummary;
    expect(summary.status).toBe('failed');
    const rows = taskRows(dir, summary.runId);
    expect(rows.get('T1')!.integrated_commit).toBe(await git(dir, 'rev-parse', summary.branch));
    expect(await branchSubjects(dir, summary.branch)).toEqual(['feat(T1): add multiply']);
    const t2 = rows.get('T2')!;
    expect(t2.status).toBe('failed');
    expect(t2.integrated_commit).toBeNull();
    expect(existsSync(t2.worktree!)).toBe(true);
    expect(await git(dir, 'branch', '--list', t2.branch!)).toContain(t2.branch!);
    // status names the task that is not on the run branch, with its worktree
    const status = await runCli(['-C', dir, 'status', summary.runId]);
    expect(status.stdout).toContain('task worktrees:');
    expect(status.stdout).toContain(`T2 failed: ${t2.worktree} (branch ${t2.branch})`);
    expect(status.stdout).not.toMatch(/^ {2}T1 .*-tasks\/T1/m);

    const cleaned = await runCli(['-C', dir, 'clean', '--branches', '--json']);
    expect(cleaned.code, describeResult(cleaned)).toBe(0);
    const report = JSON.parse(cleaned.stdout) as { worktrees: Array<{ path: string }>; branches: Array<{ branch: string }> };
    expect(report.worktrees.map((w) => w.path)).toEqual(expect.arrayContaining([summary.worktree, t2.worktree]));
    expect(report.branches.map((b) => b.branch)).toEqual(expect.arrayContaining([summary.branch, t2.branch]));
    expect(existsSync(t2.worktree!)).toBe(false);
    expect(await git(dir, 'branch', '--list', 'taskgraph/*')).toBe('');
    expect(await git(dir, 'worktree', 'list')).not.toContain(summary.runId);
  });
});

describe('parallel tasks: kill -9 while both tasks verify, then resume', () => {
  const p = useProject(
    {
      planner: planJson([
        { id: 'T1', title: 'Add multiply', description: 'Add multiply(a, b) to src/calc.js with a check.', files: ['src/calc.js', 'test/multiply.test.mjs'] },
        { id: 'T2', title: 'Mention divide in the README', description: 'Add a README line announcing divide.', files: ['README.md'] },
      ]),
      coder: { T1: multiplyEdit, T2: udiff([['README.md', calc.readme, readmeDivide(calc.readme)]]) },
    },
    // a slow check, so the kill lands while it runs
    { config: (yaml) => yaml.replace('test: node test/run.mjs', 'test: sleep 1 && node test/run.mjs') },
  );

  it('continues each task in its own worktree: no finished attempt runs again, both tasks end on the run branch', async () => {
    const { dir } = p.project;
    const cli = startCli(['-C', dir, 'do', 'Add multiply and announce divide.', '--task-concurrency', '2']);
    await cli.waitFor((out) => /T1\/apply succeeded/.test(out) && /T2\/apply succeeded/.test(out));
    cli.child.kill('SIGKILL');
    expect((await cli.done).signal).toBe('SIGKILL');
    const runId = queryStore<{ id: string }>(dir, 'SELECT id FROM runs ORDER BY created_at DESC LIMIT 1')[0]!.id;
    const before = readAttempts(dir, runId);
    const open = taskRows(dir, runId);
    expect(open.get('T1')!.status).toBe('running');
    expect(existsSync(open.get('T1')!.worktree!)).toBe(true);

    const r = await runCli(['-C', dir, 'resume', runId, '--json'], { timeoutMs: 120_000 });
    expect(r.code, describeResult(r)).toBe(0);
    const summary = JSON.parse(r.stdout) as ParallelSummary;
    const after = byNode(readAttempts(dir, runId));
    for (const [node, rows] of byNode(before)) {
      if (rows.some((a) => a.status === 'succeeded' || a.status === 'cached')) expect(after.get(node), `${node} ran again`).toEqual(rows);
    }
    for (const node of ['T1/apply', 'T2/apply', 'T1/verify', 'T2/verify', 'T1/commit', 'T2/commit']) {
      expect(after.get(node)!.filter((a) => a.status === 'succeeded' || a.status === 'cached'), node).toHaveLength(1);
    }
    expect(p.model.coderRequests('T1')).toHaveLength(1);
    expect(p.model.coderRequests('T2')).toHaveLength(1);
    expect(await branchSubjects(dir, summary.branch)).toEqual(['feat(T1): add multiply', 'feat(T2): mention divide in the README']);
    expect(await readFile(join(summary.worktree, 'src', 'calc.js'), 'utf8')).toBe(calc.withMultiply('a * b'));
    expect(await readFile(join(summary.worktree, 'README.md'), 'utf8')).toBe(readmeDivide(calc.readme));
    await expectTaskWorktreesGone(dir, runId, taskRows(dir, runId));
  });
});

/** A check of the calculator's exports: `names` is the list it expects, comma-separated and sorted. */
const apiTest = (names: string) =>
  `import * as calc from '../src/calc.js';\n\ncheck('exports', () => {\n  const names = Object.keys(calc).sort().join(',');\n  if (names !== '${names}') throw new Error(\`expected exports ${names}, got \${names}\`);\n});\n`;

describe('parallel tasks: an integration that breaks the checks', () => {
  const p = useProject({
    planner: planJson([
      { id: 'T1', title: 'Add multiply', description: 'Add multiply(a, b) to src/calc.js with a check.', files: ['src/calc.js', 'test/multiply.test.mjs'] },
      { id: 'T2', title: 'Check the exports', description: 'Add a check that lists what src/calc.js exports.', files: ['test/api.test.mjs'] },
    ]),
    coder: {
      T1: multiplyEdit,
      // passes on the base; once T1 is on the run branch it fails; the retry, on the new base, lists multiply
      T2: (req) => udiff([['test/api.test.mjs', null, apiTest(req.attempt === 1 ? 'add,subtract' : 'add,multiply,subtract')]]),
    },
  });

  it('verifies the run branch with the task replayed on it, and refines the task when that fails', async () => {
    const { dir } = p.project;
    const summary = await runDo(dir, 'Add multiply and check the exports.');
    const t2 = p.model.coderRequests('T2');
    expect(t2).toHaveLength(2);
    expect(t2[1]!.user).toContain('Attempt 1 failed at T2/commit (VERIFY_FAILED)');
    expect(t2[1]!.user).toContain('expected exports add,subtract, got add,multiply,subtract');
    // the integration check ran once and failed; the retry started from T1's integrated commit
    const checks = queryStore<{ status: string }>(dir, "SELECT status FROM attempts WHERE run_id = ? AND node_id = 'T2/integrate' ORDER BY seq", summary.runId);
    expect(checks.map((c) => c.status)).toEqual(['failed']);
    const rows = taskRows(dir, summary.runId);
    expect(rows.get('T2')!.start_commit).toBe(rows.get('T1')!.integrated_commit);
    expect(await branchSubjects(dir, summary.branch)).toEqual(['feat(T1): add multiply', 'feat(T2): check the exports']);
    // the run branch never held the failing tree: every commit on it passes the checks
    for (const rev of [`${summary.branch}~1`, summary.branch]) {
      expect(await git(dir, 'show', `${rev}:test/api.test.mjs`).catch(() => 'absent')).not.toContain("'add,subtract'");
    }
    expect(await readFile(join(summary.worktree, 'test', 'api.test.mjs'), 'utf8')).toBe(apiTest('add,multiply,subtract'));
  });
});
