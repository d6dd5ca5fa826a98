import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signWebhook, verifyWebhook } from './signature.js';

describe('webhook signatures', () => {
  const body = '{"event":"run_finished","data":{"ok":true}}';
  const t = 1_767_000_000_000;

  it('is t=<ms>,v1=<hex HMAC-SHA256 of "t.body">, as the README documents', () => {
    const expected = createHmac('sha256', 's3cret').update(`${t}.${body}`).digest('hex');
    expect(signWebhook('s3cret', body, t)).toBe(`t=${t},v1=${expected}`);
  });

  it('verifies its own signature and refuses another secret, a changed body, an old time or garbage', () => {
    const header = signWebhook('s3cret', body, t);
    expect(verifyWebhook('s3cret', body, header, t + 1000)).toBe(true);
    expect(verifyWebhook('other', body, header, t)).toBe(false);
    expect(verifyWebhook('s3cret', body.replace('true', 'false'), header, t)).toBe(false);
    expect(verifyWebhook('s3cret', body, header, t + 301_000)).toBe(false);
    expect(verifyWebhook('s3cret', body, header.replace(/v1=../, 'v1=00'), t)).toBe(false);
    expect(verifyWebhook('s3cret', body, 'garbage', t)).toBe(false);
    expect(verifyWebhook('s3cret', body, undefined, t)).toBe(false);
  });
});
