import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SwaggerParser from '@apidevtools/swagger-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadGraphFile } from '../../src/cli/run-common.js';
import { openProject, type ProjectHandle } from '../../src/cli/wiring.js';
import type { Task } from '../../src/core/task.js';
import { RunLeaseHolder } from '../../src/engine/run-lease.js';
import { loadOrCreateToken, tokenPath } from '../../src/server/auth-token.js';
import { type RunningServer, startServer } from '../../src/server/start-server.js';
import { ROOT } from '../support/build.js';
import { createSampleRepo, type TempProject } from '../support/project.js';
import { testTask } from '../support/task.js';

/**
 * The HTTP API of `taskgraph serve` (issue 12) over real HTTP on loopback, against the real
 * store of a temporary project: a run of examples/graphs/hello.yaml waits at its `review`
 * approval node, and a saved plan `p-api` has three tasks.
 */

/** Every route the API has: the OpenAPI document must list exactly these. */
const ROUTES = [
  'GET /runs',
  'GET /runs/{id}',
  'GET /runs/{id}/events',
  'GET /runs/{id}/graph',
  'GET /runs/{id}/node',
  'GET /runs/{id}/why',
  'POST /runs/{id}/resume',
  'POST /runs/{id}/cancel',
  'POST /run',
  'GET /approvals',
  'POST /approvals',
  'POST /answers',
  'GET /audit',
  'GET /tasks',
  'GET /tasks/{id}',
  'POST /tasks',
  'PUT /tasks/{id}',
  'GET /plans',
  'GET /plans/{id}',
  'POST /plans',
  'POST /plans/{id}/approve',
  'POST /context/links',
  'DELETE /context/links',
  'GET /context/links/{taskId}',
  'POST /tasks/{id}/context/preview',
  'POST /tasks/{id}/context/approve',
  'GET /library',
  'GET /library/{kind}/{ref}',
].sort();

const PLAN = 'p-api';
const planTasks = (): Task[] => [
  testTask('T1', { planId: PLAN, tags: ['db'] }),
  testTask('T2', { planId: PLAN, dependencies: ['T1'] }),
  testTask('T3', { planId: PLAN, dependencies: ['T1', 'T2'], tags: ['db'] }),
];

describe('HTTP API over loopback', () => {
  let repo: TempProject;
  let config: string;
  let project: ProjectHandle;
  let server: RunningServer;
  let token: string;
  let runId: string;

  beforeAll(async () => {
    repo = await createSampleRepo();
    config = await mkdtemp(join(tmpdir(), 'taskgraph-config-'));
    project = await openProject(repo.dir);
    const graph = await loadGraphFile(join(ROOT, 'examples', 'graphs', 'hello.yaml'));
    const summary = await project.engine({ signal: new AbortController().signal }).start({ graph, command: 'run', options: { target: 'hello.yaml' } });
    expect(summary.status).toBe('suspended');
    runId = summary.runId;
    await project.store.savePlan({ id: PLAN, goal: 'Add a database layer', createdAt: new Date().toISOString(), tasks: planTasks(), meta: { leaves: ['T1', 'T2', 'T3'] } });
    token = (await loadOrCreateToken(undefined, { XDG_CONFIG_HOME: config })).token;
    server = await startServer(project, { port: 0, token });
  });
  afterAll(async () => {
    await server?.close();
    await project?.close();
    await repo?.cleanup();
    if (config) await rm(config, { recursive: true, force: true });
  });

  const call = async (method: string, path: string, body?: unknown, auth: string | null = token) => {
    const headers: Record<string, string> = {};
    if (auth !== null) headers['authorization'] = `Bearer ${auth}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${server.url}${path}`, { method, headers, ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}) });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text === '' ? undefined : (JSON.parse(text) as any) };
  };

  it('binds to loopback by default', () => {
    expect(server.host).toBe('127.0.0.1');
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('keeps the token in the config directory with mode 0600; the same token on the next start; --token replaces it', async () => {
    const env = { XDG_CONFIG_HOME: config };
    const path = tokenPath(env);
    expect(path).toBe(join(config, 'taskgraph', 'token'));
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(token).toMatch(/^[0-9a-f]{64}$/);
    const again = await loadOrCreateToken(undefined, env);
    expect(again).toMatchObject({ token, created: false });
    const other = await mkdtemp(join(tmpdir(), 'taskgraph-config-'));
    try {
      const given = await loadOrCreateToken('a-token-of-my-own-123', { XDG_CONFIG_HOME: other });
      expect(given).toMatchObject({ token: 'a-token-of-my-own-123', created: false });
      expect((await stat(given.path)).mode & 0o777).toBe(0o600);
      expect((await loadOrCreateToken(undefined, { XDG_CONFIG_HOME: other })).token).toBe('a-token-of-my-own-123');
      await expect(loadOrCreateToken('short', { XDG_CONFIG_HOME: other })).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
    } finally {
      await rm(other, { recursive: true, force: true });
    }
  });

  it('serves a valid OpenAPI 3.1 document without a token, listing every route', async () => {
    const res = await call('GET', '/openapi.json', undefined, null);
    expect(res.status).toBe(200);
    const doc = res.body;
    expect(doc.openapi).toBe('3.1.0');
    await SwaggerParser.validate(structuredClone(doc));
    const listed = Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
    expect(listed.sort()).toEqual(ROUTES);
    // the task entity is core/task.ts's TaskSchema, registered once as a component
    expect(doc.components.schemas.Task.properties.status.enum).toEqual(['pending', 'running', 'done', 'failed', 'skipped']);
    expect(doc.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('answers 401 on every route in the document without the token, with a wrong one, and with another scheme', async () => {
    const doc = (await call('GET', '/openapi.json', undefined, null)).body;
    let checked = 0;
    for (const [path, ops] of Object.entries(doc.paths as Record<string, Record<string, unknown>>)) {
      const concrete = path.replace(/\{[^}]+\}/g, runId);
      for (const method of Object.keys(ops)) {
        const body = method === 'get' ? undefined : { runId, nodeId: 'review', decision: 'approve' };
        for (const auth of [null, 'wrong', `${token}x`, token.slice(0, -1)]) {
          const res = await call(method.toUpperCase(), concrete, body, auth);
          expect(res.status, `${method} ${path} with ${auth === null ? 'no token' : 'a wrong token'}`).toBe(401);
          expect(res.body.code).toBe('UNAUTHORIZED');
          expect(res.headers.get('www-authenticate')).toContain('Bearer');
        }
        const basic = await fetch(`${server.url}${concrete}`, { method: method.toUpperCase(), headers: { authorization: `Basic ${token}` } });
        expect(basic.status).toBe(401);
        checked++;
      }
    }
    expect(checked).toBe(ROUTES.length);
    // nothing was decided by the refused POST /approvals
    expect(await project.store.getDecision(runId, 'review')).toBeUndefined();
  });

  it('answers 400 with the path of each field at fault', async () => {
    const limit = await call('GET', '/runs?limit=abc');
    expect(limit.status).toBe(400);
    expect(limit.body.code).toBe('VALIDATION');
    expect(limit.body.issues.map((i: { path: string }) => i.path)).toEqual(['query.limit']);
    const decision = await call('POST', '/approvals', { runId: 7, nodeId: 'review', decision: 'maybe' });
    expect(decision.status).toBe(400);
    expect(decision.body.issues.map((i: { path: string }) => i.path).sort()).toEqual(['body.decision', 'body.runId']);
    const task = await call('POST', '/tasks', { plan: PLAN, acceptance: ['ok', 3] });
    expect(task.status).toBe(400);
    expect(task.body.issues.map((i: { path: string }) => i.path).sort()).toEqual(['body.acceptance.1', 'body.title']);
    const status = await call('PUT', `/tasks/T1?plan=${PLAN}`, { status: 'finished' });
    expect(status.status).toBe(400);
    expect(status.body.issues[0].path).toBe('body.status');
    const start = await call('POST', '/run', { goal: 'x', plan: PLAN });
    expect(start.status).toBe(400);
    expect(start.body.issues[0].path).toBe('body.goal');
    const malformed = await call('POST', '/approvals', '{"runId": ');
    expect(malformed.status).toBe(400);
    expect(malformed.body.code).toBe('VALIDATION');
    const filter = await call('GET', '/tasks?status=finished');
    expect(filter.body.issues[0].path).toBe('query.status');
  });

  it('answers 404 on unknown ids, keeping the TaskgraphError code and hint', async () => {
    for (const [method, path, body] of [
      ['GET', '/runs/r-nope', undefined],
      ['POST', '/runs/r-nope/resume', undefined],
      ['POST', '/runs/r-nope/cancel', undefined],
      ['GET', '/plans/p-nope', undefined],
      ['POST', '/plans/p-nope/approve', {}],
      ['GET', `/tasks/T99?plan=${PLAN}`, undefined],
      ['GET', '/tasks?plan=p-nope', undefined],
      ['GET', '/audit?run=r-nope', undefined],
      ['GET', '/approvals?run=r-nope', undefined],
      ['POST', '/approvals', { runId: 'r-nope', nodeId: 'review', decision: 'approve' }],
      ['POST', '/approvals', { runId, nodeId: 'nope', decision: 'approve' }],
      ['POST', '/answers', { runId: 'r-nope', id: 'T1', answer: 'x' }],
      ['POST', '/run', { plan: 'p-nope' }],
      ['GET', '/no-such-route', undefined],
    ] as const) {
      const res = await call(method, path, body);
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(res.body.code).toBe('NOT_FOUND');
      expect(typeof res.body.message).toBe('string');
    }
    const run = await call('GET', '/runs/r-nope');
    expect(run.body.hint).toContain('GET /runs');
    const task = await call('GET', `/tasks/T99?plan=${PLAN}`);
    expect(task.body.hint).toContain('T1, T2, T3');
  });

  it('lists runs and shows one with its nodes, attempts, usage and report', async () => {
    const runs = await call('GET', '/runs');
    expect(runs.status).toBe(200);
    expect(runs.body.map((r: { id: string }) => r.id)).toContain(runId);
    expect(runs.body[0].graph).toBeUndefined();
    const one = await call('GET', `/runs/${runId}`);
    expect(one.status).toBe(200);
    expect(one.body.run).toMatchObject({ id: runId, status: 'suspended', command: 'run' });
    const nodes = Object.fromEntries(one.body.nodes.map((n: { nodeId: string; status: string }) => [n.nodeId, n.status]));
    expect(nodes).toEqual({ greet: 'succeeded', count: 'succeeded', join: 'succeeded', review: 'suspended', publish: 'pending' });
    expect(one.body.attempts.map((a: { nodeId: string }) => a.nodeId)).toEqual(expect.arrayContaining(['greet', 'count', 'join', 'review']));
    expect(one.body.usage.total).toMatchObject({ inputTokens: 0, outputTokens: 0, costUsd: 0 });
    expect(one.body.report).toContain(runId);
    expect(one.body.report).toContain('review');
  });

  it('lists runs with what they spent, and gives the web UI the graph and one node with its inputs and attempts', async () => {
    const runs = await call('GET', '/runs');
    expect(runs.body.find((r: { id: string }) => r.id === runId).spent).toEqual({ tokens: 0, costUsd: 0, activeMs: expect.any(Number) });
    const graph = await call('GET', `/runs/${runId}/graph`);
    expect(graph.status).toBe(200);
    expect(Object.fromEntries(graph.body.nodes.map((n: { id: string; kind: string; deps: string[] }) => [n.id, [n.kind, n.deps.sort()]]))).toEqual({
      greet: ['command', []],
      count: ['command', []],
      join: ['script', ['count', 'greet']],
      review: ['approval', ['join']],
      publish: ['script', ['join', 'review']],
    });
    expect(graph.body.edges).toEqual(expect.arrayContaining([{ from: 'greet', to: 'join' }, { from: 'review', to: 'publish' }]));
    const join = await call('GET', `/runs/${runId}/node?node=join`);
    expect(join.status).toBe(200);
    expect(join.body).toMatchObject({ runId, status: 'succeeded', node: { id: 'join', kind: 'script', inputs: { a: { $ref: 'greet', path: 'stdout' } } } });
    expect(join.body.resolvedInputs.a).toMatch(/^hello from /); // greet's stdout, picked at the reference's path
    expect(join.body.attempts).toHaveLength(1);
    expect(join.body.attempts[0]).toMatchObject({ number: 1, status: 'succeeded', output: expect.stringContaining('hello from') });
    const publish = await call('GET', `/runs/${runId}/node?node=publish`);
    expect(publish.body).toMatchObject({ status: 'pending', attempts: [] });
    expect((await call('GET', `/runs/${runId}/node?node=nope`)).status).toBe(404);
    expect((await call('GET', `/runs/${runId}/node`)).body.issues[0].path).toBe('query.node');
    expect((await call('GET', '/runs/r-nope/graph')).status).toBe(404);
  });

  it('refuses to cancel a run it does not carry out: 409 naming the live owner, else not running', async () => {
    const idle = await call('POST', `/runs/${runId}/cancel`);
    expect(idle.status).toBe(409);
    expect(idle.body.code).toBe('RUN_STATE');
    const holder = await RunLeaseHolder.acquire(project.store, runId);
    try {
      const owned = await call('POST', `/runs/${runId}/cancel`);
      expect(owned.status).toBe(409);
      expect(owned.body).toMatchObject({ code: 'RUN_LOCKED', details: { runId, pid: process.pid } });
      expect(owned.body.hint).toContain(`kill -INT ${process.pid}`);
      const resume = await call('POST', `/runs/${runId}/resume`);
      expect(resume.status).toBe(409);
      expect(resume.body.code).toBe('RUN_LOCKED');
    } finally {
      await holder.release();
    }
  });

  it('approves the waiting node through the same decision path as `taskgraph approve`: decision, audit entry, run resumed', async () => {
    const pending = await call('GET', '/approvals?status=pending');
    expect(pending.status).toBe(200);
    expect(Array.isArray(pending.body)).toBe(true);
    const res = await call('POST', '/approvals', { runId, nodeId: 'review', decision: 'approve', by: 'alice', comment: 'ship it' });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ runId, nodeId: 'review', decision: 'approved', outcome: 'resuming', handedTo: null });
    await server.runs.settled(runId);
    expect(await project.store.getDecision(runId, 'review')).toMatchObject({ decision: 'approved', by: 'alice', comment: 'ship it' });
    const audit = await project.store.listAudit(runId);
    expect(audit.filter((e) => e.kind === 'approved')).toEqual([expect.objectContaining({ who: 'alice', subject: 'review', reason: 'ship it' })]);
    const shown = await call('GET', `/audit?run=${runId}`);
    expect(shown.status).toBe(200);
    expect(shown.body).toEqual(JSON.parse(JSON.stringify(audit)));
    const all = await call('GET', '/audit');
    expect(all.body.length).toBeGreaterThanOrEqual(audit.length);
    const after = await call('GET', `/runs/${runId}`);
    expect(after.body.run.status).toBe('succeeded');
    expect(after.body.nodes.find((n: { nodeId: string }) => n.nodeId === 'publish').status).toBe('succeeded');
    // decided already: a conflict, nothing written
    const again = await call('POST', '/approvals', { runId, nodeId: 'review', decision: 'reject' });
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('RUN_STATE');
    expect(again.body.hint).toContain('no node of this run is waiting');
    expect((await project.store.listAudit(runId)).length).toBe(audit.length);
    // a finished run is not resumed
    const resume = await call('POST', `/runs/${runId}/resume`);
    expect(resume.status).toBe(409);
    // an answer to a task that waits for none
    const answer = await call('POST', '/answers', { runId, id: 'greet', answer: 'do it' });
    expect(answer.status).toBe(409);
    expect(answer.body.code).toBe('RUN_STATE');
  });

  it('lists, filters, adds and updates tasks, shows and approves plans', async () => {
    const plans = await call('GET', '/plans');
    expect(plans.body).toEqual([expect.objectContaining({ id: PLAN, tasks: 3, version: 1, approvedBy: null })]);
    const plan = await call('GET', `/plans/${PLAN}`);
    expect(plan.status).toBe(200);
    expect(plan.body.tree.map((t: { id: string }) => t.id)).toEqual(['T1', 'T2', 'T3']);
    expect(plan.body.graph.edges).toEqual([
      { from: 'T1', to: 'T2' },
      { from: 'T1', to: 'T3' },
      { from: 'T2', to: 'T3' },
    ]);
    const tagged = await call('GET', `/tasks?plan=${PLAN}&tag=db`);
    expect(tagged.body.map((t: Task) => t.id)).toEqual(['T1', 'T3']);
    const added = await call('POST', '/tasks', { plan: PLAN, title: 'Write the docs', dependencies: ['T3'], acceptance: ['README explains it'], by: 'carol' });
    expect(added.status, JSON.stringify(added.body)).toBe(201);
    expect(added.body).toMatchObject({ version: 2, task: { id: 'T4', title: 'Write the docs', dependencies: ['T3'] } });
    const cycle = await call('POST', '/tasks', { plan: PLAN, title: 'Loop', dependencies: ['T9'] });
    expect(cycle.status).toBe(400);
    expect(cycle.body.code).toBe('PLAN_INVALID');
    const updated = await call('PUT', `/tasks/T2?plan=${PLAN}`, { plan: PLAN, status: 'skipped', title: 'Task two', note: 'not needed' });
    expect(updated.status, JSON.stringify(updated.body)).toBe(200);
    expect(updated.body.task).toMatchObject({ id: 'T2', status: 'skipped', title: 'Task two' });
    expect(updated.body.task.notes.at(-1)).toContain('not needed');
    expect((await project.store.getTask(PLAN, 'T2'))?.status).toBe('skipped');
    const skipped = await call('GET', `/tasks?plan=${PLAN}&status=skipped`);
    expect(skipped.body.map((t: Task) => t.id)).toEqual(['T2']);
    const empty = await call('PUT', `/tasks/T2?plan=${PLAN}`, {});
    expect(empty.status).toBe(400);
    const approved = await call('POST', `/plans/${PLAN}/approve`, { by: 'dave' });
    expect(approved.status, JSON.stringify(approved.body)).toBe(200);
    expect(approved.body).toMatchObject({ planId: PLAN, version: 3, approvedBy: 'dave', resuming: null });
    expect((await project.store.listAudit()).filter((e) => e.kind === 'plan-approved' && e.who === 'dave')).toHaveLength(1);
  });

  it('cancels a run the server carries out: aborted, recorded interrupted, resumable', async () => {
    const graph = {
      id: 'slow',
      nodes: [
        { id: 'gate', kind: 'approval' as const, config: { question: 'Start the slow part?' } },
        { id: 'slow', kind: 'command' as const, config: { run: 'sleep 30' }, needs: ['gate'] },
      ],
    };
    const summary = await project.engine({ signal: new AbortController().signal }).start({ graph, command: 'run', options: { target: 'slow' } });
    expect(summary.status).toBe('suspended');
    const id = summary.runId;
    const approved = await call('POST', '/approvals', { runId: id, nodeId: 'gate', decision: 'approve', by: 'erin' });
    expect(approved.body.outcome).toBe('resuming');
    for (let i = 0; i < 200 && (await project.store.listRunNodes(id)).find((n) => n.nodeId === 'slow')?.status !== 'running'; i++) await new Promise((r) => setTimeout(r, 50));
    const running = await call('GET', `/runs/${id}`);
    expect(running.body.run.status).toBe('running');
    expect(running.body.lease).toMatchObject({ pid: process.pid, live: true });
    const started = Date.now();
    const cancel = await call('POST', `/runs/${id}/cancel`);
    expect(cancel.status, JSON.stringify(cancel.body)).toBe(202);
    expect(cancel.body).toEqual({ runId: id, status: 'cancelling' });
    await server.runs.settled(id);
    expect(Date.now() - started).toBeLessThan(20_000);
    const after = await call('GET', `/runs/${id}`);
    expect(after.body.run.status).toBe('interrupted');
    expect(after.body.lease).toBeNull();
    expect(server.runs.has(id)).toBe(false);
  });
});
