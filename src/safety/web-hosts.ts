import { TaskgraphError } from '../core/errors.js';

/**
 * The web allowlist (issue 16, `policy.safety.webHosts`): which hosts `web` and `screenshot`
 * nodes and `docs:` URLs may reach. Default empty: nothing. An entry is a host name or IP
 * (`docs.python.org`, `127.0.0.1`, any port) or `*.domain` (every subdomain of `domain`, not
 * `domain` itself). Only http and https URLs are ever fetched; every redirect hop is checked again.
 */

/**
 * Whether `hostname` (as in `URL.hostname`, IPv6 in brackets) is allowed by `allow`.
 * Comparison is case-insensitive and ignores a trailing dot.
 */
export function hostAllowed(hostname: string, allow: readonly string[]): boolean {
  const host = hostname.toLowerCase().replace(/\.$/, '');
  return allow.some((entry) => {
    const e = entry.toLowerCase().replace(/\.$/, '');
    if (e.startsWith('*.')) return host.endsWith(e.slice(1)) && host.length > e.length - 1;
    return host === e;
  });
}

/**
 * Checks a URL against the allowlist before anything is fetched.
 * @param what who asks, for the message (`web node docs`, `screenshot node shot`, `docs:`)
 * @returns the parsed URL
 * @throws TaskgraphError CONFIG_INVALID for a malformed or non-http(s) URL; WEB_HOST_DENIED
 *   (details: host, url) naming the host and the config key to add it to
 */
export function checkWebUrl(raw: string, allow: readonly string[], what: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new TaskgraphError('CONFIG_INVALID', `${what}: "${raw.slice(0, 200)}" is not a URL`, { hint: 'give an absolute http(s):// URL' });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new TaskgraphError('CONFIG_INVALID', `${what}: only http and https URLs are fetched, not ${url.protocol}`, { details: { url: url.href } });
  }
  if (!hostAllowed(url.hostname, allow)) {
    throw new TaskgraphError('WEB_HOST_DENIED', `${what}: host ${url.hostname} is not in policy.safety.webHosts`, {
      details: { host: url.hostname, url: url.href, allowed: [...allow] },
      hint: `add "${url.hostname}" to policy.safety.webHosts in taskgraph.yaml if the project may read it${allow.length === 0 ? ' (the list is empty: no web access is allowed)' : ''}`,
    });
  }
  return url;
}
