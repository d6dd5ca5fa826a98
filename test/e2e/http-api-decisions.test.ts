import { describe, expect, it } from 'vitest';
import type { GraphSpecInput } from '../../src/core/graph.js';
import { useApiOnSampleRepo } from '../support/api-server.js';

/**
 * Decisions over real HTTP on loopback (issue 12 tests: "two approvals in parallel branches are
 * decided through the API in either order"; `POST /answers` for a `human` node with a schema).
 * The runs start in the test's own engine and wait; the server decides and resumes them in its
 * process; the store shows what ran, how often, and the audit.
 */
const TWO_GATES: GraphSpecInput = {
  id: 'two-gates',
  nodes: [
    { id: 'gate-a', kind: 'approval', config: { question: 'Ship A?' } },
    { id: 'after-a', kind: 'command', config: { run: 'echo a' }, needs: ['gate-a'] },
    { id: 'gate-b', kind: 'approval', config: { question: 'Ship B?' } },
    { id: 'after-b', kind: 'command', config: { run: 'echo b' }, needs: ['gate-b'] },
  ],
};

const QUESTION: GraphSpecInput = {
  id: 'question',
  nodes: [
    {
      id: 'count',
      kind: 'human',
      config: {
        question: 'How many, and why?',
        schema: { type: 'object', properties: { n: { type: 'integer', minimum: 1 }, why: { type: 'string' } }, required: ['n'], additionalProperties: false },
      },
    },
    { id: 'use', kind: 'script', config: { fn: 'noop' }, inputs: { count: { $ref: 'count', path: 'answer' } } },
  ],
};

const BRANCH = { 'gate-a': 'after-a', 'gate-b': 'after-b' } as const;

describe('HTTP API: approvals in parallel branches and answers', () => {
  const { state, call } = useApiOnSampleRepo();

  /** Starts `graph` in the test's engine; it must stop waiting for people. */
  const startWaiting = async (graph: GraphSpecInput): Promise<string> => {
    const summary = await state.project.engine({ signal: new AbortController().signal }).start({ graph, command: 'run', options: { target: graph.id ?? 'graph' } });
    expect(summary.status).toBe('suspended');
    return summary.runId;
  };
  const nodes = async (runId: string) => Object.fromEntries((await state.project.store.listRunNodes(runId)).map((n) => [n.nodeId, n.status]));
  const attempts = async (runId: string, nodeId: string) => (await state.project.store.listAttempts(runId, nodeId)).map((a) => a.status);
  /** A gate's attempts that were not waiting: the one that passed, last. */
  const gatePasses = async (runId: string, nodeId: string) => {
    const all = await attempts(runId, nodeId);
    expect(all.at(-1)).toBe('succeeded');
    return all.filter((s) => s !== 'suspended');
  };

  for (const order of [['gate-b', 'gate-a'], ['gate-a', 'gate-b']] as const) {
    it(`two approvals in parallel branches decided over HTTP, ${order.join(' then ')}: each resumes exactly its branch, nothing runs twice, the run succeeds`, async () => {
      const runId = await startWaiting(TWO_GATES);
      expect(await nodes(runId)).toMatchObject({ 'gate-a': 'suspended', 'gate-b': 'suspended', 'after-a': 'pending', 'after-b': 'pending' });
      const [first, second] = order;

      const one = await call('POST', '/approvals', { runId, nodeId: first, decision: 'approve', by: 'ann', comment: `ship ${first}` });
      expect(one.status, JSON.stringify(one.body)).toBe(200);
      expect(one.body).toMatchObject({ runId, nodeId: first, decision: 'approved', outcome: 'resuming' });
      await state.server.runs.settled(runId);
      // only the decided branch ran; the other still waits
      expect(await nodes(runId)).toMatchObject({ [first]: 'succeeded', [BRANCH[first]]: 'succeeded', [second]: 'suspended', [BRANCH[second]]: 'pending' });
      expect((await call('GET', `/runs/${runId}`)).body.run.status).toBe('suspended');

      const two = await call('POST', '/approvals', { runId, nodeId: second, decision: 'approve', by: 'bob' });
      expect(two.status, JSON.stringify(two.body)).toBe(200);
      expect(two.body).toMatchObject({ nodeId: second, outcome: 'resuming' });
      await state.server.runs.settled(runId);
      const done = (await call('GET', `/runs/${runId}`)).body;
      expect(done.run.status, done.run.reason).toBe('succeeded');
      expect(done.lease).toBeNull();

      for (const id of ['after-a', 'after-b']) expect(await attempts(runId, id)).toEqual(['succeeded']);
      // a gate still waiting when the other branch resumed asks again (another suspended attempt); each gate passes once
      for (const id of ['gate-a', 'gate-b']) expect(await gatePasses(runId, id)).toEqual(['succeeded']);
      expect(await attempts(runId, first)).toEqual(['suspended', 'succeeded']);
      const counts = Object.fromEntries(done.nodes.map((n: { nodeId: string; attempts: number }) => [n.nodeId, n.attempts]));
      expect(counts).toMatchObject({ 'after-a': 1, 'after-b': 1 });
      const decided = (await state.project.store.listAudit(runId)).filter((e) => e.kind === 'approved').map((e) => `${e.who} ${e.subject}`);
      expect(decided).toEqual([`ann ${first}`, `bob ${second}`]);
    }, 60_000);
  }

  it('two approvals in parallel branches sent at once: one resumes the run, the other is resumed or handed to it; each branch runs once', async () => {
    const runId = await startWaiting(TWO_GATES);
    const answers = await Promise.all([
      call('POST', '/approvals', { runId, nodeId: 'gate-b', decision: 'approve', by: 'ann' }),
      call('POST', '/approvals', { runId, nodeId: 'gate-a', decision: 'approve', by: 'bob' }),
    ]);
    for (const a of answers) expect(a.status, JSON.stringify(a.body)).toBe(200);
    expect(answers.map((a) => a.body.outcome)).toContain('resuming');
    for (let i = 0; i < 400 && (await state.project.store.getRun(runId))?.status !== 'succeeded'; i++) await new Promise((r) => setTimeout(r, 50));
    await state.server.runs.settled(runId);
    expect((await state.project.store.getRun(runId))?.status).toBe('succeeded');
    for (const id of ['after-a', 'after-b']) expect(await attempts(runId, id)).toEqual(['succeeded']);
    for (const id of ['gate-a', 'gate-b']) expect(await gatePasses(runId, id)).toEqual(['succeeded']);
  }, 60_000);

  it("POST /answers answers a human node with JSON checked against its schema: a failing answer is a 400 naming its problems and records nothing; a valid one resumes the run", async () => {
    const runId = await startWaiting(QUESTION);
    expect(await nodes(runId)).toMatchObject({ count: 'suspended', use: 'pending' });

    const bad = await call('POST', '/answers', { runId, id: 'count', answer: { n: 0, extra: true }, by: 'dora' });
    expect(bad.status, JSON.stringify(bad.body)).toBe(400);
    expect(bad.body.code).toBe('ANSWER_INVALID');
    expect(bad.body.message).toContain('n: Too small: expected number to be >=1');
    expect(bad.body.message).toContain('Unrecognized key: "extra"');
    const text = await call('POST', '/answers', { runId, id: 'count', answer: 'three' });
    expect(text.status).toBe(400);
    expect(text.body.code).toBe('ANSWER_INVALID');
    const noRun = await call('POST', '/answers', { runId: 7, id: 'count', answer: { n: 2 } });
    expect(noRun.status).toBe(400);
    expect(noRun.body.issues.map((i: { path: string }) => i.path)).toEqual(['body.runId']);
    expect(await state.project.store.getDecision(runId, 'count')).toBeUndefined();
    expect((await state.project.store.listAudit(runId)).filter((e) => e.kind === 'answered')).toEqual([]);
    expect(await nodes(runId)).toMatchObject({ count: 'suspended', use: 'pending' });

    const good = await call('POST', '/answers', { runId, id: 'count', answer: { n: 3, why: 'three is enough' }, by: 'dora' });
    expect(good.status, JSON.stringify(good.body)).toBe(200);
    expect(good.body).toMatchObject({ runId, nodeId: 'count', decision: 'answered', outcome: 'resuming' });
    await state.server.runs.settled(runId);
    expect((await state.project.store.getRun(runId))?.status).toBe('succeeded');
    expect(await state.project.store.getDecision(runId, 'count')).toMatchObject({ decision: 'answered', by: 'dora', answer: { n: 3, why: 'three is enough' } });
    const use = await state.project.store.listAttempts(runId, 'use');
    expect(use.map((a) => a.status)).toEqual(['succeeded']);
    const output = (await state.project.store.lastSuccessfulAttempt(`use`))?.output;
    expect(output).toMatchObject({ inputs: { count: { n: 3, why: 'three is enough' } } });
    const answered = (await state.project.store.listAudit(runId)).filter((e) => e.kind === 'answered');
    expect(answered).toEqual([expect.objectContaining({ who: 'dora', subject: 'count', details: expect.objectContaining({ answer: { n: 3, why: 'three is enough' } }) })]);
    const again = await call('POST', '/answers', { runId, id: 'count', answer: { n: 4 } });
    expect(again.status).toBe(409);
  }, 60_000);
});
