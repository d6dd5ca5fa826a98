import type { AddressInfo } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import type { ProjectHandle } from '../cli/wiring.js';
import { TaskgraphError } from '../core/errors.js';
import { createApiApp } from './create-api-app.js';
import type { InProcessRuns } from './in-process-runs.js';

/** Loopback names: binding to one of these needs no warning. */
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

/** Whether `host` only accepts connections from this machine. */
export function isLoopback(host: string): boolean {
  return LOOPBACK.has(host) || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** Options of {@link startServer}. */
export interface StartServerOptions {
  /** default 127.0.0.1 */
  host?: string;
  /** 0: any free port (tests); default 0 */
  port?: number;
  /** the bearer token every route but /openapi.json requires */
  token: string;
}

/** A listening API server. */
export interface RunningServer {
  /** e.g. http://127.0.0.1:4317 */
  url: string;
  host: string;
  port: number;
  /** the run sessions the server carries out */
  runs: InProcessRuns;
  /** Stops accepting connections, aborts the server's run sessions and waits for them; the project stays open (the caller closes it). */
  close(): Promise<void>;
}

/**
 * Starts the HTTP API of `project` on `host:port` (`taskgraph serve`, and the API tests on port 0).
 * @throws TaskgraphError CONFIG_INVALID when the address cannot be bound (in use, not local), with the reason
 */
export async function startServer(project: ProjectHandle, options: StartServerOptions): Promise<RunningServer> {
  const host = options.host ?? '127.0.0.1';
  const { app, runs } = createApiApp(project, options.token);
  const server = createAdaptorServer({ fetch: app.fetch, hostname: host });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(new TaskgraphError('CONFIG_INVALID', `cannot listen on ${host}:${options.port ?? 0}: ${error.message}`, { cause: error, hint: 'pick another --port, or stop the process using it' })),
    );
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const shown = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shown}:${port}`,
    host,
    port,
    runs,
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      (server as { closeAllConnections?: () => void }).closeAllConnections?.();
      await runs.closeAll();
      await closed;
    },
  };
}
