import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cliJson, describeResult, runCli } from '../support/cli.js';
import { git } from '../support/project.js';
import { calc, planJson, scriptedModel, udiff } from '../support/scripted-model.js';
import { useScriptedProject } from '../support/scripted-project.js';
import { readAttempts } from '../support/store-db.js';

/**
 * The forecast equals what the engine then does (issue: "why and run --dry-run predict re-runs
 * that do not happen"). For each scenario: forecast a new run (`--dry-run --json`), run it, and
 * compare the forecast's nodes that run with the nodes the engine executed (any attempt that was
 * not a cache hit), read from the store. The scripted model answers like a live one: a changed
 * prompt gets a different answer (a hash of the prompt in a comment), so a node that re-runs
 * changes what its dependents see. The last scenario is the one case a forecast cannot decide —
 * a node re-runs and returns the same output, so its dependents stay cached — and checks the
 * forecast says so: those dependents are reported as `certain: false`.
 */

const short = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 8);
const GOAL = 'Add multiply to the calculator and document it in the README.';
const GOAL_SPLIT = 'Add multiply with its own check.';

const model = scriptedModel({
  planner: (req) => {
    // the split goal: one task that always fails; its replan (with the failure notes) splits it
    if (req.user.includes(GOAL_SPLIT)) return planJson([{ id: 'T1', title: 'Add multiply and its check', files: ['src/calc.js', 'test/multiply.test.mjs'] }]);
    if (req.user.includes('Add multiply and its check')) {
      return planJson([
        { id: 'T1', title: 'Add the multiply function', files: ['src/calc.js'] },
        { id: 'T2', title: 'Add the multiply check', files: ['test/multiply.test.mjs'], dependencies: ['T1'] },
      ]);
    }
    return planJson([
      { id: 'T1', title: 'Add multiply', description: 'Add multiply(a, b) to src/calc.js.', files: ['src/calc.js'] },
      { id: 'T2', title: 'Document multiply in the README', files: ['README.md', 'src/calc.js'], dependencies: ['T1'] },
    ]);
  },
  coder: {
    T1: (req) =>
      req.user.includes('Add multiply and its check')
        ? // the task that gets split: always wrong (a different wrong answer each time, so no loop)
          udiff([['src/calc.js', calc.src, calc.withMultiply(`a * b + ${req.attempt}`)], ['test/multiply.test.mjs', null, calc.multiplyTest]])
        : req.user.includes('Add the multiply function')
          ? udiff([['src/calc.js', calc.src, calc.withMultiply('a * b')]])
          : udiff([['src/calc.js', calc.src, calc.withMultiply(`a * b /* ${short(req.user)} */`)]]),
    T2: (req) =>
      req.user.includes('Add the multiply check')
        ? udiff([['test/multiply.test.mjs', null, calc.multiplyTest]])
        : udiff([['README.md', calc.readme, calc.readme.replace('- `subtract(a, b)`: `a` minus `b`.\n', `- \`subtract(a, b)\`: \`a\` minus \`b\`.\n- \`multiply(a, b)\`: the product (${short(req.user)}).\n`)]]),
    'T1.1': udiff([['src/calc.js', calc.src, calc.withMultiply('a * b')]]),
    'T1.2': udiff([['test/multiply.test.mjs', null, calc.multiplyTest]]),
  },
});

/** `{ id: '...', ... }` graph file text with a custom llm node whose prompt is `prompt`. */
const graphFile = (prompt: string, extra = '') => `id: property
nodes:
  - { id: city, kind: script, config: { fn: echo, args: { name: Lyon } } }
  - id: ask
    kind: llm
    config: { profile: coder, prompt: "${prompt} {{name}}" }
    inputs: { name: { $ref: city, path: name } }
  - { id: shout, kind: script, config: { fn: noop }, inputs: { text: { $ref: ask, path: text } } }
  - { id: other, kind: script, config: { fn: echo, args: 1 } }
${extra}`;

describe('a forecast equals what the engine then does', () => {
  // the coder answers custom prompts too: the answer depends on the prompt unless it asks to "repeat"
  const respond = model.respond;
  const scripted = useScriptedProject(
    {
      ...model,
      respond: (req) => {
        const user = req.messages.filter((m) => m.role === 'user').map((m) => m.content).join('\n');
        if (user.startsWith('Greet') || user.startsWith('Hello')) return { content: `greeting ${short(user)}` };
        if (user.startsWith('Repeat')) return { content: 'the same answer' };
        return respond(req);
      },
    },
    { config: (y) => y.replace('maxAttempts: 3', 'maxAttempts: 2') },
  );

  /** Forecasts `args` with --dry-run, runs it, and returns both sets. */
  async function forecastAndRun(args: string[]): Promise<{ forecast: any; executed: string[]; runId: string; willRun: string[]; certain: string[] }> {
    const dir = scripted.dir;
    const forecast = await cliJson(dir, [...args, '--dry-run', '--json'], { timeoutMs: 300_000 });
    const r = await runCli(['-C', dir, ...args, '--json'], { timeoutMs: 300_000 });
    expect([0, 3], describeResult(r)).toContain(r.code);
    const runId: string = JSON.parse(r.stdout).runId;
    const executed = [...new Set(readAttempts(dir, runId).filter((a) => a.status !== 'cached').map((a) => a.node_id))].sort();
    const nodes = forecast.nodes as Array<{ nodeId: string; willRun: boolean; certain: boolean }>;
    return {
      forecast,
      executed,
      runId,
      willRun: nodes.filter((n) => n.willRun).map((n) => n.nodeId).sort(),
      certain: nodes.filter((n) => n.willRun && n.certain).map((n) => n.nodeId).sort(),
    };
  }

  it('fresh, cached, notes changed, file changed, after a decomposition', async () => {
    const dir = scripted.dir;
    // fresh: the plan will run; what it plans is not known before it runs
    const fresh = await forecastAndRun(['do', GOAL]);
    expect(fresh.forecast.expands).toEqual(['plan']);
    expect(fresh.executed).toEqual(expect.arrayContaining(fresh.willRun));
    const known = new Set((fresh.forecast.nodes as Array<{ nodeId: string }>).map((n) => n.nodeId));
    // every executed node the forecast did not list came out of the plan's expansion
    expect(fresh.executed.filter((id) => !known.has(id)).every((id) => /^T\d|^index$/.test(id))).toBe(true);

    // cached: nothing runs, and the forecast says so (before the fix, `why` and --dry-run named
    // "project context changed" and "siblings changed" here)
    const cached = await forecastAndRun(['do', GOAL]);
    expect(cached.willRun).toEqual([]);
    expect(cached.executed).toEqual([]);

    // notes changed: T1's context and edit for certain; its answer changes, so all that follows runs
    const planId = JSON.parse((await runCli(['-C', dir, 'runs', '--json'])).stdout)[0].planId as string;
    const noted = await runCli(['-C', dir, 'note', 'T1', 'keep the comment style of the file', '--plan', planId]);
    expect(noted.code, describeResult(noted)).toBe(0);
    const notes = await forecastAndRun(['do', GOAL]);
    expect(notes.certain).toEqual(expect.arrayContaining(['T1/context', 'T1/edit']));
    expect(notes.certain).not.toContain('plan');
    expect(notes.executed).toEqual(notes.willRun);

    // a file changed in the repository: the planner sees the project's code (its bundle is in the
    // plan's key, and this small project fits it whole), so the plan runs again for certain, and
    // like a fresh plan its nodes are not known before it answers; each task's context then sees
    // the new file in its bundle, so the tasks run again too
    await writeFile(join(dir, 'test', 'calc.test.mjs'), `${calc.test}// checks of the calculator\n`);
    await git(dir, 'commit', '-q', '-am', 'comment the checks');
    const file = await forecastAndRun(['do', GOAL]);
    expect(file.certain).toEqual(['plan']);
    expect(file.forecast.expands).toEqual(['plan']);
    expect(file.executed).toEqual(expect.arrayContaining(file.willRun));
    const listed = new Set((file.forecast.nodes as Array<{ nodeId: string }>).map((n) => n.nodeId));
    expect(file.executed.filter((id) => !listed.has(id)).every((id) => /^T\d|^index$/.test(id))).toBe(true);
    expect(file.executed).toContain('T1/context');

    // the plan run again by id: the same nodes, all cached
    const again = await forecastAndRun(['run', planId]);
    expect(again.willRun).toEqual(again.executed);

    // after a decomposition: a task that fails twice is split (ADaPT); a new run of the same goal
    // goes straight to its subtasks, all cached, and the forecast knows it
    const split = await runCli(['-C', dir, 'do', GOAL_SPLIT, '--json'], { timeoutMs: 300_000 });
    expect(split.code, describeResult(split)).toBe(0);
    expect(readAttempts(dir, JSON.parse(split.stdout).runId).some((a) => a.node_id === 'T1/replan')).toBe(true);
    const afterSplit = await forecastAndRun(['do', GOAL_SPLIT]);
    expect(afterSplit.willRun).toEqual([]);
    expect(afterSplit.executed).toEqual([]);
  }, 300_000);

  it('one node changed, after a resume, and a re-run with the same output', async () => {
    const dir = scripted.dir;
    const path = join(scripted.project.base, 'property.yaml');
    const approval = `  - { id: review, kind: approval, config: { question: "ok?" }, needs: [shout] }\n`;
    await writeFile(path, graphFile('Greet', approval));
    const first = await forecastAndRun(['run', path]);
    expect(first.executed).toEqual(first.willRun.filter((id) => id !== 'review').concat('review').sort());
    // after a resume: the run waits at the approval; approving resumes it to the end
    const approved = await runCli(['-C', dir, 'approve', first.runId, 'review', '--json']);
    expect(approved.code, describeResult(approved)).toBe(0);
    const resumed = await forecastAndRun(['run', path]);
    expect(resumed.willRun).toEqual(['review']); // an approval is asked again in every run
    expect(resumed.executed).toEqual(['review']);

    // one node changed: the prompt of ask; its answer changes, so shout runs too
    await writeFile(path, graphFile('Hello'));
    const changed = await forecastAndRun(['run', path]);
    expect(changed.certain).toEqual(['ask']);
    expect(changed.willRun).toEqual(['ask', 'shout']);
    expect(changed.executed).toEqual(changed.willRun);

    // edits and commits: the forecast applies and commits in its scratch worktree, so it knows
    // every key after them (here the edit is a literal, so nothing waits for a model)
    const edits = join(scripted.project.base, 'edits.yaml');
    const editGraph = (line: string, message: string) => `id: edits
nodes:
  - id: edit
    kind: script
    config: { fn: echo, args: ${JSON.stringify(udiff([['NOTES.md', null, `# Notes\n\n${line}\n`]]))} }
  - { id: apply, kind: apply, inputs: { edit: { $ref: edit } } }
  - { id: commit, kind: script, config: { fn: git-commit, args: { message: "${message}" } }, inputs: { tree: { $ref: apply, path: tree } } }
  - { id: after, kind: script, config: { fn: noop }, inputs: { c: { $ref: commit, path: message } } }
`;
    await writeFile(edits, editGraph('first', 'docs: notes'));
    const e1 = await forecastAndRun(['run', edits]);
    expect(e1.certain).toEqual(e1.willRun);
    expect(e1.executed).toEqual(e1.willRun);
    await writeFile(edits, editGraph('first', 'docs: add notes'));
    const e2 = await forecastAndRun(['run', edits]);
    expect(e2.willRun).toEqual(['after', 'commit']);
    expect(e2.certain).toEqual(e2.willRun);
    expect(e2.executed).toEqual(e2.willRun);
    await writeFile(edits, editGraph('second', 'docs: add notes'));
    const e3 = await forecastAndRun(['run', edits]);
    expect(e3.willRun).toEqual(['apply', 'commit', 'edit']); // after reads only the message, which is the same
    expect(e3.certain).toEqual(e3.willRun);
    expect(e3.executed).toEqual(e3.willRun);

    // the undecidable case: ask re-runs and answers exactly as before, so shout stays cached;
    // the forecast had said shout would run only after ask, and not for certain
    await writeFile(path, graphFile('Repeat'));
    await runCli(['-C', dir, 'run', path, '--json']);
    await writeFile(path, graphFile('Repeat after me'));
    const cutoff = await forecastAndRun(['run', path]);
    const shout = cutoff.forecast.nodes.find((n: { nodeId: string }) => n.nodeId === 'shout');
    expect(shout).toMatchObject({ willRun: true, certain: false });
    expect(shout.reason).toContain("runs unless ask's new output equals its old one");
    expect(cutoff.executed).toEqual(['ask']);
    expect(cutoff.certain).toEqual(['ask']);
  }, 300_000);
});
