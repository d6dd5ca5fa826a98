import { describe, expect, it } from 'vitest';
import { processTerm, tokenizeText } from './search-text.js';

const terms = (text: string) => tokenizeText(text).map(processTerm).filter((t): t is string => t !== null);

describe('identifier splitting', () => {
  it('splits camelCase, acronyms before words, and a version suffix after an acronym', () => {
    expect(tokenizeText('addRefund')).toEqual(['addRefund', 'add', 'Refund']);
    expect(tokenizeText('HTMLParser')).toEqual(['HTMLParser', 'HTML', 'Parser']);
    expect(tokenizeText('XMLHttpRequest')).toEqual(['XMLHttpRequest', 'XML', 'Http', 'Request']);
    expect(tokenizeText('UUIDv7')).toEqual(['UUIDv7', 'UUID', 'v7']);
    expect(tokenizeText('IPv6')).toEqual(['IPv6', 'IP', 'v6']);
    expect(tokenizeText('UUIDs')).toEqual(['UUIDs']);
  });

  it('makes a task word match the identifier it names: "UUIDv7" finds NewV7', () => {
    const inCode = new Set(terms('func NewV7() (UUID, error) { makeV7(uuid[:]) }'));
    expect(terms('Monotonicity in UUIDv7').filter((t) => inCode.has(t))).toEqual(expect.arrayContaining(['uuid', 'v7']));
  });
});
