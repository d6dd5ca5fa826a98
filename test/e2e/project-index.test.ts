import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readAttemptResults } from '../support/attempt-outputs.js';
import { cliJson, describeResult, runCli } from '../support/cli.js';
import { git } from '../support/project.js';
import { calc, planJson, scriptedModel, udiff } from '../support/scripted-model.js';
import { useScriptedProject } from '../support/scripted-project.js';

/**
 * INDEX.md is the root task's output, not a commit (issue item 11): `do` keeps the project index
 * as the `index` node's output in the store; a later goal whose base holds the run's commits
 * (the branch was merged) reads it once, as tier 1, without repeating the repository map's file
 * list; INDEX.md is committed only with `index.commit: true`.
 */

const GOAL = 'Add multiply to the calculator and document it in the README.';
const PLAN = planJson([
  { id: 'T1', title: 'Add multiply', description: 'Add multiply(a, b) to src/calc.js.', files: ['src/calc.js'] },
  { id: 'T2', title: 'Document multiply in the README', files: ['README.md'], dependencies: ['T1'] },
]);
const GOAL2 = 'Start a changelog.';
const PLAN2 = planJson([{ id: 'T1', title: 'Add a changelog', description: 'Create CHANGELOG.md.', files: ['CHANGELOG.md'] }]);
const CHANGELOG = '# Changelog\n\n- multiply\n';
const GOAL3 = 'Add a contributing guide.';
const PLAN3 = planJson([{ id: 'T1', title: 'Add a contributing guide', description: 'Create CONTRIBUTING.md.', files: ['CONTRIBUTING.md'] }]);
const CONTRIBUTING = '# Contributing\n\nRun `npm test` before you send a change.\n';

/** The first goal's line in the goals done. */
const GOAL_LINE = 'T1 Add multiply (done); T2 Document multiply in the README (done)';

/** How often `needle` occurs in `text`. */
function occurrences(text: string, needle: string): number {
  return text.split(needle).length - 1;
}

/** The stored output of a run's `index` node. */
function indexOutput(dir: string, runId: string): Record<string, unknown> {
  const attempt = readAttemptResults(dir, runId).filter((a) => a.node_id === 'index').at(-1);
  expect(attempt?.output, `run ${runId} has no index output`).toBeTruthy();
  return JSON.parse(attempt!.output!) as Record<string, unknown>;
}

/** Paths each commit of `range` touches (`git show --stat`), one list per commit. */
async function statOf(dir: string, range: string): Promise<string> {
  const shas = (await git(dir, 'rev-list', '--reverse', range)).split('\n').filter(Boolean);
  const stats: string[] = [];
  for (const sha of shas) stats.push(await git(dir, 'show', '--stat', '--format=%s', sha));
  return stats.join('\n');
}

describe('the project index: the root task\'s output, not a commit', () => {
  const model = scriptedModel({
    planner: (req) => (req.user.includes(GOAL3) ? PLAN3 : req.user.includes(GOAL2) ? PLAN2 : PLAN),
    coder: {
      T1: (req) =>
        req.user.includes('Add a contributing guide')
          ? udiff([['CONTRIBUTING.md', null, CONTRIBUTING]])
          : req.user.includes('Add a changelog')
            ? udiff([['CHANGELOG.md', null, CHANGELOG]])
            : udiff([['src/calc.js', calc.src, calc.withMultiply('a * b')]]),
      T2: udiff([['README.md', calc.readme, calc.readmeWithMultiply()]]),
    },
  });
  const scripted = useScriptedProject(model);

  it('after do, INDEX.md is in no commit of the branch and not in the worktree; the index node\'s output holds it', async () => {
    const { dir } = scripted.project;
    const r = await runCli(['-C', dir, 'do', GOAL, '--json']);
    expect(r.code, describeResult(r)).toBe(0);
    const summary = JSON.parse(r.stdout);

    const stat = await statOf(dir, `main..${summary.branch}`);
    expect(stat).toContain('feat(T1): add multiply');
    expect(stat).toContain('feat(T2): document multiply in the README');
    expect(stat).not.toContain('INDEX.md');
    expect(summary.commits.map((c: { message: string }) => c.message)).toEqual(['feat(T1): add multiply', 'feat(T2): document multiply in the README']);
    expect(existsSync(join(summary.worktree, 'INDEX.md'))).toBe(false);
    expect(await git(summary.worktree, 'status', '--porcelain')).toBe('');

    // the root task's output: the document and its parts, for the branch's last commit
    const index = indexOutput(dir, summary.runId);
    expect(index).toMatchObject({ kind: 'project-index', path: 'INDEX.md', committed: false, head: await git(dir, 'rev-parse', summary.branch) });
    expect(index['text']).toContain('**calculator**');
    expect(index['text']).toMatch(/- `src\/calc\.js` — exports: add, subtract, multiply/);
    expect(index['goals']).toEqual([expect.stringContaining(`${GOAL.replace(/\.$/, '')}. — ${GOAL_LINE}`)]);

    // nothing was there to read before this first plan
    for (const req of model.requests.filter((q) => q.role === 'coder')) expect(req.user).not.toContain('Project index (INDEX.md');
  });

  it('the next goal, once the branch is merged, reads the index once as tier 1 — no file list twice', async () => {
    const { dir } = scripted.project;
    const [first] = await cliJson(dir, ['runs', '--json']);
    await git(dir, 'merge', '-q', '--ff-only', first.branch);

    const r = await runCli(['-C', dir, 'do', GOAL2, '--json']);
    expect(r.code, describeResult(r)).toBe(0);
    const summary = JSON.parse(r.stdout);
    const prompt = model.coderRequests('T1').at(-1)!.user;
    expect(prompt).toContain('Add a changelog');

    // the index content, once: its heading, the earlier goal, a module summary
    expect(occurrences(prompt, 'Project index (INDEX.md, kept by taskgraph)')).toBe(1);
    expect(occurrences(prompt, GOAL_LINE)).toBe(1);
    expect(occurrences(prompt, '- `README.md` — calculator')).toBe(1);
    // what the repository map and the taskgraph.yaml item say is not said again
    expect(prompt).not.toContain('exports: add, subtract, multiply');
    expect(prompt).not.toContain('**calculator**');
    expect(prompt).not.toMatch(/^- `(package\.json|test\/run\.mjs|src\/calc\.js)`/m);
    const map = prompt.slice(prompt.indexOf('# Repository map'));
    expect(map.split('\n')).toContain('src/calc.js');

    // this run's own index builds on the earlier one; still no INDEX.md on the branch
    const goals = indexOutput(dir, summary.runId)['goals'] as string[];
    expect(goals).toHaveLength(2);
    expect(goals[0]).toContain('Start a changelog. — T1 Add a changelog (done)');
    expect(goals[1]).toContain(GOAL_LINE);
    expect(await statOf(dir, `main..${summary.branch}`)).not.toContain('INDEX.md');
  });

  it('with index.commit: true, INDEX.md is committed after the task commits, keeping the project\'s own text', async () => {
    const { dir } = scripted.project;
    const [second] = await cliJson(dir, ['runs', '--json']);
    await git(dir, 'merge', '-q', '--ff-only', second.branch);
    // the project's own INDEX.md (just a repository file until now) and the switch
    await writeFile(join(dir, 'INDEX.md'), '# Calculator index\n\nOwned by the team.\n');
    await writeFile(join(dir, 'taskgraph.yaml'), `${await readFile(join(dir, 'taskgraph.yaml'), 'utf8')}\nindex:\n  commit: true\n`);
    await git(dir, 'add', '-A');
    await git(dir, 'commit', '-qm', 'docs: own index; commit the project index');

    const r = await runCli(['-C', dir, 'do', GOAL3, '--json']);
    expect(r.code, describeResult(r)).toBe(0);
    const summary = JSON.parse(r.stdout);
    const subjects = (await git(dir, 'log', '--reverse', '--format=%s', `main..${summary.branch}`)).split('\n');
    expect(subjects).toEqual(['feat(T1): add a contributing guide', 'docs(index): update INDEX.md']);
    expect(await git(dir, 'show', '--name-only', '--format=', summary.branch)).toBe('INDEX.md');
    const committed = await git(dir, 'show', `${summary.branch}:INDEX.md`);
    expect(committed.startsWith('# Calculator index\n\nOwned by the team.\n')).toBe(true);
    expect(committed).toContain('- `CONTRIBUTING.md` — Contributing');
    const goals = committed.split('\n').filter((l) => l.startsWith('- `p-'));
    expect(goals).toHaveLength(3);
    expect(goals[0]).toContain('Add a contributing guide. — T1 Add a contributing guide (done)');
    expect(goals[1]).toContain('Start a changelog. — T1 Add a changelog (done)');
    expect(goals[2]).toContain(GOAL_LINE);
    expect(indexOutput(dir, summary.runId)).toMatchObject({ committed: true, changed: true, text: `${committed}\n` });
  });
});
