import { describe, expect, it } from 'vitest';
import { ProjectConfigSchema } from '../core/config.js';
import { TaskgraphError } from '../core/errors.js';
import { TaskSchema, type Task } from '../core/task.js';
import { INDEX_END, INDEX_START } from '../project/project-index.js';
import { assembleContext, bundleManifestHash } from './assemble.js';
import { renderBundle } from './render.js';
import { countTokens } from './tokenizer.js';
import { RANK_OF, TIER_OF, type AssembleInput } from './types.js';

const t = (id: string, title: string, extra: Partial<Task> = {}): Task => TaskSchema.parse({ planId: 'p', id, title, ...extra });

function repo(): Map<string, string> {
  const files = new Map<string, string>();
  files.set('INDEX.md', '# Index\n- src/billing: invoices and refunds\n');
  files.set('src/billing/refunds.ts', '/** Refunds a captured invoice payment. */\nexport function refundInvoice(id: string) {\n  return id;\n}\n');
  files.set('src/billing/invoices.ts', '/** Creates invoices. */\nexport function createInvoice() {}\n');
  files.set('src/util/strings.ts', '/** String helpers. */\nexport function padLeft(s: string) { return s; }\n');
  files.set('src/secret/keys.ts', '/** Refund signing keys: refund refund refund. */\nexport const REFUND_KEY = "k";\n');
  for (let i = 0; i < 30; i++) files.set(`src/other/mod${i}.ts`, `/** Unrelated module ${i}. */\nexport function other${i}() {}\n`);
  return files;
}

function input(files: Map<string, string>, over: Partial<AssembleInput> = {}): AssembleInput {
  return {
    config: ProjectConfigSchema.parse({ name: 'shop', vision: 'Sell things', rules: ['no any'], styleGuide: 'small files', commands: { test: 'npm test' } }),
    task: t('T2', 'Add partial refunds to billing', { description: 'Refund part of an invoice.', files: ['src/billing/invoices.ts', 'src/billing/new-refund-api.ts'], notes: ['Attempt 1 failed: refund of 5 returned 10'] }),
    requires: [{ task: t('T1', 'Create invoices', { status: 'done' }), output: 'Changed files: src/billing/invoices.ts\nCommit message: add invoices' }],
    siblings: [t('T1', 'Create invoices', { status: 'done' }), t('T2', 'Add partial refunds to billing'), t('T3', 'Email receipts')],
    refers: [t('T4', 'Refund policy', { description: 'Refunds within 30 days.\nDetails follow.' })],
    files: [],
    repoFiles: [...files.keys()].sort(),
    readFile: async (p) => {
      const text = files.get(p);
      if (text === undefined) throw new Error(`ENOENT ${p}`);
      return text;
    },
    earlierOutputs: [{ taskId: 'T3', text: 'Receipts are emailed after each refund of an invoice.' }],
    docs: [{ path: 'docs/refunds.md', text: '# Refunds\nA refund reverses an invoice payment, partially or fully.', url: 'https://docs.example/refunds' }],
    pins: ['src/util/strings.ts', 'T3'],
    excludes: [],
    budget: 6000,
    family: 'cl100k_base',
    projectIndex: PROJECT_INDEX,
    ...over,
  };
}

/** The stored project index of an earlier plan (the root task's output). */
const PROJECT_INDEX = {
  planId: 'p-0',
  modules: [
    { path: 'src/billing/invoices.ts', doc: 'Invoice creation.', exports: ['createInvoice'] },
    { path: 'src/billing/refunds.ts', exports: ['refundInvoice'] },
    { path: 'src/gone.ts', doc: 'Deleted since.', exports: ['gone'] },
  ],
  goals: ['- `p-0` Bill customers — T1 Issue the first invoices (done)'],
};

describe('assembleContext', () => {
  it('orders items by tier (pins right after the task) and records where each came from', async () => {
    const b = await assembleContext(input(repo()));
    const sources = b.items.map((i) => i.source);
    expect(sources.slice(0, 11)).toEqual(['project', 'project', 'task', 'pin', 'pin', 'dependency', 'sibling', 'refers', 'file', 'file', 'repo-map']);
    expect(sources.slice(11).every((s) => s === 'retrieval')).toBe(true);
    expect(sources.length).toBeGreaterThan(11);
    const ranks = b.items.map((i) => RANK_OF[i.source]);
    expect(ranks).toEqual([...ranks].sort((x, y) => x - y));
    for (const i of b.items) expect(i.tier).toBe(TIER_OF[i.source]);
    expect(b.items[1]!.origin).toEqual({ planId: 'p-0' });
    expect(b.items[1]!.text).toContain('- `p-0` Bill customers — T1 Issue the first invoices (done)');
    expect(b.items[2]!.text).toContain('refund of 5 returned 10');
    expect(b.items[3]!.origin.path).toBe('src/util/strings.ts');
    expect(b.items[4]!.text).toContain('Receipts are emailed');
    expect(b.items[6]!.text).toContain('- T1 [done]: Create invoices');
    expect(b.items[6]!.text).not.toContain('T2');
    expect(b.items[7]!.text).toBe('# Tasks this task refers to\n- T4 [pending]: Refund policy — Refunds within 30 days.');
    expect(b.items[8]!.text).toContain('does not exist yet');
    expect(b.items[9]!.origin).toEqual({ path: 'src/billing/invoices.ts', lines: [1, 2] });
    expect(b.items[10]!.text.split('\n')[1]).toBe('src/billing/refunds.ts');
    const retrieved = b.items.filter((i) => i.source === 'retrieval');
    expect(retrieved[0]!.origin).toEqual({ path: 'src/billing/refunds.ts', lines: [1, 4] });
    expect(retrieved.some((i) => i.origin.url === 'https://docs.example/refunds')).toBe(true);
    // pinned/named files and pinned task outputs are not retrieved a second time
    expect(retrieved.some((i) => i.origin.path === 'src/billing/invoices.ts' || i.origin.taskId === 'T3')).toBe(false);
    expect(b.tokens).toBe(countTokens(renderBundle(b), 'cl100k_base'));
    expect(b.tokens).toBeLessThanOrEqual(b.budget);
  });

  it('shows the project index without what the repository map lists; a repository INDEX.md is an ordinary file', async () => {
    const b = await assembleContext(input(repo(), { pins: [] }));
    const index = b.items.find((i) => i.source === 'project' && i.title === 'project index (INDEX.md)')!;
    // only the doc line of a file that still exists; no exports, no path-only lines, no project line
    expect(index.text).toContain('- `src/billing/invoices.ts` — Invoice creation.');
    expect(index.text).not.toContain('createInvoice');
    expect(index.text).not.toContain('src/billing/refunds.ts');
    expect(index.text).not.toContain('src/gone.ts');
    expect(index.text).not.toContain('Sell things');
    // the repository's INDEX.md is listed by the map like any file, and is no tier 1 item
    expect(b.items.filter((i) => i.source === 'project')).toHaveLength(2);
    // (a file without symbols, not relevant to the task, in a 35-file repository: counted by directory)
    expect(b.items.find((i) => i.source === 'repo-map')!.text.split('\n')).toContain('./: 1 file');
    // without a repository map the module map is shown whole
    const noMap = await assembleContext(input(repo(), { pins: [], options: { repoMapTokens: 0 } }));
    const whole = noMap.items.find((i) => i.title === 'project index (INDEX.md)')!.text;
    expect(whole).toContain('- `src/billing/invoices.ts` — Invoice creation.; exports: createInvoice');
    expect(whole).toContain('- `src/billing/refunds.ts` — exports: refundInvoice');
    expect(noMap.items.some((i) => i.source === 'repo-map')).toBe(false);
    // a committed INDEX.md (index.commit: true) is not retrieved next to the stored index it repeats
    const committed = repo();
    committed.set('INDEX.md', `# Index\n\n${INDEX_START}\n- \`src/billing/refunds.ts\` — exports: refundInvoice\nrefund invoice refunds\n${INDEX_END}\n`);
    const docsTask = t('T2', 'Document partial refunds in the docs', { files: ['src/billing/invoices.ts'] });
    const withFile = await assembleContext(input(committed, { pins: [], task: docsTask }));
    expect(withFile.items.some((i) => i.source === 'retrieval' && i.origin.path === 'INDEX.md')).toBe(false);
    // without a stored index it is an ordinary doc file (both with a docs task: docs are then not held to a quarter of the little code retrieved here)
    const plain = await assembleContext(input(committed, { pins: [], projectIndex: undefined, task: docsTask }));
    expect(plain.items.some((i) => i.source === 'retrieval' && i.origin.path === 'INDEX.md')).toBe(true);
    // an exclude of INDEX.md leaves the project index out
    const excluded = await assembleContext(input(repo(), { pins: [], excludes: ['INDEX.md'] }));
    expect(excluded.items.filter((i) => i.source === 'project')).toHaveLength(1);
    expect(excluded.cutEntries).toContainEqual(expect.objectContaining({ title: 'project index (INDEX.md)', action: 'excluded' }));
  });

  it('allocates greedily in tier order when the budget is tight', async () => {
    const b = await assembleContext(input(repo(), { budget: 300, pins: [] }));
    expect(b.items.map((i) => i.source).slice(0, 3)).toEqual(['project', 'project', 'task']);
    // the repository map (15% share, at least 256 tokens) no longer fits; smaller items after it still may
    expect(b.cutEntries!.find((c) => c.source === 'repo-map')).toMatchObject({ action: 'dropped' });
    expect(b.cutEntries!.some((c) => c.source === 'retrieval' && c.action === 'dropped')).toBe(true);
    const ranks = b.items.map((i) => RANK_OF[i.source]);
    expect(ranks).toEqual([...ranks].sort((x, y) => x - y));
    expect(b.cut.length).toBe(b.cutEntries!.length);
    expect(countTokens(renderBundle(b), 'cl100k_base')).toBeLessThanOrEqual(300);
  });

  it('honours pins and excludes, identically on a re-run with the same overrides', async () => {
    const files = repo();
    const over = { pins: ['src/other/mod7.ts', 'task:T3', 'src/secret/keys.ts', 'nothing/here.ts'], excludes: ['src/secret', 'T1', 'task:T4', 'docs/**'] };
    const first = await assembleContext(input(files, over));
    const text = renderBundle(first);
    // pinned: an unrelated file retrieval would never pick, and a task
    expect(first.items.find((i) => i.source === 'pin' && i.origin.path === 'src/other/mod7.ts')).toBeDefined();
    expect(first.items.find((i) => i.source === 'pin' && i.origin.taskId === 'T3')).toBeDefined();
    // excluded: a directory (wins over its pin), a required task, a referred task, docs
    expect(text).not.toContain('REFUND_KEY');
    expect(text).not.toContain('src/secret');
    expect(first.items.some((i) => i.origin.taskId === 'T1' || i.text.includes('Create invoices'))).toBe(false);
    expect(first.items.some((i) => i.source === 'refers')).toBe(false);
    expect(first.items.some((i) => i.origin.path?.startsWith('docs/'))).toBe(false);
    const actions = first.cutEntries!.map((c) => `${c.action} ${c.title}`);
    expect(actions).toEqual(expect.arrayContaining(['excluded src/secret/keys.ts', 'excluded dependency T1', 'excluded refers T4', 'missing nothing/here.ts', 'excluded src/secret']));
    const again = await assembleContext(input(files, over));
    expect(again).toEqual(first);
    expect(bundleManifestHash(again)).toBe(bundleManifestHash(first));
  });

  it('changes the manifest hash when a pinned file changes, and only then', async () => {
    const files = repo();
    const over = { pins: ['src/other/mod7.ts'] };
    const a = await assembleContext(input(files, over));
    const roundTrip = JSON.parse(JSON.stringify(a)) as typeof a;
    expect(bundleManifestHash(roundTrip)).toBe(bundleManifestHash(a));
    expect(bundleManifestHash(a)).toMatch(/^[0-9a-f]{64}$/);
    files.set('src/other/mod7.ts', '/** Unrelated module 7, edited. */\nexport function other7() { return 1; }\n');
    const b = await assembleContext(input(files, over));
    expect(bundleManifestHash(b)).not.toBe(bundleManifestHash(a));
  });

  it('summarizes oversized items through the callback, and trims when it fails or overshoots', async () => {
    const big = Array.from({ length: 800 }, (_, i) => `step ${i}: moved invoice ${i} to the refund ledger`).join('\n');
    const calls: number[] = [];
    const base = { pins: [], budget: 2000, requires: [{ task: t('T1', 'Create invoices'), output: big }] };
    const ok = await assembleContext(input(repo(), { ...base, summarize: async (_text, max) => (calls.push(max), 'Moved 800 invoices to the refund ledger.') }));
    const dep = ok.items.find((i) => i.source === 'dependency')!;
    expect(calls.length).toBe(1);
    expect(calls[0]).toBeLessThanOrEqual(1000);
    expect(dep.shortened?.action).toBe('summarized');
    expect(dep.text).toContain('Moved 800 invoices');
    const long = await assembleContext(input(repo(), { ...base, summarize: async () => big }));
    const dep2 = long.items.find((i) => i.source === 'dependency')!;
    expect(dep2.tokens).toBeLessThanOrEqual(1000);
    expect(dep2.text).toMatch(/\[\.\.\. \d+ tokens trimmed \.\.\.\]/);
    const failing = await assembleContext(input(repo(), { ...base, summarize: async () => Promise.reject(new Error('model down')) }));
    const dep3 = failing.items.find((i) => i.source === 'dependency')!;
    expect(dep3.shortened?.action).toBe('trimmed');
    expect(dep3.cut).toMatch(/^trimmed from \d+ to \d+ tokens \(summary failed: model down\)$/);
    for (const b of [ok, long, failing]) expect(countTokens(renderBundle(b), 'cl100k_base')).toBeLessThanOrEqual(2000);
  });

  it('rejects a budget that is not a whole number of tokens', async () => {
    await expect(assembleContext(input(repo(), { budget: -1 }))).rejects.toBeInstanceOf(TaskgraphError);
    await expect(assembleContext(input(repo(), { budget: 10.5 }))).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
    const empty = await assembleContext(input(repo(), { budget: 0 }));
    expect(empty.items).toEqual([]);
    expect(empty.tokens).toBe(0);
  });
});
