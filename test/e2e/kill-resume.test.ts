import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAIServer, type FakeOpenAIServer } from '../../src/testing/fake-openai-server.js';
import { ensureBuilt } from '../support/build.js';
import { describeResult, runCli, startCli, type CliProcess } from '../support/cli.js';
import { createSampleRepo, git, readTree, type TempProject } from '../support/project.js';
import { calc, planJson, scriptedModel, udiff } from '../support/scripted-model.js';
import { byNode, readAttempts, readRunStatus, seededRandom, type AttemptRow } from '../support/store-db.js';

/**
 * Durability (DESIGN.md §6): a run killed with SIGKILL at a random moment and continued with
 * `taskgraph resume` does not repeat finished attempts and ends exactly where an uninterrupted
 * run ends.
 */

const STEP = 'sleep 0.2';
// 12 nodes in three stages, each stage committed; every command is idempotent
const GRAPH = `id: stages
title: three committed stages
concurrency: 2
nodes:
  - { id: a1, kind: command, config: { run: "${STEP} && echo a1 > a1.txt" } }
  - { id: a2, kind: command, config: { run: "${STEP} && echo a2 > a2.txt" } }
  - { id: a3, kind: command, config: { run: "${STEP} && echo a3 > a3.txt" } }
  - { id: commit-a, kind: script, config: { fn: git-commit, args: { message: "feat(a): stage a" } }, needs: [a1, a2, a3] }
  - { id: b1, kind: command, config: { run: "${STEP} && cat a1.txt a2.txt > b1.txt" }, needs: [commit-a] }
  - { id: b2, kind: command, config: { run: "${STEP} && cat a3.txt a1.txt > b2.txt" }, needs: [commit-a] }
  - { id: b3, kind: command, config: { run: "${STEP} && (cat a2.txt; echo b3) > b3.txt" }, needs: [commit-a] }
  - { id: commit-b, kind: script, config: { fn: git-commit, args: { message: "feat(b): stage b" } }, needs: [b1, b2, b3] }
  - { id: c1, kind: command, config: { run: "${STEP} && cat b1.txt b2.txt b3.txt > c1.txt" }, needs: [commit-b] }
  - { id: c2, kind: command, config: { run: "${STEP} && wc -l < c1.txt | tr -d ' ' > c2.txt" }, needs: [c1] }
  - { id: commit-c, kind: script, config: { fn: git-commit, args: { message: "feat(c): stage c" } }, needs: [c2] }
  - id: summary
    kind: script
    config: { fn: concat, args: { separator: " / " } }
    inputs:
      a: { $ref: commit-a, path: message }
      b: { $ref: commit-b, path: message }
      c: { $ref: commit-c, path: message }
`;
const ALL_NODES = ['a1', 'a2', 'a3', 'commit-a', 'b1', 'b2', 'b3', 'commit-b', 'c1', 'c2', 'commit-c', 'summary'];
const NODE_COUNT = ALL_NODES.length;

const finishedNodes = (output: string) => [...output.matchAll(/^\s+[✔◆✖] (\S+) (succeeded|cached|failed)/gm)].map((m) => m[1]!);
const runIdOf = (output: string) => /^run (r-\S+)(?: \(resumed\))?: \d+ nodes/m.exec(output)?.[1];

/** What a finished run left on its branch: each commit's tree and subject, plus the worktree files. */
async function outcome(dir: string, branch: string, worktree: string) {
  return {
    commits: (await git(dir, 'log', '--reverse', '--format=%T %s', `main..${branch}`)).split('\n'),
    files: await readTree(worktree),
    clean: await git(worktree, 'status', '--porcelain'),
  };
}

/**
 * Kills a CLI process with SIGKILL, then waits a little: command nodes run in their own process
 * groups, so their shells outlive the CLI (as they would after a real crash); with idempotent
 * commands that is harmless, the wait only keeps their late writes out of the resumed run.
 */
async function kill9(p: CliProcess): Promise<void> {
  p.child.kill('SIGKILL');
  const r = await p.done;
  expect(r.signal).toBe('SIGKILL');
  await sleep(400);
}

/** After a resume: nodes that had a finished attempt before the kill got no new attempt; every node ends with exactly one success. */
function expectNoRepeats(before: AttemptRow[], after: AttemptRow[], nodes: readonly string[]) {
  const pre = byNode(before);
  const post = byNode(after);
  for (const [node, rows] of pre) {
    if (rows.some((r) => r.status === 'succeeded' || r.status === 'cached')) {
      expect(post.get(node), `node ${node} finished before the kill and must not run again`).toEqual(rows);
    }
  }
  for (const node of nodes) {
    const rows = post.get(node) ?? [];
    expect(rows.filter((r) => r.status === 'succeeded' || r.status === 'cached'), `node ${node}: ${JSON.stringify(rows)}`).toHaveLength(1);
    expect(rows.filter((r) => r.status === 'running'), `node ${node} left running`).toHaveLength(0);
  }
  // an attempt in flight at the kill was marked interrupted and retried
  for (const [node, rows] of pre) {
    for (const r of rows.filter((x) => x.status === 'running')) {
      expect(post.get(node)!.find((x) => x.seq === r.seq)?.status, `node ${node}`).toBe('interrupted');
    }
  }
}

describe('kill -9 and resume: `run` of a 12-node graph', () => {
  const seed = Number(process.env['TG_E2E_SEED'] ?? Date.now() % 1_000_000);
  const random = seededRandom(seed);
  const projects: TempProject[] = [];
  let expected: Awaited<ReturnType<typeof outcome>>;

  let template: TempProject;
  const freshProject = async () => {
    const p = await createSampleRepo({ from: template.dir });
    projects.push(p);
    await writeFile(join(p.dir, '.taskgraph-graph.yaml'), GRAPH); // untracked: the run's branch starts without it
    return p;
  };

  beforeAll(async () => {
    await ensureBuilt();
    template = await createSampleRepo({ noGit: true });
    projects.push(template);
    const p = await freshProject();
    const r = await runCli(['-C', p.dir, 'run', join(p.dir, '.taskgraph-graph.yaml'), '--json']);
    expect(r.code, describeResult(r)).toBe(0);
    const s = JSON.parse(r.stdout);
    expected = await outcome(p.dir, s.branch, s.worktree);
  });
  afterAll(async () => {
    for (const p of projects) await p.cleanup();
  });

  it('the uninterrupted run commits three stages', () => {
    expect(expected.commits.map((c) => c.slice(41))).toEqual(['feat(a): stage a', 'feat(b): stage b', 'feat(c): stage c']);
    expect(expected.files['c1.txt']).toBe('a1\na2\na3\na1\na2\nb3\n');
    expect(expected.files['c2.txt']).toBe('6\n');
    expect(expected.clean).toBe('');
  });

  const kills = Number(process.env['TG_E2E_KILLS'] ?? 5);
  for (let i = 1; i <= kills; i++) {
    it(`killed at a random moment #${i} (seed ${seed}), resumed (maybe killed again): no finished attempt repeated, same result`, async () => {
      const p = await freshProject();
      const graph = join(p.dir, '.taskgraph-graph.yaml');
      const target = Math.floor(random() * (NODE_COUNT - 2)); // 0..9 nodes finished
      const extraMs = Math.floor(random() * 150);
      const killResumeToo = random() < 0.5;
      const cli = startCli(['-C', p.dir, 'run', graph]);
      await cli.waitFor((o) => runIdOf(o) !== undefined && finishedNodes(o).length >= target);
      if (extraMs > 0) await sleep(extraMs);
      await kill9(cli);
      const runId = runIdOf(cli.stderr)!;
      const finished = finishedNodes(cli.stderr);
      let story = `killed after ${finished.length} nodes (${finished.join(', ')}) +${extraMs} ms`;
      expect(readRunStatus(p.dir, runId), story).toBe('running');
      const before = readAttempts(p.dir, runId);
      let lastKill = before;

      const remaining = NODE_COUNT - new Set(before.filter((a) => a.status === 'succeeded').map((a) => a.node_id)).size;
      if (killResumeToo && remaining >= 4) {
        // the resumed process is killed as well
        const second = Math.floor(random() * (remaining - 3));
        const again = startCli(['-C', p.dir, 'resume', runId]);
        await again.waitFor((o) => /\(resumed\)/.test(o) && finishedNodes(o).length >= second);
        await kill9(again);
        story += `; resume killed after ${finishedNodes(again.stderr).join(', ') || 'no node'}`;
        lastKill = readAttempts(p.dir, runId);
        expectNoRepeats(before, lastKill, []);
      }

      const r = await runCli(['-C', p.dir, 'resume', runId, '--json']);
      expect(r.code, `${story}\n${describeResult(r)}`).toBe(0);
      const s = JSON.parse(r.stdout);
      expect(s.status).toBe('succeeded');
      const after = readAttempts(p.dir, runId);
      expectNoRepeats(before, after, ALL_NODES);
      expectNoRepeats(lastKill, after, ALL_NODES);
      expect(await outcome(p.dir, s.branch, s.worktree), story).toEqual(expected);
    });
  }

  it('killed right after a git-commit node moved the branch, resumed: still one commit per stage', async () => {
    const p = await freshProject();
    const cli = startCli(['-C', p.dir, 'run', join(p.dir, '.taskgraph-graph.yaml')]);
    await cli.waitFor((o) => runIdOf(o) !== undefined);
    const runId = runIdOf(cli.stderr)!;
    const ref = join(p.dir, '.git', 'refs', 'heads', 'taskgraph', runId);
    const base = await git(p.dir, 'rev-parse', 'main');
    // the branch moves when commit-a's `git commit` lands, possibly before the attempt is recorded
    for (;;) {
      const head = await readFile(ref, 'utf8').then((t) => t.trim(), () => base);
      if (head !== base) break;
      await new Promise((resolve) => setImmediate(resolve));
    }
    await kill9(cli);
    const before = readAttempts(p.dir, runId);
    const r = await runCli(['-C', p.dir, 'resume', runId, '--json']);
    expect(r.code, describeResult(r)).toBe(0);
    const s = JSON.parse(r.stdout);
    expectNoRepeats(before, readAttempts(p.dir, runId), ALL_NODES);
    expect(await outcome(p.dir, s.branch, s.worktree), `commit-a at the kill: ${JSON.stringify(before.filter((a) => a.node_id === 'commit-a'))}`).toEqual(expected);
  });
});

describe('kill -9 and resume: `do` in the middle of a task', () => {
  const PLAN = planJson([
    { id: 'T1', title: 'Add multiply', files: ['src/calc.js'] },
    { id: 'T2', title: 'Document multiply in the README', files: ['README.md'], dependencies: ['T1'] },
    { id: 'T3', title: 'Add a changelog', files: ['CHANGELOG.md'] },
  ]);
  const model = scriptedModel({
    planner: PLAN,
    coder: {
      T1: udiff([['src/calc.js', calc.src, calc.withMultiply('a * b')]]),
      T2: udiff([['README.md', calc.readme, calc.readmeWithMultiply()]]),
      T3: udiff([['CHANGELOG.md', null, '# Changelog\n\n- multiply\n']]),
    },
  });
  let server: FakeOpenAIServer;
  const projects: TempProject[] = [];
  const slowTests = (y: string) => y.replace('test: node test/run.mjs', 'test: sleep 0.5 && node test/run.mjs');

  beforeAll(async () => {
    await ensureBuilt();
    server = await startFakeOpenAIServer({ respond: model.respond });
  });
  afterAll(async () => {
    await server?.close();
    for (const p of projects) await p.cleanup();
  });

  it('resumes a `do` killed during a verify: earlier nodes are not repeated, one commit per task', async () => {
    const goal = 'Add multiply, document it, start a changelog.';
    const template = await createSampleRepo({ noGit: true });
    projects.push(template);
    const plain = await createSampleRepo({ from: template.dir, baseURL: server.url, config: slowTests });
    projects.push(plain);
    const first = await runCli(['-C', plain.dir, 'do', goal, '--json']);
    expect(first.code, describeResult(first)).toBe(0);
    const ref = JSON.parse(first.stdout);
    const expected = await outcome(plain.dir, ref.branch, ref.worktree);
    expect(expected.commits.map((c) => c.slice(41))).toEqual([
      'feat(T1): add multiply',
      'feat(T2): document multiply in the README',
      'feat(T3): add a changelog',
    ]);
    const callsBefore = model.requests.length;

    const p = await createSampleRepo({ from: template.dir, baseURL: server.url, config: slowTests });
    projects.push(p);
    const cli = startCli(['-C', p.dir, 'do', goal]);
    // kill while T2/verify (0.5 s) is in flight. verify has no side effects, so the engine writes
    // its attempt once, when it finishes: a killed verify leaves no attempt and simply runs again
    await cli.waitFor((o) => finishedNodes(o).includes('T2/apply'));
    const runId = runIdOf(cli.stderr)!;
    await sleep(150);
    await kill9(cli);
    expect(readRunStatus(p.dir, runId)).toBe('running');
    expect(finishedNodes(cli.stderr)).not.toContain('T2/verify');
    const before = readAttempts(p.dir, runId);
    expect(before.find((a) => a.node_id === 'T2/verify')).toBeUndefined();
    const callsAtKill = model.requests.length;
    expect(callsAtKill - callsBefore).toBe(3); // planner, T1 coder, T2 coder

    const r = await runCli(['-C', p.dir, 'resume', runId, '--json']);
    expect(r.code, describeResult(r)).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s.status).toBe('succeeded');
    // only T3's edit was asked for after the resume
    expect(model.requests.slice(callsAtKill).map((q) => `${q.role}:${q.task}`)).toEqual(['coder:T3']);
    const nodes = ['plan', ...['T1', 'T2', 'T3'].flatMap((t) => ['context', 'edit', 'apply', 'verify', 'commit'].map((n) => `${t}/${n}`))];
    expectNoRepeats(before, readAttempts(p.dir, runId), nodes);
    expect(await outcome(p.dir, s.branch, s.worktree)).toEqual(expected);
    // the user's checkout is untouched by either run
    expect(await git(p.dir, 'status', '--porcelain')).toBe('');
  });
});
