import { networkReason, retryHttp } from '../core/http-retry.js';
import type { CHAT_SERVICES } from '../core/config.js';
import { TaskgraphError } from '../core/errors.js';
import type { Json } from '../core/json.js';
import { parseRetryAfterMs } from '../llm/provider-errors.js';
import { secretRedactor } from '../security/redact.js';

/**
 * Chat notifications (issue 16 `notify`): one message posted to a Slack or Discord incoming
 * webhook, or to a generic webhook as JSON. Used by `notify` nodes (`nodes/notify.ts`), by the
 * person notifications of `notify:` (`engine/notify-person.ts`: approvals) and by the run
 * notices (`engine/notify-chat.ts`: runs finished, budgets reached). The webhook URL is a secret
 * (whoever has it can post): it is read from an environment variable named in the config and
 * never recorded, logged or put in an error.
 */

export { CHAT_SERVICES, EnvNameSchema } from '../core/config.js';

/** One of {@link CHAT_SERVICES}. */
export type ChatService = (typeof CHAT_SERVICES)[number];

/** A message before it is shaped for a service. */
export interface ChatMessage {
  /** the message text (plain text; redacted of secrets before it leaves) */
  text: string;
  /** a short first line, shown in bold where the service has bold */
  title?: string;
  /** generic webhooks only: the event name (`approval_requested`, `run_finished`, `budget_reached`, or a node's) */
  event?: string;
  /** generic webhooks only: structured data sent beside the text */
  data?: Record<string, Json>;
}

/**
 * Characters of text a message carries at most: Discord's `content` limit is 2,000 characters
 * (discord.com/developers/docs/resources/webhook#execute-webhook); Slack truncates past 40,000
 * and shows 4,000 comfortably (api.slack.com/methods/chat.postMessage "Truncating content").
 */
export const TEXT_LIMIT: Readonly<Record<ChatService, number>> = { slack: 4_000, discord: 2_000, generic: 16_000 };

/** Slack mrkdwn escaping (api.slack.com/reference/surfaces/formatting#escaping): `&`, `<`, `>` only. */
export function escapeSlack(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function cut(text: string, limit: number): string {
  return text.length <= limit ? text : `${text.slice(0, limit - 1)}…`;
}

/**
 * The JSON body a service expects for `message` (secrets redacted, text cut to {@link TEXT_LIMIT}):
 * - Slack incoming webhook: `{ text }`, mrkdwn with `&<>` escaped and the title in `*bold*`
 *   (api.slack.com/messaging/webhooks);
 * - Discord execute webhook: `{ content, allowed_mentions: { parse: [] } }`, the title in `**bold**`;
 *   no mention in the text pings anyone (`@everyone` in a task title stays text);
 * - generic: `{ text, title?, event?, data? }`.
 */
export function chatPayload(service: ChatService, message: ChatMessage): Record<string, Json> {
  const redactor = secretRedactor();
  const text = redactor.redact(message.text);
  const title = message.title !== undefined ? redactor.redact(message.title) : undefined;
  switch (service) {
    case 'slack':
      return { text: cut(title ? `*${escapeSlack(title)}*\n${escapeSlack(text)}` : escapeSlack(text), TEXT_LIMIT.slack) };
    case 'discord':
      return { content: cut(title ? `**${title}**\n${text}` : text, TEXT_LIMIT.discord), allowed_mentions: { parse: [] } };
    case 'generic':
      return {
        text: cut(text, TEXT_LIMIT.generic),
        ...(title !== undefined ? { title } : {}),
        ...(message.event !== undefined ? { event: message.event } : {}),
        ...(message.data !== undefined ? { data: redactor.redactValue(message.data) } : {}),
      };
  }
}

/**
 * The webhook URL held by environment variable `urlEnv`.
 * @throws TaskgraphError CONFIG_INVALID when it is unset or not an http(s) URL (the message names the variable, never its value)
 */
export function chatUrl(urlEnv: string, env: NodeJS.ProcessEnv = process.env): string {
  const value = env[urlEnv]?.trim();
  if (!value) {
    throw new TaskgraphError('CONFIG_INVALID', `environment variable ${urlEnv} (the chat webhook URL) is not set`, { details: { urlEnv }, hint: `export ${urlEnv}=<the incoming webhook URL> before the run` });
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new TaskgraphError('CONFIG_INVALID', `environment variable ${urlEnv} does not hold a URL`, { details: { urlEnv }, hint: `set ${urlEnv} to the webhook's https:// URL` });
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new TaskgraphError('CONFIG_INVALID', `environment variable ${urlEnv} holds a ${url.protocol} URL; a webhook URL is http(s)`, { details: { urlEnv } });
  }
  return url.href;
}

/** Options of {@link postChat}. */
export interface PostChatOptions {
  /** ms each request may take; default 10,000 */
  timeoutMs?: number;
  /** tries after the first on 429, 5xx, timeouts and network errors; default 3 */
  retries?: number;
  /** backoff ceiling after the first failure, ms (core/backoff.ts); default 500 */
  baseMs?: number;
  /** backoff ceiling bound, ms; default 10,000 */
  maxMs?: number;
  /** a Retry-After longer than this (ms) is not waited for: the delivery fails; default 60,000 */
  maxRetryAfterMs?: number;
  signal?: AbortSignal;
  /** the HTTP client; default the global `fetch` */
  fetch?: typeof fetch;
}

/** What a delivered message took. */
export interface ChatDelivery {
  service: ChatService;
  /** HTTP status of the accepted request (Slack 200, Discord 204) */
  status: number;
  /** requests made, the accepted one included */
  attempts: number;
}

/**
 * POSTs `message` to `url` shaped for `service` ({@link chatPayload}), retrying transient failures
 * (HTTP 429 and 5xx, timeouts, network errors) with p-retry: the wait is the response's
 * Retry-After (Discord also sends it as JSON `retry_after`, seconds) or exponential backoff with
 * full jitter (`core/backoff.ts`).
 * @throws TaskgraphError NOTIFY_FAILED (details: service, status, attempts; never the URL) when
 *   the service refuses the message (other 4xx) or every try failed; ABORTED when `signal` fires
 */
export async function postChat(service: ChatService, url: string, message: ChatMessage, options: PostChatOptions = {}): Promise<ChatDelivery> {
  const body = JSON.stringify(chatPayload(service, message));
  const timeoutMs = options.timeoutMs ?? 10_000;
  const doFetch = options.fetch ?? fetch;
  const maxRetryAfterMs = options.maxRetryAfterMs ?? 60_000;
  const fail = (why: string, retryable: boolean, extra: Record<string, unknown> = {}) =>
    new TaskgraphError('NOTIFY_FAILED', `${service} webhook: ${why}`, { retryable, details: { service, ...extra } });
  const once = async (): Promise<ChatDelivery> => {
    let response: Response;
    try {
      const signals = [AbortSignal.timeout(timeoutMs), ...(options.signal ? [options.signal] : [])];
      response = await doFetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body, signal: AbortSignal.any(signals) });
    } catch (error) {
      if (options.signal?.aborted) throw new TaskgraphError('ABORTED', `${service} notification aborted`);
      const e = error as Error;
      // the message of a fetch error can name the URL: only its kind is kept
      throw fail(e.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : `request failed (${networkReason(e)})`, true);
    }
    const text = await response.text().catch(() => '');
    if (response.ok) return { service, status: response.status, attempts: 0 };
    const retryable = response.status === 429 || response.status >= 500;
    const headers = Object.fromEntries(response.headers.entries());
    let retryAfterMs = parseRetryAfterMs(headers);
    if (retryAfterMs === undefined && response.status === 429) {
      try {
        const seconds = (JSON.parse(text) as { retry_after?: unknown }).retry_after;
        if (typeof seconds === 'number') retryAfterMs = Math.ceil(seconds * 1000);
      } catch {
        // not JSON: backoff decides
      }
    }
    // the answer is the service's own short code (Slack: `invalid_payload`, `no_service`); cut, it names no secret
    const said = text.replace(/\s+/g, ' ').trim().slice(0, 120);
    throw fail(`answered HTTP ${response.status}${said ? ` (${said})` : ''}`, retryable, { status: response.status, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) });
  };
  const { value: delivery, tries } = await retryHttp(once, { ...options, maxRetryAfterMs }, (error, tries) => fail(`request failed (${networkReason(error)})`, false, { attempts: tries }), `${service} notification`);
  return { ...delivery, attempts: tries };
}

