import { describe, expect, it } from 'vitest';
import { REDACTED, Redactor, secretValues } from './redact.js';

// Sample credentials in each known format, built from parts so this file holds no literal key.
const SAMPLES: Record<string, string> = {
  openai: `sk-${'a1B2c3D4e5'.repeat(4)}`,
  openaiProject: `sk-proj-${'Ab3_-xY9'.repeat(10)}T3BlbkFJ${'Zq8'.repeat(20)}`,
  anthropic: `sk-ant-api03-${'Qw9-Er8_Ty7'.repeat(8)}AA`,
  githubPat: `ghp_${'a1B2c3'.repeat(6)}`,
  githubOauth: `gho_${'Z9y8X7'.repeat(6)}`,
  githubApp: `ghs_${'k4L5m6'.repeat(6)}`,
  githubFine: `github_pat_${'11ABCDEFG0'.repeat(3)}_${'xYz123'.repeat(9)}`,
  aws: `AKIA${'IOSFODNN7EXAMPLE'}`,
  slack: `xoxb-${'1234567890'}-${'0987654321'}-${'aBcDeF'.repeat(4)}`,
  google: `AIza${'Sy0123456789abcdefghijklmnopqrstuvw'}`,
  jwt: `eyJ${'hbGciOiJIUzI1NiJ9'}.eyJ${'zdWIiOiIxMjM0NTY3ODkwIn0'}.${'dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U'}`,
};
const PEM = `-----BEGIN RSA PRIVATE KEY-----\n${'MIIEpAIBAAKCAQEA0Z3VS5JJcds3xfn/ygWyF8PbnGy0AHB7MhgHcTz6sE2I2yPB\n'.repeat(4)}-----END RSA PRIVATE KEY-----`;

describe('Redactor', () => {
  const plain = new Redactor({ env: {} });

  it('redacts every known key format and leaves the text around it', () => {
    for (const [name, key] of Object.entries(SAMPLES)) {
      expect(plain.redact(`before ${key} after`), name).toBe(`before ${REDACTED} after`);
      expect(plain.test(`x=${key}`), name).toBe(true);
    }
  });

  it('redacts a PEM private key block whole, also when written with \\n escapes or cut off before its END line', () => {
    expect(plain.redact(`key:\n${PEM}\nend`)).toBe(`key:\n${REDACTED}\nend`);
    const escaped = JSON.stringify(PEM).slice(1, -1);
    expect(plain.redact(`"${escaped}"`)).toBe(`"${REDACTED}"`);
    const cut = PEM.slice(0, PEM.indexOf('-----END'));
    expect(plain.redact(cut)).not.toMatch(/MIIEpA/);
  });

  it('keeps the Authorization header and scheme, redacts the credential', () => {
    expect(plain.redact('authorization: Basic dXNlcjpwYXNz')).toBe(`authorization: Basic ${REDACTED}`);
    expect(plain.redact('Authorization: Bearer abc.def')).toBe(`Authorization: Bearer ${REDACTED}`);
    expect(plain.redact('curl -H "Authorization: Bearer tok3n-value" x')).toBe(`curl -H "Authorization: Bearer ${REDACTED}" x`);
    expect(plain.redact('sent Bearer a1b2c3d4e5f6 to it')).toBe(`sent Bearer ${REDACTED} to it`);
  });

  it('leaves ordinary text alone (same string back)', () => {
    const texts = [
      'Bearer authentication is described in RFC 6750',
      'task-abcdefghijklmnopqrstuvwxyz and disk-0123456789abcdefghijkl',
      'FAIL multiply multiplies: expected -6, got 6',
      'sha256 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
      'sk-short',
    ];
    for (const text of texts) {
      expect(plain.redact(text)).toBe(text);
      expect(plain.test(text)).toBe(false);
    }
  });

  it('redacts values of secret-named variables, profile-named variables and provider defaults, of 8+ characters', () => {
    const env = {
      MY_SERVICE_TOKEN: 'tok-value-123',
      STRIPE_KEY: 'stripe-value-1',
      db_password_file: 'hunter2hunter2',
      GH_TOKEN: 'short',
      LLM_ACCESS: 'llm-access-value',
      OPENAI_API_KEY: 'openai-value-x',
      HOME: '/home/averyverylongpath',
      KEYBOARD: 'not-a-secret-value',
    };
    const r = new Redactor({ env, names: ['LLM_ACCESS', undefined] });
    const text = Object.values(env).join(' | ');
    expect(r.redact(text)).toBe(
      [REDACTED, REDACTED, REDACTED, 'short', REDACTED, REDACTED, '/home/averyverylongpath', 'not-a-secret-value'].join(' | '),
    );
    // without the profile's name, LLM_ACCESS is not a secret
    expect(new Redactor({ env }).redact('llm-access-value')).toBe('llm-access-value');
  });

  it('replaces a value containing another value whole (longest first)', () => {
    const r = new Redactor({ env: { A_TOKEN: 'abcdefgh', B_TOKEN: 'abcdefgh-and-more' } });
    expect(r.redact('x abcdefgh-and-more y abcdefgh')).toBe(`x ${REDACTED} y ${REDACTED}`);
    expect(secretValues({ A_TOKEN: ' padded-value ', B: 'abcdefghij', MAX_TOKENS: '100000000' })).toEqual(['padded-value']);
  });

  it('treats regex metacharacters in values literally', () => {
    const r = new Redactor({ env: { X_SECRET: 'a.b*c+d?(e)[f]' } });
    expect(r.redact('a.b*c+d?(e)[f] and aXbbbcd')).toBe(`${REDACTED} and aXbbbcd`);
  });

  it('redacts JSON structurally: still valid JSON, same shape, keys too; the same object back when clean', () => {
    const r = new Redactor({ env: { Q_TOKEN: 'has"quote\\and\nnewline', N_TOKEN: 'n-12345678' } });
    const value = { out: 'x has"quote\\and\nnewline y', n: 12345678, s: 'id n-12345678', nested: [{ [`k ${SAMPLES.aws}`]: true }], ok: 'fine' };
    const text = JSON.stringify(value);
    expect(r.test(text)).toBe(true);
    const back = JSON.parse(r.redactJsonText(text));
    expect(back).toEqual({ out: `x ${REDACTED} y`, n: 12345678, s: `id ${REDACTED}`, nested: [{ [`k ${REDACTED}`]: true }], ok: 'fine' });
    expect(JSON.parse(r.json(value)!)).toEqual(back);
    expect(r.json(undefined)).toBeNull();
    const clean = { a: ['b', { c: 'd' }], e: 1 };
    expect(r.redactValue(clean)).toBe(clean);
    expect(r.redactJsonText(JSON.stringify(clean))).toBe(JSON.stringify(clean));
  });

  it('gives up the shape rather than keep a secret the walk cannot reach', () => {
    const r = new Redactor({ env: { S_TOKEN: 'a","b-secret' } });
    // the value spans two JSON strings: no single string holds it
    const spanning = ['x a', 'b-secret y'];
    expect(JSON.stringify(spanning)).toContain('a","b-secret');
    expect(r.json(spanning)).toBe(JSON.stringify(REDACTED));
    let deep: unknown = `key ${SAMPLES.aws}`;
    for (let i = 0; i < 300; i++) deep = [deep];
    expect(r.json(deep)).toBe(JSON.stringify(REDACTED));
    expect(r.redactJson({ a: 1 })).toEqual({ value: { a: 1 }, text: '{"a":1}' });
  });

  it('gives a clean multi-KB text back unchanged with many secret values loaded', () => {
    const r = new Redactor({ env: Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`S${i}_TOKEN`, `secret-value-${i}-xyz`])) });
    const text = 'FAIL some test: expected 6 to be -6\n    at Object.<anonymous> (test/calc.test.mjs:12:5)\n'.repeat(40);
    expect(r.redact(text)).toBe(text);
  });
});
