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

describe('POST /run: a `do` run started over HTTP, with plan approval', () => {
  const model = scriptedModel({ planner: PLAN, coder: { T1: udiff([['src/calc.js', calc.src, calc.withMultiply('a * b')]]) } });
  const scripted = useScriptedProject(model);
  let config: string;
  let project: ProjectHandle;
  let server: RunningServer;
  let token: string;

  beforeAll(async () => {
    config = await mkdtemp(join(tmpdir(), 'taskgraph-config-'));
    token = (await loadOrCreateToken(undefined, { XDG_CONFIG_HOME: config })).token;
    project = await openProject(scripted.dir);
    server = await startServer(project, { port: 0, token });
  });
  afterAll(async () => {
    await server?.close();
    await project?.close();
    if (config) await rm(config, { recursive: true, force: true });
  });

  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${server.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, body: (await res.json()) as any };
  };

  it('answers with the run id at once, waits at the plan gate, and runs the plan once it is approved through the API', async () => {
    const started = await call('POST', '/run', { goal: GOAL, approvePlan: true });
    expect(started.status, JSON.stringify(started.body)).toBe(202);
    const runId = started.body.runId as string;
    expect(runId).toMatch(/^r-/);
    expect(server.runs.has(runId)).toBe(true);
    await server.runs.settled(runId);
    const waiting = await call('GET', `/runs/${runId}`);
    expect(waiting.body.run).toMatchObject({ id: runId, status: 'suspended', command: 'do' });
    const planId = waiting.body.run.planId as string;
    expect(planId).toMatch(/^p-/);
    expect(model.requests.filter((r) => r.role === 'coder')).toHaveLength(0);

    const approved = await call('POST', `/plans/${planId}/approve`, { by: 'frank' });
    expect(approved.status, JSON.stringify(approved.body)).toBe(200);
    expect(approved.body).toMatchObject({ planId, approvedBy: 'frank', resuming: runId });
    await server.runs.settled(runId);
    const done = await call('GET', `/runs/${runId}`);
    expect(done.body.run.status, done.body.run.reason).toBe('succeeded');
    expect(done.body.nodes.find((n: { nodeId: string }) => n.nodeId === 'T1/apply').status).toBe('succeeded');
    expect(done.body.report).toContain('succeeded');
    expect(await git(scripted.dir, 'show', `${done.body.run.branch}:src/calc.js`)).toContain('export function multiply(a, b)');
    const planAudit = await call('GET', `/audit?run=${runId}`);
    expect(planAudit.body.some((e: { kind: string; who: string }) => e.kind === 'plan-approved' && e.who === 'frank')).toBe(true);
  });
});
