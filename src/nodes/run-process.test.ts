import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { killOrphanProcessGroups } from '../engine/orphans.js';
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
});
