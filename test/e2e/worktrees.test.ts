import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hostTag, projectKey } from '../../src/workspace/worktree-location.js';
import { cliJson, describeResult, runCli, startCli } from '../support/cli.js';
import { createTempDir, git } from '../support/project.js';
import { calc, planJson, scriptedModel, udiff } from '../support/scripted-model.js';
import { useScriptedProject } from '../support/scripted-project.js';

/**
 * Issue items 9 and 10 end to end: run worktrees live outside the project, in the user's cache
 * directory (here the test's XDG_CACHE_HOME); a fully cached re-run of `do` leaves no second
 * branch or worktree; `taskgraph clean` removes the worktrees (and with --branches the branches)
 * of finished runs and leftover scratch worktrees, never a live run's, and `status`/`report` of
 * a cleaned run still work; taskgraph.yaml must be committed, and `init`/`do` say so.
 */

const GOAL = 'Add multiply to the calculator.';
/** a run that waits until RELEASE exists in its worktree: its lease stays live meanwhile */
const HOLD = `id: hold
nodes:
  - { id: wait, kind: command, config: { run: "touch started.txt; while [ ! -f RELEASE ]; do sleep 0.1; done" } }
`;
const FAIL = `id: fail
nodes:
  - { id: boom, kind: command, config: { run: "exit 3" } }
`;

const runBranches = async (dir: string) => (await git(dir, 'branch', '--list', 'taskgraph/*', '--format=%(refname:short)')).split('\n').filter(Boolean).sort();
const worktreePaths = async (dir: string) =>
  (await git(dir, 'worktree', 'list', '--porcelain'))
    .split('\n')
    .filter((l) => l.startsWith('worktree '))
    .map((l) => l.slice('worktree '.length));

/** A pid that no process has any more (a child that already exited). */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '0']);
  await new Promise((resolve) => child.on('close', resolve));
  return child.pid!;
}

describe('worktrees outside the project, re-runs without clutter, taskgraph clean', () => {
  const model = scriptedModel({
    planner: planJson([{ id: 'T1', title: 'Add multiply', files: ['src/calc.js'] }]),
    coder: { T1: udiff([['src/calc.js', calc.src, calc.withMultiply('a * b')]]) },
  });
  const scripted = useScriptedProject(model);
  const ids: Record<string, string> = {};

  it('a run works in a worktree under the user cache directory, outside the project; a fully cached re-run reuses the first branch', async () => {
    const { dir } = scripted;
    const first = await runCli(['-C', dir, 'do', GOAL, '--json']);
    expect(first.code, describeResult(first)).toBe(0);
    const a = JSON.parse(first.stdout);
    ids['first'] = a.runId;
    const parent = join(process.env['XDG_CACHE_HOME']!, 'taskgraph', 'worktrees', await projectKey(dir));
    expect(a.worktree).toBe(join(parent, a.runId));
    expect(a.worktree.startsWith(dir)).toBe(false);
    expect(existsSync(join(dir, '.taskgraph', 'worktrees'))).toBe(false);
    expect(first.stderr).not.toContain('taskgraph.yaml'); // committed: no warning
    const calls = model.requests.length;

    const second = await runCli(['-C', dir, 'do', GOAL]);
    expect(second.code, describeResult(second)).toBe(0);
    expect(second.stdout).toContain('0 executed, 7 cached');
    expect(second.stdout).toContain(`fully cached: nothing ran; branch taskgraph/${a.runId} already holds this result`);
    expect(second.stdout).toContain(`merge: git merge taskgraph/${a.runId}`);
    expect(model.requests.length).toBe(calls);
    expect(await runBranches(dir)).toEqual([`taskgraph/${a.runId}`]);
    expect(await worktreePaths(dir)).toHaveLength(2); // the checkout and the first run's worktree

    const [latest] = await cliJson(dir, ['runs', '--json']);
    ids['second'] = latest.id;
    const status = await cliJson(dir, ['status', latest.id, '--json']);
    expect(status.run.branch).toBe(`taskgraph/${a.runId}`);
    expect(status.run.worktree).toBeUndefined();
    expect(status.place).toEqual({ branchExists: true, worktreeExists: null, fullyCachedAs: a.runId });
    const text = await runCli(['-C', dir, 'status', latest.id]);
    expect(text.stdout).toContain(`branch taskgraph/${a.runId} (run ${a.runId}'s: this run was fully cached), no worktree of its own`);
    const report = await runCli(['-C', dir, 'report', latest.id, '--print']);
    expect(report.stdout).toContain(`the branch of run \`${a.runId}\` already holds this result`);
    expect(report.stdout).toContain('feat(T1): add multiply');
  });

  it('clean: --dry-run lists, clean removes finished worktrees and leftover scratch ones, --branches deletes branches; a live run is untouched', { timeout: 180_000 }, async () => {
    const { dir, project } = scripted;
    const graphs = join(project.base, 'graphs');
    await mkdir(graphs, { recursive: true });
    await writeFile(join(graphs, 'fail.yaml'), FAIL);
    await writeFile(join(graphs, 'hold.yaml'), HOLD);
    const failed = await runCli(['-C', dir, 'run', join(graphs, 'fail.yaml'), '--json']);
    expect(failed.code, describeResult(failed)).toBe(1);
    const f = JSON.parse(failed.stdout);
    expect(existsSync(f.worktree)).toBe(true);

    // a live run: its command waits, so its lease is heartbeated by a live process
    const live = startCli(['-C', dir, 'run', join(graphs, 'hold.yaml')], { timeoutMs: 170_000 });
    try {
      await live.waitFor((o) => /^run r-\S+: \d+ nodes/m.test(o));
      const [held] = await cliJson(dir, ['runs', '--json']);
      expect(held.status).toBe('running');
      for (let i = 0; i < 600 && !existsSync(join(held.worktree, 'started.txt')); i++) await new Promise((r) => setTimeout(r, 50));

      // a scratch worktree left by a killed forecast: named after a process that is gone
      const scratch = join(process.env['XDG_CACHE_HOME']!, 'taskgraph', 'worktrees', await projectKey(dir), `scratch-${await deadPid()}-${hostTag()}-0badc0de`);
      await git(dir, 'worktree', 'add', '--quiet', '--detach', scratch, 'HEAD');

      const firstWorktree = join(process.env['XDG_CACHE_HOME']!, 'taskgraph', 'worktrees', await projectKey(dir), ids['first']!);
      const dry = await cliJson(dir, ['clean', '--dry-run', '--json']);
      expect(dry.dryRun).toBe(true);
      expect(dry.worktrees.map((w: { runId: string }) => w.runId).sort()).toEqual([ids['first'], f.runId].sort());
      expect(dry.scratch.map((s: { path: string }) => s.path)).toEqual([scratch]);
      expect(dry.branches).toEqual([]);
      expect(dry.kept).toContainEqual({ runId: held.id, reason: expect.stringMatching(/^its lease is live \(process \d+ on /) });
      expect(existsSync(firstWorktree) && existsSync(f.worktree) && existsSync(scratch)).toBe(true);
      const dryText = await runCli(['-C', dir, 'clean', '--dry-run']);
      expect(dryText.stdout).toContain(`would remove worktree ${firstWorktree} (run ${ids['first']}, succeeded)`);
      expect(dryText.stdout).toContain('dry run: nothing was removed');

      const recent = await runCli(['-C', dir, 'clean', '--older-than', '1d']);
      expect(recent.code, describeResult(recent)).toBe(0);
      expect(recent.stdout).toContain('nothing to clean');
      expect(recent.stdout).toContain(`kept run ${ids['first']}: finished less than 1 day ago`);
      const bad = await runCli(['-C', dir, 'clean', '--older-than', '7']);
      expect(bad.code).toBe(1);
      expect(bad.stderr).toContain('--older-than needs a duration like 7d, 12h or 30m, got "7"');

      const cleaned = await runCli(['-C', dir, 'clean']);
      expect(cleaned.code, describeResult(cleaned)).toBe(0);
      expect(cleaned.stdout).toContain(`removed worktree ${firstWorktree} (run ${ids['first']}, succeeded)`);
      expect(cleaned.stdout).toContain(`removed scratch worktree ${scratch}`);
      expect(existsSync(firstWorktree) || existsSync(f.worktree) || existsSync(scratch)).toBe(false);
      expect(await worktreePaths(dir)).toEqual([dir, held.worktree]);
      expect(existsSync(join(held.worktree, 'started.txt'))).toBe(true);
      expect(await runBranches(dir)).toEqual([`taskgraph/${ids['first']}`, `taskgraph/${f.runId}`, `taskgraph/${held.id}`].sort());

      // a cleaned run's status and report come from the store and git
      const status = await runCli(['-C', dir, 'status', ids['first']!]);
      expect(status.stdout).toContain(`worktree ${firstWorktree} (removed)`);
      const report = await runCli(['-C', dir, 'report', ids['first']!, '--print']);
      expect(report.code, describeResult(report)).toBe(0);
      expect(report.stdout).toContain(`| worktree | ${firstWorktree} (removed) |`);
      expect(report.stdout).toContain('feat(T1): add multiply');
      // resume of a cleaned failed run checks its branch out again at the stored path
      const resumed = await runCli(['-C', dir, 'resume', f.runId, '--json']);
      expect(resumed.code, describeResult(resumed)).toBe(1);
      expect(JSON.parse(resumed.stdout).worktree).toBe(f.worktree);
      expect(existsSync(f.worktree)).toBe(true);

      const branches = await cliJson(dir, ['clean', '--branches', '--json']);
      expect(branches.branches.map((b: { branch: string }) => b.branch).sort()).toEqual([`taskgraph/${ids['first']}`, `taskgraph/${f.runId}`].sort());
      expect(await runBranches(dir)).toEqual([`taskgraph/${held.id}`]);
      const gone = await runCli(['-C', dir, 'report', ids['second']!, '--print']);
      expect(gone.code, describeResult(gone)).toBe(0);
      expect(gone.stdout).toContain(`The branch \`taskgraph/${ids['first']}\` no longer exists`);
      expect((await runCli(['-C', dir, 'status', ids['second']!])).stdout).toContain(`branch taskgraph/${ids['first']} (run ${ids['first']}'s: this run was fully cached) (deleted)`);

      await writeFile(join(held.worktree, 'RELEASE'), '');
      const done = await live.done;
      expect(done.code, describeResult(done)).toBe(0);
    } finally {
      live.child.kill('SIGKILL');
    }
  });

  it('taskgraph.yaml must be committed: init says how, do warns once when it is not', async () => {
    const { dir } = scripted;
    await git(dir, 'rm', '--cached', '--quiet', 'taskgraph.yaml');
    await git(dir, 'commit', '--quiet', '-m', 'untrack the configuration');
    const dry = await runCli(['-C', dir, 'do', GOAL, '--dry-run']);
    expect(dry.code, describeResult(dry)).toBe(0);
    const warnings = dry.stderr.split('\n').filter((l) => l.includes('taskgraph.yaml'));
    expect(warnings).toEqual([
      `warning: taskgraph.yaml is not committed: the run's worktree is checked out from HEAD and will not have it; commit it: git add taskgraph.yaml && git commit -m "Add taskgraph configuration"`,
    ]);

    const fresh = await createTempDir();
    try {
      await git(fresh.dir, 'init', '-q', '-b', 'main');
      await git(fresh.dir, 'commit', '--quiet', '--allow-empty', '-m', 'init');
      const init = await runCli(['-C', fresh.dir, 'init', '--no-check']);
      expect(init.code, describeResult(init)).toBe(0);
      expect(init.stdout).toContain('commit taskgraph.yaml: runs work in a worktree checked out from HEAD, which has only committed files: git add taskgraph.yaml && git commit -m "Add taskgraph configuration"');
    } finally {
      await fresh.cleanup();
    }
  });
});
