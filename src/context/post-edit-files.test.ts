import { createTwoFilesPatch } from 'diff';
import { describe, expect, it } from 'vitest';
import { postEditFiles } from './post-edit-files.js';

const start = new Map([
  ['a.py', 'def f():\n    return 1\n'],
  ['gone.py', 'x = 1\n'],
  ['moved.txt', 'same\n'],
]);
const read = async (p: string) => start.get(p) ?? Promise.reject(new Error(`ENOENT ${p}`));

describe('postEditFiles', () => {
  it('reads edited, created and untouched files as the attempt left them; deleted ones are gone', async () => {
    const diff = [
      createTwoFilesPatch('a/a.py', 'b/a.py', start.get('a.py')!, 'def f():\n    return 2\n\n\ndef g():\n    return 3\n', '', ''),
      createTwoFilesPatch('/dev/null', 'b/new_test.py', '', 'def test_g():\n    assert g() == 3\n', '', ''),
      createTwoFilesPatch('a/gone.py', '/dev/null', start.get('gone.py')!, '', '', ''),
    ].join('\n');
    const post = postEditFiles(diff, read);
    expect([...post.edited].sort()).toEqual(['a.py', 'new_test.py']);
    expect(post.created).toEqual(['new_test.py']);
    expect(await post.read('a.py')).toBe('def f():\n    return 2\n\n\ndef g():\n    return 3\n');
    expect(await post.read('new_test.py')).toBe('def test_g():\n    assert g() == 3\n');
    expect(await post.read('moved.txt')).toBe('same\n');
    await expect(post.read('gone.py')).rejects.toThrow('deleted by the attempt');
  });

  it('falls back to today\'s text when the recorded diff no longer applies, and edits nothing for text that is no diff', async () => {
    const stale = createTwoFilesPatch('a/a.py', 'b/a.py', 'def h():\n    pass\n', 'def h():\n    return 0\n', '', '');
    expect(await postEditFiles(stale, read).read('a.py')).toBe(start.get('a.py'));
    const none = postEditFiles('the model wrote prose, not a diff', read);
    expect(none.edited.size).toBe(0);
    expect(await none.read('a.py')).toBe(start.get('a.py'));
  });
});
