import { randomBytes } from 'node:crypto';
import { TaskgraphError, type ErrorCode } from '../core/errors.js';
import type { ProjectHandle } from '../cli/wiring.js';
import { createApiApp } from '../server/create-api-app.js';
import type { InProcessRuns } from '../server/in-process-runs.js';

/**
 * The MCP server's way to the project's operations: the HTTP API app of `taskgraph serve`
 * (`server/create-api-app.ts`), called in-process through Hono's `app.request` with a random
 * token that never leaves this process. No socket is opened; every tool runs exactly the code a
 * `POST /tasks`, `POST /run` or `POST /approvals` runs, so no operation is written twice.
 */
export class ApiBridge {
  private readonly token = randomBytes(24).toString('base64url');
  private readonly api: ReturnType<typeof createApiApp>;

  /** @param project the open project (its store stays open while the bridge is used) */
  constructor(project: ProjectHandle) {
    this.api = createApiApp(project, this.token);
  }

  /** The run sessions started through the bridge (they go on in this process). */
  get runs(): InProcessRuns {
    return this.api.runs;
  }

  /**
   * Calls one API route.
   * @param method HTTP method
   * @param path path with its query string, e.g. `/tasks?plan=p1`
   * @param body JSON body (for POST and PUT)
   * @returns the parsed JSON answer
   * @throws TaskgraphError with the API's code, message and hint when the answer is not 2xx
   */
  async call<T = unknown>(method: 'GET' | 'POST' | 'PUT', path: string, body?: unknown): Promise<T> {
    const init: RequestInit = { method, headers: { authorization: `Bearer ${this.token}`, 'content-type': 'application/json' } };
    if (body !== undefined) init.body = JSON.stringify(body);
    const res = await this.api.app.request(path, init);
    const answer = (await res.json().catch(() => ({}))) as { code?: string; message?: string; hint?: string; details?: unknown };
    if (!res.ok) {
      throw new TaskgraphError((answer.code ?? 'CONFIG_INVALID') as ErrorCode, answer.message ?? `${method} ${path} answered ${res.status}`, {
        ...(answer.hint ? { hint: answer.hint } : {}),
        ...(answer.details !== undefined ? { details: answer.details as Record<string, unknown> } : {}),
      });
    }
    return answer as T;
  }

  /** Stops every run session started through the bridge (server shutdown). */
  async close(): Promise<void> {
    await this.api.runs.closeAll();
  }
}

/** `?a=1&b=2` from the defined entries of `q` ('' when none). */
export function query(q: Record<string, string | number | undefined>): string {
  const entries = Object.entries(q).filter((e): e is [string, string | number] => e[1] !== undefined);
  return entries.length === 0 ? '' : `?${new URLSearchParams(entries.map(([k, v]): [string, string] => [k, String(v)])).toString()}`;
}
