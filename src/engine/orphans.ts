import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { killProcessTree } from '../sandbox/process-tree.js';

/**
 * Child processes that outlive a killed run. Commands run in their own process group (so a
 * timeout can kill the whole tree). In a sandbox (src/sandbox/confine.ts) they die with
 * taskgraph; unconfined, after `kill -9` of taskgraph those groups keep running and could still
 * write into the worktree while the run is resumed. Each running command leaves a file named
 * after its process-group id in `<project>/.taskgraph/pids/<run>/`, holding the command's
 * process-tree cookie (src/sandbox/process-tree.ts); a resume kills every group still listed
 * there, and every process carrying its cookie, before it restores the worktree.
 */

/** The directory that lists a run's running process groups. */
export function pidDir(projectDir: string, runId: string): string {
  return join(projectDir, '.taskgraph', 'pids', runId);
}

/**
 * Records a running process group (call right after spawning).
 * @param cookie the value of `TASKGRAPH_COMMAND_ID` the command was started with, if any
 */
export function recordProcessGroup(dir: string, pgid: number, cookie = ''): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, String(pgid)), cookie);
}

/** Forgets a process group (call when it has exited). */
export function forgetProcessGroup(dir: string, pgid: number): void {
  rmSync(join(dir, String(pgid)), { force: true });
}

/**
 * Kills (SIGKILL) every process group listed for a run, and every process carrying a listed
 * cookie (setsid children that left the group), then clears the list.
 * @returns how many listed commands still had a process to kill
 */
export function killOrphanProcessGroups(dir: string): number {
  let killed = 0;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return 0;
  }
  for (const name of names) {
    const pgid = Number(name);
    const file = join(dir, name);
    if (Number.isInteger(pgid) && pgid > 1) {
      let cookie = '';
      try {
        cookie = readFileSync(file, 'utf8').trim();
      } catch {
        // gone meanwhile
      }
      // the group's leader died with taskgraph's process or was reaped: its pid is not followed
      if (killProcessTree({ pid: pgid, ...(/^[0-9a-f]{32}$/.test(cookie) ? { cookie } : {}) }, false) > 0) killed++;
    }
    rmSync(file, { force: true });
  }
  return killed;
}
