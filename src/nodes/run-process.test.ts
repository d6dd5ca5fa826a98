import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { killOrphanProcessGroups } from '../engine/orphans.js';
import { markedSleep, pidsOfSleep, waitUntil } from '../sandbox/sandbox-fixtures.case.js';
import { commandEnv, runShell } from './run-process.js';

const dir = () => mkdtempSync(join(tmpdir(), 'tg-proc-'));

describe('runShell', () => {
  it('keeps head and tail of long output and reports the exit code', async () => {
    const r = await runShell('for i in $(seq 1 2000); do echo line $i; done; exit 3', { cwd: dir(), timeoutMs: 10_000, env: commandEnv([]), limit: 500 });
    expect(r.exitCode).toBe(3);
    expect(r.output).toContain('line 1\n');
    expect(r.output).toContain('line 2000');
    expect(r.output).toContain('characters trimmed');
    expect(r.output.length).toBeLessThan(700);
  });

  it('writes `stdin` to the process and closes it; without it stdin is empty', async () => {
    const text = 'line one\n' + 'x'.repeat(200_000) + '\nlast';
    const r = await runShell('wc -c; echo; tail -n 1', { cwd: dir(), timeoutMs: 10_000, env: commandEnv([]), limit: 500, stdin: text });
    expect(r.exitCode).toBe(0);
    expect(r.stdout.trim().split(/\s+/)[0]).toBe(String(Buffer.byteLength(text)));
    const none = await runShell('wc -c', { cwd: dir(), timeoutMs: 10_000, env: commandEnv([]), limit: 500 });
    expect(none.stdout.trim()).toBe('0');
    // a process that reads none of it still finishes normally
    const ignores = await runShell('echo done', { cwd: dir(), timeoutMs: 10_000, env: commandEnv([]), limit: 500, stdin: text });
    expect(ignores).toMatchObject({ exitCode: 0, stdout: 'done\n' });
  });

  it('kills the whole process group on timeout', async () => {
    const r = await runShell('sleep 30 & sleep 30; echo never', { cwd: dir(), timeoutMs: 200, env: commandEnv([]), limit: 500 });
    expect(r.timedOut).toBe(true);
    expect(r.output).not.toContain('never');
  });

  it('lists running process groups so a resume can kill orphans of a dead run', async () => {
    const pids = dir();
    const running = runShell('sleep 30', { cwd: dir(), timeoutMs: 60_000, env: commandEnv([]), limit: 500, pidDir: pids });
    await new Promise((r) => setTimeout(r, 100));
    expect(readdirSync(pids)).toHaveLength(1);
    expect(killOrphanProcessGroups(pids)).toBe(1);
    const r = await running;
    expect(r.signal).toBe('SIGKILL');
    expect(readdirSync(pids)).toHaveLength(0);
  });

  it('passes only allowlisted environment variables', async () => {
    const r = await runShell('echo "[$SECRET_TOKEN][$KEEP_ME]"', {
      cwd: dir(),
      timeoutMs: 5_000,
      env: commandEnv(['KEEP_ME'], { PATH: process.env['PATH'], SECRET_TOKEN: 's3cret', KEEP_ME: 'yes' }),
      limit: 500,
    });
    expect(r.stdout.trim()).toBe('[][yes]');
  });

  it('returns at its timeout although a setsid grandchild holds stdout, and the grandchild is dead afterwards', async () => {
    const grandchild = markedSleep();
    const t0 = Date.now();
    // the grandchild leaves the process group and the session, keeps stdout open and outlives the shell
    const r = await runShell(`setsid sleep ${grandchild} & echo started; sleep ${markedSleep()}`, { cwd: dir(), timeoutMs: 2_000, env: commandEnv([]), limit: 500 });
    expect(r.timedOut).toBe(true);
    expect(r.stdout).toContain('started');
    expect(Date.now() - t0).toBeLessThan(15_000); // before: never returned (waited for the pipes to close)
    expect(pidsOfSleep(grandchild)).toEqual([]);
  });

  it('returns when the shell exits, kills a setsid grandchild left behind, and keeps all output', async () => {
    const grandchild = markedSleep();
    const r = await runShell(`setsid sh -c 'sleep ${grandchild}' & for i in $(seq 1 300); do echo line $i; done; exit 4`, { cwd: dir(), timeoutMs: 60_000, env: commandEnv([]), limit: 100_000 });
    expect(r.timedOut).toBe(false);
    expect(r.exitCode).toBe(4);
    expect(r.stdout.trim().split('\n')).toHaveLength(300);
    expect(r.durationMs).toBeLessThan(15_000);
    // SIGKILL is sent before runShell returns; the kernel may take a moment to finish the process
    await waitUntil(() => pidsOfSleep(grandchild).length === 0, 5_000, 'the setsid grandchild to die');
  });

  it('an abort kills the whole tree, a setsid grandchild included', async () => {
    const child = markedSleep();
    const grandchild = markedSleep();
    const abort = new AbortController();
    const running = runShell(`setsid sleep ${grandchild} & sleep ${child}`, { cwd: dir(), timeoutMs: 60_000, env: commandEnv([]), limit: 500, signal: abort.signal });
    await waitUntil(() => pidsOfSleep(child).length > 0 && pidsOfSleep(grandchild).length > 0, 10_000, 'both sleeps');
    abort.abort();
    const r = await running;
    expect(r.signal).toBe('SIGKILL');
    await waitUntil(() => pidsOfSleep(child).length === 0 && pidsOfSleep(grandchild).length === 0, 5_000, 'both sleeps to die');
  });

  it('a resume kills a setsid child of a dead run through the cookie in the pid file', async () => {
    const pids = dir();
    const grandchild = markedSleep();
    const running = runShell(`setsid sleep ${grandchild} & sleep ${markedSleep()}`, { cwd: dir(), timeoutMs: 60_000, env: commandEnv([]), limit: 500, pidDir: pids });
    await waitUntil(() => pidsOfSleep(grandchild).length > 0, 10_000, 'the setsid sleep');
    expect(killOrphanProcessGroups(pids)).toBe(1);
    await waitUntil(() => pidsOfSleep(grandchild).length === 0, 5_000, 'the setsid sleep to die');
    await running;
  });
});
