import type { ProjectConfig } from '../core/config.js';
import { fetchPage } from './web-page.js';

/**
 * `docs:` entries that are web pages (issue 16): an `http(s)://` entry of taskgraph.yaml `docs:`
 * is fetched as Markdown (`web-page.ts`: allowlist `policy.safety.webHosts`, file cache with a
 * 1 h TTL, conditional requests) and indexed like a knowledge doc; every other entry stays a
 * repository glob.
 */

/** Whether a `docs:` entry is a URL rather than a glob. */
export function isDocUrl(entry: string): boolean {
  return /^https?:\/\//i.test(entry);
}

/** The glob entries of `docs:` (URLs left out). */
export function docGlobs(docs: readonly string[]): string[] {
  return docs.filter((d) => !isDocUrl(d));
}

/** A web doc as the context assembly takes it. */
export interface WebDoc {
  /** the URL (the doc's "path" in the bundle) */
  path: string;
  /** `# title` and the page's Markdown */
  text: string;
  /** SHA-256 of the page's Markdown (the context node's cache-key ingredient) */
  hash: string;
}

/**
 * The `docs:` URLs of a config, fetched (or read from the page cache), in the order written.
 * @throws TaskgraphError WEB_HOST_DENIED naming the host and `policy.safety.webHosts`; WEB_FETCH_FAILED
 */
export async function webDocs(config: Pick<ProjectConfig, 'docs' | 'policy'>, signal?: AbortSignal): Promise<WebDoc[]> {
  const out: WebDoc[] = [];
  for (const url of config.docs.filter(isDocUrl)) {
    const { page } = await fetchPage(url, { allow: config.policy.safety.webHosts, what: 'docs:', ...(signal ? { signal } : {}) });
    out.push({ path: url, text: page.title ? `# ${page.title}\n\n${page.markdown}` : page.markdown, hash: page.hash });
  }
  return out;
}
