import { describe, expect, it } from 'vitest';
import { TaskgraphError } from '../core/errors.js';
import { parseEdit } from './edit-format.js';

function expectCode(fn: () => unknown, code: string): TaskgraphError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(TaskgraphError);
    expect((error as TaskgraphError).code).toBe(code);
    return error as TaskgraphError;
  }
  throw new Error(`expected ${code}`);
}

describe('parseEdit: unified diff', () => {
  it('extracts a fenced git diff with prose around it and several files', () => {
    const text = [
      'Here is the change you asked for:',
      '',
      '```diff',
      'diff --git a/src/a.ts b/src/a.ts',
      'index 83db48f..bf269f4 100644',
      '--- a/src/a.ts',
      '+++ b/src/a.ts',
      '@@ -1,3 +1,3 @@',
      ' const a = 1;',
      '-const b = 2;',
      '+const b = 3;',
      ' export { a, b };',
      'diff --git a/README.md b/README.md',
      '--- a/README.md',
      '+++ b/README.md',
      '@@ -10,2 +10,3 @@ Usage',
      ' line ten',
      '+added',
      ' line eleven',
      '```',
      '',
      '- This bullet is prose and must not become a removed line.',
    ].join('\n');
    const edit = parseEdit(text);
    expect(edit.format).toBe('udiff');
    if (edit.format !== 'udiff') return;
    expect(edit.files.map((f) => [f.path, f.action])).toEqual([
      ['src/a.ts', 'modify'],
      ['README.md', 'modify'],
    ]);
    expect(edit.files[0]!.hunks[0]!.lines).toEqual([' const a = 1;', '-const b = 2;', '+const b = 3;', ' export { a, b };']);
    expect(edit.files[1]!.hunks[0]).toMatchObject({ oldStart: 10, oldLines: 2, newStart: 10, newLines: 3 });
  });

  it('recounts wrong hunk headers, accepts @@ without numbers and blank context lines without a space', () => {
    const text = [
      '--- src/x.py',
      '+++ src/x.py',
      '@@ -4,9 +4,1 @@',
      ' def f():',
      '',
      '-    return 1',
      '+    return 2',
      '@@ ... @@',
      ' def g():',
      '-    pass',
      '+    return 3',
      '',
      '',
    ].join('\n');
    const edit = parseEdit(text);
    if (edit.format !== 'udiff') throw new Error('expected udiff');
    const [first, second] = edit.files[0]!.hunks;
    expect(first).toMatchObject({ oldStart: 4, oldLines: 3, newLines: 3 });
    expect(first!.lines).toEqual([' def f():', ' ', '-    return 1', '+    return 2']);
    expect(second).toMatchObject({ oldStart: 1, oldLines: 2, newLines: 2 });
  });

  it('reads new files from /dev/null and deletions to /dev/null', () => {
    const text = [
      'diff --git a/docs/new.md b/docs/new.md',
      'new file mode 100644',
      '--- /dev/null',
      '+++ b/docs/new.md',
      '@@ -0,0 +1,2 @@',
      '+# New',
      '+text',
      'diff --git a/old.txt b/old.txt',
      'deleted file mode 100644',
      '--- a/old.txt',
      '+++ /dev/null',
      '@@ -1 +0,0 @@',
      '-gone',
    ].join('\n');
    const edit = parseEdit(text);
    if (edit.format !== 'udiff') throw new Error('expected udiff');
    expect(edit.files.map((f) => [f.path, f.action])).toEqual([
      ['docs/new.md', 'create'],
      ['old.txt', 'delete'],
    ]);
    expect(edit.files[0]!.hunks[0]!.lines).toEqual(['+# New', '+text']);
  });

  it('reads a rename with changes', () => {
    const text = [
      'diff --git a/a.txt b/b.txt',
      'similarity index 90%',
      'rename from a.txt',
      'rename to b.txt',
      '--- a/a.txt',
      '+++ b/b.txt',
      '@@ -1 +1 @@',
      '-x',
      '+y',
    ].join('\n');
    const edit = parseEdit(text);
    if (edit.format !== 'udiff') throw new Error('expected udiff');
    expect(edit.files).toEqual([expect.objectContaining({ path: 'b.txt', fromPath: 'a.txt', action: 'rename' })]);
  });

  it('rejects a hunk that has no file header', () => {
    expectCode(() => parseEdit('@@ -1 +1 @@\n-a\n+b\n'), 'EDIT_INVALID');
  });
});

describe('parseEdit: search/replace', () => {
  it('reads fenced blocks for several files with the path before the fence', () => {
    const text = [
      'I will change two files.',
      '',
      'src/math.ts',
      '```ts',
      '<<<<<<< SEARCH',
      'export const add = (a, b) => a - b;',
      '=======',
      'export const add = (a, b) => a + b;',
      '>>>>>>> REPLACE',
      '```',
      '',
      '**docs/notes.md**',
      '```',
      '<<<<<<< SEARCH',
      '=======',
      '# Notes',
      '>>>>>>> REPLACE',
      '```',
      '',
      'That is all.',
    ].join('\n');
    const edit = parseEdit(text);
    expect(edit.format).toBe('search-replace');
    if (edit.format !== 'search-replace') return;
    expect(edit.files).toEqual([
      {
        path: 'src/math.ts',
        blocks: [{ search: 'export const add = (a, b) => a - b;\n', replace: 'export const add = (a, b) => a + b;\n' }],
      },
      { path: 'docs/notes.md', blocks: [{ search: '', replace: '# Notes\n' }] },
    ]);
  });

  it('accepts the path inside the fence and reuses it for the next block', () => {
    const text = [
      '```python',
      'app/main.py',
      '<<<<<<< SEARCH',
      'a = 1',
      '=======',
      'a = 2',
      '>>>>>>> REPLACE',
      '<<<<<<< SEARCH',
      'b = 1',
      '=======',
      '>>>>>>> REPLACE',
      '```',
    ].join('\n');
    const edit = parseEdit(text);
    if (edit.format !== 'search-replace') throw new Error('expected search-replace');
    expect(edit.files).toHaveLength(1);
    expect(edit.files[0]!.path).toBe('app/main.py');
    expect(edit.files[0]!.blocks).toEqual([
      { search: 'a = 1\n', replace: 'a = 2\n' },
      { search: 'b = 1\n', replace: '' },
    ]);
  });

  it('rejects a block without divider or without path', () => {
    expectCode(() => parseEdit('x.ts\n<<<<<<< SEARCH\nold\n>>>>>>> REPLACE\n'), 'EDIT_INVALID');
    expectCode(() => parseEdit('<<<<<<< SEARCH\nold\n=======\nnew\n>>>>>>> REPLACE\n'), 'EDIT_INVALID');
  });
});

describe('parseEdit: nothing recognisable', () => {
  it('throws EDIT_INVALID with an excerpt', () => {
    const error = expectCode(() => parseEdit('I think you should rename the variable.'), 'EDIT_INVALID');
    expect(error.message).toBe('the model answer holds no unified diff, no SEARCH/REPLACE block and no whole-file block');
    expect(error.details['excerpt']).toBe('I think you should rename the variable.');
  });
});
