import { readFile } from 'node:fs/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import { cliJson, describeResult, runCli, type CliResult } from '../support/cli.js';
import { git } from '../support/project.js';
import { calc, planJson, scriptedModel, udiff } from '../support/scripted-model.js';
import { useScriptedProject } from '../support/scripted-project.js';

const NEGATE_TEST = `import { negate } from '../src/calc.js';\n\ncheck('negate negates', () => {\n  if (negate(4) !== -4) throw new Error(\`expected -4, got \${negate(4)}\`);\n});\n`;
const withNegate = `${calc.src}\n/** Negates a. */\nexport function negate(a) {\n  return -a;\n}\n`;

const PLAN = planJson([
  { id: 'T1', title: 'Add multiply', files: ['src/calc.js', 'test/multiply.test.mjs'] },
  { id: 'T2', title: 'Document multiply in the README', files: ['README.md'], dependencies: ['T1'] },
  { id: 'T3', title: 'Add negate', files: ['src/calc.js', 'test/negate.test.mjs'] },
]);

describe('taskgraph do: a task that keeps failing', () => {
  const model = scriptedModel({
    planner: PLAN,
    coder: {
      // a different wrong edit each time (the same failure twice would be a loop: see below)
      T1: (req) =>
        udiff([
          ['src/calc.js', calc.src, calc.withMultiply(req.attempt === 1 ? 'Math.abs(a) * b' : 'a * b + 1')],
          ['test/multiply.test.mjs', null, calc.multiplyTest],
        ]),
      T2: udiff([['README.md', calc.readme, calc.readmeWithMultiply()]]),
      T3: udiff([
        ['src/calc.js', calc.src, withNegate],
        ['test/negate.test.mjs', null, NEGATE_TEST],
      ]),
    },
  });
  const scripted = useScriptedProject(model, { // maxDepth 0: no as-needed decomposition, so the task fails after its attempts (see adapt.test.ts)
      config: (y) => y.replace('maxAttempts: 3', 'maxAttempts: 2').replace('maxDepth: 2', 'maxDepth: 0'),
      files: { 'test/calc.test.mjs': calc.testWithoutMultiply },
    });

  let result: CliResult;
  let summary: any;
  let status: any;

  beforeAll(async () => {
    result = await runCli(['-C', scripted.project.dir, 'do', 'Add multiply and negate, and document multiply.', '--json']);
    summary = JSON.parse(result.stdout);
    status = await cliJson(scripted.project.dir, ['status', summary.runId, '--json']);
  });

  const nodeStatus = () => Object.fromEntries(status.nodes.map((n: { nodeId: string; status: string }) => [n.nodeId, n.status]));
  const taskRows = () => Object.fromEntries(status.tasks.map((t: { taskId: string }) => [t.taskId, t]));

  it('fails the task after policy.maxAttempts (2) with one note per attempt, skips its dependents and exits 1', async () => {
    expect(result.code, describeResult(result)).toBe(1);
    expect(summary.status).toBe('failed');
    expect(summary.reason).toContain('T1/verify');
    expect(result.stderr).toContain('task T1: retry 2/2 with a failure note');
    expect(result.stderr).toContain('task T1: failed after 2 attempt(s)');
    expect(model.coderRequests('T1')).toHaveLength(2);
    expect(model.coderRequests('T2')).toHaveLength(0);

    expect(status.run.status).toBe('failed');
    const nodes = nodeStatus();
    expect(nodes['T1/verify']).toBe('failed');
    expect(nodes['T1/commit']).toBe('skipped');
    for (const part of ['context', 'edit', 'apply', 'verify', 'commit']) expect(nodes[`T2/${part}`]).toBe('skipped');
    const tasks = taskRows();
    expect(tasks['T1']).toMatchObject({ status: 'failed', attempt: 2 });
    expect(tasks['T2'].status).toBe('skipped');

    const notes: string[] = status.plan.tasks.find((t: { id: string }) => t.id === 'T1').notes;
    expect(notes).toHaveLength(2);
    expect(notes[0]).toContain('Attempt 1 failed at T1/verify');
    expect(notes[1]).toContain('Attempt 2 failed at T1/verify');
    expect(notes[0]).toContain('FAIL multiply multiplies: expected -6, got 6');
    expect(notes[1]).toContain('FAIL multiply multiplies: expected -6, got -5');
    expect(status.plan.tasks.find((t: { id: string }) => t.id === 'T1').status).toBe('failed');

    // nothing of T1 is committed
    const subjects = await git(scripted.project.dir, 'log', '--format=%s', `main..${summary.branch}`);
    expect(subjects).not.toContain('T1');
    expect(subjects).not.toContain('T2');
  });

  it('writes a report that says why: the failing command, its exit code and output', async () => {
    const report = await readFile(summary.report, 'utf8');
    expect(report).toContain('**failed**');
    expect(report).toContain('1 node failed: T1/verify');
    expect(report).toContain('VERIFY_FAILED');
    expect(report).toContain('Command: node test/run.mjs');
    expect(report).toContain('Exit code: 1');
    expect(report).toContain('FAIL multiply multiplies: expected -6, got 6');
  });

  it('still completes a task that does not depend on the failed one, without any of the failed edit', async () => {
    const nodes = nodeStatus();
    for (const part of ['context', 'edit', 'apply', 'verify', 'commit']) expect(nodes[`T3/${part}`]).toBe('succeeded');
    expect(taskRows()['T3'].status).toBe('done');
    const subjects = (await git(scripted.project.dir, 'log', '--reverse', '--format=%s', `main..${summary.branch}`)).split('\n');
    expect(subjects).toEqual(['feat(T3): add negate']);
    // T3's commit holds T3's change only: T1's rejected work was reset away
    expect((await git(scripted.project.dir, 'show', '--name-only', '--format=', summary.branch)).split('\n').sort()).toEqual(['src/calc.js', 'test/negate.test.mjs']);
    expect(await git(scripted.project.dir, 'show', `${summary.branch}:src/calc.js`)).toBe(withNegate.trimEnd());
  });
});

describe('taskgraph do: the same failure twice is a loop', () => {
  const model = scriptedModel({
    planner: planJson([{ id: 'T1', title: 'Add multiply', files: ['src/calc.js', 'test/multiply.test.mjs'] }]),
    coder: {
      // the same wrong edit until a person has answered; then the right one
      T1: (req) =>
        udiff([
          ['src/calc.js', calc.src, calc.withMultiply(req.user.includes('Answer from') ? 'a * b' : 'Math.abs(a) * b')],
          ['test/multiply.test.mjs', null, calc.multiplyTest],
        ]),
    },
  });
  const scripted = useScriptedProject(model, { files: { 'test/calc.test.mjs': calc.testWithoutMultiply } });

  it('suspends the run as needs-human (exit 3) and `answer` resumes it with the answer as a note', async () => {
    const first = await runCli(['-C', scripted.project.dir, 'do', 'Add multiply.', '--json']);
    expect(first.code, describeResult(first)).toBe(3);
    const summary = JSON.parse(first.stdout);
    expect(summary.status).toBe('suspended');
    expect(summary.reason).toMatch(/T1 needs a person: the same failure twice/);
    expect(model.coderRequests('T1')).toHaveLength(2);
    const status = await cliJson(scripted.project.dir, ['status', summary.runId, '--json']);
    expect(status.tasks.find((t: { taskId: string }) => t.taskId === 'T1').status).toBe('needs-human');

    const wrong = await runCli(['-C', scripted.project.dir, 'answer', summary.runId, 'T9', 'x']);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain('waiting: T1');

    const answered = await runCli(['-C', scripted.project.dir, 'answer', summary.runId, 'T1', 'The sign is lost: do not use Math.abs.', '--json']);
    expect(answered.code, describeResult(answered)).toBe(0);
    expect(JSON.parse(answered.stdout).status).toBe('succeeded');
    // the answer is audited with the note it wrote (one transaction)
    const audit = await cliJson(scripted.project.dir, ['audit', '--run', summary.runId, '--json']);
    expect(audit.filter((e: { kind: string }) => e.kind === 'answered')).toMatchObject([
      { subject: 'T1', reason: 'answered: The sign is lost: do not use Math.abs.', details: { task: 'T1', answer: 'The sign is lost: do not use Math.abs.' } },
    ]);
    const third = model.coderRequests('T1')[2]!;
    expect(third.user).toContain('The sign is lost: do not use Math.abs.');
    expect(await git(scripted.project.dir, 'log', '--format=%s', `main..taskgraph/${summary.runId}`)).toContain('feat(T1): add multiply');
  });
});
