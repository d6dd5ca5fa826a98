import { describe, expect, it } from 'vitest';
import { cliJson, describeResult, runCli } from '../support/cli.js';
import { calc, planJson, scriptedModel, udiff } from '../support/scripted-model.js';
import { useScriptedProject } from '../support/scripted-project.js';

/**
 * Issue 9 item 1, end to end: the note a retry gets after a failed verify is the failure digest
 * of the test output (the failing test's name, its error, expected and actual, its frame in the
 * project), not its head and tail, and the passing tests and their log lines are dropped.
 */

/** node:test checks (TAP when not a TTY): 40 noisy passing tests around the one that fails */
const UNIT_TESTS = `import test from 'node:test';
import assert from 'node:assert/strict';
import * as calc from '../../src/calc.js';

const noisy = (i) => {
  for (let k = 0; k < 8; k++) console.log(\`[adder] warming the legacy adder cache \${i}.\${k}\`);
  assert.equal(calc.add(i, 1), i + 1);
};
for (let i = 0; i < 20; i++) test(\`add \${i}\`, () => noisy(i));
test('multiply keeps the sign', () => {
  assert.equal(typeof calc.multiply, 'function');
  assert.equal(calc.multiply(-2, 3), -6);
});
for (let i = 20; i < 40; i++) test(\`add \${i}\`, () => noisy(i));
`;

const GOAL = 'Add multiply to the calculator.';
const PLAN = planJson([{ id: 'T1', title: 'Add multiply', description: 'Add multiply(a, b) to src/calc.js.', files: ['src/calc.js'] }]);

describe('failure notes from test output', () => {
  const model = scriptedModel({
    planner: PLAN,
    coder: {
      // the first answer loses the sign; the retry, which sees the digest, is right
      T1: (req) => udiff([['src/calc.js', calc.src, calc.withMultiply(req.attempt === 1 ? 'Math.abs(a) * b' : 'a * b')]]),
    },
  });
  const scripted = useScriptedProject(model, {
    files: { 'test/unit/calc.test.mjs': UNIT_TESTS },
    config: (yaml) => {
      const next = yaml.replace(/\n {2}test: node test\/run\.mjs\n/, '\n  test: node --test test/unit/\n');
      if (next === yaml) throw new Error("the sample's taskgraph.yaml no longer has its test command");
      return next;
    },
  });

  it("retries with the failing test's name, error, expected and actual, without the passing tests and their logs", async () => {
    const r = await runCli(['-C', scripted.dir, 'do', GOAL, '--json']);
    expect(r.code, describeResult(r)).toBe(0);
    const runId: string = JSON.parse(r.stdout).runId;

    const retry = model.coderRequests('T1')[1]!.user;
    const start = retry.indexOf('Attempt 1 failed at T1/verify (VERIFY_FAILED)');
    expect(start).toBeGreaterThanOrEqual(0);
    // the note ends with its closing fence (the prompt goes on with the files, which hold the test's source)
    const note = retry.slice(start, retry.indexOf('\n```\n', retry.indexOf('Dropped: ', start)) + 4);
    expect(note).toContain('Command: node --test test/unit/');
    expect(note).toContain('Exit code: 1');
    expect(note).toContain('Failing tests (1, read from tap):');
    expect(note).toContain('- test/unit/calc.test.mjs > multiply keeps the sign');
    expect(note).toContain('6 !== -6');
    expect(note).toContain('expected: -6');
    expect(note).toContain('actual: 6');
    expect(note).toMatch(/at TestContext\.<anonymous> \(test\/unit\/calc\.test\.mjs:\d+:\d+\)/);
    expect(note).toMatch(/Dropped: \d+ passing-test lines/);
    expect(note).not.toContain('[adder]');
    expect(note).not.toContain('node:internal');

    const status = await cliJson(scripted.dir, ['status', runId, '--json']);
    const t1 = status.plan.tasks.find((t: { id: string }) => t.id === 'T1');
    expect(t1.notes).toHaveLength(1);
    expect(t1.notes[0]).toContain('multiply keeps the sign');
    expect(t1.notes[0].length).toBeLessThan(4000 + 300);
  });
});
