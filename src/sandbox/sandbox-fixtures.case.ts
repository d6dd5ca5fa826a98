import { mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ProjectConfigSchema, type ProjectConfig } from '../core/config.js';

/**
 * Shared helpers of the sandbox tests (excluded from the build like every `*.case.ts`): real
 * processes are found through `/proc`, and "this machine has no bwrap" is simulated by a `PATH`
 * that lacks it, never by mocking the code under test.
 */

/** A fresh temp directory. */
export const tempDir = (prefix = 'tg-sbx-') => mkdtempSync(join(tmpdir(), prefix));

/**
 * A project config with the given `policy.safety`. The tests' lines are run outside a run node,
 * where the default `policy.safety.commands.unlisted: ask` refuses them; these tests are about
 * confinement, not the command policy, so unlisted lines run (`unlisted: allow`) unless `safety`
 * sets `commands` itself.
 */
export function configWith(safety: Record<string, unknown>): ProjectConfig {
  return ProjectConfigSchema.parse({ policy: { safety: { commands: { unlisted: 'allow' }, ...safety } } });
}

/** A unique-looking duration for `sleep`, so the process can be found by its command line. */
export function markedSleep(seconds = 60): string {
  return `${seconds}.${String(Math.floor(Math.random() * 1e9)).padStart(9, '1')}`;
}

/** pids of `sleep` processes whose argument is `marker` (see {@link markedSleep}); this process excluded. */
export function pidsOfSleep(marker: string): number[] {
  const found: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      const argv = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0');
      if (argv[0]?.endsWith('sleep') && argv[1] === marker) found.push(Number(name));
    } catch {
      // exited meanwhile
    }
  }
  return found;
}

/** Polls `check` every 20 ms until it is true; throws after `ms`. */
export async function waitUntil(check: () => boolean, ms = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/**
 * A `PATH` (one temp directory of symlinks) holding every executable of `path` except `omit`:
 * what a machine without those tools looks like to taskgraph.
 */
export function pathWithout(omit: readonly string[], path = process.env['PATH'] ?? ''): string {
  const bin = join(tempDir('tg-sbx-path-'), 'bin');
  mkdirSync(bin);
  const seen = new Set(omit);
  for (const dir of path.split(delimiter)) {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      continue;
    }
    for (const name of names) {
      if (seen.has(name)) continue;
      seen.add(name);
      symlinkSync(join(dir, name), join(bin, name));
    }
  }
  return bin;
}
