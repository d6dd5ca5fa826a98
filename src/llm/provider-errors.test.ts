import { describe, expect, it } from 'vitest';
import { backoffDelayMs, parseRetryAfterMs } from './provider-errors.js';
import { costUsd } from './pricing.js';

describe('parseRetryAfterMs (RFC 9110 §10.2.3)', () => {
  const now = Date.parse('2025-01-01T00:00:00Z');
  it('reads delay-seconds', () => {
    expect(parseRetryAfterMs({ 'retry-after': '0' }, now)).toBe(0);
    expect(parseRetryAfterMs({ 'Retry-After': ' 7 ' }, now)).toBe(7000);
  });
  it('reads an HTTP-date relative to now, never negative', () => {
    expect(parseRetryAfterMs({ 'retry-after': 'Wed, 01 Jan 2025 00:00:05 GMT' }, now)).toBe(5000);
    expect(parseRetryAfterMs({ 'retry-after': 'Tue, 31 Dec 2024 23:59:00 GMT' }, now)).toBe(0);
  });
  it('prefers retry-after-ms and ignores garbage', () => {
    expect(parseRetryAfterMs({ 'retry-after-ms': '250', 'retry-after': '9' }, now)).toBe(250);
    expect(parseRetryAfterMs({ 'retry-after': 'soon' }, now)).toBeUndefined();
    expect(parseRetryAfterMs({ 'retry-after': '-1' }, now)).toBeUndefined();
    expect(parseRetryAfterMs(undefined, now)).toBeUndefined();
  });
});

describe('backoffDelayMs (full jitter)', () => {
  it('doubles the ceiling per attempt up to the cap', () => {
    const top = () => 0.999999;
    expect(backoffDelayMs(1, 500, 30_000, top)).toBe(500);
    expect(backoffDelayMs(3, 500, 30_000, top)).toBe(2000);
    expect(backoffDelayMs(20, 500, 30_000, top)).toBe(30_000);
    expect(backoffDelayMs(3, 500, 30_000, () => 0)).toBe(0);
  });
});

describe('costUsd', () => {
  it('prices tokens in USD per million and is free without a price', () => {
    expect(costUsd({ inputTokens: 2_000_000, outputTokens: 1_000 }, { input: 3, output: 15 })).toBeCloseTo(6.015, 10);
    expect(costUsd({ inputTokens: 5, outputTokens: 5 })).toBe(0);
    expect(costUsd({ inputTokens: Number.NaN, outputTokens: -3 }, { input: 1, output: 1 })).toBe(0);
  });
});
