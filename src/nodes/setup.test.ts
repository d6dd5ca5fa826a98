import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSampleRepo, type TempProject } from '../../test/support/project.js';
import { ProjectConfigSchema } from '../core/config.js';
import { Engine, newRunId } from '../engine/engine.js';
import type { EngineEvent } from '../engine/events.js';
import { SqliteStore } from '../store/sqlite-store.js';
import { createRunWorkspace } from '../workspace/git-workspace.js';
import type { Workspace } from '../workspace/workspace.js';
import { defaultRegistry } from './index.js';

const LOCK = '{"lockfileVersion":3}\n';
const SETUP = 'mkdir -p .deps && cat package-lock.json >> .deps/installs';

let project: TempProject;
beforeAll(async () => {
  project = await createSampleRepo({ files: { 'package-lock.json': LOCK, '.gitignore': '.deps/\n' } });
});
afterAll(async () => {
  await project?.cleanup();
});

describe('the setup node', () => {
  it('runs once per worktree and dependency state: a cache hit in the same worktree, run again after a lock change and in a new worktree', async () => {
    const config = ProjectConfigSchema.parse({ commands: { setup: SETUP, test: 'node test/run.mjs' } });
    const store = SqliteStore.open(':memory:');
    await store.migrate();
    const { executors, scripts } = defaultRegistry();
    const events: EngineEvent[] = [];
    const engine = new Engine({ store, executors, scripts, projectDir: project.dir, config, observers: [(e) => events.push(e)] });
    const run = async (workspace: Workspace) => {
      events.length = 0;
      const summary = await engine.start({ graph: { nodes: [{ id: 'setup', kind: 'setup' }] }, command: 'test', workspace });
      expect(summary.status).toBe('succeeded');
      return events.filter((e) => e.type === 'node-finish').map((e) => (e as { status: string }).status);
    };

    const first = await createRunWorkspace({ projectDir: project.dir, runId: newRunId() });
    expect(await run(first)).toEqual(['succeeded']);
    expect(await run(first)).toEqual(['cached']);
    expect(await readFile(join(first.dir, '.deps', 'installs'), 'utf8')).toBe(LOCK);

    await writeFile(join(first.dir, 'package-lock.json'), '{"lockfileVersion":3,"packages":{}}\n');
    expect(await run(first)).toEqual(['succeeded']);
    expect(await readFile(join(first.dir, '.deps', 'installs'), 'utf8')).toBe(`${LOCK}{"lockfileVersion":3,"packages":{}}\n`);

    const second = await createRunWorkspace({ projectDir: project.dir, runId: newRunId() });
    expect(await run(second)).toEqual(['succeeded']);
    expect(await readFile(join(second.dir, '.deps', 'installs'), 'utf8')).toBe(LOCK);
    await store.close();
  });
});
