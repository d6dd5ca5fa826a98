import { describe, expect, it } from 'vitest';
import { hashJson, sha256 } from '../core/hash.js';
import type { Json } from '../core/json.js';
import { countTokens } from '../context/tokenizer.js';
import { editSystemPrompt, renderEditPrompt } from '../nodes/llm-prompts.js';
import { retryPromptFigures, type StoredAttempt } from './retry-prompt.js';

// attempt rows shaped as the store holds them: the edit attempt's ingredients name its context
// bundle by hash and carry hashJson(sha256(system \0 prompt)), as src/nodes/llm.ts records them
const BUGGY = '--- a/src/calc.js\n+++ b/src/calc.js\n@@ -1,1 +1,4 @@\n export const x = 1;\n+export function multiply(a, b) {\n+  return Math.abs(a) * b;\n+}\n';
const ERROR = 'FAIL multiply multiplies: expected -6, got 6';
const TASK = '# Task T1: Add multiply\nAdd multiply(a, b).';
const NOTE = `## Notes from earlier attempts (fix these problems)\n### Note 1\nAttempt 1 failed at T1/verify (VERIFY_FAILED)\nOutput:\n\`\`\`\n${ERROR}\n\`\`\``;
const PREVIOUS = `#### Previous attempt: the edit of attempt 1\nThis is the edit attempt 1 made.\n\`\`\`diff\n${BUGGY}\`\`\``;
const PIN = { source: 'failure', title: 'test/calc.test.mjs:9-13', text: "# Named by the failure of attempt 1: test/calc.test.mjs lines 9-13\n```js\ncheck('multiply multiplies', () => {});\n```" };
const FILE = { source: 'file', title: 'src/calc.js', text: '# File src/calc.js\n```js\nexport const x = 1;\n```' };

type Item = { source: string; title: string; text: string };
const bundle = (items: Item[], budget = 24_000) => ({ task: 'T1', family: 'cl100k_base', budget, tokens: 0, items });

function attempts(retryItems: Item[], opts: { budget?: number; verifyOutput?: string; tamper?: boolean } = {}): StoredAttempt[] {
  const rows: StoredAttempt[] = [];
  let n = 0;
  const context = (b: ReturnType<typeof bundle>): StoredAttempt => ({
    node_id: 'T1/context', number: ++n, status: 'succeeded', output: JSON.stringify(b), output_hash: hashJson(b), error: null, ingredients: '{}', input_tokens: 0,
  });
  const edit = (number: number, b: ReturnType<typeof bundle>, text: string): StoredAttempt => {
    const prompt = renderEditPrompt(b as unknown as Json);
    const template = hashJson(sha256(`${editSystemPrompt('udiff')}\u0000${prompt}${opts.tamper && number === 2 ? ' ' : ''}`));
    return {
      node_id: 'T1/edit', number, status: 'succeeded', output: JSON.stringify({ text, format: 'udiff' }), output_hash: 'e', error: null,
      ingredients: JSON.stringify({ kind: 'llm', inputs: { context: hashJson(b) }, extra: { template } }), input_tokens: 100 * number,
    };
  };
  const b1 = bundle([{ source: 'task', title: 'task T1', text: TASK }, FILE]);
  const b2 = bundle(retryItems, opts.budget);
  rows.push(context(b1), edit(1, b1, `Here it is.\n\n\`\`\`diff\n${BUGGY}\`\`\`\n`));
  const error = { code: 'VERIFY_FAILED', message: 'verify failed', retryable: false, details: { output: opts.verifyOutput ?? `ok add\n${ERROR}\n` } };
  rows.push({ node_id: 'T1/verify', number: 1, status: 'failed', output: '{"passed":false}', output_hash: 'v', error: JSON.stringify(error), ingredients: '{}', input_tokens: 0 });
  rows.push(context(b2), edit(2, b2, 'fixed'));
  // a cached row of the same node (as a resumed run records it) must not be picked, wherever it is
  rows.unshift({ ...rows[rows.length - 1]!, status: 'cached', input_tokens: 0 });
  return rows;
}

const FULL_RETRY: Item[] = [{ source: 'task', title: 'task T1', text: `${TASK}\n\n${NOTE}\n\n${PREVIOUS}` }, PIN, FILE];

describe('retryPromptFigures', () => {
  it('counts both prompts in the bundle family and passes every check when the retry carries diff, pin and error line', () => {
    const f = retryPromptFigures(attempts(FULL_RETRY), 'T1', ERROR);
    const retryPrompt = renderEditPrompt(bundle(FULL_RETRY) as unknown as Json);
    expect(f.retry.promptTokens).toBe(countTokens(editSystemPrompt('udiff'), 'cl100k_base') + countTokens(retryPrompt, 'cl100k_base'));
    expect(f.retry.promptTokens).toBeGreaterThan(f.first.promptTokens);
    expect(f.ratio).toBeCloseTo(f.retry.promptTokens / f.first.promptTokens, 10);
    expect([f.first.reportedInputTokens, f.retry.reportedInputTokens]).toEqual([100, 200]);
    expect(f.budget).toBe(24_000);
    expect(f.pinned).toBe('test/calc.test.mjs:9-13');
    expect(f.checks).toEqual({ previousDiff: true, failingRegion: true, errorLine: true, withinBudget: true, promptsMatchStore: true });
    expect(f.ok).toBe(true);
  });

  it('flags a retry without the previous diff, without the pinned block, or missing an added line', () => {
    const noDiff = retryPromptFigures(attempts([{ source: 'task', title: 'task T1', text: `${TASK}\n\n${NOTE}` }, PIN, FILE]), 'T1', ERROR);
    expect(noDiff.checks.previousDiff).toBe(false);
    expect(noDiff.ok).toBe(false);

    const partial = PREVIOUS.replace('+  return Math.abs(a) * b;\n', '');
    const cut = retryPromptFigures(attempts([{ source: 'task', title: 'task T1', text: `${TASK}\n\n${NOTE}\n\n${partial}` }, PIN, FILE]), 'T1', ERROR);
    expect(cut.checks.previousDiff).toBe(false);

    const noPin = retryPromptFigures(attempts([FULL_RETRY[0]!, FILE]), 'T1', ERROR);
    expect(noPin.checks.failingRegion).toBe(false);
    expect(noPin.pinned).toBeNull();
  });

  it('flags an error line the verify output did not print, a bundle over budget, and a prompt the store did not record', () => {
    expect(retryPromptFigures(attempts(FULL_RETRY, { verifyOutput: 'all good' }), 'T1', ERROR).checks.errorLine).toBe(false);
    expect(retryPromptFigures(attempts(FULL_RETRY), 'T1', 'expected 42, got 41').checks.errorLine).toBe(false);

    const tight = retryPromptFigures(attempts(FULL_RETRY, { budget: 150 }), 'T1', ERROR);
    expect(tight.retry.bundleTokens).toBeGreaterThan(150);
    expect(tight.checks.withinBudget).toBe(false);

    const tampered = retryPromptFigures(attempts(FULL_RETRY, { tamper: true }), 'T1', ERROR);
    expect(tampered.first.matchesStore).toBe(true);
    expect(tampered.retry.matchesStore).toBe(false);
    expect(tampered.checks.promptsMatchStore).toBe(false);
  });

  it('throws when the run has no retry or the bundle an edit consumed is missing', () => {
    const rows = attempts(FULL_RETRY);
    expect(() => retryPromptFigures(rows.filter((r) => !(r.node_id === 'T1/edit' && r.number === 2)), 'T1', ERROR)).toThrow('no executed attempt 2 of T1/edit');
    expect(() => retryPromptFigures(rows.filter((r) => !(r.node_id === 'T1/context' && r.number === 2)), 'T1', ERROR)).toThrow(/edit attempt 2 of T1 consumed a context bundle/);
  });
});
