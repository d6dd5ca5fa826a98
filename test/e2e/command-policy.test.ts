import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../support/build.js';
import { describeResult, runCli } from '../support/cli.js';
import { createSampleRepo, type TempProject } from '../support/project.js';

/**
 * The command policy through the CLI (README "Safety and approvals"): a graph's `command` node
 * that pushes is refused before it runs, the run fails with the clear message, and the refusal is
 * in `taskgraph audit` and in the run's report; an unlisted command under `unlisted: refuse`
 * fails the run until `resume --yes-commands --by NAME` runs it, audited under that name.
 */

const graph = (run: string) => `id: policy
nodes:
  - id: poke
    kind: command
    config:
      run: ${JSON.stringify(run)}
`;

describe('the command policy in a real run', () => {
  const projects: TempProject[] = [];
  const project = async (commands?: string) => {
    const p = await createSampleRepo(commands ? { config: (y) => y.replace(/^policy:\n/m, `policy:\n  safety: { commands: ${commands} }\n`) } : {});
    projects.push(p);
    return p;
  };

  beforeAll(async () => {
    await ensureBuilt();
  });
  afterAll(async () => {
    for (const p of projects) await p.cleanup();
  });

  it('refuses a command node that pushes, fails the run with the rule, and audits it', async () => {
    const p = await project();
    const file = join(p.base, 'push.yaml');
    await writeFile(file, graph('echo pushed > pushed.txt && git push origin HEAD'));
    const r = await runCli(['-C', p.dir, 'run', file, '--json']);
    expect(r.code, describeResult(r)).toBe(1);
    const summary = JSON.parse(r.stdout) as { runId: string; worktree?: string };
    expect(r.stdout + r.stderr).toContain('command refused');
    expect(r.stdout + r.stderr).toContain('git-push');
    if (summary.worktree) expect(existsSync(join(summary.worktree, 'pushed.txt'))).toBe(false);

    const audit = await runCli(['-C', p.dir, 'audit', '--json']);
    expect(audit.code, describeResult(audit)).toBe(0);
    const entries = JSON.parse(audit.stdout) as Array<Record<string, unknown>>;
    expect(entries).toEqual([
      expect.objectContaining({ runId: summary.runId, kind: 'command-refused', subject: 'echo pushed > pushed.txt && git push origin HEAD', reason: expect.stringContaining('rule git-push') }),
    ]);
    const text = await runCli(['-C', p.dir, 'audit', '--run', summary.runId]);
    expect(text.stdout).toMatch(/^#1 .* command-refused {2}run \S+ {2}echo pushed/m);
    expect((await runCli(['-C', p.dir, 'audit', '--run', 'no-such-run'])).code).toBe(1);

    const report = await runCli(['-C', p.dir, 'report', summary.runId, '--print']);
    expect(report.stdout).toContain('## Audit');
    expect(report.stdout).toMatch(/\| command-refused \| echo pushed > pushed\.txt && git push origin HEAD \|/);
  });

  it('unlisted: refuse fails the run; resume --yes-commands --by runs the command and audits who allowed it', async () => {
    const p = await project('{ unlisted: refuse, allowGraph: false }');
    const file = join(p.base, 'docs.yaml');
    await writeFile(file, graph('echo made > made.txt'));
    const r = await runCli(['-C', p.dir, 'run', file, '--json']);
    expect(r.code, describeResult(r)).toBe(1);
    expect(r.stdout + r.stderr).toContain('command needs approval');
    const { runId: id, worktree } = JSON.parse(r.stdout) as { runId: string; worktree: string };
    expect(existsSync(join(worktree, 'made.txt'))).toBe(false);

    const resumed = await runCli(['-C', p.dir, 'resume', id, '--yes-commands', '--by', 'ada', '--json']);
    expect(resumed.code, describeResult(resumed)).toBe(0);
    expect(await readFile(join(worktree, 'made.txt'), 'utf8')).toBe('made\n');
    const entries = JSON.parse((await runCli(['-C', p.dir, 'audit', '--run', id, '--json'])).stdout) as Array<Record<string, unknown>>;
    expect(entries.map((e) => [e['kind'], e['reason']])).toEqual([
      ['command-refused', 'not in policy.safety.commands.allow and policy.safety.commands.unlisted is refuse'],
      ['command-allowed-unlisted', '--yes-commands'],
    ]);
    expect(entries[1]).toMatchObject({ who: 'ada', subject: 'echo made > made.txt' });
  });
});
