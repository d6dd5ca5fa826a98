import { describe, expect, it } from 'vitest';
import { jsonTextDepth, MAX_DOCUMENT_DEPTH, valueDepth } from './document-depth.js';

/** `[[[...]]]` nested `n` deep, built without recursion. */
function deepArray(n: number): unknown {
  const root: unknown[] = [];
  let cur = root;
  for (let i = 1; i < n; i++) {
    const next: unknown[] = [];
    cur.push(next);
    cur = next;
  }
  return root;
}

describe('document depth, measured without recursion', () => {
  it('jsonTextDepth counts brackets outside strings, escapes included', () => {
    expect(jsonTextDepth('1')).toBe(0);
    expect(jsonTextDepth('{"a": [1, {"b": []}]}')).toBe(4);
    expect(jsonTextDepth('{"a": "[[[[{{{{", "b": "\\"[[["}')).toBe(1);
    expect(jsonTextDepth(`${'['.repeat(20_000)}${']'.repeat(20_000)}`)).toBe(20_000);
    expect(jsonTextDepth(`${'['.repeat(20_000)}`, MAX_DOCUMENT_DEPTH)).toBe(MAX_DOCUMENT_DEPTH + 1);
  });

  it('valueDepth walks a 20,000-deep value with an explicit stack', () => {
    expect(valueDepth('x')).toBe(0);
    expect(valueDepth({ a: [1, { b: [] }] })).toBe(4);
    expect(valueDepth(deepArray(20_000))).toBe(20_000);
    expect(valueDepth(deepArray(20_000), MAX_DOCUMENT_DEPTH)).toBe(MAX_DOCUMENT_DEPTH + 1);
    const shared = { x: [1] };
    expect(valueDepth({ a: shared, b: shared })).toBe(3);
  });
});
