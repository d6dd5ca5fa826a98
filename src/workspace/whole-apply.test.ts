import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { computeEdit } from './edit-apply.js';
import { parseEdit } from './edit-format.js';
import { createRunWorkspace, type GitWorkspace } from './git-workspace.js';
import { rejectionOf } from '../../test/support/expect-error.js';

const FENCE = '```';
const whole = (files: Record<string, string>): string =>
  Object.entries(files)
    .map(([file, content]) => `${file}\n${FENCE}\n${content}${FENCE}\n`)
    .join('\n');

function reader(map: Record<string, string>): (path: string) => Promise<string | null> {
  return async (file) => map[file] ?? null;
}

describe('computeEdit: whole files', () => {
  it('replaces an existing file and creates a new one; unchanged files are not reported', async () => {
    const edit = parseEdit(whole({ 'a.txt': 'A\n', 'new/b.txt': 'B\n', 'same.txt': 'same\n' }));
    const changes = await computeEdit(edit, reader({ 'a.txt': 'a\n', 'same.txt': 'same\n' }));
    expect(changes).toEqual([
      { path: 'a.txt', before: 'a\n', after: 'A\n' },
      { path: 'new/b.txt', before: null, after: 'B\n' },
    ]);
  });

  it('keeps the CRLF line ends of an existing file and the last block of a repeated path', async () => {
    const edit = parseEdit(whole({ 'w.txt': 'one\ntwo\n' }) + '\n' + whole({ 'w.txt': 'one\nTWO\n' }));
    expect(await computeEdit(edit, reader({ 'w.txt': 'one\r\ntwo\r\n' }))).toEqual([
      { path: 'w.txt', before: 'one\r\ntwo\r\n', after: 'one\r\nTWO\r\n' },
    ]);
  });
});

describe('GitWorkspace.applyEdit: whole files', () => {
  let base: string;
  let counter = 0;
  beforeAll(async () => {
    base = await mkdtemp(path.join(tmpdir(), 'tg-whole-'));
  });
  afterAll(async () => {
    await rm(base, { recursive: true, force: true });
  });

  async function workspace(files: Record<string, string>): Promise<GitWorkspace> {
    const repo = path.join(base, `repo-${++counter}`);
    await mkdir(repo);
    const git = (...args: string[]) => execFileSync('git', args, { cwd: repo, encoding: 'utf8' });
    git('init', '-q', '-b', 'main');
    for (const [file, content] of Object.entries(files)) await writeFile(path.join(repo, file), content);
    git('add', '-A');
    git('-c', 'user.name=Fixture', '-c', 'user.email=fixture@example.com', 'commit', '-q', '-m', 'init');
    return createRunWorkspace({ projectDir: repo, runId: `r-whole-${counter}` });
  }

  it('writes the files and reports the whole format', async () => {
    const ws = await workspace({ 'app.py': 'def f():\n    return 1\n' });
    const result = await ws.applyEdit(`Here you go.\n\napp.py\n${FENCE}python\ndef f():\n    return 2\n${FENCE}\n\nlib/util.py\n${FENCE}python\nX = 1\n${FENCE}\n`);
    expect(result).toMatchObject({ format: 'whole', files: ['app.py', 'lib/util.py'] });
    expect(await ws.readFile('app.py')).toBe('def f():\n    return 2\n');
    expect(await ws.readFile('lib/util.py')).toBe('X = 1\n');
    expect(result.snapshot).toEqual(await ws.snapshot());
  });

  it('writes nothing when one path leaves the worktree, or a block is cut off', async () => {
    const ws = await workspace({ 'a.txt': 'a\n' });
    const before = await ws.snapshot();
    const escape = await rejectionOf(ws.applyEdit(whole({ 'a.txt': 'changed\n', '../escaped.txt': 'x\n' })));
    expect(escape.code).toBe('PATH_OUTSIDE_WORKTREE');
    const cut = await rejectionOf(ws.applyEdit(`a.txt\n${FENCE}\nchanged\n`));
    expect(cut.code).toBe('EDIT_INVALID');
    expect(await ws.readFile('a.txt')).toBe('a\n');
    expect(existsSync(path.join(path.dirname(ws.dir), 'escaped.txt'))).toBe(false);
    expect(await ws.snapshot()).toEqual(before);
    expect((await readdir(ws.dir)).filter((name) => name !== '.git').sort()).toEqual(['a.txt']);
  });
});
