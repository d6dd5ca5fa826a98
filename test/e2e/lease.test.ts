import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAIServer, type FakeOpenAIServer, type FakeRequest } from '../../src/testing/fake-openai-server.js';
import { ensureBuilt } from '../support/build.js';
import { cliJson, describeResult, runCli, startCli, type CliProcess } from '../support/cli.js';
import { createSampleRepo, git, type TempProject } from '../support/project.js';
import { calc, planJson, scriptedModel, seen, udiff } from '../support/scripted-model.js';
import { queryStore, readAttempts, readRunStatus } from '../support/store-db.js';

/**
 * Issue 8 items 1, 3, 4 and 13 end to end: the run lease (a second process against a live run is
 * refused with RUN_LOCKED and writes nothing), SIGKILL and SIGTERM in the middle of a command
 * (status and runs show `interrupted`, `resume` finishes the run), `--force` kept across a kill
 * and a resume, the report rebuilt identically by every command, and two `do` at once on one
 * project.
 */

// `check` is a verify whose command marks that it started, sleeps $TG_HOLD seconds (passed through
// policy.envAllowlist; not part of any cache key), then writes into the worktree: held, it blocks;
// unset, it passes at once
const GRAPH = `id: lease
title: a check that can be held
nodes:
  - { id: prep, kind: command, config: { run: "echo prepared > prep.txt" } }
  - { id: commit, kind: script, config: { fn: git-commit, args: { message: "feat(prep): prepare" } }, needs: [prep] }
  - { id: check, kind: verify, config: { commands: ["touch started.txt; sleep \${TG_HOLD:-0}; touch late.txt"] }, needs: [commit] }
  - { id: after, kind: script, config: { fn: echo, args: done }, needs: [check] }
`;

const runIdOf = (output: string) => /^run (r-\S+)(?: \(resumed\))?: \d+ nodes/m.exec(output)?.[1];

/** The node's row in the store, read while the run may be writing. */
function nodeRow(dir: string, runId: string, nodeId: string) {
  return queryStore<{ status: string; attempts: number; started_at: string | null }>(
    dir,
    'SELECT status, attempts, started_at FROM run_nodes WHERE run_id = ? AND node_id = ?',
    runId,
    nodeId,
  )[0];
}

/** Polls (every 50 ms, up to 60 s) until `predicate` holds. */
async function until(what: string, predicate: () => boolean): Promise<void> {
  for (let i = 0; i < 1200; i++) {
    if (predicate()) return;
    await sleep(50);
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Starts `args` and waits until the run's `check` node is marked running and its command has started; returns the process, run id and worktree. */
async function startHeld(dir: string, args: string[], hold: string): Promise<{ cli: CliProcess; runId: string; worktree: string }> {
  const cli = startCli(['-C', dir, ...args], { env: { TG_HOLD: hold }, timeoutMs: 180_000 });
  await cli.waitFor((o) => runIdOf(o) !== undefined);
  const runId = runIdOf(cli.stderr)!;
  const worktree = queryStore<{ worktree: string }>(dir, 'SELECT worktree FROM runs WHERE id = ?', runId)[0]!.worktree;
  await until(`${runId} check running`, () => nodeRow(dir, runId, 'check')?.status === 'running' && existsSync(join(worktree, 'started.txt')));
  return { cli, runId, worktree };
}

const sessionsOf = (dir: string, runId: string) =>
  queryStore<{ number: number; command: string; outcome: string | null; reason: string | null }>(
    dir,
    'SELECT number, command, outcome, reason FROM run_sessions WHERE run_id = ? ORDER BY number',
    runId,
  );

describe('run lease, signals and resume: `run` of a graph with a held check', () => {
  let project: TempProject;
  let graph: string;
  let base: string;

  beforeAll(async () => {
    await ensureBuilt();
    project = await createSampleRepo({ config: (y) => y.replace('commandTimeoutMs: 60000', 'commandTimeoutMs: 60000\n  envAllowlist: [TG_HOLD]') });
    graph = join(project.dir, '.lease-graph.yaml'); // untracked: the run's branch starts without it
    await writeFile(graph, GRAPH);
    base = await git(project.dir, 'rev-parse', 'main');
  });
  afterAll(async () => {
    await project?.cleanup();
  });

  it('SIGTERM stops the command and records the run interrupted (exit 143); resume finishes it; the report is the same from every command', async () => {
    const { dir } = project;
    const { cli, runId, worktree } = await startHeld(dir, ['run', graph], '4');
    const stoppedAt = Date.now();
    cli.child.kill('SIGTERM');
    const stopped = await cli.done;
    expect(stopped.code, describeResult(stopped)).toBe(143);
    expect(stopped.stdout).toContain(`run ${runId}: interrupted (stopped by SIGTERM)`);
    expect(stopped.stdout).toContain(`resume: taskgraph resume ${runId}`);
    expect(readRunStatus(dir, runId)).toBe('interrupted');
    expect(sessionsOf(dir, runId)).toEqual([{ number: 1, command: 'run', outcome: 'interrupted', reason: 'stopped by SIGTERM' }]);
    expect(queryStore(dir, 'SELECT * FROM run_leases WHERE run_id = ?', runId)).toEqual([]);

    const status = await cliJson(dir, ['status', runId, '--json']);
    expect(status.run).toMatchObject({ status: 'interrupted', reason: 'stopped by SIGTERM' });
    expect(status.run).not.toHaveProperty('storedStatus'); // recorded interrupted, not derived
    expect(Object.fromEntries(status.nodes.map((n: { nodeId: string; status: string }) => [n.nodeId, n.status]))).toEqual({
      prep: 'succeeded', commit: 'succeeded', check: 'pending', after: 'pending',
    });
    expect(readAttempts(dir, runId).filter((a) => a.node_id === 'check').map((a) => a.status)).toEqual(['interrupted']);
    // the held command would have written late.txt 4 s after it started: it was killed, nothing came
    await sleep(Math.max(0, 4_800 - (Date.now() - stoppedAt)));
    expect(status.run.worktree).toBe(worktree);
    expect(existsSync(join(worktree, 'late.txt'))).toBe(false);

    const resumed = await runCli(['-C', dir, 'resume', runId, '--json']);
    expect(resumed.code, describeResult(resumed)).toBe(0);
    const summary = JSON.parse(resumed.stdout);
    expect(summary.status).toBe('succeeded');
    expect(sessionsOf(dir, runId).map((s) => [s.command, s.outcome])).toEqual([
      ['run', 'interrupted'],
      ['resume', 'succeeded'],
    ]);

    // the report written at the end of the session, `report RUN` and `report RUN --print` are the same bytes
    const atEnd = await readFile(summary.report, 'utf8');
    const [written, printed] = [await runCli(['-C', dir, 'report', runId]), await runCli(['-C', dir, 'report', runId, '--print'])];
    expect(written.stdout.trim()).toBe(summary.report);
    expect(await readFile(summary.report, 'utf8')).toBe(atEnd);
    expect(printed.stdout).toBe(atEnd);
    // its commits are the branch's
    const log = (await git(dir, 'log', '--reverse', '--format=%H %s', `${base}..${summary.branch}`)).split('\n');
    expect(log.map((l) => l.slice(41))).toEqual(['feat(prep): prepare']);
    expect(summary.commits.map((c: { sha: string }) => c.sha)).toEqual(log.map((l) => l.slice(0, 40)));
    for (const line of log) expect(atEnd).toContain(`- \`${line.slice(0, 12)}\` ${line.slice(41)}\n`);
    expect(atEnd).not.toContain('No commits.');
    expect(atEnd).toMatch(/\| 1 \| \S+ \| started \(run\) \| pid \d+ on .+ \| \S+ \| interrupted — stopped by SIGTERM \|/);
    expect(atEnd).toMatch(/\| 2 \| \S+ \| resumed \(resume\) \| pid \d+ on .+ \| \S+ \| finished: succeeded \|/);
  }, 240_000);

  it('a second process against a live run is refused RUN_LOCKED and writes nothing; after SIGKILL status and runs show interrupted; resume keeps --force', async () => {
    const { dir } = project;
    // the previous test filled the cache: without the kept --force, `after` would come back from it on resume
    const { cli, runId } = await startHeld(dir, ['run', graph, '--force', 'check', 'after'], '120');
    expect((await runCli(['-C', dir, 'status', runId])).stdout).toMatch(/^run \S+: running\n {2}held by process \d+/);
    const before = { attempts: readAttempts(dir, runId), sessions: sessionsOf(dir, runId) };
    const [resume, approve, status] = await Promise.all([
      runCli(['-C', dir, 'resume', runId]),
      runCli(['-C', dir, 'approve', runId, 'check']),
      runCli(['-C', dir, 'status', runId]),
    ]);
    for (const refused of [resume, approve]) {
      expect(refused.code, describeResult(refused)).toBe(1);
      expect(refused.stderr).toContain(`[RUN_LOCKED]: run ${runId} is held by process ${cli.child.pid} on `);
      expect(refused.stderr).toContain('hint:');
    }
    expect(queryStore(dir, 'SELECT * FROM decisions WHERE run_id = ?', runId)).toEqual([]);
    expect(readAttempts(dir, runId)).toEqual(before.attempts);
    expect(sessionsOf(dir, runId)).toEqual(before.sessions);
    // a verify running the tests shows running, with its attempt and elapsed time
    expect(status.stdout).toMatch(/ {2}running +check {2}attempts 1, running for [\d.]+ s/);
    expect(status.stdout).toMatch(/ {2}(succeeded|cached) +prep {2}attempts 1/);

    cli.child.kill('SIGKILL');
    expect((await cli.done).signal).toBe('SIGKILL');
    const killed = await cliJson(dir, ['status', runId, '--json']);
    expect(killed.run).toMatchObject({ status: 'interrupted', storedStatus: 'running' });
    expect(killed.nodes.find((n: { nodeId: string }) => n.nodeId === 'check').status).toBe('interrupted');
    expect(killed.sessions.map((s: { view: string }) => s.view)).toEqual(['killed']);
    const text = await runCli(['-C', dir, 'status', runId]);
    expect(text.stdout).toContain(`run ${runId}: interrupted (its process is gone: killed, or its lease expired)\n  resume: taskgraph resume ${runId}\n`);
    expect(text.stdout).toMatch(/ {2}interrupted +check {2}attempts 1\n/);
    const runs = await runCli(['-C', dir, 'runs']);
    expect(runs.stdout.split('\n').find((l) => l.startsWith(runId))).toMatch(/ interrupted .* resume: taskgraph resume r-/);

    const resumed = await runCli(['-C', dir, 'resume', runId, '--json']);
    expect(resumed.code, describeResult(resumed)).toBe(0);
    const attempts = readAttempts(dir, runId);
    expect(attempts.filter((a) => a.node_id === 'after').map((a) => a.status)).toEqual(['succeeded']); // forced: executed, not cached
    expect(attempts.filter((a) => a.node_id === 'check').map((a) => a.status)).toEqual(['succeeded']);
    expect(sessionsOf(dir, runId).map((s) => [s.command, s.outcome])).toEqual([
      ['run', null],
      ['resume', 'succeeded'],
    ]);
  }, 240_000);
});

describe('two `do` at once on one project', () => {
  const PLANS: Record<string, string> = {
    A: planJson([{ id: 'A1', title: 'Add multiply', files: ['src/calc.js'] }]),
    B: planJson([{ id: 'B1', title: 'Start a changelog', files: ['CHANGELOG.md'] }]),
  };
  const model = scriptedModel({
    planner: (req) => PLANS[req.user.includes('GOAL-A') ? 'A' : 'B']!,
    coder: {
      A1: udiff([['src/calc.js', calc.src, calc.withMultiply('a * b')]]),
      B1: udiff([['CHANGELOG.md', null, '# Changelog\n\n- multiply\n']]),
    },
  });
  let plannerA = 0;
  let arrivedA: () => void;
  const arrived = new Promise<void>((resolve) => (arrivedA = resolve));
  let releaseA: () => void;
  const released = new Promise<void>((resolve) => (releaseA = resolve));
  let server: FakeOpenAIServer;
  let project: TempProject;

  beforeAll(async () => {
    await ensureBuilt();
    // A's planner answer is held until the test releases it, so A is live (planning) while B runs
    server = await startFakeOpenAIServer({
      respond: async (req: FakeRequest) => {
        const s = seen(req);
        if (s.role === 'planner' && s.user.includes('GOAL-A')) {
          plannerA++;
          arrivedA();
          await released;
        }
        return model.respond(req);
      },
    });
    project = await createSampleRepo({ baseURL: server.url, files: { 'test/calc.test.mjs': calc.testWithoutMultiply } });
  });
  afterAll(async () => {
    releaseA?.();
    await server?.close();
    await project?.cleanup();
  });

  it('both finish, each on its own branch and worktree; a resume of the live one is refused without a model request', async () => {
    const { dir } = project;
    const a = startCli(['-C', dir, 'do', 'GOAL-A: add multiply.', '--json'], { timeoutMs: 180_000 });
    const b = startCli(['-C', dir, 'do', 'GOAL-B: start a changelog.', '--json'], { timeoutMs: 180_000 });
    await arrived;
    await a.waitFor((o) => runIdOf(o) !== undefined);
    const runA = runIdOf(a.stderr)!;
    const refused = await runCli(['-C', dir, 'resume', runA]);
    expect(refused.code, describeResult(refused)).toBe(1);
    expect(refused.stderr).toContain(`[RUN_LOCKED]: run ${runA} is held by process ${a.child.pid}`);
    expect(plannerA).toBe(1);
    releaseA();
    const [ra, rb] = await Promise.all([a.done, b.done]);
    expect(ra.code, describeResult(ra)).toBe(0);
    expect(rb.code, describeResult(rb)).toBe(0);
    const [sa, sb] = [JSON.parse(ra.stdout), JSON.parse(rb.stdout)];
    expect(plannerA).toBe(1);
    expect(sa.branch).not.toBe(sb.branch);
    expect(sa.worktree).not.toBe(sb.worktree);
    const subjects = async (branch: string) => (await git(dir, 'log', '--reverse', '--format=%s', `main..${branch}`)).split('\n');
    expect(await subjects(sa.branch)).toEqual(['feat(A1): add multiply']);
    expect(await subjects(sb.branch)).toEqual(['feat(B1): start a changelog']);
    expect(await git(dir, 'show', `${sa.branch}:src/calc.js`)).toContain('export function multiply');
    expect(await git(dir, 'ls-tree', '--name-only', sa.branch)).not.toContain('CHANGELOG.md');
    expect(await git(dir, 'show', `${sb.branch}:src/calc.js`)).not.toContain('multiply');
    expect(await git(dir, 'show', `${sb.branch}:CHANGELOG.md`)).toContain('# Changelog');
    for (const s of [sa, sb]) {
      expect(s.status).toBe('succeeded');
      expect(sessionsOf(dir, s.runId).map((x) => [x.command, x.outcome])).toEqual([['do', 'succeeded']]);
    }
    const runs = await cliJson(dir, ['runs', '--json']);
    expect(runs.map((r: { id: string; status: string }) => [r.id, r.status]).sort()).toEqual([[sa.runId, 'succeeded'], [sb.runId, 'succeeded']].sort());
    expect(await git(dir, 'status', '--porcelain')).toBe(''); // the user's checkout is untouched
  }, 240_000);
});
