import { describe, expect, it } from 'vitest';
import { excludeMatcher, parseOverride, resolvePins } from './overrides.js';

const files = ['README.md', 'src/a.ts', 'src/legacy/old.ts', 'src/legacy/deep/x.ts', 'docs/.hidden.md', 'T1'];

describe('overrides', () => {
  it('parses prefixes', () => {
    expect(parseOverride('task:T1')).toEqual({ raw: 'task:T1', kind: 'task', value: 'T1' });
    expect(parseOverride('path:src/**')).toEqual({ raw: 'path:src/**', kind: 'path', value: 'src/**' });
    expect(parseOverride('./src/a.ts')).toEqual({ raw: './src/a.ts', kind: 'any', value: 'src/a.ts' });
  });

  it('excludes paths, directories, globs (dot files too) and task ids', () => {
    const m = excludeMatcher(['src/legacy/', 'docs/**', 'T7', 'task:T8', 'path:T9']);
    expect(m.path('src/legacy/deep/x.ts')).toBe('src/legacy/');
    expect(m.path('src/legacyish.ts')).toBeUndefined();
    expect(m.path('docs/.hidden.md')).toBe('docs/**');
    expect(m.path('src/a.ts')).toBeUndefined();
    expect(m.task('T7')).toBe('T7');
    expect(m.task('T8')).toBe('task:T8');
    expect(m.task('T9')).toBeUndefined();
    expect(m.path('T9')).toBe('path:T9');
  });

  it('resolves pins: task ids first, then files, else missing', () => {
    const r = resolvePins(['T1', 'path:T1', 'src/legacy', 'src/*.ts', 'T5', 'nope.ts', 'src/**/*.py'], files, new Set(['T1', 'T5']));
    expect(r).toEqual([
      { pin: 'T1', kind: 'task', taskId: 'T1' },
      { pin: 'path:T1', kind: 'files', paths: ['T1'] },
      { pin: 'src/legacy', kind: 'files', paths: ['src/legacy/deep/x.ts', 'src/legacy/old.ts'] },
      { pin: 'src/*.ts', kind: 'files', paths: ['src/a.ts'] },
      { pin: 'T5', kind: 'task', taskId: 'T5' },
      { pin: 'nope.ts', kind: 'missing' },
      { pin: 'src/**/*.py', kind: 'missing' },
    ]);
  });
});
