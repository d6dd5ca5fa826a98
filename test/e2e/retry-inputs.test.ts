import { describe, expect, it } from 'vitest';
import { readAttemptResults } from '../support/attempt-outputs.js';
import { cliJson, describeResult, runCli } from '../support/cli.js';
import { calc, planJson, scriptedModel, udiff } from '../support/scripted-model.js';
import { useScriptedProject } from '../support/scripted-project.js';

/**
 * Issue 9 items 2 and 3 end to end: the retry of a task whose edit was applied and then failed
 * verification shows that edit (marked so) with its failure note, and the failing test's whole
 * block, which the failure named, pinned right after the notes.
 */

// node's own test runner (TAP when not on a terminal): the failure names the test file with
// absolute worktree paths (`location:` and a stack frame) and the failing test by name
const FILLER = (from: number) =>
  Array.from({ length: 12 }, (_, i) => `test('add case ${from + i}', () => {\n  assert.equal(add(${from + i}, 1), ${from + i + 1});\n});\n`).join('\n');
const SIGN_TEST = `test('multiply keeps the sign', () => {\n  const product = multiply(-2, 3);\n  assert.equal(product, -6);\n});\n`;
const SPEC = `import test from 'node:test';\nimport assert from 'node:assert/strict';\nimport { add, multiply } from '../src/calc.js';\n\n${FILLER(0)}\n${SIGN_TEST}\n${FILLER(100)}`;
const SIGN_START = SPEC.split('\n').indexOf("test('multiply keeps the sign', () => {") + 1;

const PLAN = planJson([{ id: 'T1', title: 'Add multiply', description: 'Add multiply(a, b) to src/calc.js.', files: ['src/calc.js'] }]);

describe('taskgraph do: a retry sees its previous attempt and the code its failure names', () => {
  const model = scriptedModel({
    planner: PLAN,
    coder: { T1: (req) => udiff([['src/calc.js', calc.src, calc.withMultiply(req.attempt === 1 ? 'Math.abs(a) * b' : 'a * b')]]) },
  });
  const scripted = useScriptedProject(model, {
    files: { 'test/sign.spec.mjs': SPEC },
    config: (yaml) => yaml.replace('test: node test/run.mjs', 'test: node --test test/sign.spec.mjs'),
  });

  it('shows the applied diff marked as failed, the failure note, and the failing test block whole', async () => {
    const { dir } = scripted.project;
    const r = await runCli(['-C', dir, 'do', 'Add multiply to the calculator.', '--json']);
    expect(r.code, describeResult(r)).toBe(0);
    const summary = JSON.parse(r.stdout);
    const [first, retry] = model.coderRequests('T1');
    expect(first!.user).not.toContain('Previous attempt');
    expect(first!.user).not.toContain('Named by the failure');

    // item 2: the previous diff, marked applied-and-failed-verify, with the failure note
    const prompt = retry!.user;
    expect(prompt).toContain('Attempt 1 failed at T1/verify (VERIFY_FAILED)');
    expect(prompt).toContain('6 !== -6'); // the error line
    expect(prompt).toContain('#### Previous attempt: the edit of attempt 1');
    expect(prompt).toContain('it was applied and then failed at T1/verify');
    expect(prompt).toMatch(/```diff\ndiff --git a\/src\/calc\.js b\/src\/calc\.js\n[^]*\n\+  return Math\.abs\(a\) \* b;\n/);

    // item 3: the failing test's whole block, right after the task and its notes
    const heading = `# Named by the failure of attempt 1: test/sign.spec.mjs lines ${SIGN_START}-${SIGN_START + 3}`;
    expect(prompt).toContain(`${heading}\n\`\`\`js\n${SIGN_TEST.trimEnd()}\n\`\`\``);
    expect(prompt.indexOf(heading)).toBeGreaterThan(prompt.indexOf('#### Previous attempt'));

    // the manifest says why
    const bundles = readAttemptResults(dir, summary.runId).filter((a) => a.node_id === 'T1/context');
    const bundle = JSON.parse(bundles[bundles.length - 1]!.output!) as { items: Array<{ source: string; why: string; title: string }> };
    const pinned = bundle.items.filter((i) => i.source === 'failure');
    expect(pinned.map((i) => i.title)).toEqual([`test/sign.spec.mjs:${SIGN_START}-${SIGN_START + 3}`]);
    expect(pinned[0]!.why).toMatch(/^tier 10: named by the failure of attempt 1 \(test\/sign\.spec\.mjs:\d+.*failing test "multiply keeps the sign"\): the enclosing block$/);

    // the note records the diff once, in the store; a person reading the notes sees it too
    const status = await cliJson(dir, ['status', summary.runId, '--json']);
    const notes: string[] = status.plan.tasks.find((t: { id: string }) => t.id === 'T1').notes;
    expect(notes).toHaveLength(1);
    expect(notes[0]).toContain('#### Edit of attempt 1 (applied, then the task failed at T1/verify):');

    // `context preview` shows the same pin, with its reason
    const preview = await runCli(['-C', dir, 'context', 'preview', 'T1']);
    expect(preview.code, describeResult(preview)).toBe(0);
    expect(preview.stdout).toMatch(new RegExp(`failure +test/sign\\.spec\\.mjs:${SIGN_START}-${SIGN_START + 3} +\\d+ tokens +tier 10: named by the failure of attempt 1 `));

    // a second run of the same goal is served from the cache: the bundle's inputs are all in its key
    const again = await runCli(['-C', dir, 'do', 'Add multiply to the calculator.', '--json']);
    expect(again.code, describeResult(again)).toBe(0);
    const rerun = await cliJson(dir, ['status', JSON.parse(again.stdout).runId, '--json']);
    expect(rerun.nodes.filter((n: { status: string }) => n.status !== 'cached').map((n: { nodeId: string }) => n.nodeId)).toEqual([]);
    expect(model.coderRequests('T1')).toHaveLength(2);
  });
});

describe('taskgraph do: the third try summarises the first', () => {
  // the second failure differs from the first (else loop detection holds the task)
  const answers = ['Math.abs(a) * b', 'timesHelper(a, b)', 'a * b'];
  const model = scriptedModel({
    planner: PLAN,
    coder: { T1: (req) => udiff([['src/calc.js', calc.src, calc.withMultiply(answers[req.attempt - 1]!)]]) },
  });
  const scripted = useScriptedProject(model, {
    files: { 'test/sign.spec.mjs': SPEC },
    config: (yaml) => yaml.replace('test: node test/run.mjs', 'test: node --test test/sign.spec.mjs'),
  });

  it('shows attempt 2 whole and attempt 1 in short, naming its edit without repeating it', async () => {
    const r = await runCli(['-C', scripted.project.dir, 'do', 'Add multiply to the calculator.', '--json']);
    expect(r.code, describeResult(r)).toBe(0);
    const third = model.coderRequests('T1')[2]!.user;
    expect(third).toContain('Attempt 1 failed at T1/verify (VERIFY_FAILED)');
    expect(third).toContain('(an older attempt: its output is not repeated; `taskgraph notes` shows it whole)');
    expect(third).toContain('Edit of attempt 1 (applied, then failed): changed src/calc.js (+5 −0 lines); not shown again');
    expect(third).not.toContain('Math.abs(a) * b');
    expect(third).toContain('#### Previous attempt: the edit of attempt 2');
    expect(third).toContain('+  return timesHelper(a, b);');
    expect(third).toContain('timesHelper is not defined');
    expect(third).toContain('# Named by the failure of attempt 2: test/sign.spec.mjs');
  });
});
