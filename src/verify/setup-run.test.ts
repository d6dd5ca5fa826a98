import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { git, createSampleRepo, type TempProject } from '../../test/support/project.js';
import { ProjectConfigSchema } from '../core/config.js';
import { dependencyHash, isDependencyFile } from './dependency-files.js';
import { readSetupMarker, runSetup, SETUP_MARKER_FILE, worktreeIdentity } from './setup-run.js';

let project: TempProject;
beforeAll(async () => {
  project = await createSampleRepo({ files: { 'package-lock.json': '{"lockfileVersion":3}\n', '.gitignore': '.deps/\n' } });
});
afterAll(async () => {
  await project?.cleanup();
});

describe('dependency files', () => {
  it('are lock files, manifests and pip requirement files at any depth, outside vendored and build directories', () => {
    for (const path of ['package-lock.json', 'web/yarn.lock', 'poetry.lock', 'requirements-dev.txt', 'Cargo.lock', 'go.sum', 'pyproject.toml', 'go.mod']) {
      expect(isDependencyFile(path), path).toBe(true);
    }
    for (const path of ['node_modules/x/package.json', 'vendor/github.com/a/go.mod', 'src/calc.js', 'requirements.md', 'dist/package.json']) {
      expect(isDependencyFile(path), path).toBe(false);
    }
  });

  it('hash by path and bytes: another lock content gives another hash, other files do not count', async () => {
    const files = ['package.json', 'package-lock.json', 'src/calc.js'];
    const before = await dependencyHash(project.dir, files);
    expect(before.files).toEqual(['package-lock.json', 'package.json']);
    expect((await dependencyHash(project.dir, ['package-lock.json', 'package.json'])).hash).toBe(before.hash);
    await writeFile(join(project.dir, 'src', 'calc.js'), '// edited\n');
    expect((await dependencyHash(project.dir, files)).hash).toBe(before.hash);
    await writeFile(join(project.dir, 'package-lock.json'), '{"lockfileVersion":3,"packages":{}}\n');
    expect((await dependencyHash(project.dir, files)).hash).not.toBe(before.hash);
    await git(project.dir, 'checkout', '--', '.');
  });
});

describe('setup in a worktree', () => {
  it('runs through the gate, leaves a marker in the worktree git directory only, and a re-added worktree at the same path is a new identity', async () => {
    const wt = join(project.base, 'wt');
    await git(project.dir, 'worktree', 'add', '-q', '--detach', wt, 'HEAD');
    const identity = await worktreeIdentity(wt);
    expect(await worktreeIdentity(wt)).toBe(identity);
    expect(await readSetupMarker(wt)).toBeUndefined();

    // lines run outside a run node: `unlisted: ask` (the default) would refuse them there
    const config = ProjectConfigSchema.parse({ policy: { safety: { commands: { unlisted: 'allow' } } } });
    const run = await runSetup('mkdir -p .deps && cp package-lock.json .deps/ready', { cwd: wt, config, projectDir: project.dir, dependencies: 'h1' });
    expect(run.error).toBeUndefined();
    expect(await readFile(join(wt, '.deps', 'ready'), 'utf8')).toBe('{"lockfileVersion":3}\n');
    expect(await readSetupMarker(wt)).toMatchObject({ command: 'mkdir -p .deps && cp package-lock.json .deps/ready', dependencies: 'h1' });
    const gitDir = await git(wt, 'rev-parse', '--absolute-git-dir');
    expect(existsSync(join(gitDir, SETUP_MARKER_FILE))).toBe(true);
    expect(await git(wt, 'status', '--porcelain')).toBe('');

    const failed = await runSetup('definitely-not-a-command-xyz', { cwd: wt, config, projectDir: project.dir, dependencies: 'h2' });
    expect(failed.error).toMatchObject({ code: 'COMMAND_FAILED', hint: expect.stringContaining('not installed') });
    expect((await readSetupMarker(wt))?.dependencies).toBe('h1');

    await git(project.dir, 'worktree', 'remove', '--force', wt);
    await git(project.dir, 'worktree', 'add', '-q', '--detach', wt, 'HEAD');
    expect(await worktreeIdentity(wt)).not.toBe(identity);
    expect(await readSetupMarker(wt)).toBeUndefined();
  });
});
