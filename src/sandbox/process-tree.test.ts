import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { descendantPids, killProcessTree, parentPidOf, pidsWithEnv, TREE_COOKIE_VAR } from './process-tree.js';
import { markedSleep, pidsOfSleep, waitUntil } from './sandbox-fixtures.case.js';

describe('parentPidOf', () => {
  it('counts fields from the last parenthesis, whatever the process name holds', () => {
    expect(parentPidOf('4242 (a) b (c) 1 2) S 77 4242 4242 0 -1')).toBe(77);
    expect(parentPidOf('1 (systemd) S 0 1 1 0 -1')).toBe(0);
    expect(parentPidOf('garbage')).toBeUndefined();
  });
});

describe('killProcessTree', () => {
  it('finds descendants through parent links and setsid escapees through the cookie, and kills them all', async () => {
    const cookie = 'c'.repeat(32);
    const inGroup = markedSleep();
    const escaped = markedSleep();
    const child = spawn('/bin/sh', ['-c', `sleep ${inGroup} & setsid sh -c 'sleep ${escaped}' & wait`], {
      detached: true,
      stdio: 'ignore',
      env: { PATH: process.env['PATH'], [TREE_COOKIE_VAR]: cookie },
    });
    await waitUntil(() => pidsOfSleep(inGroup).length === 1 && pidsOfSleep(escaped).length === 1, 10_000, 'the sleeps');
    expect(descendantPids(child.pid!)).toEqual(expect.arrayContaining(pidsOfSleep(inGroup)));
    expect(pidsWithEnv(TREE_COOKIE_VAR, cookie)).toEqual(expect.arrayContaining([...pidsOfSleep(inGroup), ...pidsOfSleep(escaped), child.pid]));
    expect(pidsWithEnv(TREE_COOKIE_VAR, 'd'.repeat(32))).toEqual([]);
    const exited = new Promise((resolve) => child.on('exit', resolve));
    expect(killProcessTree({ pid: child.pid!, cookie }, true)).toBeGreaterThanOrEqual(3);
    await exited;
    await waitUntil(() => pidsOfSleep(inGroup).length === 0 && pidsOfSleep(escaped).length === 0, 5_000, 'the sleeps to die');
  });
});
