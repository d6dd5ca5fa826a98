import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TaskgraphError } from '../core/errors.js';
import { resetSecretRedactor } from '../security/redact.js';
import { sandboxStatus } from './detect.js';
import { type GateOptions, runGated, sandboxNotice } from './gate.js';
import { configWith, markedSleep, pathWithout, pidsOfSleep, tempDir, waitUntil } from './sandbox-fixtures.case.js';

/**
 * The gate with real processes in a real sandbox. Every confinement case runs once with
 * bubblewrap (this machine's PATH) and once with unshare (a PATH without bwrap); each first
 * asserts that the tool is really in use, so no case can pass without a sandbox.
 */

const TOOLS = [
  { tool: 'bwrap' as const, path: () => process.env['PATH'] ?? '' },
  { tool: 'unshare' as const, path: () => pathWithout(['bwrap']) },
];

/** A checkout with a worktree outside it, and one with a worktree inside (`.taskgraph/worktrees/…`). */
function layout() {
  const root = tempDir();
  const project = join(root, 'project');
  const outside = join(root, 'cache', 'worktree');
  const inside = join(project, '.taskgraph', 'worktrees', 'r-1');
  mkdirSync(outside, { recursive: true });
  mkdirSync(inside, { recursive: true });
  writeFileSync(join(project, 'README.md'), 'checkout\n');
  return { project, outside, inside };
}

describe.each(TOOLS)('runGated in $tool', ({ tool, path: makePath }) => {
  let path: string;
  let server: Server;
  let port: number;
  const gate = (command: string, o: Partial<GateOptions> & { cwd: string; projectDir: string }) =>
    runGated(command, { kind: 'command', config: configWith({ sandbox: 'required', network: 'none' }), timeoutMs: 30_000, env: { PATH: path }, ...o });

  beforeAll(async () => {
    path = makePath();
    server = createServer((socket) => socket.end('hello from the host\n'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it(`this machine has ${tool}`, () => {
    expect(sandboxStatus(path)).toMatchObject({ tool });
  });

  it('sees only its own processes: a new PID namespace with its own /proc', async () => {
    const { project, outside } = layout();
    const r = await gate('ls /proc | grep -c "^[0-9]"; echo "ppid=$PPID"', { cwd: outside, projectDir: project });
    expect(r.exitCode, r.output).toBe(0);
    const [count] = r.stdout.trim().split('\n');
    expect(Number(count)).toBeLessThanOrEqual(6); // init, sh, ls, grep and the command substitution
    expect(r.stdout).toMatch(/ppid=[01]\n/); // its parent is the namespace's init (or outside it)
  });

  it('network none: cannot reach a server on the host loopback; host: can', async () => {
    const { project, outside } = layout();
    const connect = `node -e "require('net').connect(${port}, '127.0.0.1').on('data', d => { process.stdout.write(String(d)); process.exit(0) }).on('error', e => { console.log(e.code); process.exit(3) })"`;
    const none = await gate(connect, { cwd: outside, projectDir: project });
    expect(none.exitCode, none.output).toBe(3);
    expect(none.stdout).toMatch(/ECONNREFUSED|ENETUNREACH/);
    const host = await gate(connect, { cwd: outside, projectDir: project, config: configWith({ sandbox: 'required', network: { command: 'host', verify: 'none' } }) });
    expect(host.exitCode, host.output).toBe(0);
    expect(host.stdout).toBe('hello from the host\n');
    // the class decides: the same config gives a verify command no network
    const verify = await gate(connect, { kind: 'verify', cwd: outside, projectDir: project, config: configWith({ sandbox: 'required', network: { command: 'host', verify: 'none' } }) });
    expect(verify.exitCode, verify.output).toBe(3);
  });

  const WRITE = 'for f in "$@"; do (echo x > "$f") 2>/dev/null && echo "$f: written" || echo "$f: refused"; done';
  const writes = (targets: string[]) => `set -- ${targets.map((t) => `'${t}'`).join(' ')}; ${WRITE}`;

  it('worktree outside the checkout: the worktree and /tmp writable, the checkout read-only', async () => {
    const { project, outside } = layout();
    const tmp = join(tempDir(), 'scratch.txt');
    const r = await gate(writes([join(outside, 'new.txt'), join(project, 'README.md'), join(project, 'evil.txt'), tmp]), { cwd: outside, projectDir: project });
    expect(r.stdout.trim().split('\n')).toEqual([`${join(outside, 'new.txt')}: written`, `${join(project, 'README.md')}: refused`, `${join(project, 'evil.txt')}: refused`, `${tmp}: written`]);
    expect(readFileSync(join(project, 'README.md'), 'utf8')).toBe('checkout\n');
    expect(existsSync(join(outside, 'new.txt'))).toBe(true);
  });

  it('worktree inside the checkout (older layout): the worktree writable, the rest of the checkout read-only', async () => {
    const { project, inside } = layout();
    const r = await gate(writes([join(inside, 'new.txt'), join(project, 'README.md'), join(project, '.taskgraph', 'x')]), { cwd: inside, projectDir: project });
    expect(r.stdout.trim().split('\n')).toEqual([`${join(inside, 'new.txt')}: written`, `${join(project, 'README.md')}: refused`, `${join(project, '.taskgraph', 'x')}: refused`]);
  });

  it('no worktree (cwd is the checkout): the checkout stays writable', async () => {
    const { project } = layout();
    const r = await gate(writes([join(project, 'new.txt')]), { cwd: project, projectDir: project });
    expect(r.stdout.trim()).toBe(`${join(project, 'new.txt')}: written`);
  });

  it('returns at its timeout although a setsid grandchild holds stdout; nothing of the command survives', async () => {
    const { project, outside } = layout();
    const grandchild = markedSleep();
    const t0 = Date.now();
    const r = await gate(`setsid sleep ${grandchild} & echo started; sleep ${markedSleep()}`, { cwd: outside, projectDir: project, timeoutMs: 2_000 });
    expect(r.timedOut).toBe(true);
    expect(r.stdout).toBe('started\n');
    expect(Date.now() - t0).toBeLessThan(15_000);
    expect(pidsOfSleep(grandchild)).toEqual([]);
  });

  it('an abort kills the sandbox with everything in it', async () => {
    const { project, outside } = layout();
    const child = markedSleep();
    const grandchild = markedSleep();
    const abort = new AbortController();
    const running = gate(`setsid sleep ${grandchild} & sleep ${child}`, { cwd: outside, projectDir: project, signal: abort.signal });
    await waitUntil(() => pidsOfSleep(child).length > 0 && pidsOfSleep(grandchild).length > 0, 10_000, 'both sleeps');
    abort.abort();
    const r = await running;
    expect(r.exitCode).not.toBe(0);
    expect(pidsOfSleep(child)).toEqual([]);
    expect(pidsOfSleep(grandchild)).toEqual([]);
  });
});

describe('runGated where no sandbox tool works (a PATH without bwrap and unshare)', () => {
  const path = tempDir('tg-sbx-empty-path-'); // /bin/sh is spawned by its absolute path

  it('sandboxStatus says none, and why', () => {
    expect(sandboxStatus(path)).toMatchObject({ tool: 'none', reason: expect.stringContaining('bwrap not found') });
  });

  it('sandbox: required refuses to run the command (SANDBOX_ERROR)', async () => {
    const cwd = tempDir();
    const err = await runGated(': > ran', { kind: 'verify', cwd, projectDir: cwd, config: configWith({ sandbox: 'required' }), env: { PATH: path } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TaskgraphError);
    expect((err as TaskgraphError).code).toBe('SANDBOX_ERROR');
    expect((err as TaskgraphError).hint).toContain('bubblewrap');
    expect(existsSync(join(cwd, 'ran'))).toBe(false);
  });

  it('sandbox: auto runs it unconfined and says so once per run', async () => {
    const cwd = tempDir();
    const logged: string[] = [];
    const config = configWith({ sandbox: 'auto' });
    const options = { kind: 'command' as const, cwd, projectDir: tempDir(), config, env: { PATH: path }, pidDir: join(tempDir(), 'pids', 'r-1'), log: (m: string) => logged.push(m) };
    const first = await runGated('echo $$', options);
    await runGated('echo again', options);
    expect(first.exitCode).toBe(0);
    expect(Number(first.stdout)).toBeGreaterThan(2); // the host's PID namespace
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatch(/^warning: no sandbox .*unconfined/);
    expect(sandboxNotice(config, path)).toBe(logged[0]);
    await runGated('true', { ...options, pidDir: join(tempDir(), 'pids', 'r-2') });
    expect(logged).toHaveLength(2); // another run is told again
  });

  it('sandbox: off runs it unconfined without a word; a working sandbox gives no notice', async () => {
    const cwd = tempDir();
    const logged: string[] = [];
    const r = await runGated('echo ok', { kind: 'command', cwd, projectDir: cwd, config: configWith({ sandbox: 'off' }), env: { PATH: path }, log: (m) => logged.push(m) });
    expect(r.stdout).toBe('ok\n');
    expect(logged).toEqual([]);
    expect(sandboxNotice(configWith({ sandbox: 'off' }), path)).toBeUndefined();
    expect(sandboxNotice(configWith({ sandbox: 'auto' }))).toBeUndefined();
  });
});

describe('runGated redaction', () => {
  it('redacts before trimming: a secret cut by the output limit leaves no fragment', async () => {
    const secret = 'gate-trim-Zq81Xw0PLm5VbN3c7RtY';
    process.env['GATE_TRIM_TEST_API_KEY'] = secret;
    resetSecretRedactor(); // the process-wide redactor read process.env before the variable was set
    try {
      const cwd = tempDir();
      const limit = 1_000;
      // head keeps 40 % of the limit: the secret starts 10 characters before that cut
      const filler = 'x'.repeat(Math.floor(limit * 0.4) - 10);
      const r = await runGated(`printf '%s' '${filler}'; printf '%s' "$GATE_SECRET"; head -c 5000 /dev/zero | tr '\\0' y`, {
        kind: 'command',
        cwd,
        projectDir: cwd,
        config: configWith({ sandbox: 'off' }),
        env: { PATH: process.env['PATH'] ?? '', GATE_SECRET: secret },
        limit,
      });
      expect(r.exitCode).toBe(0);
      expect(r.stdout).toContain('characters trimmed');
      for (const text of [r.stdout, r.output]) {
        expect(text).not.toContain(secret.slice(0, 10));
        expect(text).not.toContain(secret.slice(-10));
      }
    } finally {
      delete process.env['GATE_TRIM_TEST_API_KEY'];
      resetSecretRedactor();
    }
  });
});
