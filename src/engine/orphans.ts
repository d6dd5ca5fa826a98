import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Child processes that outlive a killed run. Commands run in their own process group (so a
 * timeout can kill the whole tree); after `kill -9` of taskgraph those groups keep running and
 * could still write into the worktree while the run is resumed. Each running command leaves a
 * file named after its process-group id in `<project>/.taskgraph/pids/<run>/`; a resume kills
 * every group still listed there before it restores the worktree.
 */

/** The directory that lists a run's running process groups. */
export function pidDir(projectDir: string, runId: string): string {
  return join(projectDir, '.taskgraph', 'pids', runId);
}

/** Records a running process group (call right after spawning). */
export function recordProcessGroup(dir: string, pgid: number): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, String(pgid)), '');
}

/** Forgets a process group (call when it has exited). */
export function forgetProcessGroup(dir: string, pgid: number): void {
  rmSync(join(dir, String(pgid)), { force: true });
}

/**
 * Kills (SIGKILL) every process group listed for a run and clears the list.
 * @returns how many groups were still alive and killed
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
    if (Number.isInteger(pgid) && pgid > 1) {
      try {
        process.kill(-pgid, 'SIGKILL');
        killed++;
      } catch {
        // already gone
      }
    }
    rmSync(join(dir, name), { force: true });
  }
  return killed;
}
