import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { openProject, type ProjectHandle } from '../../src/cli/wiring.js';
import { loadOrCreateToken } from '../../src/server/auth-token.js';
import { type RunningServer, startServer } from '../../src/server/start-server.js';
import { createSampleRepo, type TempProject } from './project.js';

/** A JSON answer of the API: the status and the parsed body (undefined when empty). */
export interface ApiAnswer {
  status: number;
  body: any;
}

/** What {@link useApi} gives a test: the server's state (set once `beforeAll` ran) and a caller. */
export interface ApiUse {
  state: { config: string; project: ProjectHandle; server: RunningServer; token: string };
  /** sends `body` (when given) as JSON with the bearer token; resolves with the status and parsed body */
  call(method: string, path: string, body?: unknown): Promise<ApiAnswer>;
}

/**
 * Registers `beforeAll`/`afterAll` hooks in the current `describe`: open the project at
 * `project.dir` and serve it on loopback (port 0) with a token kept in a temporary config
 * directory; close both afterwards. Register it after the hooks that create the project.
 * @param project anything whose `dir` is the project directory once its own `beforeAll` ran
 */
export function useApi(project: { readonly dir: string }): ApiUse {
  const state = {} as ApiUse['state'];
  beforeAll(async () => {
    state.config = await mkdtemp(join(tmpdir(), 'taskgraph-config-'));
    state.token = (await loadOrCreateToken(undefined, { XDG_CONFIG_HOME: state.config })).token;
    state.project = await openProject(project.dir);
    state.server = await startServer(state.project, { port: 0, token: state.token });
  });
  afterAll(async () => {
    await state.server?.close();
    await state.project?.close();
    if (state.config) await rm(state.config, { recursive: true, force: true });
  });
  const call = async (method: string, path: string, body?: unknown): Promise<ApiAnswer> => {
    const res = await fetch(`${state.server.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${state.token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, body: text === '' ? undefined : JSON.parse(text) };
  };
  return { state, call };
}

/**
 * {@link useApi} on a fresh sample project (`createSampleRepo`), removed after the file's tests.
 * @returns what `useApi` returns, and the project
 */
export function useApiOnSampleRepo(): ApiUse & { readonly repo: TempProject } {
  let repo: TempProject | undefined;
  beforeAll(async () => {
    repo = await createSampleRepo();
  });
  afterAll(async () => {
    await repo?.cleanup();
  });
  const api = useApi({
    get dir() {
      return repo!.dir;
    },
  });
  return {
    ...api,
    get repo() {
      return repo!;
    },
  };
}
