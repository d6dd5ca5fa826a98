import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  FALLBACK_IDENTITY,
  createRunWorkspace,
  openRunWorkspace,
  removeRunWorkspace,
  runWorktreeDir,
} from './git-workspace.js';
import { rejectionOf } from '../../test/support/expect-error.js';
import { FIXTURE_IDENTITY, fixtureBase, fixtureCount, git, makeRepo, newWorkspace, nextFixtureNumber, tree, useGitFixtures, writeFiles } from './git-workspace-fixtures.case.js';

useGitFixtures();

describe('createRunWorkspace', () => {
  it('creates the run branch and worktree and leaves the user checkout untouched', async () => {
    const repo = await makeRepo({ 'src/a.ts': 'export const a = 1;\n', 'README.md': '# demo\n', '.gitignore': '*.log\n' });
    const baseCommit = git(repo, 'rev-parse', 'HEAD');
    // a user with work in progress: a staged change, an unstaged change, an untracked and an ignored file
    await writeFile(path.join(repo, 'README.md'), '# demo\nstaged\n');
    git(repo, 'add', 'README.md');
    await writeFile(path.join(repo, 'src/a.ts'), 'export const a = 2;\n');
    await writeFile(path.join(repo, 'notes.txt'), 'mine\n');
    await writeFile(path.join(repo, 'debug.log'), 'log\n');
    const before = {
      status: git(repo, 'status', '--porcelain=v1', '-uall'),
      head: git(repo, 'rev-parse', 'HEAD'),
      symbolic: git(repo, 'symbolic-ref', 'HEAD'),
      index: git(repo, 'ls-files', '-s'),
      files: await tree(repo),
    };

    const ws = await createRunWorkspace({ projectDir: repo, runId: 'r-1' });
    expect(ws.branch).toBe('taskgraph/r-1');
    expect(ws.dir).toBe(await runWorktreeDir(repo, 'r-1'));
    // outside the project, in the user's cache directory (the test's XDG_CACHE_HOME)
    expect(path.dirname(path.dirname(ws.dir))).toBe(path.join(process.env['XDG_CACHE_HOME']!, 'taskgraph', 'worktrees'));
    expect(path.basename(path.dirname(ws.dir))).toMatch(/^repo-\d+-[0-9a-f]{12}$/);
    expect(ws.dir.startsWith(repo)).toBe(false);
    expect(git(repo, 'rev-parse', 'refs/heads/taskgraph/r-1')).toBe(baseCommit);
    expect(await readFile(path.join(ws.dir, 'src/a.ts'), 'utf8')).toBe('export const a = 1;\n');
    expect(existsSync(path.join(ws.dir, 'notes.txt'))).toBe(false);
    expect(await readFile(path.join(repo, '.taskgraph', '.gitignore'), 'utf8')).toMatch(/^\*$/m);

    // work in the run worktree
    await ws.applyEdit('src/a.ts\n<<<<<<< SEARCH\nexport const a = 1;\n=======\nexport const a = 42;\n>>>>>>> REPLACE\n');
    await ws.commit('run change');

    const after = {
      status: git(repo, 'status', '--porcelain=v1', '-uall'),
      head: git(repo, 'rev-parse', 'HEAD'),
      symbolic: git(repo, 'symbolic-ref', 'HEAD'),
      index: git(repo, 'ls-files', '-s'),
      files: await tree(repo),
    };
    expect(after).toEqual(before);
    expect(git(repo, 'rev-parse', 'taskgraph/r-1')).not.toBe(baseCommit);
  });

  it('starts at baseRef', async () => {
    const repo = await makeRepo({ 'a.txt': 'one\n' });
    const first = git(repo, 'rev-parse', 'HEAD');
    await writeFile(path.join(repo, 'a.txt'), 'two\n');
    git(repo, ...FIXTURE_IDENTITY, 'commit', '-q', '-am', 'two');
    const ws = await createRunWorkspace({ projectDir: repo, runId: 'r-base', baseRef: first });
    expect((await ws.snapshot()).head).toBe(first);
    expect(await ws.readFile('a.txt')).toBe('one\n');
  });

  it('explains a directory that is not a git repository, or has no commits', async () => {
    const plain = path.join(fixtureBase(), 'plain');
    await mkdir(plain);
    const notRepo = await rejectionOf(createRunWorkspace({ projectDir: plain, runId: 'r-x' }));
    expect(notRepo.code).toBe('GIT_ERROR');
    expect(notRepo.message).toMatch(/not inside a git repository/);
    expect(notRepo.hint).toContain('git init && git add -A && git commit -m init');

    const empty = path.join(fixtureBase(), 'empty-repo');
    await mkdir(empty);
    git(empty, 'init', '-q');
    const noCommits = await rejectionOf(createRunWorkspace({ projectDir: empty, runId: 'r-x' }));
    expect(noCommits.code).toBe('GIT_ERROR');
    expect(noCommits.message).toMatch(/no commits/);
  });

  it('refuses an existing branch and a bad run id', async () => {
    const repo = await makeRepo({ 'a.txt': 'a\n' });
    await createRunWorkspace({ projectDir: repo, runId: 'r-dup' });
    expect((await rejectionOf(createRunWorkspace({ projectDir: repo, runId: 'r-dup' }))).message).toMatch(/already exists/);
    expect((await rejectionOf(createRunWorkspace({ projectDir: repo, runId: '../evil' }))).code).toBe('GIT_ERROR');
  });
});

describe('open / remove', () => {
  it('re-attaches, re-creates a vanished worktree from the branch, and removes keeping the branch', async () => {
    const { repo, ws } = await newWorkspace({ 'a.txt': 'a\n' });
    const runId = ws.branch.slice('taskgraph/'.length);
    await writeFile(path.join(ws.dir, 'b.txt'), 'b\n');
    const sha = await ws.commit('add b');

    const again = await openRunWorkspace({ projectDir: repo, runId, dir: ws.dir });
    expect(again.dir).toBe(ws.dir);

    await rm(ws.dir, { recursive: true, force: true });
    const revived = await openRunWorkspace({ projectDir: repo, runId, dir: ws.dir });
    expect(await revived.readFile('b.txt')).toBe('b\n');
    expect((await revived.snapshot()).head).toBe(sha);

    await writeFile(path.join(revived.dir, 'dirty.txt'), 'x\n');
    expect((await rejectionOf(removeRunWorkspace({ projectDir: repo, dir: revived.dir }))).code).toBe('GIT_ERROR');
    expect(await removeRunWorkspace({ projectDir: repo, dir: revived.dir, force: true })).toBe('removed');
    expect(existsSync(revived.dir)).toBe(false);
    expect(git(repo, 'rev-parse', ws.branch)).toBe(sha);
    expect(await removeRunWorkspace({ projectDir: repo, dir: revived.dir, force: true })).toBe('gone');

    expect((await rejectionOf(openRunWorkspace({ projectDir: repo, runId: 'r-never', dir: path.join(fixtureBase(), 'r-never') }))).code).toBe('GIT_ERROR');
  });

  it('honours worktreeDir (relative to the project), resumes at the stored path, and never removes a directory that is not a worktree', async () => {
    const repo = await makeRepo({ 'a.txt': 'a\n' });
    const ws = await createRunWorkspace({ projectDir: repo, runId: 'r-conf', worktreeDir: '../wt-conf' });
    expect(ws.dir).toBe(path.join(path.dirname(repo), 'wt-conf', 'r-conf'));
    // the stored path wins over wherever a new worktree would go now
    const reopened = await openRunWorkspace({ projectDir: repo, runId: 'r-conf', dir: ws.dir, branch: 'taskgraph/r-conf' });
    expect(reopened.dir).toBe(ws.dir);
    const stranger = path.join(fixtureBase(), `not-a-worktree-${nextFixtureNumber()}`);
    await mkdir(stranger);
    await writeFile(path.join(stranger, 'keep.txt'), 'mine\n');
    const refused = await rejectionOf(removeRunWorkspace({ projectDir: repo, dir: stranger, force: true }));
    expect(refused.message).toMatch(/not a git worktree/);
    expect(existsSync(path.join(stranger, 'keep.txt'))).toBe(true);
  });
});

describe('snapshot / restore / resetTo', () => {
  it('snapshot reflects untracked files, skips ignored ones and leaves the index alone', async () => {
    const { ws } = await newWorkspace({ 'a.txt': 'a\n', '.gitignore': '*.log\n' });
    const s0 = await ws.snapshot();
    expect(s0.tree).toBe(git(ws.dir, 'rev-parse', 'HEAD^{tree}'));
    const statusBefore = git(ws.dir, 'status', '--porcelain=v1');
    await writeFile(path.join(ws.dir, 'build.log'), 'ignored\n');
    expect((await ws.snapshot()).tree).toBe(s0.tree);

    await writeFile(path.join(ws.dir, 'new.txt'), 'new\n');
    const s1 = await ws.snapshot();
    expect(s1.head).toBe(s0.head);
    expect(s1.tree).not.toBe(s0.tree);
    expect(git(ws.dir, 'ls-tree', '-r', '--name-only', s1.tree).split('\n')).toEqual(['.gitignore', 'a.txt', 'new.txt']);
    expect(git(ws.dir, 'ls-files', '-s')).not.toContain('new.txt');
    expect(statusBefore).toBe('');
    expect(git(ws.dir, 'status', '--porcelain=v1')).toBe('?? new.txt');
  });

  it('sees a same-size change made right after checkout (stat cache of the copied index is not trusted blindly)', async () => {
    const { ws } = await newWorkspace({ 'a.txt': 'aaaa\n' });
    await writeFile(path.join(ws.dir, 'a.txt'), 'bbbb\n');
    const snap = await ws.snapshot();
    expect(git(ws.dir, 'cat-file', '-p', `${snap.tree}:a.txt`)).toBe('bbbb');
  });

  it('restores a snapshot exactly (round trip across a commit)', async () => {
    const { ws } = await newWorkspace({ 'a.txt': 'a\n', 'b.txt': 'b\n', 'c.txt': 'c\n', '.gitignore': '*.log\n' });
    await writeFile(path.join(ws.dir, 'a.txt'), 'a changed\n');
    await writeFile(path.join(ws.dir, 'u1.txt'), 'untracked one\n');
    await unlink(path.join(ws.dir, 'b.txt'));
    await writeFile(path.join(ws.dir, 'keep.log'), 'ignored stays\n');
    const saved = await ws.snapshot();
    const savedFiles = await tree(ws.dir);

    await writeFile(path.join(ws.dir, 'a.txt'), 'a changed again\n');
    await writeFile(path.join(ws.dir, 'u2.txt'), 'untracked two\n');
    await unlink(path.join(ws.dir, 'c.txt'));
    await ws.commit('more');
    await writeFile(path.join(ws.dir, 'u3.txt'), 'untracked three\n');
    expect((await ws.snapshot()).head).not.toBe(saved.head);

    await ws.restore(saved);
    expect(await ws.snapshot()).toEqual(saved);
    expect(await tree(ws.dir)).toEqual(savedFiles);
    expect(await ws.readFile('keep.log')).toBe('ignored stays\n');
    expect(git(ws.dir, 'rev-parse', 'HEAD')).toBe(saved.head);
  });

  it('restore fails before changing anything when the tree is unknown', async () => {
    const { ws } = await newWorkspace({ 'a.txt': 'a\n' });
    await writeFile(path.join(ws.dir, 'a.txt'), 'work\n');
    const now = await ws.snapshot();
    const error = await rejectionOf(ws.restore({ head: now.head, tree: 'f'.repeat(40) }));
    expect(error.code).toBe('GIT_ERROR');
    expect(await ws.snapshot()).toEqual(now);
  });

  it('resetTo goes back to a commit and drops untracked files', async () => {
    const { ws } = await newWorkspace({ 'a.txt': 'a\n' });
    const start = (await ws.snapshot()).head;
    await writeFile(path.join(ws.dir, 'a.txt'), 'changed\n');
    await ws.commit('change');
    await writeFile(path.join(ws.dir, 'a.txt'), 'dirty\n');
    await writeFile(path.join(ws.dir, 'junk.txt'), 'junk\n');
    await ws.resetTo(start);
    expect(await ws.snapshot()).toEqual({ head: start, tree: git(ws.dir, 'rev-parse', `${start}^{tree}`) });
    expect(existsSync(path.join(ws.dir, 'junk.txt'))).toBe(false);
    expect((await rejectionOf(ws.resetTo('--help'))).code).toBe('GIT_ERROR');
    expect((await rejectionOf(ws.resetTo('no-such-branch'))).code).toBe('GIT_ERROR');
  });
});

describe('applyEdit', () => {
  it('applies a unified diff with wrong hunk counts, creating and deleting files', async () => {
    const { ws } = await newWorkspace({ 'src/x.ts': 'const a = 1;\nconst b = 2;\nconst c = 3;\n', 'old.txt': 'old\n' });
    const answer = [
      'Sure, here is the patch:',
      '```diff',
      '--- a/src/x.ts',
      '+++ b/src/x.ts',
      '@@ -2,7 +2,9 @@',
      ' const a = 1;',
      '-const b = 2;',
      '+const b = 20;',
      ' const c = 3;',
      '--- /dev/null',
      '+++ b/src/new/y.ts',
      '@@ -0,0 +1,5 @@',
      '+export const y = 1;',
      '--- a/old.txt',
      '+++ /dev/null',
      '@@ -1 +0,0 @@',
      '-old',
      '```',
    ].join('\n');
    const result = await ws.applyEdit(answer);
    expect(result.format).toBe('udiff');
    expect(result.files).toEqual(['old.txt', 'src/new/y.ts', 'src/x.ts']);
    expect(await ws.readFile('src/x.ts')).toBe('const a = 1;\nconst b = 20;\nconst c = 3;\n');
    expect(await ws.readFile('src/new/y.ts')).toBe('export const y = 1;\n');
    expect(existsSync(path.join(ws.dir, 'old.txt'))).toBe(false);
    expect(result.snapshot).toEqual(await ws.snapshot());
    expect(await ws.listFiles()).toEqual(['src/new/y.ts', 'src/x.ts']);
  });

  it('applies search/replace blocks', async () => {
    const { ws } = await newWorkspace({ 'app.py': 'def f():\n    return 1\n' });
    const result = await ws.applyEdit(
      'app.py\n```python\n<<<<<<< SEARCH\n    return 1\n=======\n    return 2\n>>>>>>> REPLACE\n```\n',
    );
    expect(result).toMatchObject({ format: 'search-replace', files: ['app.py'] });
    expect(await ws.readFile('app.py')).toBe('def f():\n    return 2\n');
  });

  it('rejects an edit whose SEARCH text is absent and leaves the worktree unchanged', async () => {
    const { ws } = await newWorkspace({ 'a.txt': 'alpha\n', 'b.txt': 'beta\n' });
    const before = await ws.snapshot();
    const files = await tree(ws.dir);
    const error = await rejectionOf(
      ws.applyEdit(
        [
          'a.txt',
          '<<<<<<< SEARCH',
          'alpha',
          '=======',
          'ALPHA',
          '>>>>>>> REPLACE',
          'c.txt',
          '<<<<<<< SEARCH',
          '=======',
          'new file',
          '>>>>>>> REPLACE',
          'b.txt',
          '<<<<<<< SEARCH',
          'gamma',
          '=======',
          'GAMMA',
          '>>>>>>> REPLACE',
        ].join('\n'),
      ),
    );
    expect(error.code).toBe('EDIT_REJECTED');
    expect(error.message).toMatch(/^edit to b\.txt does not apply: /);
    expect(error.details).toMatchObject({ path: 'b.txt' });
    expect(await ws.snapshot()).toEqual(before);
    expect(await tree(ws.dir)).toEqual(files);
  });

  it('rejects paths outside the worktree, including through a symlink, without writing', async () => {
    const outside = path.join(fixtureBase(), `outside-${fixtureCount()}`);
    await mkdir(outside);
    const repo = path.join(fixtureBase(), `repo-${nextFixtureNumber()}`);
    await mkdir(repo);
    git(repo, 'init', '-q', '-b', 'main');
    await writeFile(path.join(repo, 'a.txt'), 'a\n');
    await symlink(outside, path.join(repo, 'link'));
    git(repo, 'add', '-A');
    git(repo, ...FIXTURE_IDENTITY, 'commit', '-q', '-m', 'init');
    const ws = await createRunWorkspace({ projectDir: repo, runId: 'r-escape' });
    const before = await ws.snapshot();

    const create = (file: string): string => `${file}\n<<<<<<< SEARCH\n=======\npwned\n>>>>>>> REPLACE\n`;
    for (const target of ['../x', '/etc/passwd', '.git/config', 'link/evil.txt']) {
      const error = await rejectionOf(ws.applyEdit(create(target)));
      expect(error.code, target).toBe('PATH_OUTSIDE_WORKTREE');
    }
    const viaDiff = await rejectionOf(ws.applyEdit('--- /dev/null\n+++ b/../escaped.txt\n@@ -0,0 +1 @@\n+x\n'));
    expect(viaDiff.code).toBe('PATH_OUTSIDE_WORKTREE');
    expect(await readdir(outside)).toEqual([]);
    expect(existsSync(path.join(ws.dir, '..', 'x'))).toBe(false);
    expect(existsSync(path.join(path.dirname(ws.dir), 'escaped.txt'))).toBe(false);
    expect(await ws.snapshot()).toEqual(before);
    expect((await rejectionOf(ws.readFile('../../../a.txt'))).code).toBe('PATH_OUTSIDE_WORKTREE');
  });
});

describe('commit / listFiles / readFile', () => {
  it('commits with the message and a fallback identity, and returns HEAD when nothing changed', async () => {
    const { ws } = await newWorkspace({ 'a.txt': 'a\n' });
    await ws.applyEdit('a.txt\n<<<<<<< SEARCH\na\n=======\nb\n>>>>>>> REPLACE\n');
    await writeFile(path.join(ws.dir, 'untracked.txt'), 'u\n');
    const message = 'feat: change a\n\n#12 keeps this line';
    const sha = await ws.commit(message);
    expect(sha).toMatch(/^[0-9a-f]{40}$/);
    expect(git(ws.dir, 'rev-parse', 'HEAD')).toBe(sha);
    expect(git(ws.dir, 'log', '-1', '--format=%B').trimEnd()).toBe(message);
    expect(git(ws.dir, 'log', '-1', '--format=%an <%ae>|%cn <%ce>')).toBe(
      `${FALLBACK_IDENTITY.name} <${FALLBACK_IDENTITY.email}>|${FALLBACK_IDENTITY.name} <${FALLBACK_IDENTITY.email}>`,
    );
    expect(git(ws.dir, 'show', '--name-only', '--format=', sha).split('\n').sort()).toEqual(['a.txt', 'untracked.txt']);
    expect(await ws.commit('nothing')).toBe(sha);
    expect(git(ws.dir, 'status', '--porcelain')).toBe('');
  });

  it('isAncestor: a commit and its ancestors yes, a later or unknown commit no, an option-like revision refused', async () => {
    const { repo, ws } = await newWorkspace({ 'a.txt': 'a\n' });
    const base = git(repo, 'rev-parse', 'HEAD');
    await ws.writeFile('b.txt', 'b\n');
    const next = await ws.commit('feat: b');
    expect(await ws.isAncestor(base, next)).toBe(true);
    expect(await ws.isAncestor(next, next)).toBe(true);
    expect(await ws.isAncestor(next, base)).toBe(false);
    expect(await ws.isAncestor('e'.repeat(40), next)).toBe(false);
    await expect(ws.isAncestor('--all', next)).rejects.toMatchObject({ code: 'GIT_ERROR' });
  });

  it('writeFile creates directories and refuses paths outside the worktree', async () => {
    const { ws } = await newWorkspace({ 'a.txt': 'a\n' });
    await ws.writeFile('docs/deep/INDEX.md', '# i\n');
    expect(await ws.readFile('docs/deep/INDEX.md')).toBe('# i\n');
    for (const bad of ['../escape.txt', '/tmp/abs.txt', '.git/config']) {
      await expect(ws.writeFile(bad, 'x')).rejects.toMatchObject({ code: 'PATH_OUTSIDE_WORKTREE' });
    }
  });

  it('uses the configured identity when there is one', async () => {
    const { ws } = await newWorkspace({ 'a.txt': 'a\n' });
    git(ws.dir, 'config', 'user.name', 'Ada');
    git(ws.dir, 'config', 'user.email', 'ada@example.com');
    await writeFile(path.join(ws.dir, 'a.txt'), 'b\n');
    const sha = await ws.commit('by ada');
    expect(git(ws.dir, 'log', '-1', '--format=%an <%ae>', sha)).toBe('Ada <ada@example.com>');
  });

  it('lists tracked and untracked files without ignored or deleted ones; readFile reports missing files', async () => {
    const { ws } = await newWorkspace({ 'b.txt': 'b\n', 'a/z.txt': 'z\n', '.gitignore': 'dist/\n', 'gone.txt': 'g\n' });
    await writeFiles(ws.dir, { 'dist/out.js': 'x', 'new.md': 'n' });
    await unlink(path.join(ws.dir, 'gone.txt'));
    expect(await ws.listFiles()).toEqual(['.gitignore', 'a/z.txt', 'b.txt', 'new.md']);
    expect(await ws.readFile('a/z.txt')).toBe('z\n');
    expect((await rejectionOf(ws.readFile('nope.txt'))).code).toBe('NOT_FOUND');
  });
});
