import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { GraphSpecInput } from '../../src/core/graph.js';
import { newRunId } from '../../src/engine/engine.js';
import { createRunWorkspace } from '../../src/workspace/git-workspace.js';
import { useApiOnSampleRepo } from '../support/api-server.js';
import { git } from '../support/project.js';

/**
 * `GET /runs/{id}/why?node=` over real HTTP on loopback (issue 12 "Node detail": why dirty): a
 * run of a small graph in its own worktree, then a commit to the project's HEAD. A new run would
 * start from that commit, so the command node that reads the worktree is dirty (its `workspace`
 * ingredient changed) while the script node is a cache hit, exactly as `taskgraph why` says.
 */
const GRAPH: GraphSpecInput = {
  id: 'why',
  nodes: [
    { id: 'files', kind: 'command', config: { run: 'ls' } },
    { id: 'hello', kind: 'script', config: { fn: 'echo', args: { greeting: 'hi' } } },
  ],
};

describe('HTTP API: why a node would run again', () => {
  const api = useApiOnSampleRepo();
  const { state, call } = api;
  let runId: string;

  beforeAll(async () => {
    const project = state.project;
    runId = newRunId();
    const workspace = await createRunWorkspace({ projectDir: project.dir, runId, worktreeDir: project.config.worktreeDir });
    const summary = await project.engine({ signal: new AbortController().signal }).start({ graph: GRAPH, command: 'run', options: { target: 'why.yaml' }, runId, workspace });
    expect(summary.status).toBe('succeeded');
  });

  it('says a node is a cache hit, and names the changed ingredient of a node that would run again', async () => {
    const cached = await call('GET', `/runs/${runId}/why?node=files`);
    expect(cached.status, JSON.stringify(cached.body)).toBe(200);
    expect(cached.body).toMatchObject({ runId, label: `a new run of run ${runId}'s graph`, forecast: { nodeId: 'files', willRun: false, reason: 'cached', changed: [] } });
    expect(cached.body.lines[0]).toBe('files: will not run (cached)');

    // a commit to HEAD: a new run's worktree holds it, so the command that reads the tree is dirty
    await writeFile(join(api.repo.dir, 'NOTES.md'), 'a new file\n');
    await git(api.repo.dir, 'add', 'NOTES.md');
    await git(api.repo.dir, 'commit', '-q', '-m', 'notes');
    const dirty = await call('GET', `/runs/${runId}/why?node=files`);
    expect(dirty.status, JSON.stringify(dirty.body)).toBe(200);
    expect(dirty.body.forecast).toMatchObject({ nodeId: 'files', willRun: true, certain: true, changed: ['extra:workspace'], reason: 'worktree state changed' });
    expect(dirty.body.lines).toEqual(expect.arrayContaining(['files: will run', 'why: worktree state changed', 'changed ingredients: extra:workspace']));
    expect(dirty.body.base).toBe(await git(api.repo.dir, 'rev-parse', 'HEAD'));
    const hello = await call('GET', `/runs/${runId}/why?node=hello`);
    expect(hello.body.forecast).toMatchObject({ willRun: false, reason: 'cached' });
    // read-only: no new run, no new attempt
    expect((await state.project.store.listAttempts(runId, 'files')).length).toBe(1);
  });

  it('answers 404 for an unknown run or node and 400 without a node', async () => {
    const noRun = await call('GET', '/runs/r-nothing/why?node=files');
    expect(noRun.status).toBe(404);
    expect(noRun.body.code).toBe('NOT_FOUND');
    const noNode = await call('GET', `/runs/${runId}/why?node=nope`);
    expect(noNode.status).toBe(404);
    expect(noNode.body.hint).toContain('files');
    const missing = await call('GET', `/runs/${runId}/why`);
    expect(missing.status).toBe(400);
    expect(missing.body.issues.map((i: { path: string }) => i.path)).toEqual(['query.node']);
  });
});
