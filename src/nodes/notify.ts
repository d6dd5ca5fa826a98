import { z } from 'zod';
import type { NodeExecutor } from '../engine/node-executor.js';
import { CHAT_SERVICES, chatUrl, EnvNameSchema, postChat } from '../notify/chat-webhook.js';
import { fillTemplate } from './llm-prompts.js';

const NotifyNodeConfig = z
  .object({
    /** `slack` or `discord` (their incoming webhooks) or `generic` (a JSON POST) */
    service: z.enum(CHAT_SERVICES),
    /** the environment variable holding the webhook URL (a secret: never in the graph, the key or a record) */
    urlEnv: EnvNameSchema,
    /** the message; `{{name}}` is replaced by input `name` (a string as is, anything else as pretty JSON: `llm-prompts.ts` fillTemplate) */
    text: z.string().min(1),
    /** a short first line (bold in Slack and Discord) */
    title: z.string().min(1).optional(),
    /** ms each request may take; default 10,000 */
    timeoutMs: z.number().int().positive().max(120_000).default(10_000),
    /** tries after the first on 429/5xx/timeouts/network errors (backoff: core/backoff.ts); default 3 */
    retries: z.number().int().min(0).max(10).default(3),
  })
  .strict();

/** Config of a `notify` node. */
export type NotifyNodeConfig = z.infer<typeof NotifyNodeConfig>;

/**
 * `notify` nodes (issue 16): post a message to a Slack or Discord incoming webhook or a generic
 * webhook (`notify/chat-webhook.ts`: payload per service, secrets redacted, retries with backoff).
 * The URL is read from the environment variable `urlEnv` when the node runs. Output
 * `{ service, status, attempts, chars }` (never the URL).
 *
 * Cached like any node: the key is the config (service, `urlEnv` — the variable's name, not the
 * URL — text, title) and the inputs, so an unchanged re-run does not post the same message again;
 * `taskgraph run --force NODE` re-sends. Not replayed from a cassette (no model call).
 * Errors: CONFIG_INVALID (variable unset or not a URL), NOTIFY_FAILED (refused, or every try
 * failed; retryable when the last failure was transient, so a node `retry:` policy applies).
 */
export const notifyExecutor: NodeExecutor<NotifyNodeConfig> = {
  kind: 'notify',
  version: 1,
  configSchema: NotifyNodeConfig,
  cacheable: true,
  sideEffects: () => false,
  async execute(config, inputs, ctx) {
    const url = chatUrl(config.urlEnv);
    const text = fillTemplate(config.text, inputs);
    const title = config.title !== undefined ? fillTemplate(config.title, inputs) : undefined;
    const delivery = await postChat(
      config.service,
      url,
      { text, ...(title !== undefined ? { title } : {}), event: 'node', data: { run: ctx.runId, node: ctx.node.id } },
      { timeoutMs: config.timeoutMs, retries: config.retries, signal: ctx.signal },
    );
    ctx.log(`${config.service} notification delivered (HTTP ${delivery.status}, ${delivery.attempts} request${delivery.attempts === 1 ? '' : 's'})`);
    return { status: 'succeeded', output: { service: delivery.service, status: delivery.status, attempts: delivery.attempts, chars: text.length } };
  },
};
