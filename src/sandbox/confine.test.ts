import { describe, expect, it } from 'vitest';
import { confinedArgv, confineLayout, isWithin } from './confine.js';

describe('confineLayout', () => {
  it('keeps the checkout read-only when the worktree is elsewhere', () => {
    expect(confineLayout({ cwd: '/cache/wt/r-1', projectDir: '/home/u/app', network: 'host' })).toEqual({ readOnly: '/home/u/app' });
  });
  it('binds a worktree inside the checkout writable again', () => {
    expect(confineLayout({ cwd: '/home/u/app/.taskgraph/worktrees/r-1', projectDir: '/home/u/app', network: 'host' })).toEqual({
      readOnly: '/home/u/app',
      writable: '/home/u/app/.taskgraph/worktrees/r-1',
    });
  });
  it('leaves the checkout writable when it is the cwd (--no-worktree), and binds nothing without one', () => {
    expect(confineLayout({ cwd: '/home/u/app', projectDir: '/home/u/app', network: 'host' })).toEqual({});
    expect(confineLayout({ cwd: '/tmp/x', network: 'none' })).toEqual({});
  });
  it('isWithin does not mistake a sibling with a common prefix for a child', () => {
    expect(isWithin('/home/u/app2', '/home/u/app')).toBe(false);
    expect(isWithin('/home/u/app/..x', '/home/u/app')).toBe(true);
    expect(isWithin('/home/u', '/home/u/app')).toBe(false);
  });
});

describe('confinedArgv', () => {
  it('bwrap: PID namespace with its own /proc, no network for none, dies with taskgraph, the command as one argument', () => {
    const argv = confinedArgv({ tool: 'bwrap', bwrap: '/usr/bin/bwrap' }, 'echo "$HOME"; rm -rf x', { cwd: '/wt', projectDir: '/p', network: 'none' });
    expect(argv.slice(-4)).toEqual(['--', '/bin/sh', '-c', 'echo "$HOME"; rm -rf x']);
    expect(argv).toEqual(expect.arrayContaining(['--unshare-pid', '--proc', '--unshare-net', '--die-with-parent', '--ro-bind']));
    expect(confinedArgv({ tool: 'bwrap', bwrap: '/usr/bin/bwrap' }, 'true', { cwd: '/wt', projectDir: '/p', network: 'host' })).not.toContain('--unshare-net');
  });
  it('unshare: parent-death signal, kill-child, the paths and the command as positional parameters', () => {
    const argv = confinedArgv({ tool: 'unshare', unshare: '/usr/bin/unshare', mount: '/usr/bin/mount', setpriv: '/usr/bin/setpriv', userns: true }, 'make test', {
      cwd: '/p/wt',
      projectDir: '/p',
      network: 'none',
    });
    expect(argv.slice(0, 4)).toEqual(['/usr/bin/setpriv', '--pdeathsig', 'KILL', '/usr/bin/unshare']);
    expect(argv).toEqual(expect.arrayContaining(['--user', '--map-root-user', '--pid', '--fork', '--mount-proc', '--kill-child', '--net']));
    expect(argv.slice(-7)).toEqual(['/p', '/p/wt', '/p/wt', 'none', 'make test', '/usr/bin/mount', '']);
  });
});
