import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../support/build.js';
import { cliJson, describeResult, runCli, startCli } from '../support/cli.js';
import { createSampleRepo, type TempProject } from '../support/project.js';
import { queryStore } from '../support/store-db.js';

/**
 * Issue 11 with real processes: decisions on parallel approvals from two processes at once, in
 * either order; a decision handed to the live process that holds the run; `human` nodes answered
 * with text or JSON checked against their choices or schema; every decision audited.
 */
const TWO_GATES = `id: two-gates
nodes:
  - { id: gate-a, kind: approval, config: { question: "Ship A?" } }
  - { id: after-a, kind: command, config: { run: "echo a" }, needs: [gate-a] }
  - { id: gate-b, kind: approval, config: { question: "Ship B?" } }
  - { id: after-b, kind: command, config: { run: "echo b" }, needs: [gate-b] }
`;

// \`slow\` keeps the run live until the test writes release.flag (90 s at most)
const LIVE = `id: live
nodes:
  - { id: gate, kind: approval, config: { question: "Go?" } }
  - { id: after-gate, kind: command, config: { run: "echo go" }, needs: [gate] }
  - { id: slow, kind: command, config: { run: "i=0; while [ ! -f release.flag ] && [ $i -lt 900 ]; do sleep 0.1; i=$((i+1)); done", timeoutMs: 120000 } }
`;

const QUESTIONS = `id: questions
nodes:
  - { id: size, kind: human, config: { question: "Which size?", choices: [S, M, L] } }
  - id: count
    kind: human
    config:
      question: "How many, and why?"
      schema: { type: object, properties: { n: { type: integer, minimum: 1 }, why: { type: string } }, required: [n], additionalProperties: false }
  - { id: use, kind: script, config: { fn: noop }, inputs: { size: { $ref: size, path: answer }, count: { $ref: count, path: answer } } }
`;

const runIdOf = (output: string) => /^run (r-\S+)(?: \(resumed\))?: \d+ nodes/m.exec(output)?.[1];
const nodes = (dir: string, runId: string) =>
  Object.fromEntries(queryStore<{ node_id: string; status: string; attempts: number }>(dir, 'SELECT node_id, status, attempts FROM run_nodes WHERE run_id = ?', runId).map((n) => [n.node_id, n]));
const attempts = (dir: string, runId: string, nodeId: string) =>
  queryStore<{ status: string }>(dir, 'SELECT status FROM attempts WHERE run_id = ? AND node_id = ? ORDER BY number', runId, nodeId).map((a) => a.status);
const audit = (dir: string, runId: string) => queryStore<{ kind: string; who: string; subject: string; reason: string; details: string }>(dir, 'SELECT kind, who, subject, reason, details FROM audit WHERE run_id = ? ORDER BY id', runId);

async function until(what: string, predicate: () => boolean): Promise<void> {
  for (let i = 0; i < 1200; i++) {
    if (predicate()) return;
    await sleep(50);
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('human nodes and concurrency-safe approvals (real processes)', () => {
  let project: TempProject;
  const file = (name: string) => join(project.dir, `${name}.yaml`);

  beforeAll(async () => {
    await ensureBuilt();
    project = await createSampleRepo({
      // told with the question in its environment: TASKGRAPH_* never spliced into the line
      config: (yaml) => `${yaml}\nnotify:\n  command: 'printf "%s %s: %s\\n" "$TASKGRAPH_RUN" "$TASKGRAPH_NODE" "$TASKGRAPH_QUESTION" >> notified.log'\n`,
    });
    for (const [name, text] of Object.entries({ 'two-gates': TWO_GATES, live: LIVE, questions: QUESTIONS })) await writeFile(file(name), text);
  });
  afterAll(async () => {
    await project?.cleanup();
  });

  for (const order of [['gate-a', 'gate-b'], ['gate-b', 'gate-a']] as const) {
    it(`two parallel approvals decided by two processes at once (${order.join(' then ')}): each branch runs once, the run succeeds`, async () => {
      const { dir } = project;
      const r = await runCli(['-C', dir, 'run', file('two-gates'), '--no-worktree', '--json'], { cwd: dir });
      expect(r.code, describeResult(r)).toBe(3);
      const { runId } = JSON.parse(r.stdout);
      expect(nodes(dir, runId)).toMatchObject({ 'gate-a': { status: 'suspended' }, 'gate-b': { status: 'suspended' } });
      // both told once, with their question
      const told = (await readFile(join(dir, 'notified.log'), 'utf8')).split('\n').filter((l) => l.startsWith(runId)).sort();
      expect(told).toEqual([`${runId} gate-a: Ship A?`, `${runId} gate-b: Ship B?`]);

      const first = runCli(['-C', dir, 'approve', runId, order[0], '--by', 'ann']);
      await sleep(order[0] === 'gate-a' ? 0 : 30); // a different interleaving each way round
      const second = runCli(['-C', dir, 'approve', runId, order[1], '--by', 'bob']);
      const results = await Promise.all([first, second]);
      for (const result of results) {
        expect([0, 3], describeResult(result)).toContain(result.code);
        expect(result.stderr).not.toContain('RUN_LOCKED');
      }
      await until(`${runId} finished`, () => queryStore<{ status: string }>(dir, 'SELECT status FROM runs WHERE id = ?', runId)[0]?.status === 'succeeded');
      // every process has exited, no lease is left, and nothing ran twice
      expect(queryStore(dir, 'SELECT * FROM run_leases WHERE run_id = ?', runId)).toEqual([]);
      for (const id of ['after-a', 'after-b']) expect(attempts(dir, runId, id)).toEqual(['succeeded']);
      for (const id of ['gate-a', 'gate-b']) {
        const statuses = attempts(dir, runId, id);
        expect(statuses.at(-1)).toBe('succeeded');
        expect(statuses.filter((s) => s !== 'suspended')).toEqual(['succeeded']);
      }
      const decided = audit(dir, runId).filter((e) => e.kind === 'approved');
      expect(decided.map((e) => `${e.who} ${e.subject}`).sort()).toEqual([`ann ${order[0]}`, `bob ${order[1]}`].sort());
      expect(queryStore(dir, 'SELECT node_id, by FROM decisions WHERE run_id = ? ORDER BY node_id', runId)).toEqual(
        [{ node_id: order[0], by: 'ann' }, { node_id: order[1], by: 'bob' }].sort((a, b) => a.node_id.localeCompare(b.node_id)),
      );
    }, 120_000);
  }

  it('the same node decided by two processes at once: exactly one decision and one audit entry win', async () => {
    const { dir } = project;
    const r = await runCli(['-C', dir, 'run', file('two-gates'), '--no-worktree', '--json'], { cwd: dir });
    const { runId } = JSON.parse(r.stdout);
    const [yes, no] = await Promise.all([
      runCli(['-C', dir, 'approve', runId, 'gate-a', '--by', 'ann', '--no-resume']),
      runCli(['-C', dir, 'reject', runId, 'gate-a', '--by', 'bob', '--no-resume', '--comment', 'no']),
    ]);
    const codes = [yes.code, no.code].sort();
    expect(codes, `${describeResult(yes)}\n${describeResult(no)}`).toEqual([0, 1]);
    const loser = yes.code === 1 ? yes : no;
    expect(loser.stderr).toMatch(/\[RUN_STATE\]: node gate-a of run \S+ was already (approved by ann|rejected by bob)/);
    expect(queryStore(dir, 'SELECT node_id FROM decisions WHERE run_id = ?', runId)).toHaveLength(1);
    expect(audit(dir, runId).filter((e) => e.kind === 'approved' || e.kind === 'rejected')).toHaveLength(1);
  }, 120_000);

  it('approve while a live process holds the run: returns at once, the live run continues that branch; no node runs twice', async () => {
    const { dir } = project;
    const cli = startCli(['-C', dir, 'run', file('live'), '--no-worktree'], { cwd: dir, timeoutMs: 120_000 });
    await cli.waitFor((o) => runIdOf(o) !== undefined);
    const runId = runIdOf(cli.stderr)!;
    try {
      await until('gate suspended, slow running', () => nodes(dir, runId)['gate']?.status === 'suspended' && nodes(dir, runId)['slow']?.status === 'running');

      const started = Date.now();
      const ok = await runCli(['-C', dir, 'approve', runId, 'gate', '--by', 'carol', '--comment', 'go ahead']);
      expect(ok.code, describeResult(ok)).toBe(0);
      expect(ok.stdout).toMatch(new RegExp(`^approved ${runId} gate: run ${runId} is live \\(process ${cli.child.pid} on .+\\); it picks the decision up\\n$`));
      expect(Date.now() - started).toBeLessThan(20_000); // no waiting for the run: it never resumed here
      // the live process (not a second runner) continues the approved branch while slow still runs
      await until('after-gate succeeded', () => nodes(dir, runId)['after-gate']?.status === 'succeeded');
      expect(nodes(dir, runId)['slow']?.status).toBe('running');
      expect(cli.child.exitCode).toBeNull();

      await writeFile(join(dir, 'release.flag'), '');
      const done = await cli.done;
      expect(done.code, `${done.stdout}\n${done.stderr}`).toBe(0);
      expect(attempts(dir, runId, 'gate')).toEqual(['suspended', 'succeeded']);
      expect(attempts(dir, runId, 'after-gate')).toEqual(['succeeded']);
      expect(attempts(dir, runId, 'slow')).toEqual(['succeeded']);
      expect(queryStore<{ n: number }>(dir, 'SELECT count(*) AS n FROM run_sessions WHERE run_id = ?', runId)[0]!.n).toBe(1);
      expect(audit(dir, runId).filter((e) => e.kind === 'approved')).toMatchObject([{ who: 'carol', subject: 'gate', reason: 'go ahead' }]);

      const status = await cliJson(dir, ['status', runId, '--json']);
      expect(status.run.status).toBe('succeeded');
    } finally {
      if (cli.child.exitCode === null) cli.child.kill('SIGTERM'); // a failed assertion leaves no live run behind
    }
  }, 120_000);

  it('human nodes: an answer outside the choices or the schema is refused with its problems and nothing recorded; valid ones resume the run', async () => {
    const { dir } = project;
    const r = await runCli(['-C', dir, 'run', file('questions'), '--no-worktree', '--json'], { cwd: dir });
    expect(r.code, describeResult(r)).toBe(3);
    const { runId } = JSON.parse(r.stdout);
    const text = await runCli(['-C', dir, 'status', runId]);
    expect(text.stdout).toMatch(/suspended\s+size\s+attempts 1\s+question: Which size\? \(choices: S \| M \| L\)/);

    const badChoice = await runCli(['-C', dir, 'answer', runId, 'size', 'XL']);
    expect(badChoice.code).toBe(1);
    expect(badChoice.stderr).toContain('[ANSWER_INVALID]: answer to size refused, nothing recorded:');
    expect(badChoice.stderr).toContain('answer "XL" is not one of the choices: "S", "M", "L"');
    const badJson = await runCli(['-C', dir, 'answer', runId, 'count', '--json', '{"n": 0, "extra": true}']);
    expect(badJson.code).toBe(1);
    expect(badJson.stderr).toContain('n: Too small: expected number to be >=1');
    expect(badJson.stderr).toContain('Unrecognized key: "extra"');
    const notJson = await runCli(['-C', dir, 'answer', runId, 'count', '--json', '{n:']);
    expect(notJson.stderr).toContain('[CONFIG_INVALID]: --json is not JSON');
    const approveHuman = await runCli(['-C', dir, 'approve', runId, 'size']);
    expect(approveHuman.stderr).toContain('[RUN_STATE]: node size asks a question; answer it');
    expect(queryStore(dir, 'SELECT * FROM decisions WHERE run_id = ?', runId)).toEqual([]);
    expect(audit(dir, runId).filter((e) => e.kind === 'answered')).toEqual([]);

    const size = await runCli(['-C', dir, 'answer', runId, 'size', 'M', '--by', 'dora']);
    expect(size.code, describeResult(size)).toBe(3); // count still waits
    const count = await runCli(['-C', dir, 'answer', runId, 'count', '--json', '{"n": 3, "why": "three is enough"}', '--by', 'dora']);
    expect(count.code, describeResult(count)).toBe(0);
    const summary = JSON.parse(count.stdout);
    expect(summary).toMatchObject({ runId, status: 'succeeded' });
    const use = queryStore<{ output: string }>(dir, "SELECT output FROM attempts WHERE run_id = ? AND node_id = 'use'", runId);
    expect(use).toHaveLength(1);
    expect(JSON.parse(use[0]!.output)).toEqual({ args: null, inputs: { size: 'M', count: { n: 3, why: 'three is enough' } } });
    const answered = audit(dir, runId).filter((e) => e.kind === 'answered');
    expect(answered.map((e) => [e.who, e.subject, JSON.parse(e.details).answer])).toEqual([
      ['dora', 'size', 'M'],
      ['dora', 'count', { n: 3, why: 'three is enough' }],
    ]);
    const log = await runCli(['-C', dir, 'audit', '--run', runId]);
    expect(log.stdout).toContain('answered');
    expect(existsSync(join(dir, 'notified.log'))).toBe(true);
  }, 120_000);
});
