import { describe, expect, it } from 'vitest';
import { countTokens, tokenizerFamily } from './tokenizer.js';

describe('countTokens', () => {
  it('counts with the real vocabularies', () => {
    // "hello world" is two tokens in both encodings; "<|endoftext|>" counts as text, not a control token
    expect(countTokens('hello world', 'cl100k_base')).toBe(2);
    expect(countTokens('hello world', 'o200k_base')).toBe(2);
    expect(countTokens('', 'cl100k_base')).toBe(0);
    expect(countTokens('<|endoftext|>', 'cl100k_base')).toBeGreaterThan(1);
    // o200k has a larger vocabulary: never more tokens than cl100k on ordinary code
    const code = 'export function computeCartTotal(lines: CartLine[]): number {\n  return lines.reduce((s, l) => s + l.qty * l.price, 0);\n}\n';
    expect(countTokens(code, 'o200k_base')).toBeLessThanOrEqual(countTokens(code, 'cl100k_base'));
    expect(countTokens(code, 'cl100k_base')).toBeGreaterThan(20);
  });

  it('counts long single-class runs in slices, close to and not below the exact count', () => {
    const run = 'abcdefgh'.repeat(40); // 320 letters: one pre-token, exact encoding still fast enough to compare
    const exact = countTokens(`${run.slice(0, 120)}`, 'cl100k_base') + countTokens(run.slice(120, 240), 'cl100k_base') + countTokens(run.slice(240), 'cl100k_base');
    const sliced = countTokens(run, 'cl100k_base');
    expect(sliced).toBeGreaterThan(0);
    expect(Math.abs(sliced - exact)).toBeLessThanOrEqual(8);
    const t0 = performance.now();
    const big = countTokens(`${'x'.repeat(50_000)}\n${'='.repeat(20_000)}\n${' '.repeat(10_000)}end`, 'o200k_base');
    // exact BPE on a 50,000-letter pre-token takes minutes in js-tiktoken; sliced it is instant
    expect(performance.now() - t0).toBeLessThan(5_000);
    expect(big).toBeGreaterThan(1000);
  });
});

describe('tokenizerFamily', () => {
  it('maps OpenAI models to their encodings and others to the documented approximation', () => {
    expect(tokenizerFamily({ provider: 'openai', model: 'gpt-4o' })).toBe('o200k_base');
    expect(tokenizerFamily({ provider: 'openai', model: 'gpt-4o-mini' })).toBe('o200k_base');
    expect(tokenizerFamily({ provider: 'openai', model: 'gpt-4.1-2025-04-14' })).toBe('o200k_base');
    expect(tokenizerFamily({ provider: 'openai', model: 'o3-mini' })).toBe('o200k_base');
    expect(tokenizerFamily({ provider: 'openai', model: 'gpt-5' })).toBe('o200k_base');
    expect(tokenizerFamily({ provider: 'openai', model: 'gpt-5.1-codex' })).toBe('o200k_base');
    expect(tokenizerFamily({ provider: 'openai', model: 'gpt-4' })).toBe('cl100k_base');
    expect(tokenizerFamily({ provider: 'openai', model: 'gpt-4-turbo' })).toBe('cl100k_base');
    expect(tokenizerFamily({ provider: 'openai', model: 'gpt-3.5-turbo' })).toBe('cl100k_base');
    expect(tokenizerFamily({ provider: 'openai-compatible', model: 'openai/gpt-4o' })).toBe('o200k_base');
    expect(tokenizerFamily({ provider: 'anthropic', model: 'claude-sonnet-4-5' })).toBe('cl100k_base');
    expect(tokenizerFamily({ provider: 'openai-compatible', model: 'qwen2.5-coder:7b' })).toBe('cl100k_base');
    expect(tokenizerFamily({ provider: 'openai-compatible', model: 'llama-3.1-8b-instruct' })).toBe('cl100k_base');
    expect(tokenizerFamily(undefined)).toBe('cl100k_base');
  });
});
