import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GitWorkspace } from './git-workspace.js';
import { diffToTree } from './tree-diff.js';

const git = (cwd: string, ...args: string[]) => execFileSync('git', ['-c', 'user.name=F', '-c', 'user.email=f@example.com', ...args], { cwd, encoding: 'utf8' }).trim();

describe('diffToTree', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'taskgraph-tree-diff-'));
    git(dir, 'init', '-q', '-b', 'main');
    await writeFile(path.join(dir, 'a.js'), 'export const a = 1;\n');
    git(dir, 'add', '-A');
    git(dir, 'commit', '-q', '-m', 'base');
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('diffs the start commit against the snapshot tree, uncommitted and untracked files included, without touching the index', async () => {
    const start = git(dir, 'rev-parse', 'HEAD');
    await writeFile(path.join(dir, 'a.js'), 'export const a = 2;\n');
    await writeFile(path.join(dir, 'new file ä.js'), 'export const b = 1;\n');
    const ws = new GitWorkspace(dir, 'main');
    const snap = await ws.snapshot();
    const diff = await diffToTree(dir, start, snap.tree);
    expect(diff).toContain('--- a/a.js\n+++ b/a.js\n@@ -1 +1 @@\n-export const a = 1;\n+export const a = 2;\n');
    expect(diff).toContain('+++ b/new file ä.js\t\n@@ -0,0 +1 @@\n+export const b = 1;\n');
    expect(git(dir, 'status', '--porcelain')).toBe('M a.js\n?? "new file \\303\\244.js"');
    expect(await diffToTree(dir, start, (await ws.commitSnapshot(start)).tree)).toBe('');
  });
});
