import { describe, expect, it } from 'vitest';
import { TaskgraphError } from '../core/errors.js';
import { applyOverrideChanges, hasOverrideChanges, normaliseEntry } from './override-changes.js';

const tasks = new Set(['T1', 'T2.1']);
const empty = { pins: [], excludes: [] };

describe('applyOverrideChanges', () => {
  it('adds pins and excludes in order of first mention, without duplicates', () => {
    const { overrides, notPresent } = applyOverrideChanges(
      { pins: ['README.md'], excludes: [] },
      { pin: ['docs/**/*.md', 'README.md', 'T2.1', './docs/**/*.md'], exclude: ['src/calc.js', 'src/calc.js'] },
      tasks,
    );
    expect(overrides).toStrictEqual({ pins: ['README.md', 'docs/**/*.md', 'T2.1'], excludes: ['src/calc.js'] });
    expect(notPresent).toStrictEqual([]);
  });

  it('moves an entry between pins and excludes, and removes with --unpin / --unexclude', () => {
    const current = { pins: ['a.md', 'b.md'], excludes: ['c.md', 'd.md'] };
    expect(applyOverrideChanges(current, { pin: ['c.md'], exclude: ['a.md'] }, tasks).overrides).toStrictEqual({
      pins: ['b.md', 'c.md'],
      excludes: ['d.md', 'a.md'],
    });
    const removed = applyOverrideChanges(current, { unpin: ['b.md', 'zz.md'], unexclude: ['d.md', 'a.md'] }, tasks);
    expect(removed.overrides).toStrictEqual({ pins: ['a.md'], excludes: ['c.md'] });
    expect(removed.notPresent).toStrictEqual(['zz.md (not pinned)', 'a.md (not excluded)']);
    // the caller's lists are not changed
    expect(current).toStrictEqual({ pins: ['a.md', 'b.md'], excludes: ['c.md', 'd.md'] });
  });

  it('refuses one entry pinned and excluded in the same call', () => {
    expect(() => applyOverrideChanges(empty, { pin: ['x.md'], exclude: ['./x.md'] }, tasks)).toThrow(/cannot be pinned and excluded/);
  });

  it('tells whether there is anything to change', () => {
    expect(hasOverrideChanges({})).toBe(false);
    expect(hasOverrideChanges({ pin: [], exclude: [] })).toBe(false);
    expect(hasOverrideChanges({ unexclude: ['a'] })).toBe(true);
  });
});

describe('normaliseEntry', () => {
  it('keeps task ids and normalises repository-relative paths', () => {
    expect(normaliseEntry('T2.1', tasks)).toBe('T2.1');
    expect(normaliseEntry(' ./src/../README.md ', tasks)).toBe('README.md');
    expect(normaliseEntry('src\\calc.js', tasks)).toBe('src/calc.js');
    expect(normaliseEntry('**/*.test.mjs', tasks)).toBe('**/*.test.mjs');
  });

  it.each(['', '.', '/etc/passwd', '../secret', 'src/../../x', 'C:\\Windows\\x'])('refuses %j', (entry) => {
    expect(() => normaliseEntry(entry, tasks)).toThrow(TaskgraphError);
  });
});
