import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadGraphFile } from '../../src/cli/run-common.js';
import { openProject } from '../../src/cli/wiring.js';
import { countTokens } from '../../src/context/tokenizer.js';
import type { Task } from '../../src/core/task.js';
import { CLI, ensureBuilt, ROOT } from '../support/build.js';
import { createSampleRepo, type TempProject } from '../support/project.js';
import { testTask } from '../support/task.js';

/**
 * `taskgraph mcp` (issue 13) through the SDK's own Client over stdio, spawning the built CLI in a
 * temporary project: a run of examples/graphs/hello.yaml waits at its `review` approval node,
 * plan `p-mcp` has three tasks, plan `p-big` 2,000 tasks with long descriptions and notes.
 */

const PLAN = 'p-mcp';
const BIG = 'p-big';
const BIG_TASKS = 2_000;
const tokens = (text: string) => countTokens(text, 'o200k_base');

/** The text of a resource read's first content. */
const textOf = (r: { contents: ({ text: string } | { blob: string })[] }) => ('text' in r.contents[0]! ? r.contents[0].text : '');

type ToolResult = { content: { type: string; text: string }[]; isError?: boolean };

/** Connects a client to `taskgraph mcp` in `dir`. */
async function connect(dir: string, extra: string[] = []): Promise<Client> {
  const client = new Client({ name: 'taskgraph-test', version: '1.0.0' });
  await client.connect(new StdioClientTransport({ command: process.execPath, args: [CLI, '-C', dir, 'mcp', ...extra], env: { ...process.env } as Record<string, string>, stderr: 'ignore' }));
  return client;
}

describe('taskgraph mcp over stdio', () => {
  let repo: TempProject;
  let client: Client;
  let runId: string;
  /** every answer text seen, to check the 8,000-token cap */
  const answers: string[] = [];

  /** Calls a tool, keeps its text, and returns it parsed (the error body when isError). */
  const call = async (name: string, args: Record<string, unknown> = {}): Promise<{ value: any; isError: boolean }> => {
    const result = (await client.callTool({ name, arguments: args })) as ToolResult;
    const text = result.content.map((c) => c.text).join('');
    answers.push(text);
    return { value: JSON.parse(text), isError: result.isError === true };
  };

  beforeAll(async () => {
    await ensureBuilt();
    repo = await createSampleRepo({ baseURL: 'http://127.0.0.1:9/v1' }); // a model call fails at once
    const project = await openProject(repo.dir);
    try {
      const graph = await loadGraphFile(join(ROOT, 'examples', 'graphs', 'hello.yaml'));
      const summary = await project.engine({ signal: new AbortController().signal }).start({ graph, command: 'run', options: { target: 'hello.yaml' } });
      expect(summary.status).toBe('suspended');
      runId = summary.runId;
      const small: Task[] = [testTask('T1', { planId: PLAN, tags: ['db'] }), testTask('T2', { planId: PLAN, dependencies: ['T1'], notes: ['remember the index'] }), testTask('T3', { planId: PLAN, dependencies: ['T2'] })];
      await project.store.savePlan({ id: PLAN, goal: 'Add a database layer', createdAt: new Date(Date.now() - 60_000).toISOString(), tasks: small, meta: { leaves: ['T1', 'T2', 'T3'] } });
      const filler = 'This task changes the storage layer and its tests in a careful way. '.repeat(20);
      const big = Array.from({ length: BIG_TASKS }, (_, i) =>
        testTask(`B${i}`, { planId: BIG, title: `Big task ${i} ${'with a long title '.repeat(8)}`, description: filler, dependencies: i > 0 ? [`B${i - 1}`] : [], notes: i === 7 ? Array.from({ length: 300 }, (_, n) => `note ${n}: ${filler}`) : [] }),
      );
      await project.store.savePlan({ id: BIG, goal: 'A very large plan', createdAt: new Date(Date.now() - 120_000).toISOString(), tasks: big, meta: { leaves: big.map((t) => t.id) } });
    } finally {
      await project.close();
    }
    client = await connect(repo.dir);
  }, 240_000);

  afterAll(async () => {
    await client?.close();
    await repo?.cleanup();
  });

  it('lists nine tools in under 2,000 tokens (o200k_base), five with --tools core', async () => {
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(['decide', 'decompose', 'library', 'next_task', 'plan', 'run', 'task', 'tasks', 'update_task']);
    const n = tokens(JSON.stringify(tools));
    expect(n).toBeGreaterThan(200);
    expect(n).toBeLessThan(2_000);
    const core = await connect(repo.dir, ['--tools', 'core']);
    try {
      expect((await core.listTools()).tools.map((t) => t.name).sort()).toEqual(['next_task', 'plan', 'task', 'tasks', 'update_task']);
    } finally {
      await core.close();
    }
  }, 60_000);

  it('tasks, task, next_task, update_task and decompose work on a plan', async () => {
    const listed = await call('tasks', { plan: PLAN, tag: 'db' });
    expect(listed.value).toMatchObject({ plan: PLAN, total: 1, tasks: [{ id: 'T1', status: 'pending' }] });
    const t2 = await call('task', { id: 'T2', plan: PLAN });
    expect(t2.value.task).toMatchObject({ id: 'T2', notes: ['remember the index'], dependencies: ['T1'] });
    expect(Array.isArray(t2.value.links)).toBe(true);
    const next = await call('next_task', { plan: PLAN });
    expect(next.value.task.id).toBe('T1');
    expect(typeof next.value.context).toBe('string');
    expect(next.value.context).toContain('T1');
    const done = await call('update_task', { id: 'T1', plan: PLAN, status: 'done', note: 'finished by the agent' });
    expect(done.value).toMatchObject({ id: 'T1', status: 'done' });
    expect((await call('next_task', { plan: PLAN })).value.task.id).toBe('T2');
    expect((await call('task', { id: 'T1', plan: PLAN })).value.task.notes.join('\n')).toContain('finished by the agent');
    const split = await call('decompose', { id: 'T3', plan: PLAN, subtasks: [{ title: 'schema', acceptance: ['tables exist'] }, { title: 'queries', description: 'the query layer', acceptance: ['queries run'] }] });
    expect(split.isError, JSON.stringify(split.value)).toBe(false);
    expect(split.value.added).toHaveLength(2);
    expect(split.value.added.every((s: { parent: string }) => s.parent === 'T3')).toBe(true);
    expect((await call('task', { id: 'T3', plan: PLAN })).value.task.atomic).toBe(false);
    const missing = await call('task', { id: 'nope', plan: PLAN });
    expect(missing.isError).toBe(true);
    expect(missing.value.code).toBe('NOT_FOUND');
  }, 60_000);

  it('decide lists and approves the waiting node; run gives status, resumes, starts; plan starts a planning run', async () => {
    const pending = await call('decide', { action: 'pending', runId });
    expect(JSON.stringify(pending.value)).toContain('review');
    const status = await call('run', { action: 'status', runId });
    expect(status.value.run).toMatchObject({ id: runId, status: 'suspended' });
    expect(typeof status.value.report).toBe('string');
    const approved = await call('decide', { action: 'approve', runId, node: 'review', comment: 'ok' });
    expect(approved.value).toMatchObject({ runId, nodeId: 'review', decision: 'approved', outcome: 'resuming' });
    let now = '';
    for (let i = 0; i < 100 && now !== 'succeeded'; i++, await sleep(200)) now = (await call('run', { action: 'status', runId })).value.run.status;
    expect(now).toBe('succeeded');
    const again = await call('run', { action: 'resume', runId });
    expect(again).toMatchObject({ isError: true, value: { code: 'RUN_STATE' } });
    const planned = await call('plan', { goal: 'Add a subtract function' });
    expect(planned.value).toMatchObject({ status: 'planning' });
    const started = await call('run', { action: 'start', plan: PLAN });
    expect(started.value).toMatchObject({ status: 'started' });
    const runs = await call('run', { action: 'status' });
    expect(runs.value.runs.map((r: { id: string }) => r.id)).toEqual(expect.arrayContaining([runId, planned.value.runId, started.value.runId]));
  }, 90_000);

  it('serves plans and run reports as resources', async () => {
    const { resources } = await client.listResources();
    const uris = resources.map((r) => r.uri);
    expect(uris).toEqual(expect.arrayContaining([`taskgraph://plans/${PLAN}`, `taskgraph://plans/${BIG}`, `taskgraph://runs/${runId}/report`]));
    const plan = await client.readResource({ uri: `taskgraph://plans/${PLAN}` });
    expect(JSON.parse(textOf(plan))).toMatchObject({ id: PLAN, goal: 'Add a database layer' });
    const report = await client.readResource({ uri: `taskgraph://runs/${runId}/report` });
    expect(textOf(report)).toContain(runId);
    const bigPlan = await client.readResource({ uri: `taskgraph://plans/${BIG}` });
    expect(tokens(textOf(bigPlan))).toBeLessThan(8_000);
  }, 60_000);

  it('keeps every answer on a 2,000-task plan under 8,000 tokens, and pages reach every task', async () => {
    const seen = new Set<string>();
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await call('tasks', { plan: BIG, limit: 500, ...(cursor ? { cursor } : {}) });
      expect(page.value.total).toBe(BIG_TASKS);
      for (const t of page.value.tasks) seen.add(t.id);
      cursor = page.value.nextCursor;
      pages++;
    } while (cursor !== undefined && pages < 200);
    expect(seen.size).toBe(BIG_TASKS);
    expect(pages).toBeGreaterThan(1);
    await call('tasks', { plan: BIG });
    const noted = await call('task', { id: 'B7', plan: BIG });
    expect(noted.value.truncated).toBe(true);
    expect(noted.value.task.id).toBe('B7');
    expect((await call('next_task', { plan: BIG })).value.task.id).toBe('B0');
    await call('decide', { action: 'pending' });
    await call('run', { action: 'status' });
    // the library: a search by text and tag over the bundled starter library, then one item with its body
    const found = await call('library', { text: 'failing test', tags: ['testing'], kind: 'template' });
    expect(found.isError).toBe(false);
    expect(found.value.items.map((i: { name: string }) => i.name)).toContain('fix-failing-test');
    const item = await call('library', { kind: 'prompt', ref: 'planner.system@1' });
    expect(item.value).toMatchObject({ kind: 'prompt', name: 'planner.system', version: 1 });
    expect(item.value.body.text).toContain('You are the planner');
    expect((await call('library', { kind: 'prompt', ref: 'no-such@9' })).isError).toBe(true);
    const biggest = Math.max(...answers.map(tokens));
    expect(biggest).toBeLessThan(8_000);
    expect(biggest).toBeGreaterThan(2_000); // the cap was actually approached
  }, 120_000);
});
