import { z } from 'zod';
import { fetchPage, type FetchPageOptions } from '../context/web-page.js';
import type { NodeContext, NodeExecutor } from '../engine/node-executor.js';

const WebConfig = z
  .object({
    /** the page (http or https; its host must be in policy.safety.webHosts) */
    url: z.string().min(1),
    /** ms a fetched page is reused without a request (default 1 h); after it a conditional request revalidates it */
    ttlMs: z.number().int().min(0).default(3_600_000),
    /** UTF-8 bytes of Markdown kept at most (default 200,000); the output says when it was cut */
    maxBytes: z.number().int().min(1_000).max(10_000_000).default(200_000),
    /** ms the request may take (default 30,000) */
    timeoutMs: z.number().int().positive().max(300_000).default(30_000),
  })
  .strict();

/** Config of a `web` node. */
export type WebConfig = z.infer<typeof WebConfig>;

function pageOptions(config: WebConfig, ctx: NodeContext): FetchPageOptions {
  return { allow: ctx.config.policy.safety.webHosts, what: `web node ${ctx.node.id}`, ttlMs: config.ttlMs, maxBytes: config.maxBytes, timeoutMs: config.timeoutMs, signal: ctx.signal };
}

/**
 * `web` nodes (issue 16), a context source: a web page as Markdown (`context/web-page.ts`:
 * Readability + turndown, hosts from `policy.safety.webHosts` only, a file cache with a TTL and
 * conditional requests). Output `{ url, finalUrl, title, markdown, bytes, truncated, sha256 }`;
 * an `llm` node takes it as an input like any upstream output.
 *
 * Cache key adds the SHA-256 of the page's Markdown as it is now: working it out reads the page
 * cache, so within the TTL no request is made, a 304 keeps the key (and the engine's cached
 * output), and a changed page changes the key and re-runs the node and its downstream cone
 * (which then reads the page just cached: one request per change). Errors: WEB_HOST_DENIED,
 * WEB_FETCH_FAILED (retryable for 429/5xx/network, so a node `retry:` policy applies),
 * CONFIG_INVALID (not an http(s) URL).
 */
export const webExecutor: NodeExecutor<WebConfig> = {
  kind: 'web',
  version: 1,
  configSchema: WebConfig,
  cacheable: true,
  sideEffects: () => false,
  async keyIngredients(config, _inputs, ctx) {
    const { page } = await fetchPage(config.url, pageOptions(config, ctx));
    return { page: page.hash };
  },
  async execute(config, _inputs, ctx) {
    const { page, source } = await fetchPage(config.url, pageOptions(config, ctx));
    ctx.log(`web page ${page.finalUrl}: ${page.bytes} bytes of Markdown (${source === 'network' ? 'fetched' : source === 'revalidated' ? 'unchanged (304)' : 'cached'})${page.truncated ? ', cut at its cap' : ''}`);
    return {
      status: 'succeeded',
      output: { url: page.url, finalUrl: page.finalUrl, title: page.title, markdown: page.markdown, bytes: page.bytes, truncated: page.truncated, sha256: page.hash },
    };
  },
};
