import { copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, ROOT } from '../support/build.js';
import { cliJson, describeResult, runCli } from '../support/cli.js';
import { createSampleRepo, type TempProject } from '../support/project.js';

describe('approvals from the command line (examples/graphs/hello.yaml)', () => {
  let project: TempProject;
  let graph: string;

  beforeAll(async () => {
    await ensureBuilt();
    project = await createSampleRepo();
    graph = join(project.dir, 'hello.yaml');
    await copyFile(join(ROOT, 'examples', 'graphs', 'hello.yaml'), graph);
  });
  afterAll(async () => {
    await project?.cleanup();
  });

  const nodeStates = async (runId: string) => {
    const status = await cliJson(project.dir, ['status', runId, '--json']);
    return { run: status.run, nodes: Object.fromEntries(status.nodes.map((n: { nodeId: string; status: string }) => [n.nodeId, n.status])) };
  };

  it('suspends at the approval (exit 3); approve resumes it to success (exit 0)', async () => {
    const { dir } = project;
    const r = await runCli(['-C', dir, 'run', graph, '--no-worktree', '--json'], { cwd: dir });
    expect(r.code, describeResult(r)).toBe(3);
    const summary = JSON.parse(r.stdout);
    expect(summary.status).toBe('suspended');
    expect(summary.reason).toBe('waiting for review');
    expect(summary.worktree).toBeNull();

    const text = await runCli(['-C', dir, 'status', summary.runId]);
    expect(text.code, describeResult(text)).toBe(0);
    expect(text.stdout).toMatch(/suspended\s+review\s+attempts 1\s+approval needed: Publish the greeting\?/);
    const before = await nodeStates(summary.runId);
    expect(before.run.status).toBe('suspended');
    expect(before.nodes).toMatchObject({ greet: 'succeeded', count: 'succeeded', join: 'succeeded', review: 'suspended', publish: 'pending' });

    // a node that is not waiting: a clear error, and the run is left as it was
    const wrong = await runCli(['-C', dir, 'approve', summary.runId, 'join']);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain(`[RUN_STATE]: node join is succeeded, not waiting for a decision`);
    expect(wrong.stderr).toContain('hint: waiting: review');
    const unknown = await runCli(['-C', dir, 'approve', summary.runId, 'nope']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain(`[NOT_FOUND]: run ${summary.runId} has no node "nope"`);
    expect(await nodeStates(summary.runId)).toEqual(before);

    const ok = await runCli(['-C', dir, 'approve', summary.runId, 'review', '--by', 'alice', '--comment', 'ship it', '--json']);
    expect(ok.code, describeResult(ok)).toBe(0);
    const resumed = JSON.parse(ok.stdout);
    expect(resumed).toMatchObject({ runId: summary.runId, status: 'succeeded' });
    const after = await nodeStates(summary.runId);
    expect(after.run.status).toBe('succeeded');
    expect(after.nodes).toMatchObject({ review: 'succeeded', publish: 'succeeded' });

    // the decision is the approval node's output
    const report = await runCli(['-C', dir, 'report', summary.runId, '--print']);
    expect(report.stdout).toContain('**succeeded**');

    // a finished run cannot be resumed; an unknown one is named
    const resume = await runCli(['-C', dir, 'resume', summary.runId]);
    expect(resume.code).toBe(1);
    expect(resume.stderr).toContain(`[RUN_STATE]: run ${summary.runId} already succeeded`);
    const ghost = await runCli(['-C', dir, 'resume', 'r-ghost']);
    expect(ghost.code).toBe(1);
    expect(ghost.stderr).toContain('[NOT_FOUND]: no run "r-ghost"');
    expect(ghost.stderr).toContain('taskgraph runs');

    // a decided node cannot be decided again
    const again = await runCli(['-C', dir, 'reject', summary.runId, 'review']);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('node review is succeeded, not waiting for a decision');
    expect(again.stderr).toContain('hint: no node of this run is waiting');
  });

  it('reject fails the approval node (exit 1) and skips what needs it', async () => {
    const { dir } = project;
    const r = await runCli(['-C', dir, 'run', graph, '--no-worktree', '--json'], { cwd: dir });
    expect(r.code, describeResult(r)).toBe(3);
    const { runId } = JSON.parse(r.stdout);
    const no = await runCli(['-C', dir, 'reject', runId, 'review', '--comment', 'not today', '--json']);
    expect(no.code, describeResult(no)).toBe(1);
    expect(JSON.parse(no.stdout)).toMatchObject({ runId, status: 'failed' });
    const after = await nodeStates(runId);
    expect(after.run.status).toBe('failed');
    expect(after.run.reason).toContain('review');
    // --no-worktree: the side-effecting commands run again; their output is unchanged, so join
    // keeps its cache hit (early cutoff)
    expect(after.nodes).toMatchObject({ greet: 'succeeded', count: 'succeeded', join: 'cached', review: 'failed', publish: 'skipped' });
    const text = await runCli(['-C', dir, 'status', runId]);
    expect(text.stdout).toMatch(/failed\s+review\s+attempts 2\s+rejected by \S+: not today/);
  });
});
