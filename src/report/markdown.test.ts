import { describe, expect, it } from 'vitest';
import { cell, closeOpenFence, code, codeBlock, formatDuration, table, usd } from './markdown.js';
import { redactSecrets } from './redact.js';
import { shellQuote } from './report.js';

describe('markdown helpers', () => {
  it('escapes table cells', () => {
    expect(cell('a|b\nc')).toBe('a\\|b c');
    expect(cell('')).toBe('—');
    expect(table(['x', 'n'], [['a', 1]], ['l', 'r'])).toBe('| x | n |\n| --- | ---: |\n| a | 1 |');
  });

  it('builds code spans and blocks that survive backticks', () => {
    expect(code('a`b')).toBe('``a`b``');
    expect(code('`x')).toBe('`` `x ``');
    expect(codeBlock('x\n````\ny', 'sh')).toBe('`````sh\nx\n````\ny\n`````');
  });

  it('closes an unterminated fence only', () => {
    expect(closeOpenFence('a\n```\nb\n```')).toBe('a\n```\nb\n```');
    expect(closeOpenFence('a\n```\nb')).toBe('a\n```\nb\n```');
    expect(closeOpenFence('````\n```\nb')).toBe('````\n```\nb\n````');
  });

  it('formats durations and dollars', () => {
    expect(formatDuration(850)).toBe('850 ms');
    expect(formatDuration(12_340)).toBe('12.3 s');
    expect(formatDuration(125_000)).toBe('2m 05s');
    expect(formatDuration(7_380_000)).toBe('2h 03m');
    expect(formatDuration(Number.NaN)).toBe('—');
    expect(usd(0.00005)).toBe('0.0001');
    expect(usd(1.5)).toBe('1.5000');
  });
});

describe('shellQuote', () => {
  it('quotes only when needed', () => {
    expect(shellQuote('taskgraph/R1')).toBe('taskgraph/R1');
    expect(shellQuote("/tmp/my dir/it's")).toBe(`'/tmp/my dir/it'\\''s'`);
  });
});

describe('redactSecrets', () => {
  it('replaces secret env values and bearer tokens, leaving short and non-secret values', () => {
    const env = { OPENAI_API_KEY: 'sk-abcdefgh1234', GH_TOKEN: 'short', HOME: '/home/averyverylongpath' };
    const text = 'key sk-abcdefgh1234 tok short home /home/averyverylongpath\nauthorization: Basic dXNlcjpwYXNz';
    expect(redactSecrets(text, env)).toBe(
      'key [redacted] tok short home /home/averyverylongpath\nauthorization: Basic [redacted]',
    );
  });
});
