import { beforeAll, describe, expect, it } from 'vitest';
import { moduleEntries, MAX_FILES_LISTED } from '../project/project-index.js';
import { ensureParsers } from './code/parse.js';
import { renderRepoMap } from './repo-map.js';
import { buildContextIndex, rankFiles } from './context-index.js';
import { renderIndexItem, SUMMARIES_HEADING, type BundleProjectIndex } from './project-index-item.js';

// parsing is synchronous once the grammars are loaded (the async entry points load them)
beforeAll(() => ensureParsers());

const files = [
  { path: 'README.md', text: '# calc\n' },
  { path: 'src/calc.js', text: '/** Adds two numbers. */\nexport function add(a, b) {\n  return a + b;\n}\n' },
  { path: 'src/billing/invoice.ts', text: '/**\n * Invoices: creation and totals.\n */\n\nexport class Invoice {}\nexport function total() {}\n' },
  { path: 'tools/gen.py', text: '"""Generates fixtures."""\n\ndef make():\n    pass\n' },
];
const GOALS = ['- `p-2` Add divide — T1 Add divide (done)', '- `p-1` Add multiply — T1 Add multiply (done)'];

function index(list = files): BundleProjectIndex {
  return { planId: 'p-2', modules: moduleEntries(list), goals: GOALS };
}
const all = () => true;

describe('renderIndexItem: the project index without what the repository map lists', () => {
  it('with a repository map: the goals, and only the doc lines of files that have one (no file list, no symbols)', () => {
    expect(renderIndexItem(index(), { repoMap: true, keep: all })).toBe(
      [
        '## Goals done (newest first)',
        ...GOALS,
        '',
        SUMMARIES_HEADING,
        '- `README.md` — calc',
        '- `src/billing/invoice.ts` — Invoices: creation and totals.',
        '- `tools/gen.py` — Generates fixtures.',
      ].join('\n'),
    );
  });

  it('repeats no path and no symbol of the repository map except next to a summary the map lacks', async () => {
    const ctx = await buildContextIndex({ repoFiles: files.map((f) => f.path), readFile: async (p) => files.find((f) => f.path === p)!.text, docs: [], earlierOutputs: [] });
    const map = renderRepoMap(rankFiles(ctx, 'invoice total make fixtures add', () => true), 4000, 'cl100k_base');
    const body = renderIndexItem(index(), { repoMap: true, keep: all });
    for (const f of files) {
      // a file named by the map appears in the index only with its summary
      const line = body.split('\n').find((l) => l.includes(`\`${f.path}\``));
      if (line) expect(line).toMatch(/ — [^;]+$/);
    }
    for (const symbol of ['Invoice', 'total']) expect(map.text).toContain(symbol);
    expect(body).not.toMatch(/exports:|\bInvoice\b(?!s)|\btotal\b|\bmake\b/);
    // src/calc.js: its comment documents `add`, not the file, so the index says nothing about it
    expect(body).not.toContain('src/calc.js');
  });

  it('leaves out files no longer in the repository or excluded, and shows nothing when nothing is left', () => {
    const keep = (p: string) => p !== 'tools/gen.py';
    expect(renderIndexItem(index(), { repoMap: true, keep })).not.toContain('tools/gen.py');
    expect(renderIndexItem({ planId: 'p-0', modules: moduleEntries([files[1]!]), goals: [] }, { repoMap: true, keep: all })).toBe('');
  });

  it('without a repository map: the whole module map, symbols included', () => {
    const body = renderIndexItem(index(), { repoMap: false, keep: (p) => p !== 'README.md' });
    expect(body).toContain('## Modules\n- `src/billing/invoice.ts` — Invoices: creation and totals.; exports: Invoice, total\n- `src/calc.js` — exports: add\n- `tools/gen.py` — Generates fixtures.; exports: make');
    expect(body).not.toContain('README.md');
  });

  it('a large repository (directory entries): no module section next to the map, directory lines without it', () => {
    const many = Array.from({ length: MAX_FILES_LISTED + 1 }, (_, i) => ({ path: `src/m${i % 2}/f${i}.ts`, text: `/** File ${i}. */\n\nexport function f${i}() {}\n` }));
    const big = index(many);
    expect(renderIndexItem(big, { repoMap: true, keep: all })).toBe(['## Goals done (newest first)', ...GOALS].join('\n'));
    expect(renderIndexItem(big, { repoMap: false, keep: all })).toMatch(/## Modules\n- `src\/m0\/` \(61 files\) — exports: f0, f10, /);
  });
});
