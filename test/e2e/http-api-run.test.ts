import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openProject, type ProjectHandle } from '../../src/cli/wiring.js';
import { loadOrCreateToken } from '../../src/server/auth-token.js';
import { type RunningServer, startServer } from '../../src/server/start-server.js';
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

/** Starts a server on port 0 for the scripted project (token in a temporary config dir); returns a JSON caller. */
function useApi(scripted: { readonly dir: string }) {
  const state = {} as { config: string; project: ProjectHandle; server: RunningServer; token: string };
  beforeAll(async () => {
    state.config = await mkdtemp(join(tmpdir(), 'taskgraph-config-'));
    state.token = (await loadOrCreateToken(undefined, { XDG_CONFIG_HOME: state.config })).token;
    state.project = await openProject(scripted.dir);
    state.server = await startServer(state.project, { port: 0, token: state.token });
  });
  afterAll(async () => {
    await state.server?.close();
    await state.project?.close();
    if (state.config) await rm(state.config, { recursive: true, force: true });
  });
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${state.server.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${state.token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, body: (await res.json()) as any };
  };
  return { state, call };
}

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
