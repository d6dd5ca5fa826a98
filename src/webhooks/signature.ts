import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Webhook signatures (issue 13), in the manner of Stripe's: the header
 * `X-Taskgraph-Signature: t=<unix ms>,v1=<hex HMAC-SHA256 of "<t>.<body>">`, keyed with the
 * webhook's secret. The time is inside the signed text, so a receiver can refuse old replays.
 */

/** Header carrying the signature. */
export const SIGNATURE_HEADER = 'X-Taskgraph-Signature';
/** Header carrying the delivery id (the same on every retry of one delivery: dedupe on it). */
export const DELIVERY_HEADER = 'X-Taskgraph-Delivery';
/** Header carrying the event name. */
export const EVENT_HEADER = 'X-Taskgraph-Event';

/**
 * The signature header's value for `body` sent at `timestampMs`.
 * @param secret the shared secret (UTF-8)
 * @param body the exact request body
 * @param timestampMs ms since the Unix epoch
 */
export function signWebhook(secret: string, body: string, timestampMs: number): string {
  const mac = createHmac('sha256', secret).update(`${timestampMs}.${body}`).digest('hex');
  return `t=${timestampMs},v1=${mac}`;
}

/**
 * Checks a signature header against `body` (constant-time compare).
 * @param header the `X-Taskgraph-Signature` value received
 * @param toleranceMs refuse a timestamp further than this from `nowMs` (default 5 minutes)
 * @returns true when some `v1` matches and the time is within tolerance; false otherwise (never throws)
 */
export function verifyWebhook(secret: string, body: string, header: string | undefined | null, nowMs = Date.now(), toleranceMs = 300_000): boolean {
  if (!header) return false;
  const parts = header.split(',').map((p) => p.trim().split('='));
  const t = Number(parts.find(([k]) => k === 't')?.[1]);
  if (!Number.isSafeInteger(t) || Math.abs(nowMs - t) > toleranceMs) return false;
  const expected = Buffer.from(signWebhook(secret, body, t).split('v1=')[1]!, 'hex');
  return parts.some(([k, v]) => {
    if (k !== 'v1' || v === undefined) return false;
    const got = Buffer.from(v, 'hex');
    return got.length === expected.length && timingSafeEqual(got, expected);
  });
}
