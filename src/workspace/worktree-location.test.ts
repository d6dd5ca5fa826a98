import { mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hostTag, projectKey, runWorktreeDir, scratchOwner, scratchWorktreeDir, userCacheDir, worktreeParentDir } from './worktree-location.js';

describe('worktree location', () => {
  let base: string;
  beforeAll(async () => {
    base = await mkdtemp(path.join(tmpdir(), 'taskgraph-location-'));
  });
  afterAll(async () => {
    await rm(base, { recursive: true, force: true });
  });

  it('defaults to <XDG_CACHE_HOME>/taskgraph/worktrees/<basename>-<hash>/<run>, outside the project', async () => {
    const project = path.join(base, 'shop');
    await mkdir(project);
    expect(userCacheDir()).toBe(path.join(process.env['XDG_CACHE_HOME']!, 'taskgraph'));
    const dir = await runWorktreeDir(project, 'r-1');
    expect(dir).toBe(path.join(process.env['XDG_CACHE_HOME']!, 'taskgraph', 'worktrees', await projectKey(project), 'r-1'));
    expect(await projectKey(project)).toMatch(/^shop-[0-9a-f]{12}$/);
    expect(dir.startsWith(project)).toBe(false);
  });

  it('keys are collision-free across checkouts of the same name, and equal through a symlink', async () => {
    const a = path.join(base, 'one', 'app');
    const b = path.join(base, 'two', 'app');
    await mkdir(a, { recursive: true });
    await mkdir(b, { recursive: true });
    await symlink(a, path.join(base, 'link'));
    expect(await projectKey(a)).not.toBe(await projectKey(b));
    expect(await projectKey(path.join(base, 'link'))).toBe(await projectKey(a));
    const odd = path.join(base, 'my app (copy)');
    await mkdir(odd);
    expect(await projectKey(odd)).toMatch(/^my-app--copy--[0-9a-f]{12}$/);
  });

  it('worktreeDir replaces the parent, resolved against the project directory', async () => {
    const project = path.join(base, 'conf');
    expect(await worktreeParentDir(project, '../trees')).toBe(path.join(base, 'trees'));
    expect(await runWorktreeDir(project, 'r-2', '/abs/trees')).toBe(path.join('/abs/trees', 'r-2'));
  });

  it('scratch worktrees are named by pid and host, and read back', async () => {
    const dir = await scratchWorktreeDir(path.join(base, 'shop'));
    expect(scratchOwner(dir)).toEqual({ pid: process.pid, host: hostTag() });
    expect(scratchOwner('/x/r-20250101-abcdef')).toBeUndefined();
    expect(scratchOwner('/x/scratch-12-zzzzzz-00000000')).toBeUndefined();
  });
});
