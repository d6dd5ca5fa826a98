import { describe, expect, it } from 'vitest';
import { computeEdit } from './edit-apply.js';
import { parseEdit } from './edit-format.js';
import { rejectionOf } from '../../test/support/expect-error.js';

function files(map: Record<string, string>): (path: string) => Promise<string | null> {
  return async (path) => map[path] ?? null;
}

describe('computeEdit: udiff', () => {
  it('applies hunks whose headers are off by several lines and whose counts are wrong', async () => {
    const source = ['line 1', 'line 2', 'line 3', 'function f() {', '  return 1;', '}', 'line 7', ''].join('\n');
    const edit = parseEdit(
      ['--- a/f.js', '+++ b/f.js', '@@ -1,99 +1,1 @@', ' function f() {', '-  return 1;', '+  return 2;', ' }'].join('\n'),
    );
    const changes = await computeEdit(edit, files({ 'f.js': source }));
    expect(changes).toEqual([{ path: 'f.js', before: source, after: source.replace('return 1', 'return 2') }]);
  });

  it('tolerates trailing whitespace the model dropped from context lines', async () => {
    const source = 'a  \nb\nc\n';
    const edit = parseEdit('--- a/t\n+++ b/t\n@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n');
    const [change] = await computeEdit(edit, files({ t: source }));
    expect(change?.after).toBe('a  \nB\nc\n');
  });

  it('rejects a hunk whose context is not in the file, naming the hunk', async () => {
    const edit = parseEdit('--- a/t\n+++ b/t\n@@ -1,3 +1,3 @@\n alpha\n-beta\n+BETA\n gamma\n');
    const error = await rejectionOf(computeEdit(edit, files({ t: 'one\ntwo\nthree\n' })));
    expect(error.code).toBe('EDIT_REJECTED');
    expect(error.message).toMatch(/^edit to t does not apply: hunk 1 of 1/);
    expect(error.details).toMatchObject({ path: 't' });
  });

  it('creates, deletes and renames', async () => {
    const edit = parseEdit(
      [
        '--- /dev/null',
        '+++ b/new.txt',
        '@@ -0,0 +1 @@',
        '+hello',
        '--- a/old.txt',
        '+++ /dev/null',
        '@@ -1 +0,0 @@',
        '-bye',
        'diff --git a/r1 b/r2',
        'rename from r1',
        'rename to r2',
      ].join('\n'),
    );
    const changes = await computeEdit(edit, files({ 'old.txt': 'bye\n', r1: 'moved\n' }));
    expect(changes).toEqual([
      { path: 'new.txt', before: null, after: 'hello\n' },
      { path: 'old.txt', before: 'bye\n', after: null },
      { path: 'r1', before: 'moved\n', after: null },
      { path: 'r2', before: null, after: 'moved\n' },
    ]);
  });

  it('refuses to create a file that exists and to modify one that does not', async () => {
    const create = parseEdit('--- /dev/null\n+++ b/x\n@@ -0,0 +1 @@\n+x\n');
    expect((await rejectionOf(computeEdit(create, files({ x: 'already\n' })))).code).toBe('EDIT_REJECTED');
    const modify = parseEdit('--- a/y\n+++ b/y\n@@ -1 +1 @@\n-a\n+b\n');
    expect((await rejectionOf(computeEdit(modify, files({})))).message).toMatch(/^edit to y does not apply: the file does not exist/);
  });
});

describe('computeEdit: udiff deletions must match the file', () => {
  const source = 'export const a = 1;\nexport const b = 2;\nexport const c = 3;\n';

  it('deletes a file whose "-" lines are its whole content (trailing whitespace aside)', async () => {
    const edit = parseEdit('--- a/src/x.js\n+++ /dev/null\n@@ -1,3 +0,0 @@\n-export const a = 1;\n-export const b = 2;  \n-export const c = 3;\n');
    expect(await computeEdit(edit, files({ 'src/x.js': source }))).toEqual([{ path: 'src/x.js', before: source, after: null }]);
  });

  it('refuses a deletion whose "-" lines do not match, even by one line (no fuzz)', async () => {
    const other = parseEdit('--- a/src/x.js\n+++ /dev/null\n@@ -1,3 +0,0 @@\n-alpha\n-beta\n-gamma\n');
    const error = await rejectionOf(computeEdit(other, files({ 'src/x.js': source })));
    expect(error.code).toBe('EDIT_REJECTED');
    expect(error.message).toMatch(/^edit to src\/x\.js does not apply: the diff deletes the file but its "-" lines do not match/);
    const oneOff = parseEdit('--- a/src/x.js\n+++ /dev/null\n@@ -1,3 +0,0 @@\n-export const a = 1;\n-export const B = 2;\n-export const c = 3;\n');
    expect((await rejectionOf(computeEdit(oneOff, files({ 'src/x.js': source })))).code).toBe('EDIT_REJECTED');
  });

  it('refuses a deletion that lists only part of the file, or none of it', async () => {
    const part = parseEdit('--- a/src/x.js\n+++ /dev/null\n@@ -1,1 +0,0 @@\n-export const a = 1;\n');
    expect((await rejectionOf(computeEdit(part, files({ 'src/x.js': source })))).message).toMatch(/cover only part of it \(2 non-blank lines not listed\)/);
    const bare = parseEdit('diff --git a/src/x.js b/src/x.js\ndeleted file mode 100644\n');
    expect((await rejectionOf(computeEdit(bare, files({ 'src/x.js': source })))).message).toMatch(/shows none of its lines/);
    expect(await computeEdit(bare, files({ 'src/x.js': '' }))).toEqual([{ path: 'src/x.js', before: '', after: null }]);
  });
});

describe('computeEdit: search/replace', () => {
  it('replaces exact text, appends with an empty SEARCH and creates a new file', async () => {
    const edit = parseEdit(
      [
        'a.py',
        '<<<<<<< SEARCH',
        'x = 1',
        '=======',
        'x = 2',
        '>>>>>>> REPLACE',
        'a.py',
        '<<<<<<< SEARCH',
        '=======',
        'z = 3',
        '>>>>>>> REPLACE',
        'pkg/new.py',
        '<<<<<<< SEARCH',
        '=======',
        'print("hi")',
        '>>>>>>> REPLACE',
      ].join('\n'),
    );
    const changes = await computeEdit(edit, files({ 'a.py': 'x = 1\ny = 1\n' }));
    expect(changes).toEqual([
      { path: 'a.py', before: 'x = 1\ny = 1\n', after: 'x = 2\ny = 1\nz = 3\n' },
      { path: 'pkg/new.py', before: null, after: 'print("hi")\n' },
    ]);
  });

  it('matches despite a uniform indentation shift and re-indents the replacement', async () => {
    const source = 'class A:\n    def f(self):\n        return 1\n';
    const edit = parseEdit('a.py\n<<<<<<< SEARCH\ndef f(self):\n    return 1\n=======\ndef f(self):\n    return 2\n>>>>>>> REPLACE\n');
    const [change] = await computeEdit(edit, files({ 'a.py': source }));
    expect(change?.after).toBe('class A:\n    def f(self):\n        return 2\n');
  });

  it('keeps CRLF line endings when matching by lines', async () => {
    const source = 'one\r\ntwo  \r\nthree\r\n';
    const edit = parseEdit('t.txt\n<<<<<<< SEARCH\ntwo\n=======\nTWO\n>>>>>>> REPLACE\n');
    const [change] = await computeEdit(edit, files({ 't.txt': source }));
    expect(change?.after).toBe('one\r\nTWO\r\nthree\r\n');
  });

  it('rejects absent and ambiguous SEARCH text', async () => {
    const absent = parseEdit('t.txt\n<<<<<<< SEARCH\nnope\n=======\nyes\n>>>>>>> REPLACE\n');
    const error = await rejectionOf(computeEdit(absent, files({ 't.txt': 'a\nb\n' })));
    expect(error.code).toBe('EDIT_REJECTED');
    expect(error.message).toBe('edit to t.txt does not apply: SEARCH block 1: the SEARCH text was not found in the file (first line: "nope")');
    const twice = parseEdit('t.txt\n<<<<<<< SEARCH\na\n=======\nb\n>>>>>>> REPLACE\n');
    expect((await rejectionOf(computeEdit(twice, files({ 't.txt': 'a\nc\na\n' })))).message).toMatch(/matches 2 places/);
  });
});
