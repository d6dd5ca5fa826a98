import { describe, expect, it } from 'vitest';
import { parseEdit } from './edit-format.js';
import { parseWholeFiles } from './whole-parse.js';
import { thrownBy } from '../../test/support/expect-error.js';

const FENCE = '```';

describe('parseWholeFiles', () => {
  it('reads several files with prose around them and markdown-decorated paths', () => {
    const text = [
      'Here are the updated files.',
      '',
      'src/math.ts',
      `${FENCE}ts`,
      'export const add = (a: number, b: number): number => a + b;',
      '',
      'export const sub = (a: number, b: number): number => a - b;',
      FENCE,
      '',
      '**test/math.test.ts**:',
      '',
      `${FENCE}typescript`,
      "import { add } from '../src/math.js';",
      FENCE,
      '`./Makefile`',
      FENCE,
      'test:',
      '\tnpm test',
      FENCE,
      'That is all.',
    ].join('\n');
    expect(parseWholeFiles(text)).toEqual([
      {
        path: 'src/math.ts',
        content: 'export const add = (a: number, b: number): number => a + b;\n\nexport const sub = (a: number, b: number): number => a - b;\n',
      },
      { path: 'test/math.test.ts', content: "import { add } from '../src/math.js';\n" },
      { path: './Makefile', content: 'test:\n\tnpm test\n' },
    ]);
  });

  it('keeps a Markdown file whole: nested fences with an info string, or a longer outer fence', () => {
    const readme = ['# Tool', '', `${FENCE}bash`, 'npm test', FENCE, '', 'Done.'];
    const nested = parseWholeFiles(['README.md', FENCE, ...readme, FENCE].join('\n'));
    expect(nested).toEqual([{ path: 'README.md', content: readme.join('\n') + '\n' }]);
    const bare = ['intro', FENCE, 'plain block', FENCE, 'end'];
    const longer = parseWholeFiles(['docs/a.md', '````markdown', ...bare, '````'].join('\n'));
    expect(longer).toEqual([{ path: 'docs/a.md', content: bare.join('\n') + '\n' }]);
  });

  it('ignores fenced snippets whose line above is prose or a word without a dot or slash', () => {
    const text = ['Run it like this:', FENCE, 'npm test', FENCE, 'Example:', FENCE, 'x = 1', FENCE].join('\n');
    expect(parseWholeFiles(text)).toEqual([]);
  });

  it('reads an empty block as an empty file and CRLF answers as LF', () => {
    expect(parseWholeFiles(`pkg/__init__.py\r\n${FENCE}python\r\n${FENCE}\r\n`)).toEqual([{ path: 'pkg/__init__.py', content: '' }]);
    expect(parseWholeFiles(`a.txt\r\n${FENCE}\r\none\r\ntwo\r\n${FENCE}`)).toEqual([{ path: 'a.txt', content: 'one\ntwo\n' }]);
  });

  it('refuses a block that is never closed instead of truncating the file', () => {
    const error = thrownBy(() => parseWholeFiles(['src/big.ts', `${FENCE}ts`, 'export function f() {', '  return 1;'].join('\n')));
    expect(error.code).toBe('EDIT_INVALID');
    expect(error.message).toMatch(/src\/big\.ts .*never closed/);
  });
});

describe('parseEdit with whole files', () => {
  it('detects the whole format', () => {
    const edit = parseEdit(['src/a.ts', `${FENCE}ts`, 'export const a = 2;', FENCE].join('\n'));
    expect(edit).toEqual({ format: 'whole', files: [{ path: 'src/a.ts', content: 'export const a = 2;\n' }] });
  });

  it('reads a file whose text contains diff and SEARCH/REPLACE-looking lines as a whole file', () => {
    const body = ['const sample = `', '--- a/x', '+++ b/x', '@@ -1 +1 @@', '-old', '+new', '`;'];
    const edit = parseEdit(['Updated fixture:', '', 'test/fixture.ts', `${FENCE}ts`, ...body, FENCE].join('\n'));
    expect(edit).toEqual({ format: 'whole', files: [{ path: 'test/fixture.ts', content: body.join('\n') + '\n' }] });
  });

  it('still reads a diff or SEARCH/REPLACE blocks fenced under a path line as those formats', () => {
    const diff = parseEdit(['src/a.ts', `${FENCE}diff`, '--- a/src/a.ts', '+++ b/src/a.ts', '@@ -1 +1 @@', '-a', '+b', FENCE].join('\n'));
    expect(diff.format).toBe('udiff');
    expect(diff.files.map((file) => file.path)).toEqual(['src/a.ts']);
    const blocks = parseEdit(['src/a.ts', `${FENCE}ts`, '<<<<<<< SEARCH', 'a', '=======', 'b', '>>>>>>> REPLACE', FENCE].join('\n'));
    expect(blocks).toEqual({ format: 'search-replace', files: [{ path: 'src/a.ts', blocks: [{ search: 'a\n', replace: 'b\n' }] }] });
  });

  it('prefers a diff outside the blocks over a fenced snippet that happens to follow a path', () => {
    const text = ['--- a/x.txt', '+++ b/x.txt', '@@ -1 +1 @@', '-a', '+b', '', 'Now x.txt reads:', '', 'x.txt', FENCE, 'b', FENCE].join('\n');
    expect(parseEdit(text).format).toBe('udiff');
  });

  it('says how to write each format when nothing is recognisable', () => {
    const error = thrownBy(() => parseEdit(['Run this:', FENCE, 'npm test', FENCE].join('\n')));
    expect(error.code).toBe('EDIT_INVALID');
    expect(error.hint).toMatch(/whole files \(the path on the line before each ``` fenced block\)/);
  });
});
