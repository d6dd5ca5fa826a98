import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeResult, runCli } from '../support/cli.js';
import { git } from '../support/project.js';
import { calc, planJson, scriptedModel, udiff } from '../support/scripted-model.js';
import { useScriptedProject } from '../support/scripted-project.js';

const GOAL = 'Add multiply to the calculator and document it in the README.';
const PLAN = planJson([
  {
    id: 'T1',
    title: 'Add multiply',
    description: 'Add multiply(a, b) to src/calc.js.',
    acceptance: ['multiply(a, b) returns the product', 'multiply has a one-line doc comment'],
    files: ['src/calc.js'],
  },
  { id: 'T2', title: 'Document multiply in the README', files: ['README.md'], dependencies: ['T1'] },
]);
/** calc.js with a multiply that works but has no doc comment (the tests pass; the reviewer objects) */
const UNDOCUMENTED = `${calc.src}\nexport function multiply(a, b) {\n  return a * b;\n}\n`;
const FINDING = 'multiply has no doc comment (criterion 2: multiply has a one-line doc comment)';
const review = (verdict: 'pass' | 'fail', findings: object[] = []) => JSON.stringify({ verdict, findings });
const PR = JSON.stringify({
  title: 'Add multiply to the calculator',
  summary: 'Adds `multiply(a, b)` to src/calc.js and documents it in the README.',
  risks: ['multiply does no input validation'],
  followUps: ['add divide'],
});
// the sample's profiles all point at the fake server: the reviewer role uses the coder profile
const withReview = (yaml: string) => `${yaml}\nroles:\n  reviewer: coder\nreview:\n  task: true\n  pr: true\n`;

describe('taskgraph do with review: a checker per task and a pull-request description', () => {
  const model = scriptedModel({
    planner: PLAN,
    coder: {
      T1: (req) => udiff([['src/calc.js', calc.src, req.attempt === 1 ? UNDOCUMENTED : calc.withMultiply('a * b')]]),
      T2: udiff([['README.md', calc.readme, calc.readmeWithMultiply()]]),
    },
    reviewer: {
      T1: (req) => (req.attempt === 1 ? review('fail', [{ file: 'src/calc.js', line: 12, severity: 'error', message: FINDING }]) : review('pass')),
      T2: review('pass', [{ file: 'README.md', line: 0, severity: 'info', message: 'the README lists multiply' }]),
      PR,
    },
  });
  const scripted = useScriptedProject(model, { config: withReview });

  it('forecasts the review nodes as model calls that will run', async () => {
    const { dir } = scripted.project;
    const plan = JSON.parse((await runCli(['-C', dir, 'plan', GOAL, '--json'])).stdout);
    const dry = await runCli(['-C', dir, 'run', plan.id, '--dry-run', '--json']);
    expect(dry.code, describeResult(dry)).toBe(0);
    const nodes = JSON.parse(dry.stdout).nodes as { nodeId: string; kind: string; willRun: boolean; estimate?: { profile: string; calls: number } }[];
    expect(nodes.map((n) => n.nodeId)).toEqual(expect.arrayContaining(['T1/verify', 'T1/review', 'T1/commit', 'T2/review', 'index', 'review']));
    for (const id of ['T1/review', 'T2/review', 'review']) {
      expect(nodes.find((n) => n.nodeId === id)).toMatchObject({ kind: 'review', willRun: true, estimate: { profile: 'coder', calls: 1 } });
    }
    expect(model.reviewerRequests('T1')).toHaveLength(0);
  });

  it('refines a task the reviewer fails (the retry carries the findings), then writes the PR description that `pr RUN` prints', async () => {
    const { dir } = scripted.project;
    const r = await runCli(['-C', dir, 'do', GOAL, '--json']);
    expect(r.code, describeResult(r)).toBe(0);
    const summary = JSON.parse(r.stdout);
    const runId: string = summary.runId;
    expect(summary.status).toBe('succeeded');
    expect(r.stderr).toContain('task T1: retry 2/3 with a failure note: Attempt 1 failed at T1/review (REVIEW_FAILED)');

    // the reviewer saw the task, its criteria, the verify result and the diff
    const [first, second] = model.reviewerRequests('T1');
    expect(first!.user).toContain('# Review of task T1: Add multiply');
    expect(first!.user).toContain('2. multiply has a one-line doc comment');
    expect(first!.user).toContain('`node test/run.mjs`: exit 0 (passed)');
    expect(first!.user).toContain('+export function multiply(a, b) {');
    expect(first!.user).not.toContain('Multiplies a by b');
    expect(second!.user).toContain('+/** Multiplies a by b. */');

    // the retry prompt carries the findings as a note
    const [t1a, t1b] = model.coderRequests('T1');
    expect(t1a!.user).not.toContain(FINDING);
    expect(t1b!.user).toContain('Attempt 1 failed at T1/review (REVIEW_FAILED)');
    expect(t1b!.user).toContain(`- error src/calc.js:12: ${FINDING}`);
    expect(model.coderRequests('T2')).toHaveLength(1);

    // one commit per task, as without review
    const log = (await git(dir, 'log', '--reverse', '--format=%H %s', `main..${summary.branch}`)).split('\n');
    expect(log.map((l) => l.slice(41))).toEqual(['feat(T1): add multiply', 'feat(T2): document multiply in the README']);

    // the plan-level review saw the whole branch's diff and wrote the PR description
    const [pr] = model.reviewerRequests('PR');
    expect(pr!.user).toContain('# Pull request for plan');
    expect(pr!.user).toContain('+/** Multiplies a by b. */');
    expect(pr!.user).toContain('+- `multiply(a, b)`: the product of `a` and `b`.');
    const path = join(dir, '.taskgraph', 'reports', `${runId}.pr.md`);
    expect(summary.pr).toBe(path);
    const text = await readFile(path, 'utf8');
    expect(text.startsWith('# Add multiply to the calculator\n')).toBe(true);
    expect(text).toContain(`- **T1** Add multiply — \`${log[0]!.slice(0, 12)}\` feat(T1): add multiply`);
    expect(text).toContain(`- **T2** Document multiply in the README — \`${log[1]!.slice(0, 12)}\` feat(T2): document multiply in the README`);
    expect(text).toContain('## Test evidence');
    expect(text).toContain('- T1: `node test/run.mjs`: exit 0 (passed)');
    expect(text).toContain('- T1: review pass');
    expect(text).toContain('- T2: info README.md: the README lists multiply');
    expect(text).toContain('## Risks\n- multiply does no input validation');
    expect(text).toContain('## Follow-ups\n- add divide');
    expect(text).toContain(`taskgraph run \`${runId}\``);

    // `taskgraph pr RUN` prints the same text, every time
    for (let i = 0; i < 2; i++) {
      const p = await runCli(['-C', dir, 'pr', runId]);
      expect(p.code, describeResult(p)).toBe(0);
      expect(p.stdout).toBe(text);
    }
  });

  it('a fully cached re-run writes the same description from the stored review (no model call)', async () => {
    const { dir } = scripted.project;
    const calls = model.requests.length;
    const r = await runCli(['-C', dir, 'do', GOAL, '--json']);
    expect(r.code, describeResult(r)).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(model.requests.length).toBe(calls);
    const runs = (await readFile(join(dir, '.taskgraph', 'reports', `${summary.runId}.pr.md`), 'utf8')).split('\n---\n');
    const earlier = (await runCli(['-C', dir, 'runs', '--json'])).stdout;
    const first = JSON.parse(earlier).find((x: { id: string; status: string }) => x.id !== summary.runId && x.status === 'succeeded').id as string;
    const before = (await readFile(join(dir, '.taskgraph', 'reports', `${first}.pr.md`), 'utf8')).split('\n---\n');
    expect(runs[0]).toBe(before[0]);
    expect(runs[1]).toContain(`taskgraph run \`${summary.runId}\``);
  });

  it('says what to do for a run without a PR description', async () => {
    const p = await runCli(['-C', scripted.dir, 'pr', 'no-such-run']);
    expect(p.code).toBe(1);
    expect(p.stderr).toContain('no run "no-such-run"');
  });
});

/** A lint gate: fails while src/calc.js uses `var`. */
const LINT = `import { readFileSync } from 'node:fs';\nif (readFileSync('src/calc.js', 'utf8').includes('var ')) {\n  console.log('src/calc.js: no-var: use const or let');\n  process.exit(1);\n}\n`;
const WITH_VAR = calc.withMultiply('a * b').replace('return a * b;', 'var product = a * b;\n  return product;');

describe('taskgraph do with verify.gates', () => {
  const model = scriptedModel({
    planner: planJson([{ id: 'T1', title: 'Add multiply', files: ['src/calc.js'] }]),
    coder: { T1: (req) => udiff([['src/calc.js', calc.src, req.attempt === 1 ? WITH_VAR : calc.withMultiply('a * b')]]) },
  });
  const scripted = useScriptedProject(model, {
    files: { 'lint.mjs': LINT },
    config: (yaml) => `${yaml}\nverify:\n  gates:\n    - { name: lint, command: "node lint.mjs" }\n`,
  });

  it('fails verify on a failing gate with a note naming the gate, and passes once the gate does', async () => {
    const { dir } = scripted.project;
    const r = await runCli(['-C', dir, 'do', 'Add multiply.', '--json']);
    expect(r.code, describeResult(r)).toBe(0);
    expect(JSON.parse(r.stdout).status).toBe('succeeded');
    expect(r.stderr).toContain('task T1: retry 2/3 with a failure note: Attempt 1 failed at T1/verify (VERIFY_FAILED)');
    const [, retry] = model.coderRequests('T1');
    expect(retry!.user).toContain('verify failed: gate "lint" (`node lint.mjs`) (exit code 1); the tests passed, the lint gate did not');
    expect(retry!.user).toContain('src/calc.js: no-var: use const or let');
  });
});

describe('taskgraph do with review: the same findings twice are a loop', () => {
  // every edit differs (so verify and review see new changes), but the reviewer repeats its finding at another line
  const model = scriptedModel({
    planner: planJson([{ id: 'T1', title: 'Add multiply', files: ['src/calc.js'] }]),
    coder: { T1: (req) => udiff([['src/calc.js', calc.src, `${calc.withMultiply('a * b')}${'\n'.repeat(req.attempt)}`]]) },
    reviewer: { T1: (req) => review('fail', [{ file: 'src/calc.js', line: 10 + req.attempt, severity: 'error', message: 'no test checks multiply with zero' }]) },
  });
  const scripted = useScriptedProject(model, { config: (yaml) => `${yaml}\nroles:\n  reviewer: coder\nreview:\n  task: true\n` });

  it('holds the task for a person (exit 3) instead of retrying', async () => {
    const r = await runCli(['-C', scripted.dir, 'do', 'Add multiply.', '--json']);
    expect(r.code, describeResult(r)).toBe(3);
    const summary = JSON.parse(r.stdout);
    expect(summary.status).toBe('suspended');
    expect(summary.reason).toMatch(/T1 needs a person: the same failure twice/);
    expect(model.reviewerRequests('T1')).toHaveLength(2);
    expect(model.coderRequests('T1')).toHaveLength(2);
    expect(summary.pr).toBeUndefined();
  });
});
