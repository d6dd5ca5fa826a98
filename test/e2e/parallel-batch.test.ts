import { describe, expect, it } from 'vitest';
import { git, type TempProject } from '../support/project.js';
import { calc, planJson, udiff, type Script, type ScriptedModel } from '../support/scripted-model.js';
import { branchSubjects, runParallelDo, useParallelProject } from '../support/parallel-project.js';
import { queryStore } from '../support/store-db.js';

/**
 * Issue 10, integration as a merge queue (`engine/parallel-tasks.ts`, `integrateBatch`): tasks
 * that finished together are replayed onto the run branch as consecutive commits and checked
 * ONCE, over the batch's tip; when that check fails, they are checked one at a time to find the
 * task that broke it, and only that task is refined. Real git, the real CLI, a scripted model
 * behind the loopback fake server. T1 (first in topological order) answers last, so T2 and T3
 * have finished when it does and all three form one batch, whatever the machine's speed.
 */

/** Model delay per coder request, by task (ms): T1 slowest. */
const DELAY_MS: Record<string, number> = { T1: 1500, T2: 300, T3: 300 };

function useProject(script: Script): { model: ScriptedModel; readonly project: TempProject } {
  return useParallelProject(script, (s) => (s.role === 'coder' && s.task ? (DELAY_MS[s.task] ?? 300) : 50));
}

const runDo = (dir: string, goal: string) => runParallelDo(dir, goal, 3);

/** The integration checks of a run: node and status, in order. */
function checks(dir: string, runId: string): string[] {
  return queryStore<{ node_id: string; status: string }>(dir, "SELECT node_id, status FROM attempts WHERE run_id = ? AND node_id LIKE '%/integrate' ORDER BY seq", runId).map(
    (r) => `${r.node_id} ${r.status}`,
  );
}

const multiplyEdit = udiff([
  ['src/calc.js', calc.src, calc.withMultiply('a * b')],
  ['test/multiply.test.mjs', null, calc.multiplyTest],
]);
const readmeDivide = (readme: string) => readme.replace('- `subtract(a, b)`: `a` minus `b`.\n', '- `subtract(a, b)`: `a` minus `b`.\n- `divide(a, b)`: `a` divided by `b` (planned).\n');
const noteFile = '# Notes\n\nThe calculator adds, subtracts and multiplies.\n';

/** A check of the calculator's exports: `names` is the list it expects, comma-separated and sorted. */
const apiTest = (names: string) =>
  `import * as calc from '../src/calc.js';\n\ncheck('exports', () => {\n  const names = Object.keys(calc).sort().join(',');\n  if (names !== '${names}') throw new Error(\`expected exports ${names}, got \${names}\`);\n});\n`;

describe('parallel tasks: three independent tasks finished together', () => {
  const p = useProject({
    planner: planJson([
      { id: 'T1', title: 'Add multiply', description: 'Add multiply(a, b) to src/calc.js with a check.', files: ['src/calc.js', 'test/multiply.test.mjs'] },
      { id: 'T2', title: 'Mention divide in the README', description: 'Add a README line announcing divide.', files: ['README.md'] },
      { id: 'T3', title: 'Add notes', description: 'Add NOTES.md.', files: ['NOTES.md'] },
    ]),
    coder: { T1: multiplyEdit, T2: udiff([['README.md', calc.readme, readmeDivide(calc.readme)]]), T3: udiff([['NOTES.md', null, noteFile]]) },
  });

  it('integrates all three with one check over the batch’s tip, one commit per task', async () => {
    const { dir } = p.project;
    const summary = await runDo(dir, 'Add multiply, mention divide, add notes.');
    // T1 is a fast-forward, T2 and T3 are replayed on it: one check, recorded on the last replayed task
    expect(checks(dir, summary.runId)).toEqual(['T3/integrate succeeded']);
    expect(await branchSubjects(dir, summary.branch)).toEqual(['feat(T1): add multiply', 'feat(T2): mention divide in the README', 'feat(T3): add notes']);
    const tip = await git(dir, 'rev-parse', summary.branch);
    for (const [file, text] of [
      ['src/calc.js', 'multiply'],
      ['README.md', 'divide'],
      ['NOTES.md', 'multiplies'],
    ] as const) expect(await git(dir, 'show', `${tip}:${file}`)).toContain(text);
    for (const t of ['T1', 'T2', 'T3']) expect(p.model.coderRequests(t)).toHaveLength(1);
  });
});

describe('parallel tasks: a batch whose check fails', () => {
  const p = useProject({
    planner: planJson([
      { id: 'T1', title: 'Add multiply', description: 'Add multiply(a, b) to src/calc.js with a check.', files: ['src/calc.js', 'test/multiply.test.mjs'] },
      { id: 'T2', title: 'Check the exports', description: 'Add a check that lists what src/calc.js exports.', files: ['test/api.test.mjs'] },
      { id: 'T3', title: 'Add notes', description: 'Add NOTES.md.', files: ['NOTES.md'] },
    ]),
    coder: {
      T1: multiplyEdit,
      // passes on the base; with T1 on the run branch it fails; the retry, on the new base, lists multiply
      T2: (req) => udiff([['test/api.test.mjs', null, apiTest(req.attempt === 1 ? 'add,subtract' : 'add,multiply,subtract')]]),
      T3: udiff([['NOTES.md', null, noteFile]]),
    },
  });

  it('checks the tasks one at a time, integrates those before the culprit, and refines only the culprit', async () => {
    const { dir } = p.project;
    const summary = await runDo(dir, 'Add multiply, check the exports, add notes.');
    expect(checks(dir, summary.runId)).toEqual([
      'T3/integrate failed', // the batch T1+T2+T3
      'T2/integrate failed', // T1+T2: T2 is the culprit (T1 is a fast-forward, verified by its own verify)
      'T3/integrate succeeded', // after T2's retry (a fast-forward onto T1): T2+T3
    ]);
    expect(p.model.coderRequests('T1')).toHaveLength(1);
    expect(p.model.coderRequests('T3')).toHaveLength(1);
    const t2 = p.model.coderRequests('T2');
    expect(t2).toHaveLength(2);
    expect(t2[1]!.user).toContain('expected exports add,subtract, got add,multiply,subtract');
    const rows = new Map(
      queryStore<{ task_id: string; start_commit: string; integrated_commit: string }>(dir, 'SELECT task_id, start_commit, integrated_commit FROM run_tasks WHERE run_id = ?', summary.runId).map((r) => [r.task_id, r]),
    );
    expect(rows.get('T2')!.start_commit).toBe(rows.get('T1')!.integrated_commit);
    expect(await branchSubjects(dir, summary.branch)).toEqual(['feat(T1): add multiply', 'feat(T2): check the exports', 'feat(T3): add notes']);
    // the run branch never held the failing tree
    for (const rev of [`${summary.branch}~2`, `${summary.branch}~1`, summary.branch]) {
      expect(await git(dir, 'show', `${rev}:test/api.test.mjs`).catch(() => 'absent')).not.toContain("'add,subtract'");
    }
  });
});
