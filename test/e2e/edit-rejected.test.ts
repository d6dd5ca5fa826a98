import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cliJson, describeResult, runCli } from '../support/cli.js';
import { git } from '../support/project.js';
import { calc, planJson, scriptedModel, searchReplace, udiff } from '../support/scripted-model.js';
import { useScriptedProject } from '../support/scripted-project.js';

const PLAN = planJson([
  { id: 'T1', title: 'Add multiply', files: ['src/calc.js'] },
  { id: 'T2', title: 'Document multiply in the README', files: ['README.md'], dependencies: ['T1'] },
]);

// a hunk written against a README that does not exist: no context line matches
const STALE_README = 'alpha\nbeta\ngamma\ndelta\nepsilon\nzeta\n';
const STALE_DIFF = udiff([['README.md', STALE_README, STALE_README.replace('delta\n', 'delta\n- `multiply(a, b)`: the product.\n')]]);
// SEARCH text that is not in src/calc.js
const ABSENT_SEARCH = searchReplace('src/calc.js', 'export function times(a, b) {\n  return 0;\n}\n', 'export function multiply(a, b) {\n  return a * b;\n}\n');

describe('taskgraph do: an edit that does not apply', () => {
  const model = scriptedModel({
    planner: PLAN,
    coder: {
      T1: (req) => (req.attempt === 1 ? ABSENT_SEARCH : udiff([['src/calc.js', calc.src, calc.withMultiply('a * b')]])),
      T2: (req) => (req.attempt === 1 ? STALE_DIFF : udiff([['README.md', calc.readme, calc.readmeWithMultiply()]])),
    },
  });
  const scripted = useScriptedProject(model);

  it('turns a rejected edit (absent SEARCH text, mismatched diff context) into a note that the retry gets', async () => {
    const { dir } = scripted.project;
    const r = await runCli(['-C', dir, 'do', 'Add multiply and document it.', '--json']);
    expect(r.code, describeResult(r)).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(r.stderr).toMatch(/task T1: retry 2\/3 with a failure note: Attempt 1 failed at T1\/apply \(EDIT_REJECTED\) \[signature [0-9a-f]{12}\]/);
    expect(r.stderr).toMatch(/task T2: retry 2\/3 with a failure note: Attempt 1 failed at T2\/apply \(EDIT_REJECTED\) \[signature [0-9a-f]{12}\]/);

    const [t1a, t1b] = model.coderRequests('T1');
    expect(t1a!.user).not.toContain('Notes from earlier attempts');
    expect(t1b!.user).toContain('Notes from earlier attempts');
    expect(t1b!.user).toMatch(/Attempt 1 failed at T1\/apply \(EDIT_REJECTED\) \[signature [0-9a-f]{12}\]: edit to src\/calc\.js does not apply/);
    expect(t1b!.user).toContain('File: src/calc.js');
    expect(t1b!.user).toMatch(/Reason: .*SEARCH/);
    // the retry shows the rejected edit itself, marked as rejected, so the model can correct it
    expect(t1b!.user).toContain('#### Previous attempt: the edit of attempt 1\nThis is the edit attempt 1 made; it was rejected, not applied (see the reason above)');
    expect(t1b!.user).toContain(ABSENT_SEARCH.trimEnd());
    expect(t1b!.user.indexOf('Reason: ')).toBeLessThan(t1b!.user.indexOf('#### Previous attempt'));

    const [t2a, t2b] = model.coderRequests('T2');
    expect(t2a!.user).not.toContain('Notes from earlier attempts');
    expect(t2b!.user).toMatch(/Attempt 1 failed at T2\/apply \(EDIT_REJECTED\) \[signature [0-9a-f]{12}\]: edit to README\.md does not apply/);
    expect(t2b!.user).toContain('File: README.md');
    expect(t2b!.user).toContain(`it was rejected, not applied (see the reason above)`);
    expect(t2b!.user).toContain(STALE_DIFF.trimEnd());

    // no trace of the rejected edits: the retries applied cleanly on the task's start commit
    expect(await readFile(join(summary.worktree, 'src', 'calc.js'), 'utf8')).toBe(calc.withMultiply('a * b'));
    expect(await readFile(join(summary.worktree, 'README.md'), 'utf8')).toBe(calc.readmeWithMultiply());
    const subjects = (await git(dir, 'log', '--reverse', '--format=%s', `main..${summary.branch}`)).split('\n');
    expect(subjects).toEqual(['feat(T1): add multiply', 'feat(T2): document multiply in the README']);

    const status = await cliJson(dir, ['status', summary.runId, '--json']);
    const notes = Object.fromEntries(status.plan.tasks.map((t: { id: string; notes: string[] }) => [t.id, t.notes]));
    expect(notes['T1']).toHaveLength(1);
    expect(notes['T2']).toHaveLength(1);
    expect(status.tasks.map((t: { taskId: string; attempt: number; status: string }) => [t.taskId, t.status, t.attempt])).toEqual(
      expect.arrayContaining([
        ['T1', 'done', 2],
        ['T2', 'done', 2],
      ]),
    );
  });
});
