import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ProjectConfigSchema } from '../core/config.js';
import { TaskSchema } from '../core/task.js';
import { assembleContext } from './assemble.js';
import { renderBundle } from './render.js';
import { countTokens, type TokenizerFamily } from './tokenizer.js';
import { RANK_OF } from './types.js';

/** Text pieces that stress a BPE budget: words, code, whitespace runs, astral characters, special-token strings, long runs. */
const fragment = fc.oneof(
  fc.constantFrom('refund ', 'invoice ', 'export function pay(x: number) {\n', '}\n', '\n\n', '    ', '日本語のテキスト', '🙂🚀', '<|endoftext|>', '---', '```', '\t', 'ÄÖÜß '),
  fc.string({ maxLength: 40 }),
  fc.nat({ max: 400 }).map((n) => 'x'.repeat(n)),
  fc.nat({ max: 300 }).map((n) => '='.repeat(n)),
);
/** A text of up to `max` fragments (0 .. ~40,000 characters). */
const text = (max: number) => fc.array(fragment, { maxLength: max }).map((parts) => parts.join(''));

const scenario = fc.record({
  budget: fc.oneof(fc.nat({ max: 64 }), fc.integer({ min: 65, max: 12_000 })),
  family: fc.constantFrom<TokenizerFamily>('cl100k_base', 'o200k_base'),
  description: text(60),
  notes: fc.array(text(40), { maxLength: 3 }),
  deps: fc.array(text(300), { maxLength: 3 }),
  siblings: fc.nat({ max: 30 }),
  files: fc.array(text(200), { minLength: 1, maxLength: 8 }),
  pinCount: fc.nat({ max: 2 }),
  namedCount: fc.nat({ max: 3 }),
  summary: fc.option(text(120), { nil: undefined }),
});

describe('budget (property)', () => {
  it('the rendered bundle never exceeds the budget, for random item sizes and budgets', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async (s) => {
        const repo = new Map(s.files.map((body, i) => [`src/f${i}.ts`, `// refund module ${i}\n${body}`]));
        const paths = [...repo.keys()];
        const bundle = await assembleContext({
          config: ProjectConfigSchema.parse({ name: 'p', vision: s.description.slice(0, 200), rules: s.notes }),
          task: TaskSchema.parse({ planId: 'p', id: 'T0', title: 'Refund invoices', description: s.description, notes: s.notes, files: paths.slice(0, s.namedCount) }),
          requires: s.deps.map((output, i) => ({ task: TaskSchema.parse({ planId: 'p', id: `D${i}`, title: `dep ${i}` }), output })),
          siblings: Array.from({ length: s.siblings }, (_, i) => TaskSchema.parse({ planId: 'p', id: `S${i}`, title: `sibling task number ${i}` })),
          refers: [],
          files: [],
          repoFiles: paths,
          readFile: async (p) => repo.get(p) ?? '',
          earlierOutputs: s.deps.map((t, i) => ({ taskId: `E${i}`, text: t })),
          docs: [],
          pins: paths.slice(paths.length - s.pinCount),
          excludes: [],
          budget: s.budget,
          family: s.family,
          ...(s.summary !== undefined ? { summarize: async () => s.summary as string } : {}),
        });
        const rendered = countTokens(renderBundle(bundle), s.family);
        expect(rendered).toBeLessThanOrEqual(s.budget);
        expect(bundle.tokens).toBe(rendered);
        const ranks = bundle.items.map((i) => RANK_OF[i.source]);
        expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
        for (const item of bundle.items) expect(item.tokens).toBe(countTokens(item.text, s.family));
      }),
      { numRuns: 150, seed: 20250611 },
    );
  }, 120_000);
});
