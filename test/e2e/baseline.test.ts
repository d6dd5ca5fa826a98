import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readAttemptResults } from '../support/attempt-outputs.js';
import { cliJson, describeResult, runCli } from '../support/cli.js';
import { createTempDir, git } from '../support/project.js';
import { calc, planJson, scriptedModel, udiff } from '../support/scripted-model.js';
import { useScriptedProject } from '../support/scripted-project.js';

/**
 * Issue 8 item 8 and the `commands.setup` part of item 9, end to end: a red base commit is
 * refused before any model call; `--baseline known-failures` fails a task only on new failures;
 * `commands.setup` prepares every new worktree, runs again when a task changes a lock file, and
 * is a cache hit on resume; `init` checks the detected commands.
 */

const LOCK = '{"name":"calculator","lockfileVersion":3,"packages":{}}\n';
const LOCK2 = '{"name":"calculator","lockfileVersion":3,"packages":{"":{"name":"calculator"}}}\n';
/** node:test checks (TAP when not a TTY): one fails at the base commit on purpose */
const UNIT_TESTS = `import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as calc from '../../src/calc.js';

test('add adds', () => assert.equal(calc.add(2, 3), 5));
test('setup installed the locked dependencies', () => assert.equal(readFileSync('.deps/ready', 'utf8'), readFileSync('package-lock.json', 'utf8')));
test('legacy: rounding is exact', () => assert.equal(0.1 + 0.2, 0.3));
`;
const KNOWN = 'test/unit/calc.test.mjs > legacy: rounding is exact';
/** the setup: "installs" the locked dependencies (a script, so the lock file stays editable: see protected-files.ts rule 5) */
const SETUP = 'node scripts/install.mjs';
const INSTALL = "import { copyFileSync, mkdirSync } from 'node:fs';\nmkdirSync('.deps', { recursive: true });\ncopyFileSync('package-lock.json', '.deps/ready');\n";

const GOAL = 'Add multiply to the calculator, lock its dependencies, then make add faster.';
const PLAN = planJson([
  { id: 'T1', title: 'Add multiply', description: 'Add multiply(a, b) to src/calc.js and record it in package-lock.json.', files: ['src/calc.js', 'package-lock.json'] },
  { id: 'T2', title: 'Make add faster', description: 'Rewrite add in src/calc.js.', files: ['src/calc.js'], dependencies: ['T1'] },
]);
const withMultiply = calc.withMultiply('a * b');

/** Replaces `from` by `to` in the sample's taskgraph.yaml, and fails loudly when the sample changed. */
function edit(yaml: string, from: string | RegExp, to: string): string {
  const next = yaml.replace(from, to);
  if (next === yaml) throw new Error(`the sample's taskgraph.yaml no longer has ${String(from)}`);
  return next;
}

describe('the baseline and commands.setup', () => {
  const model = scriptedModel({
    planner: PLAN,
    coder: {
      // T1 adds multiply (no new failure) and changes the lock file (setup must run again before its verify)
      T1: udiff([
        ['src/calc.js', calc.src, withMultiply],
        ['package-lock.json', LOCK, LOCK2],
      ]),
      // T2 breaks add: a new failure
      T2: udiff([['src/calc.js', withMultiply, withMultiply.replace('return a + b;', 'return a - b;')]]),
    },
  });
  // T1 records a dependency in package-lock.json on purpose (setup must run again): lock files are
  // protected paths (issue 11), and this project lets edits under risk 50 through without asking
  const scripted = useScriptedProject(model, {
    files: { '.gitignore': '.deps/\n', 'package-lock.json': LOCK, 'scripts/install.mjs': INSTALL, 'test/unit/calc.test.mjs': UNIT_TESTS },
    config: (yaml) =>
      edit(
        edit(edit(yaml, /\n {2}test: node test\/run\.mjs\n/, `\n  setup: ${SETUP}\n  test: node --test test/unit/\n`), /\n {2}maxAttempts: 3\n {2}maxDepth: 2\n/, '\n  maxAttempts: 1\n  maxDepth: 0\n  safety:\n    autoApproveBelow: 50\n'),
        /\n {2}baseline: off\n/,
        '\n',
      ),
  });
  const attempts = (runId: string, node: string) => readAttemptResults(scripted.dir, runId).filter((a) => a.node_id === node);

  it('refuses a red base commit before any model call, naming the command, the failing test and what to do', async () => {
    const r = await runCli(['-C', scripted.dir, 'do', GOAL]);
    expect(r.code, describeResult(r)).toBe(1);
    expect(scripted.server.requests).toHaveLength(0);
    expect(r.stderr).toContain('error [BASELINE_FAILED]');
    expect(r.stderr).toMatch(/stopped at baseline, before any model call: the checks fail at the base commit, before any change: `node --test test\/unit\/` \(exit code 1\); failing: test\/unit\/calc\.test\.mjs > legacy: rounding is exact/);
    expect(r.stderr).toContain('  | not ok 3 - legacy: rounding is exact');
    expect(r.stderr).toContain('--baseline known-failures');

    const [run] = await cliJson(scripted.dir, ['runs', '--json']);
    expect(run.options.baseline).toBe('strict');
    const status = await cliJson(scripted.dir, ['status', run.id, '--json']);
    const nodes = Object.fromEntries(status.nodes.map((n: { nodeId: string; status: string }) => [n.nodeId, n.status]));
    expect(nodes).toEqual({ setup: 'succeeded', baseline: 'failed', plan: 'skipped' });
    // setup ran in the run's new worktree before the baseline: the tests found what it installed
    expect(await readFile(join(run.worktree, '.deps', 'ready'), 'utf8')).toBe(LOCK);
    expect(await git(run.worktree, 'status', '--porcelain')).toBe('');
  });

  it('with --baseline known-failures, a task that adds no new failure passes and one that adds a failure fails; setup runs again after a lock file changed', { timeout: 240_000 }, async () => {
    // one task after another in the run's own worktree (setup's marker and `.deps` are read there)
    const r = await runCli(['-C', scripted.dir, 'do', GOAL, '--baseline', 'known-failures', '--task-concurrency', '1', '--json']);
    expect(r.code, describeResult(r)).toBe(1);
    const summary = JSON.parse(r.stdout);
    expect(model.requests.map((q) => `${q.role}:${q.task ?? ''}`)).toEqual(['planner:', 'coder:T1', 'coder:T2']);

    const status = await cliJson(scripted.dir, ['status', summary.runId, '--json']);
    expect(status.run.options.baseline).toBe('known-failures');
    const tasks = Object.fromEntries(status.tasks.map((t: { taskId: string; status: string }) => [t.taskId, t.status]));
    expect(tasks).toEqual({ T1: 'done', T2: 'failed' });
    // the baseline recorded the test failing at the base
    const [baseline] = attempts(summary.runId, 'baseline');
    expect(JSON.parse(baseline!.output!)).toEqual({
      baseline: 'known-failures',
      passed: false,
      checks: [{ command: 'node --test test/unit/', exitCode: 1, failing: [KNOWN] }],
    });
    // T1 failed only that test (and passed the lock check only because setup ran again)
    expect(JSON.parse(attempts(summary.runId, 'T1/verify')[0]!.output!)).toMatchObject({ passed: true, knownFailures: [KNOWN] });
    expect(await readFile(join(summary.worktree, '.deps', 'ready'), 'utf8')).toBe(LOCK2);
    // T2 broke add: a new failure
    const t2 = status.plan.tasks.find((t: { id: string }) => t.id === 'T2');
    expect(t2.notes.join('\n')).toContain(`1 new failing test: test/unit/calc.test.mjs > add adds (1 more failed at the base already)`);
    expect((await git(scripted.dir, 'log', '--format=%s', `main..${summary.branch}`)).split('\n')).toEqual(['feat(T1): add multiply']);

    // resume: the same worktree; setup and the baseline do not run again (nodes/setup.test.ts
    // shows the setup key is a cache hit in the same worktree); T2 is tried again and, failing the
    // same way twice, is held for a person
    const marker = await readFile(join(await git(summary.worktree, 'rev-parse', '--absolute-git-dir'), 'taskgraph-setup.json'), 'utf8');
    const resumed = await runCli(['-C', scripted.dir, 'resume', summary.runId, '--json']);
    expect(resumed.code, describeResult(resumed)).toBe(3);
    expect(JSON.parse(resumed.stdout).reason).toContain('T2 needs a person');
    expect(attempts(summary.runId, 'setup').map((a) => a.status)).toEqual(['succeeded']);
    expect(attempts(summary.runId, 'baseline').map((a) => a.status)).toEqual(['succeeded']);
    expect(attempts(summary.runId, 'T2/verify').map((a) => a.status)).toEqual(['failed', 'failed']);
    expect(await readFile(join(await git(summary.worktree, 'rev-parse', '--absolute-git-dir'), 'taskgraph-setup.json'), 'utf8')).toBe(marker);
    expect(model.requests.filter((q) => q.role === 'planner')).toHaveLength(1);

    // a new run works in a new worktree: setup runs there again; the baseline of the same tree comes from the cache
    const again = await runCli(['-C', scripted.dir, 'do', GOAL, '--baseline', 'known-failures', '--json']);
    expect(again.code, describeResult(again)).not.toBe(0);
    const second = JSON.parse(again.stdout).runId as string;
    expect(attempts(second, 'setup').map((a) => a.status)).toEqual(['succeeded']);
    expect(attempts(second, 'baseline').map((a) => a.status)).toEqual(['cached']);
    expect(attempts(second, 'T1/verify').map((a) => a.status)).toEqual(['cached']);

    // run PLAN in the default (strict) mode: every task waits for the baseline, so nothing reaches the coder
    const asked = model.requests.length;
    const planRun = await runCli(['-C', scripted.dir, 'run', status.plan.id]);
    expect(planRun.code, describeResult(planRun)).toBe(1);
    expect(planRun.stderr).toContain('error [BASELINE_FAILED]');
    expect(model.requests).toHaveLength(asked);
  });
});

describe('taskgraph init', () => {
  it('runs the detected commands, says what it found and applies the fix it proved; --no-check runs nothing', async () => {
    const project = await createTempDir('taskgraph-init-');
    try {
      await writeFile(join(project.dir, 'Makefile'), 'build:\n\tnode build.mjs\ntest:\n\tnode test.mjs\n');
      await writeFile(join(project.dir, 'build.mjs'), "import { mkdirSync, writeFileSync } from 'node:fs';\nmkdirSync('dist', { recursive: true });\nwriteFileSync('dist/calc.mjs', 'export const add = (a, b) => a + b;\\n');\n");
      await writeFile(join(project.dir, 'test.mjs'), "const { add } = await import('./dist/calc.mjs');\nif (add(2, 3) !== 5) throw new Error('add is wrong');\n");
      const skipped = await runCli(['-C', project.dir, 'init', '--no-check']);
      expect(skipped.code, describeResult(skipped)).toBe(0);
      expect(skipped.stdout).toContain('check skipped (--no-check)');

      const r = await runCli(['-C', project.dir, 'init', '--force']);
      expect(r.code, describeResult(r)).toBe(0);
      expect(r.stdout).toContain('language: javascript');
      expect(r.stdout).toMatch(/ {2}test {3}make test: red, exit 2/);
      expect(r.stdout).toMatch(/ {2}build {2}make build \(the tests failed: do they need a build\?\): green/);
      expect(r.stdout).toMatch(/ {2}test {3}make test \(after the build\): green/);
      expect(r.stdout).toContain('applied: commands.test = make build && make test');
      expect(await readFile(join(project.dir, 'taskgraph.yaml'), 'utf8')).toContain('  test: make build && make test\n');
    } finally {
      await project.cleanup();
    }
  });
});
