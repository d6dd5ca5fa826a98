import { describe, expect, it } from 'vitest';
import { cliJson } from '../support/cli.js';
import { git, type TempProject } from '../support/project.js';
import { calc, planJson, udiff, type Script, type ScriptedModel } from '../support/scripted-model.js';
import { branchSubjects, runParallelDo, taskRows, useParallelProject } from '../support/parallel-project.js';
import { queryStore } from '../support/store-db.js';

/**
 * Issue 10, speculative start (`engine/parallel-tasks.ts`, `integrateBatch`): while the check of
 * a batch of integrated tasks runs, a task that depends on the batch starts on the batch's
 * replayed tip, as a merge queue tests a pull request on top of the ones ahead of it. The run
 * branch still moves only over checked tips. Real git, the real CLI, a scripted model behind the
 * loopback fake server. The project's checks take SLOW_MS only on a tree that holds both A.md and
 * B.md (the batch's tip), so the check is long enough to see what starts during it.
 */

const SLOW_MS = 3000;
const slowCheck = `import { existsSync } from 'node:fs';\n\ncheck('the batch tip is checked slowly', async () => {\n  if (existsSync('A.md') && existsSync('B.md')) await new Promise((r) => setTimeout(r, ${SLOW_MS}));\n});\n`;

/** Model delay per coder request, by task (ms): T1 slowest, so T1 and T2 finish together (one batch). */
const DELAY_MS: Record<string, number> = { T1: 700, T2: 200, T3: 200 };

function useProject(script: Script): { model: ScriptedModel; readonly project: TempProject } {
  return useParallelProject(script, (s) => (s.role === 'coder' && s.task ? (DELAY_MS[s.task] ?? 200) : 50), { files: { 'test/slow.test.mjs': slowCheck } });
}

/** An attempt's start and end (ms since the epoch) and status, in order of start. */
function attempts(dir: string, runId: string, nodeId: string): Array<{ status: string; start: number; end: number }> {
  return queryStore<{ status: string; started_at: string; finished_at: string }>(dir, 'SELECT status, started_at, finished_at FROM attempts WHERE run_id = ? AND node_id = ? ORDER BY seq', runId, nodeId).map((a) => ({
    status: a.status,
    start: Date.parse(a.started_at),
    end: Date.parse(a.finished_at),
  }));
}

const plan = planJson([
  { id: 'T1', title: 'Add A', description: 'Add A.md.', files: ['A.md'] },
  { id: 'T2', title: 'Add B', description: 'Add B.md.', files: ['B.md'] },
  { id: 'T3', title: 'Add C', description: 'Add C.md, after A and B.', files: ['C.md'], dependencies: ['T1', 'T2'] },
]);

describe('parallel tasks: a dependent task starts while its dependencies’ batch is checked', () => {
  const p = useProject({
    planner: plan,
    coder: { T1: udiff([['A.md', null, '# A\n']]), T2: udiff([['B.md', null, '# B\n']]), T3: udiff([['C.md', null, '# C\n']]) },
  });

  it('cuts T3 from the batch’s tip during the check; the check passes, so T3 lands as a fast-forward', async () => {
    const { dir } = p.project;
    const summary = await runParallelDo(dir, 'Add A, B, then C.', 3);
    const check = attempts(dir, summary.runId, 'T2/integrate');
    expect(check.map((a) => a.status)).toEqual(['succeeded']); // T1 fast-forwards, T2 is replayed: one check
    const [t3] = attempts(dir, summary.runId, 'T3/context');
    expect(t3!.start).toBeLessThan(check[0]!.end); // T3 did not wait for the check
    const rows = taskRows(dir, summary.runId);
    // the tip T3 started on is the commit T2 was integrated as: nothing was redone
    expect(rows.get('T3')!.start_commit).toBe(rows.get('T2')!.integrated_commit);
    expect(attempts(dir, summary.runId, 'T3/integrate')).toEqual([]);
    expect(await branchSubjects(dir, summary.branch)).toEqual(['feat(T1): add A', 'feat(T2): add B', 'feat(T3): add C']);
    expect(rows.get('T3')!.integrated_commit).toBe(await git(dir, 'rev-parse', summary.branch));
    for (const t of ['T1', 'T2', 'T3']) expect(p.model.coderRequests(t)).toHaveLength(1);
  });
});

describe('parallel tasks: a dependent task started on a batch whose check fails', () => {
  // T2 adds a check of the exports that passes on the base and fails once T1 adds multiply; its
  // retry (on T1's integrated commit) lists multiply
  const apiTest = (names: string) =>
    `import * as calc from '../src/calc.js';\n\ncheck('exports', () => {\n  const names = Object.keys(calc).sort().join(',');\n  if (names !== '${names}') throw new Error(\`expected exports ${names}, got \${names}\`);\n});\n`;
  const p = useProject({
    planner: planJson([
      { id: 'T1', title: 'Add multiply', description: 'Add multiply(a, b) and A.md.', files: ['src/calc.js', 'A.md'] },
      { id: 'T2', title: 'Check the exports', description: 'Add a check of the exports and B.md.', files: ['test/api.test.mjs', 'B.md'] },
      { id: 'T3', title: 'Add C', description: 'Add C.md, after the exports check.', files: ['C.md'], dependencies: ['T2'] },
    ]),
    coder: {
      T1: udiff([
        ['src/calc.js', calc.src, calc.withMultiply('a * b')],
        ['A.md', null, '# A\n'],
      ]),
      T2: (req) =>
        udiff([
          ['test/api.test.mjs', null, apiTest(req.attempt === 1 ? 'add,subtract' : 'add,multiply,subtract')],
          ['B.md', null, '# B\n'],
        ]),
      T3: udiff([['C.md', null, '# C\n']]),
    },
  });

  it('starts T3 over on the real tip once T2 is redone (no note, no attempt charged), and the run branch never holds the failing tree', async () => {
    const { dir } = p.project;
    const summary = await runParallelDo(dir, 'Add multiply, check the exports, then C.', 3);
    const batchCheck = attempts(dir, summary.runId, 'T2/integrate');
    expect(batchCheck.map((a) => a.status)).toEqual(['failed']); // T1+T2: T2 is the culprit
    // T3 started on the batch's tip during the check; that tip fails, so T3's checks failed there
    const t3Context = attempts(dir, summary.runId, 'T3/context');
    expect(t3Context).toHaveLength(2);
    expect(t3Context[0]!.start).toBeLessThan(batchCheck[0]!.end);
    expect(attempts(dir, summary.runId, 'T3/verify').map((a) => a.status)).toEqual(['failed', 'succeeded']);
    // T2 was refined on T1's commit; T3 started over from T2's new commit, as its first try
    expect(p.model.coderRequests('T2')).toHaveLength(2);
    expect(p.model.coderRequests('T3')).toHaveLength(2);
    const rows = queryStore<{ task_id: string; attempt: number; start_commit: string; integrated_commit: string }>(dir, 'SELECT task_id, attempt, start_commit, integrated_commit FROM run_tasks WHERE run_id = ?', summary.runId);
    const t2 = rows.find((r) => r.task_id === 'T2')!;
    const t3 = rows.find((r) => r.task_id === 'T3')!;
    expect(t2.attempt).toBe(2);
    expect(t3.attempt).toBe(1);
    expect(t3.start_commit).toBe(t2.integrated_commit);
    const status = await cliJson(dir, ['status', summary.runId, '--json']);
    const notes = (id: string): string[] => status.plan.tasks.find((t: { id: string }) => t.id === id).notes;
    expect(notes('T2')).toHaveLength(1);
    expect(notes('T3')).toEqual([]);
    expect(await branchSubjects(dir, summary.branch)).toEqual(['feat(T1): add multiply', 'feat(T2): check the exports', 'feat(T3): add C']);
    for (const rev of [`${summary.branch}~2`, `${summary.branch}~1`, summary.branch]) {
      expect(await git(dir, 'show', `${rev}:test/api.test.mjs`).catch(() => 'absent')).not.toContain("'add,subtract'");
    }
    expect(await git(dir, 'show', `${summary.branch}:C.md`)).toBe('# C');
    expect(await git(dir, 'worktree', 'list')).not.toContain('-tasks/');
  });
});
