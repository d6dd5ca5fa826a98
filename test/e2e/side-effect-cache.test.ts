import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../support/build.js';
import { describeResult, runCli } from '../support/cli.js';
import { createSampleRepo, type TempProject } from '../support/project.js';

/**
 * DESIGN.md §5: "Side-effecting nodes are cached only when their inputs include the worktree state
 * they act on." A command that appends to a file is the simplest side effect.
 */
const GRAPH = `id: append
nodes:
  - { id: append, kind: command, config: { run: "echo x >> log.txt" } }
`;

describe('caching of side-effecting command nodes', () => {
  let project: TempProject;
  let graph: string;

  beforeAll(async () => {
    await ensureBuilt();
    project = await createSampleRepo();
    graph = join(project.base, 'append.yaml');
    await writeFile(graph, GRAPH);
  });
  afterAll(async () => {
    await project?.cleanup();
  });

  it('in a run worktree: the second run is a cache hit that restores the effect in its own worktree', async () => {
    const first = await runCli(['-C', project.dir, 'run', graph, '--json']);
    expect(first.code, describeResult(first)).toBe(0);
    const second = await runCli(['-C', project.dir, 'run', graph, '--json']);
    expect(second.code, describeResult(second)).toBe(0);
    const [a, b] = [JSON.parse(first.stdout), JSON.parse(second.stdout)];
    expect(a.counts).toMatchObject({ succeeded: 1, cached: 0 });
    expect(b.counts).toMatchObject({ succeeded: 0, cached: 1 });
    expect(await readFile(join(a.worktree, 'log.txt'), 'utf8')).toBe('x\n');
    expect(await readFile(join(b.worktree, 'log.txt'), 'utf8')).toBe('x\n');
  });

  // BUG (reported): with --no-worktree the command's key holds no state of the directory it acts
  // on, yet the node is cached, so the second run skips the command.
  it('with --no-worktree: the command runs again on the second run (its key has no workspace state)', async () => {
    for (let i = 0; i < 2; i++) {
      const r = await runCli(['-C', project.dir, 'run', graph, '--no-worktree', '--json']);
      expect(r.code, describeResult(r)).toBe(0);
      expect(JSON.parse(r.stdout).counts).toMatchObject({ succeeded: 1, cached: 0 });
    }
    expect(await readFile(join(project.dir, 'log.txt'), 'utf8')).toBe('x\nx\n');
  });
});
