import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeResult, runCli, startCli } from '../support/cli.js';
import { ALIAS_BOMB, nestedBrackets } from '../support/hostile.js';
import { createTempDir, git, type TempProject } from '../support/project.js';
import { calc, planJson, scriptedModel, searchReplace, udiff } from '../support/scripted-model.js';
import { useScriptedProject } from '../support/scripted-project.js';

/**
 * What the CLI shows and does with hostile input (issue 8 items 5, 15 and the protected
 * configuration): one project, two `do` runs and a few commands that need no model.
 */

/** Anything a terminal would act on: C0 controls but newline and tab, DEL, C1 controls. */
// eslint-disable-next-line no-control-regex
const ACTIVE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;
/** A stack frame line as V8 prints it. */
const FRAME = /^\s+at /m;

const GOAL_A = 'Add multiply to the calculator.';
const GOAL_B = 'Rename the calculator functions.';

const PLAN_A = planJson([{ id: 'T1', title: 'Add multiply', files: ['src/calc.js'] }]);
const PLAN_B = planJson([{ id: 'H1', title: 'Rename add', files: ['src/calc.js'] }]);

/** T1's first edit: multiply, plus a rewrite of its own verification (package.json scripts, the runner). */
const CHEAT =
  searchReplace('src/calc.js', '', '\n/** Multiplies a by b. */\nexport function multiply(a, b) {\n  return a * b;\n}\n') +
  searchReplace('package.json', '    "test": "node test/run.mjs"\n', '    "test": "exit 0"\n') +
  searchReplace('test/run.mjs', 'let failed = 0;\n', 'let failed = 0; checks.length = 0;\n');
const HONEST = udiff([
  ['src/calc.js', calc.src, calc.withMultiply('a * b')],
  ['test/multiply.test.mjs', null, calc.multiplyTest],
]);

/** Model text that would retitle the window, clear the screen and draw "all tests passed" over a failure. */
const HOSTILE_LINE = 'export function add(a, b) {\u001b]0;owned\u0007\u001b[2J\rFAIL\u001b[1A\u001b[2K\u001b[32m✔ all tests passed\u001b[0m';
const HOSTILE_EDIT = searchReplace('src/calc.js', `${HOSTILE_LINE}\n`, 'export function sum(a, b) {\n');

describe('taskgraph with hostile input', () => {
  const model = scriptedModel({
    planner: (req) => (req.user.includes(GOAL_B) ? PLAN_B : PLAN_A),
    coder: { T1: (req) => (req.attempt === 1 ? CHEAT : HONEST), H1: HOSTILE_EDIT },
  });
  // the base commit passes its tests: multiply's check comes with T1
  const scripted = useScriptedProject(model, { files: { 'test/calc.test.mjs': calc.testWithoutMultiply } });
  let scratch: TempProject;
  let runA: string;

  beforeAll(async () => {
    scratch = await createTempDir();
  });
  afterAll(async () => {
    await scratch?.cleanup();
  });

  it('refuses an edit of its own verification, retries with a note naming the protected files, and keeps the exit code when the report cannot be written', async () => {
    const { dir } = scripted;
    const reports = join(dir, '.taskgraph', 'reports');
    await mkdir(join(dir, '.taskgraph'), { recursive: true });
    if (process.getuid?.() === 0) await writeFile(reports, 'not a directory\n'); // root ignores modes
    else {
      await mkdir(reports, { recursive: true });
      await chmod(reports, 0o555);
    }
    const r = await runCli(['-C', dir, 'do', GOAL_A, '--json']);
    if (process.getuid?.() !== 0) await chmod(reports, 0o755);
    expect(r.code, describeResult(r)).toBe(0);
    const summary = JSON.parse(r.stdout);
    runA = summary.runId;
    expect(summary.status).toBe('succeeded');
    expect(summary.report).toBeNull();
    const warnings = r.stderr.split('\n').filter((line) => line.startsWith('warning: the report'));
    expect(warnings).toEqual([expect.stringMatching(new RegExp(`^warning: the report could not be written \\(.+\\); print it with: taskgraph report ${runA} --print$`))]);
    expect(r.stderr).not.toMatch(FRAME);
    expect(r.stderr).toMatch(/task T1: retry 2\/3 with a failure note: Attempt 1 failed at T1\/apply \(EDIT_PROTECTED\)/);

    const [first, second] = model.coderRequests('T1');
    expect(first!.user).not.toContain('EDIT_PROTECTED');
    expect(second!.user).toMatch(/Attempt 1 failed at T1\/apply \(EDIT_PROTECTED\) \[signature [0-9a-f]{12}\]: edit to package\.json is refused/);
    expect(second!.user).toMatch(/Reason: .*Files you may not change: taskgraph\.yaml/);
    expect(second!.user).toContain("the files the project's commands run: test/run.mjs");

    // the branch holds the honest edit; its verification is the project's own
    const branch = summary.branch as string;
    expect(await git(dir, 'show', `${branch}:package.json`)).toBe((await readFile(join(dir, 'package.json'), 'utf8')).trim());
    expect(await git(dir, 'show', `${branch}:test/run.mjs`)).toBe((await readFile(join(dir, 'test', 'run.mjs'), 'utf8')).trim());
    expect(await git(dir, 'show', `${branch}:test/multiply.test.mjs`)).toBe(calc.multiplyTest.trim());

    const printed = await runCli(['-C', dir, 'report', runA, '--print']);
    expect(printed.code, describeResult(printed)).toBe(0);
    expect(printed.stdout).toContain(runA);
  });

  it('ends quietly when its output pipe is closed early', async () => {
    const cli = startCli(['-C', scripted.dir, 'status', runA]);
    cli.child.stdout!.destroy(); // the reader is gone before the first line is written
    const r = await cli.done;
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });

  it('shows model text with escape codes neutralised: progress, status and notes', async () => {
    const { dir } = scripted;
    const r = await runCli(['-C', dir, 'do', GOAL_B, '--json']);
    expect(r.code, describeResult(r)).toBe(3); // the same refusal twice: held for a person
    expect(r.stderr).not.toMatch(ACTIVE);
    const runB = JSON.parse(r.stdout).runId as string;

    const status = await runCli(['-C', dir, 'status', runB]);
    expect(status.code, describeResult(status)).toBe(0);
    expect(status.stdout).toContain('H1/apply');
    expect(status.stdout).toContain('export function add(a, b) {\\x0dFAIL✔ all tests passed');
    expect(status.stdout).not.toMatch(ACTIVE);

    const notes = await runCli(['-C', dir, 'notes', 'H1']);
    expect(notes.code, describeResult(notes)).toBe(0);
    expect(notes.stdout).toMatch(/--- note 2\n/);
    expect(notes.stdout).not.toMatch(ACTIVE);
    const json = await runCli(['-C', dir, 'notes', 'H1', '--json']);
    expect((JSON.parse(json.stdout) as string[]).join('\n')).toContain(HOSTILE_LINE.slice(0, 30)); // --json keeps the text, escaped
    expect(json.stdout).not.toMatch(ACTIVE);
  });

  it('refuses an alias bomb, a graph nested 20,000 deep and a zero-length database with clear errors, no stack trace', async () => {
    const bombDir = join(scratch.dir, 'bomb');
    await mkdir(bombDir);
    await writeFile(join(bombDir, 'taskgraph.yaml'), ALIAS_BOMB);
    const bomb = await runCli(['-C', bombDir, 'runs']);
    expect(bomb.code).toBe(1);
    expect(bomb.stderr).toMatch(/^error \[CONFIG_INVALID\]: .*taskgraph\.yaml expands its YAML aliases \(\*name\) into more than 100 copies: an alias bomb, refused\n/);
    expect(bomb.stderr).not.toMatch(FRAME);

    const deep = join(scratch.dir, 'deep.json');
    await writeFile(deep, `{"nodes": [{"id": "a", "kind": "script", "config": {"fn": "echo"}, "inputs": {"x": ${nestedBrackets(20_000)}}}]}`);
    const graph = await runCli(['-C', scripted.dir, 'run', deep, '--no-worktree']);
    expect(graph.code).toBe(1);
    expect(graph.stderr).toContain(`error [GRAPH_INVALID]: ${deep} is nested deeper than 64 levels of lists and maps`);
    expect(graph.stderr).not.toMatch(FRAME);

    const emptyDb = join(scratch.dir, 'empty-db');
    await mkdir(join(emptyDb, '.taskgraph'), { recursive: true });
    await writeFile(join(emptyDb, 'taskgraph.yaml'), await readFile(join(scripted.dir, 'taskgraph.yaml'), 'utf8'));
    const db = join(emptyDb, '.taskgraph', 'taskgraph.db');
    await writeFile(db, '');
    const store = await runCli(['-C', emptyDb, 'runs']);
    expect(store.code).toBe(1);
    expect(store.stderr).toContain(`error [STORE_ERROR]: open: the database file ${db} is empty (0 bytes)`);
    expect(store.stderr).toMatch(/hint: restore .* from a backup/);
    expect(store.stderr).not.toMatch(FRAME);
    await rm(emptyDb, { recursive: true, force: true });
  });
});
