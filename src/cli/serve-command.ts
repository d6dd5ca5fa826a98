import { loadOrCreateToken } from '../server/auth-token.js';
import { isLoopback, startServer } from '../server/start-server.js';
import { interruptSignal } from './interrupt.js';
import { safeText } from './safe-text.js';
import { openProject } from './wiring.js';

/** Options of `taskgraph serve`. */
export interface ServeOptions {
  project: string;
  /** `--session NAME`: what the server writes is tagged (issue 13) */
  session?: string;
  /** default 4317 */
  port?: number;
  /** default 127.0.0.1; any other address prints a warning */
  host?: string;
  /** use (and store) this token instead of the stored or a new one */
  token?: string;
}

/** The default port of `taskgraph serve`. */
export const DEFAULT_PORT = 4317;

/**
 * `taskgraph serve [--port N] [--host H] [--token T]`: serves the project's HTTP API (issue 12)
 * until SIGINT/SIGTERM. Binds 127.0.0.1 unless `--host` says otherwise (then warns: anyone who
 * can reach the address and has the token can start runs). The token is created on the first
 * start and kept in `$XDG_CONFIG_HOME/taskgraph/token` (0600); its path is printed, never the
 * token itself unless it was just created (then also in the web UI's link `URL/#token=...`: a fragment
 * the browser keeps to itself; the UI stores it in sessionStorage and clears it from the address bar).
 * @returns exit code 0 after a clean stop
 * @throws TaskgraphError CONFIG_INVALID (bad token, port in use), STORE_ERROR (token file)
 */
export async function serveCommand(opts: ServeOptions): Promise<number> {
  const host = opts.host ?? '127.0.0.1';
  const token = await loadOrCreateToken(opts.token);
  const project = await openProject(opts.project, opts.session !== undefined ? { session: opts.session } : {});
  try {
    const server = await startServer(project, { host, port: opts.port ?? DEFAULT_PORT, token: token.token });
    if (!isLoopback(host)) {
      process.stderr.write(`warning: listening on ${host}, not only on this machine: anyone who reaches ${server.url} with the token can read runs and start them; put it behind TLS\n`);
    }
    process.stdout.write(`${safeText(`taskgraph API on ${server.url} for ${project.dir} (OpenAPI: ${server.url}/openapi.json)`)}\n`);
    process.stdout.write(`token: ${token.created ? `${token.token} (new; ` : '('}kept in ${token.path}, mode 0600)\n`);
    // the fragment never reaches a server (browsers keep it); the UI moves it to sessionStorage and drops it from the address bar
    process.stdout.write(token.created ? `web UI: ${server.url}/#token=${encodeURIComponent(token.token)}\n` : `web UI: open "${server.url}/#token=$(cat ${token.path})"\n`);
    process.stdout.write(`try: curl -H "Authorization: Bearer $(cat ${token.path})" ${server.url}/runs\n`);
    await new Promise<void>((resolve) => {
      if (interruptSignal.aborted) resolve();
      else interruptSignal.addEventListener('abort', () => resolve(), { once: true });
    });
    await server.close();
    return 0;
  } finally {
    await project.close();
  }
}
