import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../support/build.js';
import { startCli } from '../support/cli.js';
import { createSampleRepo, type TempProject } from '../support/project.js';

/**
 * `taskgraph serve` as a process: binds 127.0.0.1 unless told otherwise (then warns), creates the
 * token on the first start in $XDG_CONFIG_HOME/taskgraph/token (0600) and keeps it, takes
 * `--token`, and stops cleanly on SIGTERM.
 */
describe('taskgraph serve', () => {
  let repo: TempProject;
  let config: string;

  beforeAll(async () => {
    await ensureBuilt();
    repo = await createSampleRepo();
    config = await mkdtemp(join(tmpdir(), 'taskgraph-config-'));
  });
  afterAll(async () => {
    await repo?.cleanup();
    if (config) await rm(config, { recursive: true, force: true });
  });

  /** Starts `serve` on a free port; resolves with the process and its url once it listens. */
  const serve = async (...args: string[]) => {
    const p = startCli(['-C', repo.dir, 'serve', '--port', '0', ...args], { env: { XDG_CONFIG_HOME: config } });
    await p.waitFor((o) => o.includes('try: curl'));
    const url = /taskgraph API on (http:\/\/\S+)/.exec(p.stdout)![1]!;
    return { p, url };
  };
  const get = async (url: string, token?: string) => (await fetch(url, token ? { headers: { authorization: `Bearer ${token}` } } : {})).status;

  it('creates the token on the first start (0600), keeps it on the next, binds loopback, and stops on SIGTERM', async () => {
    const first = await serve();
    expect(first.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(first.p.stderr).not.toContain('warning');
    const path = join(config, 'taskgraph', 'token');
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    const token = (await readFile(path, 'utf8')).trim();
    expect(first.p.stdout).toContain(`token: ${token} (new; kept in ${path}, mode 0600)`);
    expect(await get(`${first.url}/openapi.json`)).toBe(200);
    expect(await get(`${first.url}/runs`)).toBe(401);
    expect(await get(`${first.url}/runs`, token)).toBe(200);
    first.p.child.kill('SIGTERM');
    const ended = await first.p.done;
    expect(ended.code, ended.stderr).toBe(143);

    const second = await serve();
    expect(second.p.stdout).not.toContain(token); // an existing token is not printed again
    expect(second.p.stdout).toContain(`token: (kept in ${path}, mode 0600)`);
    expect(await get(`${second.url}/runs`, token)).toBe(200);
    second.p.child.kill('SIGTERM');
    await second.p.done;
  });

  it('--token replaces the stored token; --host other than loopback warns', async () => {
    const own = 'my-own-api-token-0123456789';
    const { p, url } = await serve('--token', own, '--host', '0.0.0.0');
    expect(p.stderr).toContain('warning: listening on 0.0.0.0');
    const port = new URL(url).port;
    expect(await get(`http://127.0.0.1:${port}/runs`, own)).toBe(200);
    expect(await get(`http://127.0.0.1:${port}/runs`, 'my-own-api-token-0123456780')).toBe(401);
    expect((await readFile(join(config, 'taskgraph', 'token'), 'utf8')).trim()).toBe(own);
    p.child.kill('SIGTERM');
    await p.done;
  });
});
