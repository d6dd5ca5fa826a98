import { describe, expect, it } from 'vitest';
import { ProjectConfigSchema } from '../core/config.js';
import { TaskSchema, type Task } from '../core/task.js';
import { assembleContext } from './assemble.js';
import { DOCS_SHARE, fileShare, isAboutDocs, isDocPath, RETRIEVAL_FILE_SHARE, TOP_FILE_SHARE } from './retrieve.js';
import { renderBundle } from './render.js';
import { countTokens } from './tokenizer.js';
import type { AssembleInput, ContextBundle } from './types.js';

const t = (title: string, extra: Partial<Task> = {}): Task => TaskSchema.parse({ planId: 'p', id: 'T1', title, ...extra });

/** A module of about 220 tokens about invoices. */
function invoiceModule(i: number): string {
  return [`/** Invoice rounding rules, part ${i}. */`, `export function invoiceRounding${i}(amount: number): number {`, ...Array.from({ length: 8 }, (_, j) => `  amount = Math.round(amount * ${j + i + 2}) / ${j + 3}; // invoice step ${j}`), '  return amount;', '}', ''].join('\n');
}

function input(files: Map<string, string>, task: Task, budget: number): AssembleInput {
  return {
    config: ProjectConfigSchema.parse({ name: 'shop' }),
    task,
    requires: [],
    siblings: [],
    refers: [],
    files: [],
    repoFiles: [...files.keys()].sort(),
    readFile: async (p) => files.get(p) ?? '',
    earlierOutputs: [],
    docs: [],
    pins: [],
    excludes: [],
    budget,
    family: 'cl100k_base',
    options: { repoMapTokens: 0 },
  };
}

const retrieved = (b: ContextBundle) => b.items.filter((i) => i.source === 'retrieval');

describe('retrieval fills the budget', () => {
  it('takes relevant files whole, in relevance order, until the budget is full: no cap on their number', async () => {
    const files = new Map<string, string>();
    for (let i = 0; i < 60; i++) files.set(`src/invoice/rounding${String(i).padStart(2, '0')}.ts`, invoiceModule(i));
    files.set('src/unrelated.ts', 'export const colour = "blue";\n');
    const budget = 8000;
    const b = await assembleContext(input(files, t('Invoice rounding'), budget));
    const items = retrieved(b);
    expect(items.length).toBeGreaterThan(24);
    expect(countTokens(renderBundle(b), 'cl100k_base')).toBeLessThanOrEqual(budget);
    expect(b.tokens).toBeGreaterThan(budget * 0.9);
    // whole files: the origin is the whole file and the text is not shortened; only the last
    // ones, for what is left at the end, are trimmed (by code: their outline of signatures)
    const whole = items.filter((i) => !i.trimmed);
    expect(whole.length).toBeGreaterThan(24);
    expect(items.slice(0, whole.length)).toEqual(whole);
    for (const i of whole) expect(i.origin.lines).toEqual([1, 12]);
    for (const i of items.slice(whole.length)) expect(i.cut).toMatch(/^trimmed by code/);
    expect(items.some((i) => i.origin.path === 'src/unrelated.ts')).toBe(false);
  });

  it('trims a relevant file too large for its share by code: the relevant method whole, the rest as signatures', async () => {
    const methods = Array.from({ length: 120 }, (_, i) =>
      i === 20
        ? ['  applyRefund(order: Order): number {', '    const refund = order.total - order.refundedAmount;', '    return this.db.saveRefund(order.id, refund);', '  }']
        : [`  step${i}(order: Order): number {`, ...Array.from({ length: 5 }, (_, j) => `    order.lines[${j}].price *= ${i + j};`), '    return 0;', '  }'],
    ).flat();
    const text = ['export class Orders {', ...methods, '}', ''].join('\n');
    const files = new Map([['src/orders.ts', text]]);
    const b = await assembleContext(input(files, t('Partial refund', { description: 'applyRefund must save the refunded amount' }), 8000));
    const item = retrieved(b).find((i) => i.origin.path === 'src/orders.ts')!;
    expect(item.trimmed).toBe(true);
    expect(item.cut).toMatch(/^trimmed by code from \d+ to \d+ tokens/);
    expect(item.text).toContain('    return this.db.saveRefund(order.id, refund);');
    expect(item.text).toMatch(/^ {2}step0\(order: Order\): number … 8 lines$/m);
    expect(item.text).not.toContain('tokens trimmed');
    const at = text.split('\n').findIndex((l) => l.includes('applyRefund(')) + 1;
    expect(item.origin.shown!.some(([a, z]) => a <= at && z >= at + 3)).toBe(true);
    // the only (so the best-ranked) file: trimmed to the top file's share
    expect(item.tokens).toBeLessThanOrEqual(Math.floor(8000 * fileShare(0)));
  });

  it('gives the best-ranked files a larger share: a relevant file of 40% of the budget comes whole', async () => {
    expect([0, 1, 2, 3, 9].map(fileShare)).toEqual([TOP_FILE_SHARE, TOP_FILE_SHARE / 2, TOP_FILE_SHARE / 3, RETRIEVAL_FILE_SHARE, RETRIEVAL_FILE_SHARE]);
    // a data file without a grammar, about 3,200 tokens, far over the 15% share of an 8,000 budget
    const rows = Array.from({ length: 160 }, (_, i) => `  { "refundId": ${i}, "reason": "refund reason ${i}" },`);
    const files = new Map([['fixtures/refunds.json', ['[', ...rows, ']', ''].join('\n')], ['src/a.ts', invoiceModule(1)]]);
    const b = await assembleContext(input(files, t('Refund fixtures', { description: 'refund reasons in the refunds fixture' }), 8000));
    const item = retrieved(b).find((i) => i.origin.path === 'fixtures/refunds.json')!;
    expect(item.tokens).toBeGreaterThan(8000 * RETRIEVAL_FILE_SHARE);
    expect(item.trimmed).toBeFalsy();
    expect(item.origin.lines).toEqual([1, 162]);
  });

  it('leaves out sources far less relevant than the best one instead of filling the budget', async () => {
    const files = new Map<string, string>();
    // one module all about refunds, twenty that mention a refund once in a long text
    files.set('src/refund.ts', Array.from({ length: 20 }, (_, i) => `export const refundPolicy${i} = 'refund window refund policy';`).join('\n'));
    for (let i = 0; i < 20; i++) files.set(`src/other${i}.ts`, [`// refund`, ...Array.from({ length: 60 }, (_, j) => `export const colour${i}_${j} = 'shade number ${j} of palette ${i}';`)].join('\n'));
    const b = await assembleContext(input(files, t('Refund window policy'), 24000));
    const paths = retrieved(b).map((i) => i.origin.path);
    expect(paths[0]).toBe('src/refund.ts');
    expect(paths.filter((p) => p?.startsWith('src/other')).length).toBe(0);
    expect(b.tokens).toBeLessThan(24000 / 4);
  });
});

describe('tests and the code they test come together', () => {
  it('pulls in the test of a retrieved file right after it, with its share, though the test matches no query word', async () => {
    const files = new Map<string, string>([
      ['src/invoice.py', 'def totals_precision(amount):\n    return round(amount, 2)\n'],
      ['tests/test_invoice.py', 'from src.invoice import *\n\ndef test_two_places():\n    assert f(1.234) == 1.23\n'],
      ['tests/test_other.py', 'def test_colour():\n    assert "blue"\n'],
    ]);
    const b = await assembleContext(input(files, t('Totals precision'), 4000));
    const items = retrieved(b);
    expect(items.map((i) => i.origin.path)).toEqual(['src/invoice.py', 'tests/test_invoice.py']);
    expect(items[1]!.why).toMatch(/companion of src\/invoice\.py/);
  });
});

describe('docs are their own source', () => {
  const files = new Map<string, string>();
  for (let i = 0; i < 6; i++) files.set(`src/invoice${i}.ts`, invoiceModule(i));
  // docs that match the query far better than the code
  for (let i = 0; i < 10; i++) files.set(`docs/invoice-rounding-${i}.md`, `# Invoice rounding ${i}\n${'Invoice rounding rounds every invoice. '.repeat(60)}\n`);
  files.set('CHANGELOG.md', '## 1.2\n- invoice rounding fixed\n');

  it('never crowd out code: code files come first, docs fill what is left', async () => {
    const b = await assembleContext(input(files, t('Invoice rounding'), 3000));
    const items = retrieved(b);
    const firstDoc = items.findIndex((i) => isDocPath(i.origin.path ?? ''));
    const codeCount = items.filter((i) => !isDocPath(i.origin.path ?? '')).length;
    expect(codeCount).toBe(6);
    expect(firstDoc === -1 || firstDoc >= 6).toBe(true);
  });

  it('are used when the task is about docs, within their share', async () => {
    const task = t('Document invoice rounding in the docs');
    expect(isAboutDocs(task)).toBe(true);
    expect(isAboutDocs(t('Invoice rounding'))).toBe(false);
    expect(isAboutDocs(t('Invoice rounding', { files: ['README.md'] }))).toBe(true);
    const b = await assembleContext(input(files, task, 3000));
    const items = retrieved(b);
    const docs = items.filter((i) => isDocPath(i.origin.path ?? ''));
    expect(docs.length).toBeGreaterThan(0);
    expect(isDocPath(items[0]!.origin.path ?? '')).toBe(true);
    // the docs ahead of code stay within their share; code still comes in
    const leading = items.slice(0, items.findIndex((i) => !isDocPath(i.origin.path ?? '')));
    expect(leading.reduce((n, i) => n + i.tokens, 0)).toBeLessThanOrEqual(3000 * 0.25 + 400);
    expect(items.filter((i) => !isDocPath(i.origin.path ?? '')).length).toBeGreaterThan(0);
  });

  it('keep to their share when one long doc is the best source: its passages do not get the top file share', async () => {
    const withGuide = new Map(files);
    withGuide.set('docs/guide.md', Array.from({ length: 400 }, (_, i) => `Invoice rounding, section ${i}: documented rounding of invoice totals in the docs.`).join('\n'));
    const b = await assembleContext(input(withGuide, t('Document invoice rounding in the docs'), 20000));
    const docs = retrieved(b).filter((i) => isDocPath(i.origin.path ?? ''));
    expect(docs.some((i) => i.origin.path === 'docs/guide.md')).toBe(true);
    expect(docs.filter((i) => i.origin.path === 'docs/guide.md').reduce((n, i) => n + i.tokens, 0)).toBeLessThanOrEqual(20000 * DOCS_SHARE + 400);
  });

  it('add at most a quarter of the code retrieved when the task is not about docs, however well they match', async () => {
    // budget to spare: before, docs filled it up to their 25% share; a short note fits the quarter, the long docs do not
    const withNote = new Map(files);
    withNote.set('docs/rounding-note.md', 'Invoice rounding: two places, half up.\n');
    const b = await assembleContext(input(withNote, t('Invoice rounding'), 20000));
    const docs = retrieved(b).filter((i) => isDocPath(i.origin.path ?? ''));
    const code = retrieved(b).filter((i) => !isDocPath(i.origin.path ?? ''));
    expect(code.length).toBe(6);
    expect(docs.map((i) => i.origin.path)).toContain('docs/rounding-note.md');
    const sum = (xs: typeof docs) => xs.reduce((n, i) => n + i.tokens, 0);
    // the limit is on estimates (3.5 characters a token): allow that much slack
    expect(sum(docs)).toBeLessThanOrEqual(sum(code) * DOCS_SHARE * 1.5);
  });

  it('is deterministic: same inputs, same bundle bytes', async () => {
    const a = await assembleContext(input(files, t('Invoice rounding'), 3000));
    const b = await assembleContext(input(files, t('Invoice rounding'), 3000));
    expect(JSON.stringify(b)).toBe(JSON.stringify(a));
  });
});
