import { beforeAll, describe, expect, it } from 'vitest';
import { ensureParsers } from '../context/code/parse.js';
import {
  buildProjectIndex,
  fileDocLine,
  goalsIn,
  INDEX_END,
  INDEX_START,
  MAX_FILES_LISTED,
  MAX_GOALS,
  moduleEntries,
  moduleLine,
  moduleMap,
  renderIndexDocument,
  SYMBOLS_PER_LINE,
  type IndexFacts,
} from './project-index.js';

// parsing is synchronous once the grammars are loaded (the async entry points load them)
beforeAll(() => ensureParsers());

const files = [
  { path: 'src/calc.js', text: '/** Adds two numbers. */\nexport function add(a, b) {\n  return a + b;\n}\nexport const PI = 3.14;\n' },
  { path: 'src/billing/invoice.ts', text: '/**\n * Invoices: creation and totals.\n */\n\nexport class Invoice {}\nexport function total() {}\n' },
  { path: 'tools/gen.py', text: '"""Generates fixtures."""\n\ndef make():\n    pass\n' },
  { path: 'README.md', text: '# calc\n' },
  { path: 'INDEX.md', text: 'ignored: the index does not list itself\n' },
];

function facts(planId: string, goal: string, over: Partial<IndexFacts> = {}): IndexFacts {
  return {
    name: 'calculator',
    vision: 'A small calculator.',
    files,
    goal: { planId, goal, tasks: [{ id: 'T1', title: 'Add multiply', status: 'done' }, { id: 'T2', title: 'Document it', status: 'done' }] },
    ...over,
  };
}

describe('fileDocLine', () => {
  it('takes a leading comment that is about the file, not one on top of a declaration', () => {
    expect(fileDocLine(files[1]!.text)).toBe('Invoices: creation and totals.');
    expect(fileDocLine(files[2]!.text)).toBe('Generates fixtures.');
    expect(fileDocLine('// Package calc does sums.\n\npackage calc\n')).toBe('Package calc does sums.');
    expect(fileDocLine('#!/usr/bin/env node\n# runs the tests\n\nmain()\n')).toBe('runs the tests');
    expect(fileDocLine(files[0]!.text)).toBeUndefined();
    expect(fileDocLine('export const a = 1;\n')).toBeUndefined();
  });
});

describe('moduleMap', () => {
  it('lists each file with its doc line and exported symbols, without INDEX.md', () => {
    expect(moduleMap(files)).toEqual([
      '- `README.md` — calc',
      '- `src/billing/invoice.ts` — Invoices: creation and totals.; exports: Invoice, total',
      '- `src/calc.js` — exports: add, PI',
      '- `tools/gen.py` — Generates fixtures.; exports: make',
    ]);
  });

  it('lists directories (two levels) with file counts above the file limit', () => {
    const many = Array.from({ length: MAX_FILES_LISTED + 5 }, (_, i) => ({ path: `src/mod${i % 3}/f${i}.ts`, text: `export function f${i}() {}\n` }));
    const lines = moduleMap([...many, { path: 'package.json', text: '{}' }]);
    expect(lines).toHaveLength(4);
    expect(lines[0]).toBe('- `.` (1 file)');
    expect(lines[1]).toMatch(/^- `src\/mod0\/` \(42 files\) — exports: f0, f102, .*, … 34 more$/);
  });
});

describe('renderIndexDocument', () => {
  it('writes a new index with the project line, module map and the goal', () => {
    const doc = renderIndexDocument(undefined, facts('p-aaaa', 'Add multiply'));
    expect(doc.startsWith('# Project index\n\n')).toBe(true);
    expect(doc).toContain(INDEX_START);
    expect(doc).toContain('**calculator**: A small calculator.');
    expect(doc).toContain('- `src/calc.js` — exports: add, PI');
    expect(doc).toContain('- `p-aaaa` Add multiply — T1 Add multiply (done); T2 Document it (done)');
    expect(doc.endsWith(`${INDEX_END}\n`)).toBe(true);
  });

  it('keeps the project text outside the markers byte for byte, and keeps earlier goals newest first', () => {
    const first = renderIndexDocument(undefined, facts('p-aaaa', 'Add multiply'));
    const edited = `# Our index\n\nHand-written intro.\n\n${first.slice(first.indexOf(INDEX_START))}\n## Notes\n\nKeep this.\n`;
    const second = renderIndexDocument(edited, facts('p-bbbb', 'Add divide'));
    expect(second.startsWith('# Our index\n\nHand-written intro.\n\n')).toBe(true);
    expect(second.endsWith('\n## Notes\n\nKeep this.\n')).toBe(true);
    const goals = second.split('\n').filter((l) => l.startsWith('- `p-'));
    expect(goals.map((l) => l.slice(3, 9))).toEqual(['p-bbbb', 'p-aaaa']);
    // the same plan again replaces its line, it does not add one
    const again = renderIndexDocument(second, facts('p-aaaa', 'Add multiply', { goal: { planId: 'p-aaaa', goal: 'Add multiply', tasks: [{ id: 'T1', title: 'Add multiply', status: 'failed' }] } }));
    expect(again.split('\n').filter((l) => l.startsWith('- `p-'))).toEqual(['- `p-aaaa` Add multiply — T1 Add multiply (failed)', goals[0]]);
    expect(renderIndexDocument(again, facts('p-aaaa', 'Add multiply', { goal: { planId: 'p-aaaa', goal: 'Add multiply', tasks: [{ id: 'T1', title: 'Add multiply', status: 'failed' }] } }))).toBe(again);
  });

  it('appends the generated part to an index that has none, and keeps at most MAX_GOALS goals', () => {
    const doc = renderIndexDocument('# Mine\n\n- src/: code\n', facts('p-0', 'g0'));
    expect(doc.startsWith('# Mine\n\n- src/: code\n\n<!-- taskgraph:index:start')).toBe(true);
    let current = doc;
    for (let i = 1; i <= MAX_GOALS + 3; i++) current = renderIndexDocument(current, facts(`p-${i.toString(16)}`, `g${i}`));
    const goals = current.split('\n').filter((l) => l.startsWith('- `p-'));
    expect(goals).toHaveLength(MAX_GOALS);
    expect(goals[0]).toContain(`g${MAX_GOALS + 3}`);
    expect(current.match(new RegExp(INDEX_START.replace(/[()]/g, '\\$&'), 'g'))).toHaveLength(1);
  });

  it('repairs a generated part whose end marker was deleted', () => {
    const broken = `# Mine\n\n${INDEX_START}\nold generated text\n`;
    const doc = renderIndexDocument(broken, facts('p-1', 'g'));
    expect(doc).not.toContain('old generated text');
    expect(doc.startsWith('# Mine\n\n')).toBe(true);
    expect(doc.endsWith(`${INDEX_END}\n`)).toBe(true);
  });
});

describe('buildProjectIndex', () => {
  it('returns the document with its parts as data; the module map lines are the entries rendered', () => {
    const built = buildProjectIndex(undefined, facts('p-aaaa', 'Add multiply'));
    expect(built.text).toBe(renderIndexDocument(undefined, facts('p-aaaa', 'Add multiply')));
    expect(built.project).toBe('**calculator**: A small calculator.');
    expect(built.modules.map((e) => moduleLine(e))).toEqual(moduleMap(files));
    expect(built.modules.find((e) => e.path === 'src/billing/invoice.ts')).toEqual({ path: 'src/billing/invoice.ts', doc: 'Invoices: creation and totals.', exports: ['Invoice', 'total'] });
    expect(built.goals).toEqual(['- `p-aaaa` Add multiply — T1 Add multiply (done); T2 Document it (done)']);
  });

  it('takes the earlier goals from `history` (a stored index) instead of the document, newest first', () => {
    const stored = buildProjectIndex(undefined, facts('p-aaaa', 'Add multiply'));
    const next = buildProjectIndex(undefined, facts('p-bbbb', 'Add divide', { history: stored.goals }));
    expect(next.goals.map((l) => l.slice(3, 9))).toEqual(['p-bbbb', 'p-aaaa']);
    expect(goalsIn(next.text)).toEqual(next.goals);
    // history wins over the goals of an existing document, whose own text is still kept
    const kept = buildProjectIndex(`# Ours\n\n${stored.text}`, facts('p-cccc', 'g', { history: [] }));
    expect(kept.goals).toHaveLength(1);
    expect(kept.text.startsWith('# Ours\n\n')).toBe(true);
    expect(goalsIn('# no generated part\n- `p-1` x\n')).toEqual([]);
  });

  it('counts symbols left out of an entry', () => {
    const many = { path: 'src/many.ts', text: Array.from({ length: SYMBOLS_PER_LINE + 3 }, (_, i) => `export const c${i} = ${i};`).join('\n') };
    const [entry] = moduleEntries([many]);
    expect(entry!.exports).toHaveLength(SYMBOLS_PER_LINE);
    expect(entry!.more).toBe(3);
    expect(moduleLine(entry!)).toMatch(/, … 3 more$/);
    expect(moduleLine(entry!, { exports: false })).toBe('- `src/many.ts`');
  });
});
