import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TaskgraphError } from '../core/errors.js';
import { isDotGitSegment, normalizeRepoPath, resolveInside } from './safe-path.js';

let base: string;
let root: string;
let outsideDir: string;

beforeAll(async () => {
  base = await mkdtemp(path.join(tmpdir(), 'tg-safe-path-'));
  root = path.join(base, 'repo');
  outsideDir = path.join(base, 'outside');
  await mkdir(path.join(root, 'src'), { recursive: true });
  await mkdir(path.join(root, '.git'), { recursive: true });
  await mkdir(outsideDir);
  await writeFile(path.join(outsideDir, 'secret.txt'), 'secret');
  await writeFile(path.join(root, 'src', 'a.ts'), 'a');
  await symlink(outsideDir, path.join(root, 'escape'));
  await symlink(path.join(outsideDir, 'secret.txt'), path.join(root, 'secret-link'));
  await symlink(path.join(root, 'src'), path.join(root, 'src-link'));
  await symlink(path.join(root, '.git'), path.join(root, 'gitdir-link'));
  await symlink(path.join(outsideDir, 'missing.txt'), path.join(root, 'dangling'));
});

afterAll(async () => {
  await rm(base, { recursive: true, force: true });
});

async function reason(relPath: string): Promise<string> {
  try {
    await resolveInside(root, relPath);
  } catch (error) {
    expect(error).toBeInstanceOf(TaskgraphError);
    expect((error as TaskgraphError).code).toBe('PATH_OUTSIDE_WORKTREE');
    return String((error as TaskgraphError).details['reason']);
  }
  throw new Error(`${relPath} was accepted`);
}

describe('resolveInside', () => {
  it('resolves ordinary paths, including new files in new directories and inside-pointing symlinks', async () => {
    expect(await resolveInside(root, 'src/a.ts')).toBe(path.join(root, 'src', 'a.ts'));
    expect(await resolveInside(root, './src//b/../c.ts')).toBe(path.join(root, 'src', 'c.ts'));
    expect(await resolveInside(root, 'new/deep/file.txt')).toBe(path.join(root, 'new', 'deep', 'file.txt'));
    expect(await resolveInside(root, 'src-link/a.ts')).toBe(path.join(root, 'src-link', 'a.ts'));
    expect(await resolveInside(root, '..hidden')).toBe(path.join(root, '..hidden'));
  });

  it('rejects climbing out, absolute paths and .git', async () => {
    expect(await reason('../x')).toMatch(/\.\./);
    expect(await reason('src/../../x')).toMatch(/\.\./);
    expect(await reason('/etc/passwd')).toMatch(/absolute/);
    expect(await reason('C:\\Windows\\win.ini')).toMatch(/absolute/);
    expect(await reason('..\\x')).toMatch(/\.\./);
    expect(await reason('.git/config')).toMatch(/\.git/);
    expect(await reason('sub/.GIT/hooks/pre-commit')).toMatch(/\.git/);
    expect(await reason('')).toMatch(/empty/);
    expect(await reason('.')).toMatch(/root/);
  });

  it('rejects paths that go through symlinks leading outside or into .git', async () => {
    expect(await reason('escape/new.txt')).toMatch(/symlink/);
    expect(await reason('escape/secret.txt')).toMatch(/symlink/);
    expect(await reason('secret-link')).toMatch(/symlink/);
    expect(await reason('gitdir-link/config')).toMatch(/\.git/);
    expect(await reason('dangling')).toMatch(/does not exist/);
  });
});

describe('normalizeRepoPath', () => {
  it('normalises separators and dots', () => {
    expect(normalizeRepoPath('src\\x.ts')).toBe('src/x.ts');
    expect(normalizeRepoPath('./a/./b/')).toBe('a/b');
  });
});

describe('normalizeRepoPath: names a command or a file system could misread', () => {
  const refusal = (relPath: string): TaskgraphError => {
    try {
      normalizeRepoPath(relPath);
    } catch (error) {
      expect(error).toBeInstanceOf(TaskgraphError);
      return error as TaskgraphError;
    }
    throw new Error(`${JSON.stringify(relPath)} was accepted`);
  };

  it('refuses every C0/C1 control character, showing the path escaped', () => {
    for (const relPath of ['src/a\rb.js', 'src/a\tb.js', 'a\0b', 'x\nfile', 'esc\u001b[2J.js', 'del\u007f', 'csi\u009b1m', 'bell\u0007']) {
      const error = refusal(relPath);
      expect(error.code, JSON.stringify(relPath)).toBe('EDIT_REJECTED');
      expect(error.message).toMatch(/control character \(U\+00[0-9A-F]{2}\)/);
      expect(error.message).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
      expect(JSON.parse(String(error.details['path']))).toBe(relPath);
    }
    expect(refusal('a\rb').message).toContain('U+000D');
  });

  it('refuses a segment that starts with "-" (option-like), anywhere in the path', () => {
    for (const relPath of ['-rf', '--output=x', 'src/-n.js', './-x/y']) {
      const error = refusal(relPath);
      expect(error.code, relPath).toBe('EDIT_REJECTED');
      expect(error.message).toMatch(/starts with "-"/);
    }
    expect(normalizeRepoPath('src/a-b.js')).toBe('src/a-b.js');
    expect(normalizeRepoPath('x/file-')).toBe('x/file-');
  });

  it('refuses .git look-alikes: case, trailing dots and spaces, HFS+ ignorables, NTFS streams and short names', () => {
    for (const relPath of ['.git./hooks/pre-commit', '.git /hooks/post-checkout', '.GIT/config', 'sub/.Git. . /x', '.g\u200cit/config', '.git::$INDEX_ALLOCATION/x', 'GIT~1/config']) {
      expect(refusal(relPath).code, JSON.stringify(relPath)).toBe('PATH_OUTSIDE_WORKTREE');
    }
    for (const ok of ['.github/workflows/x.yml', '.gitignore', '.gitattributes', 'docs/.git-notes.md', 'git/x']) {
      expect(normalizeRepoPath(ok)).toBe(ok);
    }
    expect(isDotGitSegment('.git.')).toBe(true);
    expect(isDotGitSegment('.github')).toBe(false);
  });
});
