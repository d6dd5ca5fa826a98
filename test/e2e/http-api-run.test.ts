import { describe, expect, it } from 'vitest';
import { runBranchName } from '../../src/workspace/run-worktree.js';
import { useApi } from '../support/api-server.js';
import { git } from '../support/project.js';
import { calc, planJson, scriptedModel, udiff } from '../support/scripted-model.js';
import { useScriptedProject } from '../support/scripted-project.js';

/**
 * `POST /run` over loopback against the fake model: the run id comes back at once, the run goes
 * on in the server process, waits at its plan gate; `POST /plans/{id}/approve` resumes it in the
 * server and it commits the task on its branch.
 */
const GOAL = 'Add multiply to the calculator.';
const PLAN = planJson([{ id: 'T1', title: 'Add multiply', description: 'Add multiply(a, b) to src/calc.js.', files: ['src/calc.js'] }]);

describe('POST /run: a `do` run started over HTTP, with plan approval', () => {
  const model = scriptedModel({ planner: PLAN, coder: { T1: udiff([['src/calc.js', calc.src, calc.withMultiply('a * b')]]) } });
  const scripted = useScriptedProject(model);
  const { state, call } = useApi(scripted);

  it('answers with the run id at once, waits at the plan gate, and runs the plan once it is approved through the API', async () => {
    const started = await call('POST', '/run', { goal: GOAL, approvePlan: true });
    expect(started.status, JSON.stringify(started.body)).toBe(202);
    const runId = started.body.runId as string;
    expect(runId).toMatch(/^r-/);
    expect(state.server.runs.has(runId)).toBe(true);
    // the run is recorded before the answer: a GET right after it finds the run
    const early = await call('GET', `/runs/${runId}`);
    expect(early.status).toBe(200);
    expect(early.body.run).toMatchObject({ id: runId, command: 'do', options: { goal: GOAL } });
    await state.server.runs.settled(runId);
    const waiting = await call('GET', `/runs/${runId}`);
    expect(waiting.body.run).toMatchObject({ id: runId, status: 'suspended', command: 'do' });
    const planId = waiting.body.run.planId as string;
    expect(planId).toMatch(/^p-/);
    expect(model.requests.filter((r) => r.role === 'coder')).toHaveLength(0);

    const approved = await call('POST', `/plans/${planId}/approve`, { by: 'frank' });
    expect(approved.status, JSON.stringify(approved.body)).toBe(200);
    expect(approved.body).toMatchObject({ planId, approvedBy: 'frank', resuming: runId });
    await state.server.runs.settled(runId);
    const done = await call('GET', `/runs/${runId}`);
    expect(done.body.run.status, done.body.run.reason).toBe('succeeded');
    expect(done.body.nodes.find((n: { nodeId: string }) => n.nodeId === 'T1/apply').status).toBe('succeeded');
    expect(done.body.report).toContain('succeeded');
    expect(await git(scripted.dir, 'show', `${done.body.run.branch}:src/calc.js`)).toContain('export function multiply(a, b)');
    const planAudit = await call('GET', `/audit?run=${runId}`);
    expect(planAudit.body.some((e: { kind: string; who: string }) => e.kind === 'plan-approved' && e.who === 'frank')).toBe(true);
  });
});

const CI = '.github/workflows/ci.yml';
const CI_YAML = 'name: ci\non: [push]\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - run: npm test\n';
const COMMENT = 'Do not add CI workflows in this task; change src/calc.js only.';

describe('GET /approvals and POST /approvals: an edit touching .github/ rejected over HTTP with a comment', () => {
  const withCi = udiff([
    ['src/calc.js', calc.src, calc.withMultiply('a * b')],
    [CI, null, CI_YAML],
  ]);
  const onlyCalc = udiff([['src/calc.js', calc.src, calc.withMultiply('a * b')]]);
  const model = scriptedModel({ planner: PLAN, coder: { T1: (req) => (req.attempt === 1 ? withCi : onlyCalc) } });
  const scripted = useScriptedProject(model);
  const { state, call } = useApi(scripted);

  it('lists the pending edit with its risk and diff, and a rejection refines the task with the comment', async () => {
    const started = await call('POST', '/run', { goal: GOAL });
    expect(started.status, JSON.stringify(started.body)).toBe(202);
    const runId = started.body.runId as string;
    await state.server.runs.settled(runId);
    expect((await call('GET', `/runs/${runId}`)).body.run.status).toBe('suspended');

    const pending = await call('GET', '/approvals?status=pending');
    expect(pending.status).toBe(200);
    expect(pending.body).toHaveLength(1);
    expect(pending.body[0]).toMatchObject({ runId, nodeId: 'T1/apply', risk: 40, stat: { files: 2, deleted: 0 } });
    expect(pending.body[0].diff).toContain(`+++ b/${CI}`);
    expect((await call('GET', `/approvals?run=${runId}`)).body).toEqual(pending.body);

    const rejected = await call('POST', '/approvals', { runId, nodeId: 'T1/apply', decision: 'reject', comment: COMMENT, by: 'bob' });
    expect(rejected.status, JSON.stringify(rejected.body)).toBe(200);
    expect(rejected.body).toMatchObject({ decision: 'rejected', outcome: 'resuming' });
    await state.server.runs.settled(runId);
    const done = await call('GET', `/runs/${runId}`);
    expect(done.body.run.status, done.body.run.reason).toBe('succeeded');
    const t1 = model.coderRequests('T1');
    expect(t1).toHaveLength(2);
    expect(t1[1]!.user).toContain(COMMENT);
    const audit = (await call('GET', `/audit?run=${runId}`)).body.filter((e: { subject: string }) => e.subject === 'T1/apply');
    expect(audit.map((e: { kind: string; who: string; risk: number }) => [e.kind, e.who, e.risk])).toEqual([
      ['approval-requested', 'taskgraph', 40],
      ['rejected', 'bob', 40],
    ]);
    expect(audit[1].details.diffHash).toBe(audit[0].details.diffHash);
    expect((await call('GET', '/approvals')).body).toEqual([]);
  });
});

describe('POST /plans: a goal or a PRD planned over HTTP, as `taskgraph plan` does', () => {
  const PRD = '# Requirements\n\n- multiply(a, b) returns the product\n- it is exported from src/calc.js\n';
  const model = scriptedModel({ planner: PLAN });
  const scripted = useScriptedProject(model);
  const { state, call } = useApi(scripted);
  const planners = () => model.requests.filter((r) => r.role === 'planner');

  it('answers 202 with the planning run at once; the plan is saved in the server, its worktree and branch removed; the same goal again reuses it', async () => {
    const started = await call('POST', '/plans', { goal: GOAL });
    expect(started.status, JSON.stringify(started.body)).toBe(202);
    expect(started.body).toEqual({ runId: expect.stringMatching(/^r-/), status: 'planning' });
    const runId = started.body.runId as string;
    const early = await call('GET', `/runs/${runId}`);
    expect(early.status).toBe(200);
    expect(early.body.run).toMatchObject({ id: runId, command: 'plan', options: { goal: GOAL } });
    await state.server.runs.settled(runId);
    const done = (await call('GET', `/runs/${runId}`)).body;
    expect(done.run.status, done.run.reason).toBe('succeeded');
    const planId = done.run.planId as string;
    expect(planId).toMatch(/^p-/);
    const plan = await call('GET', `/plans/${planId}`);
    expect(plan.status).toBe(200);
    expect(plan.body).toMatchObject({ id: planId, goal: GOAL, leaves: ['T1'] });
    expect(plan.body.tasks.map((t: { id: string; title: string }) => [t.id, t.title])).toEqual([['T1', 'Add multiply']]);
    expect(planners()).toHaveLength(1);
    expect(planners()[0]!.user).toContain(GOAL);
    // planning only: no task ran, and the temporary worktree and branch are gone
    expect(done.nodes.map((n: { nodeId: string }) => n.nodeId)).toEqual(['plan']);
    expect(await git(scripted.dir, 'branch', '--list', runBranchName(runId))).toBe('');
    expect(await git(scripted.dir, 'worktree', 'list')).not.toContain(runId);

    const again = await call('POST', '/plans', { goal: GOAL });
    expect(again.status).toBe(202);
    await state.server.runs.settled(again.body.runId);
    const reused = (await call('GET', `/runs/${again.body.runId}`)).body;
    expect(reused.run).toMatchObject({ status: 'succeeded', planId });
    expect(reused.nodes).toEqual([expect.objectContaining({ nodeId: 'plan', status: 'cached' })]);
    expect(planners()).toHaveLength(1);
  });

  it('plans a PRD given as text (after the goal when both are given)', async () => {
    const started = await call('POST', '/plans', { goal: 'Extend the calculator.', prd: PRD, maxDepth: 1 });
    expect(started.status, JSON.stringify(started.body)).toBe(202);
    await state.server.runs.settled(started.body.runId);
    const run = (await call('GET', `/runs/${started.body.runId}`)).body.run;
    expect(run.status, run.reason).toBe('succeeded');
    expect(run.options.goal).toBe(`Extend the calculator.\n\n${PRD}`);
    expect(planners().at(-1)!.user).toContain('multiply(a, b) returns the product');
    expect((await call('GET', `/plans/${run.planId}`)).body.goal).toBe(`Extend the calculator.\n\n${PRD}`);
  });

  it('answers 400 with paths for a bad body, and plans nothing', async () => {
    const runs = (await call('GET', '/runs')).body.length;
    const none = await call('POST', '/plans', {});
    expect(none.status).toBe(400);
    expect(none.body.issues.map((i: { path: string }) => i.path)).toEqual(['body.goal']);
    const types = await call('POST', '/plans', { goal: 5, maxDepth: 'deep', replan: 'yes' });
    expect(types.status).toBe(400);
    expect(types.body.issues.map((i: { path: string }) => i.path).sort()).toEqual(['body.goal', 'body.maxDepth', 'body.replan']);
    const binary = await call('POST', '/plans', { prd: 'a\u0000b' });
    expect(binary.status).toBe(400);
    expect(binary.body).toMatchObject({ code: 'CONFIG_INVALID', message: 'body.prd holds NUL bytes: it is not a text file' });
    expect((await call('GET', '/runs')).body).toHaveLength(runs);
  });
});

describe('POST /run with a budget', () => {
  const model = scriptedModel({ planner: PLAN, coder: { T1: udiff([['src/calc.js', calc.src, calc.withMultiply('a * b')]]) } });
  const scripted = useScriptedProject(model);
  const { state, call } = useApi(scripted);

  it('stops the run when the budget given in the request is reached, and refuses a malformed budget', async () => {
    const bad = await call('POST', '/run', { goal: GOAL, budget: { maxTokens: -1 } });
    expect(bad.status).toBe(400);
    expect(bad.body.issues[0].path).toBe('body.budget.maxTokens');
    const started = await call('POST', '/run', { goal: GOAL, budget: { maxTokens: 10 } });
    expect(started.status, JSON.stringify(started.body)).toBe(202);
    await state.server.runs.settled(started.body.runId);
    const run = (await call('GET', `/runs/${started.body.runId}`)).body.run;
    expect(run.status).toBe('suspended');
    expect(run.reason).toMatch(/token/i);
    expect(model.coderRequests('T1')).toHaveLength(0);
  });
});
