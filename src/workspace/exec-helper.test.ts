import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { ensureBuilt } from '../../test/support/build.js';
import { execHelperPid, execInHelper } from './exec-helper.js';

const options = { cwd: process.cwd(), env: process.env, maxBuffer: 1024 * 1024 };

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('execInHelper', () => {
  it('runs a program in the helper process and gives what execFile gives: output, exit code, errno, stdin', async () => {
    const ok = await execInHelper('git', ['--version'], options);
    expect(ok.error).toBeUndefined();
    expect(ok.stdout).toMatch(/^git version /);
    expect(execHelperPid()).toBeGreaterThan(0);
    expect(execHelperPid()).not.toBe(process.pid);

    const failed = await execInHelper('git', ['rev-parse', '--verify', 'no-such-ref^{commit}'], options);
    expect(failed.error?.code).toBe(128);
    expect(failed.stderr).toContain('Needed a single revision');

    const missing = await execInHelper('no-such-program-taskgraph', [], options);
    expect(missing.error?.code).toBe('ENOENT');

    // `git hash-object --stdin` of "hello\n" is a well-known blob id
    const hashed = await execInHelper('git', ['hash-object', '--stdin'], { ...options, input: 'hello\n' });
    expect(hashed.stdout.trim()).toBe('ce013625030ba8dba906f756967f9e9ca394464a');
  });

  it('runs calls at once and answers each one with its own result', async () => {
    const words = Array.from({ length: 20 }, (_, i) => `w${i}`);
    const results = await Promise.all(words.map((w) => execInHelper('git', ['hash-object', '--stdin'], { ...options, input: w })));
    const direct = words.map((w) => execFileSync('git', ['hash-object', '--stdin'], { input: w, encoding: 'utf8' }));
    expect(results.map((r) => r.stdout)).toEqual(direct);
    expect(new Set(results.map((r) => r.stdout)).size).toBe(words.length);
  });

  it('fails the calls out when the helper dies (none is run twice), and starts a new helper for the next call', async () => {
    await execInHelper('git', ['--version'], options);
    const first = execHelperPid()!;
    const out = execInHelper('sleep', ['5'], options);
    await sleep(200);
    process.kill(first, 'SIGKILL');
    const r = await out;
    expect(r.error?.message).toContain('the helper process that ran it exited');
    const again = await execInHelper('git', ['--version'], options);
    expect(again.error).toBeUndefined();
    expect(execHelperPid()).not.toBe(first);
  });

  it('goes when its parent is killed with SIGKILL', async () => {
    await ensureBuilt();
    const module = join(process.cwd(), 'dist', 'workspace', 'exec-helper.js');
    const script = `import { execInHelper, execHelperPid } from ${JSON.stringify(module)};\nawait execInHelper('git', ['--version'], { cwd: process.cwd(), env: process.env, maxBuffer: 65536 });\nconsole.log(execHelperPid());\nsetInterval(() => {}, 1000);\n`;
    const parent = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    const [line] = (await once(parent.stdout!, 'data')) as [Buffer];
    const helperPid = Number(line.toString().trim());
    expect(alive(helperPid)).toBe(true);
    parent.kill('SIGKILL');
    await once(parent, 'exit');
    for (let i = 0; i < 50 && alive(helperPid); i++) await sleep(100);
    expect(alive(helperPid)).toBe(false);
  });
});
