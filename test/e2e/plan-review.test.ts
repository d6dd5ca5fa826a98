import { describe, expect, it } from 'vitest';
import { cliJson, describeResult, runCli } from '../support/cli.js';
import { git } from '../support/project.js';
import { calc, planJson, scriptedModel, udiff } from '../support/scripted-model.js';
import { useScriptedProject } from '../support/scripted-project.js';

/**
 * Issue 11, "Plan review before execution", end to end through the loopback fake server:
 * `do --approve-plan` stops after planning with no coder call; a person reads the plan, edits it
 * (a changed title, an added task), has an edit that would close a cycle refused with its path,
 * compares the plan with the planner's output and approves it; the waiting run then executes the
 * plan as edited.
 */
const GOAL = 'Add multiply to the calculator and document it in the README.';
const PLAN_ANSWER = planJson([
  { id: 'T1', title: 'Add multiply', description: 'Add multiply(a, b) to src/calc.js.', files: ['src/calc.js'] },
  { id: 'T2', title: 'Document multiply in the README', description: 'Say how multiply is called.', files: ['README.md'], dependencies: ['T1'] },
]);
const NEW_TITLE = 'Document multiply and its sign rule in the README';
const ADDED_TITLE = 'Add a multiply check of negative numbers';

describe('plan review: do --approve-plan, edit, diff, approve', () => {
  const model = scriptedModel({
    planner: PLAN_ANSWER,
    coder: {
      T1: udiff([['src/calc.js', calc.src, calc.withMultiply('a * b')]]),
      T2: udiff([['README.md', calc.readme, calc.readmeWithMultiply()]]),
      T3: udiff([['test/multiply.test.mjs', null, calc.multiplyTest]]),
    },
  });
  const scripted = useScriptedProject(model);
  const tg = (...args: string[]) => runCli(['-C', scripted.dir, ...args], { env: { USER: 'reviewer-bob' } });

  it('suspends before any task, takes validated edits, diffs them and runs the approved plan', async () => {
    const started = await tg('do', GOAL, '--approve-plan');
    expect(started.code, describeResult(started)).toBe(3);
    const runId = /run (\S+): suspended/.exec(started.stdout)?.[1];
    expect(runId, started.stdout).toBeDefined();
    const planId = /plan (p-\S+) awaits approval/.exec(started.stdout)?.[1];
    expect(planId, started.stdout).toBeDefined();
    expect(started.stdout).toContain(`then taskgraph plan approve ${planId}`);
    expect(model.requests.filter((r) => r.role === 'planner')).toHaveLength(1);
    expect(model.requests.filter((r) => r.role === 'coder')).toHaveLength(0);
    const status = await cliJson(scripted.dir, ['status', runId!, '--json']);
    expect(status.run.status).toBe('suspended');
    expect(status.nodes.map((n: { nodeId: string }) => n.nodeId)).not.toContain('T1/edit');

    // review
    const shown = await tg('plan', 'show', planId!);
    expect(shown.code, describeResult(shown)).toBe(0);
    expect(shown.stdout).toContain(`plan ${planId}  version 1 (planner), not approved`);
    expect(shown.stdout).toMatch(/T2 {2}Document multiply in the README {2}\[atomic\] {2}deps: T1/);
    expect(shown.stdout).toContain('✓ Add multiply is done and the tests pass');

    // edits: a new title, a new task between T1 and T2
    const updated = await tg('task', 'update', planId!, 'T2', '--title', NEW_TITLE);
    expect(updated.code, describeResult(updated)).toBe(0);
    expect(updated.stdout).toContain(`plan ${planId} version 2: update T2: title`);
    const added = await tg('task', 'add', planId!, '--title', ADDED_TITLE, '--acceptance', 'test/multiply.test.mjs checks multiply(-2, 3)', '--files', 'test/multiply.test.mjs', '--deps', 'T1', '--after', 'T1', '--json');
    expect(added.code, describeResult(added)).toBe(0);
    expect(JSON.parse(added.stdout)).toMatchObject({ planId, version: 3, by: 'reviewer-bob', leaves: ['T1', 'T3', 'T2'] });

    // an edit that closes a cycle is refused with its path, and nothing changes
    const cyclic = await tg('link', 'add', 'T1', 'requires', 'T3', '--plan', planId!);
    expect(cyclic.code).toBe(1);
    expect(cyclic.stderr).toContain('[PLAN_INVALID]');
    expect(cyclic.stderr).toContain('T1 -> T3 -> T1');
    const dangling = await tg('task', 'add', planId!, '--title', 'Orphan', '--acceptance', 'x', '--deps', 'T9');
    expect(dangling.code).toBe(1);
    expect(dangling.stderr).toContain('depends on unknown task "T9"');
    const json = await cliJson(scripted.dir, ['plan', 'show', planId!, '--json']);
    expect(json.version).toBe(3);
    expect(json.tasks.map((t: { id: string }) => t.id)).toStrictEqual(['T1', 'T3', 'T2']);
    expect(json.tasks.find((t: { id: string }) => t.id === 'T1').dependencies).toStrictEqual([]);

    // what changed since the planner's answer
    const diff = await tg('plan', 'diff', planId!);
    expect(diff.code, describeResult(diff)).toBe(0);
    expect(diff.stdout).toContain(`plan ${planId}: version 1 (planner) -> version 3 (reviewer-bob)`);
    expect(diff.stdout).toContain(`+ T3  ${ADDED_TITLE}  (deps: T1)`);
    expect(diff.stdout).toContain(`~ T2  title: "Document multiply in the README" -> "${NEW_TITLE}"`);
    expect(diff.stdout).toContain('+ edge T3 requires T1');
    const diffJson = await cliJson(scripted.dir, ['plan', 'diff', planId!, '--json']);
    expect(diffJson.added.map((t: { id: string }) => t.id)).toStrictEqual(['T3']);
    expect(diffJson.removed).toStrictEqual([]);
    expect(diffJson.changed).toStrictEqual([{ id: 'T2', fields: { title: { from: 'Document multiply in the README', to: NEW_TITLE } } }]);
    expect(model.requests.filter((r) => r.role === 'coder')).toHaveLength(0);

    // a forecast assumes the gate passes and shows the plan as edited
    const forecast = await tg('do', GOAL, '--approve-plan', '--dry-run');
    expect(forecast.code, describeResult(forecast)).toBe(0);
    expect(forecast.stdout).toMatch(/run +approve-plan .*assumes it succeeds/);
    expect(forecast.stdout).toContain('T3/edit');
    expect(model.requests).toHaveLength(1);

    // approval resumes the waiting run, which executes the edited plan
    const approved = await tg('plan', 'approve', planId!, '--by', 'alice', '--json');
    expect(approved.code, describeResult(approved)).toBe(0);
    const summary = JSON.parse(approved.stdout.slice(approved.stdout.indexOf('{')));
    expect(summary).toMatchObject({ runId, status: 'succeeded' });
    expect(model.coderRequests('T1')).toHaveLength(1);
    expect(model.coderRequests('T3')).toHaveLength(1);
    expect(model.coderRequests('T3')[0]!.user).toContain(ADDED_TITLE);
    expect(model.coderRequests('T2')).toHaveLength(1);
    expect(model.coderRequests('T2')[0]!.user).toContain(`# Task T2: ${NEW_TITLE}`);
    const log = await git(scripted.dir, 'log', '--format=%s', `main..${summary.branch}`);
    expect(log.trim().split('\n').reverse()).toStrictEqual(['feat(T1): add multiply', `feat(T3): ${ADDED_TITLE.charAt(0).toLowerCase()}${ADDED_TITLE.slice(1)}`, `feat(T2): ${NEW_TITLE.charAt(0).toLowerCase()}${NEW_TITLE.slice(1)}`]);

    // who decided what: two edits by $USER, the approval by --by, tied to the run
    const audit = await cliJson<Array<{ kind: string; who: string; subject: string; runId?: string }>>(scripted.dir, ['audit', '--json']);
    const plan = audit.filter((e) => e.subject === planId);
    expect(plan.map((e) => [e.kind, e.who])).toStrictEqual([
      ['plan-edit', 'reviewer-bob'],
      ['plan-edit', 'reviewer-bob'],
      ['plan-approved', 'alice'],
    ]);
    expect(plan.map((e) => e.runId)).toStrictEqual([runId, runId, runId]);
    const report = await tg('report', runId!, '--print');
    expect(report.stdout).toContain('plan-approved');
    expect(report.stdout).toContain('update T2: title');
    const after = await cliJson(scripted.dir, ['plan', 'show', planId!, '--json']);
    expect(after).toMatchObject({ version: 3, approvedBy: 'alice' });
  });
});

describe('plan review with policy.approvePlan: an edit after approval needs a new one; a skipped task does not run', () => {
  const model = scriptedModel({
    planner: PLAN_ANSWER,
    coder: { T1: udiff([['src/calc.js', calc.src, calc.withMultiply('a * b')]]) },
  });
  const scripted = useScriptedProject(model, { config: (yaml) => yaml.replace(/^policy:\n/m, 'policy:\n  approvePlan: true\n') });
  const tg = (...args: string[]) => runCli(['-C', scripted.dir, ...args], { env: { USER: 'carol' } });

  it('waits again after an edit made once the plan was approved, then runs without the skipped task', async () => {
    const started = await tg('do', GOAL, '--json');
    expect(started.code, describeResult(started)).toBe(3);
    const { runId } = JSON.parse(started.stdout);
    const status = await cliJson(scripted.dir, ['status', runId, '--json']);
    const planId: string = status.run.planId;
    expect(planId).toMatch(/^p-/);

    const approved = await tg('plan', 'approve', planId, '--no-resume', '--json');
    expect(approved.code, describeResult(approved)).toBe(0);
    expect(JSON.parse(approved.stdout)).toMatchObject({ planId, version: 1, approvedBy: 'carol', resumed: null });
    const skipped = await tg('task', 'update', planId, 'T2', '--status', 'skipped');
    expect(skipped.code, describeResult(skipped)).toBe(0);

    // version 2 is not approved: the run still waits, and no coder was asked
    const resumed = await tg('resume', runId);
    expect(resumed.code, describeResult(resumed)).toBe(3);
    expect(resumed.stdout).toContain(`plan ${planId} awaits approval`);
    expect(model.requests.filter((r) => r.role === 'coder')).toHaveLength(0);
    const diff = await cliJson(scripted.dir, ['plan', 'diff', planId, '--json']);
    expect(diff.changed).toStrictEqual([{ id: 'T2', fields: { status: { from: 'pending', to: 'skipped' } } }]);
    expect(diff.from).toStrictEqual({ version: 1, by: 'planner', approvedBy: 'carol' });

    const done = await tg('plan', 'approve', planId, '--json');
    expect(done.code, describeResult(done)).toBe(0);
    expect(JSON.parse(done.stdout)).toMatchObject({ runId, status: 'succeeded' });
    expect(model.coderRequests('T1')).toHaveLength(1);
    expect(model.coderRequests('T2')).toHaveLength(0);
    const audit = await cliJson<Array<{ kind: string; subject: string; details: { version: number } }>>(scripted.dir, ['audit', '--json']);
    expect(audit.filter((e) => e.subject === planId).map((e) => [e.kind, e.details.version])).toStrictEqual([
      ['plan-approved', 1],
      ['plan-edit', 2],
      ['plan-approved', 2],
    ]);
  });
});

describe('plan, edit, then do: the saved plan runs as edited', () => {
  const model = scriptedModel({
    planner: PLAN_ANSWER,
    coder: {
      T1: udiff([['src/calc.js', calc.src, calc.withMultiply('a * b')]]),
      T3: udiff([['test/multiply.test.mjs', null, calc.multiplyTest]]),
    },
  });
  const scripted = useScriptedProject(model);
  const tg = (...args: string[]) => runCli(['-C', scripted.dir, ...args], { env: { USER: 'dan' } });

  it('runs an added task and leaves out a removed one, with no second planner call', async () => {
    const planned = await cliJson(scripted.dir, ['plan', GOAL, '--json']);
    const planId: string = planned.id;
    expect((await tg('task', 'add', planId, '--title', ADDED_TITLE, '--acceptance', 'multiply(-2, 3) is checked', '--deps', 'T1')).code).toBe(0);
    const removed = await tg('task', 'rm', planId, 'T2');
    expect(removed.code, describeResult(removed)).toBe(0);
    const done = await tg('do', GOAL, '--json');
    expect(done.code, describeResult(done)).toBe(0);
    expect(model.requests.filter((r) => r.role === 'planner')).toHaveLength(1);
    expect(model.coderRequests('T1')).toHaveLength(1);
    expect(model.coderRequests('T3')).toHaveLength(1);
    expect(model.coderRequests('T2')).toHaveLength(0);

    // two people editing at once from two processes: each edit lands as its own version or is
    // refused as stale (RUN_STATE); neither overwrites the other
    const [a, b] = await Promise.all([tg('task', 'update', planId, 'T1', '--title', 'Edit A'), tg('task', 'update', planId, 'T3', '--title', 'Edit B')]);
    for (const r of [a, b]) if (r.code !== 0) expect(r.stderr).toContain('[RUN_STATE]');
    const after = await cliJson(scripted.dir, ['plan', 'show', planId, '--json']);
    const titles = Object.fromEntries(after.tasks.map((t: { id: string; title: string }) => [t.id, t.title]));
    expect(titles['T1'] === 'Edit A').toBe(a.code === 0);
    expect(titles['T3'] === 'Edit B').toBe(b.code === 0);
    expect(after.version).toBe(3 + [a, b].filter((r) => r.code === 0).length);

    // run PLAN honours plan review too: the tasks wait for the newest version's approval
    const coderCalls = model.requests.filter((r) => r.role === 'coder').length;
    const gated = await tg('run', planId, '--approve-plan', '--json');
    expect(gated.code, describeResult(gated)).toBe(3);
    const gatedRun: string = JSON.parse(gated.stdout).runId;
    expect(JSON.parse(gated.stdout).reason).toBe('waiting for approve-plan');
    expect(model.requests.filter((r) => r.role === 'coder')).toHaveLength(coderCalls);
    const approved = await tg('plan', 'approve', planId, '--json');
    expect(approved.code, describeResult(approved)).toBe(0);
    expect(JSON.parse(approved.stdout)).toMatchObject({ runId: gatedRun, status: 'succeeded' });
  });
});
