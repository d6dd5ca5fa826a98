import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readdir, rmdir, stat, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The repository root (where package.json and tsconfig.json are). */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The built CLI entry point the end-to-end tests spawn. */
export const CLI = join(ROOT, 'dist', 'cli', 'main.js');

async function newestSourceMtime(dir: string): Promise<number> {
  let newest = 0;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, await newestSourceMtime(path));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') && !entry.name.endsWith('.case.ts')) {
      newest = Math.max(newest, (await stat(path)).mtimeMs);
    }
  }
  return newest;
}

async function isStale(): Promise<boolean> {
  const built = await stat(CLI).then((s) => s.mtimeMs, () => -1);
  if (built < 0) return true;
  return (await newestSourceMtime(join(ROOT, 'src'))) > built;
}

/**
 * Builds `dist/` with `npx tsc -p tsconfig.json` when `dist/cli/main.js` is missing or older than
 * any source file under `src/` (tests and `.case.ts` files excluded). Several vitest workers may
 * call it at once: a lock directory in the OS temp dir (one per checkout) makes them build one at
 * a time, and each re-checks staleness after taking the lock. A lock older than 3 minutes is
 * taken to be left over from a killed process and removed.
 * @throws Error with the compiler output when tsc exits non-zero
 */
export async function ensureBuilt(): Promise<void> {
  if (!(await isStale())) return;
  const lock = join(tmpdir(), `taskgraph-e2e-build-${createHash('sha256').update(ROOT).digest('hex').slice(0, 12)}.lock`);
  const deadline = Date.now() + 180_000;
  for (;;) {
    try {
      await mkdir(lock);
      break;
    } catch {
      const age = await stat(lock).then((s) => Date.now() - s.mtimeMs, () => 0);
      if (age > 180_000) await rmdir(lock).catch(() => undefined);
      if (Date.now() > deadline) throw new Error(`ensureBuilt: lock ${lock} held for too long`);
      await sleep(200);
    }
  }
  try {
    if (!(await isStale())) return;
    try {
      await run('npx', ['tsc', '-p', 'tsconfig.json'], { cwd: ROOT, maxBuffer: 32 * 1024 * 1024 });
    } catch (error) {
      const e = error as { stdout?: string; stderr?: string; message: string };
      throw new Error(`ensureBuilt: \`npx tsc -p tsconfig.json\` failed:\n${e.stdout ?? ''}${e.stderr ?? ''}${e.message}`);
    }
    // tsc may leave an unchanged output untouched; mark the build as fresh
    const now = new Date();
    await utimes(CLI, now, now);
  } finally {
    await rmdir(lock).catch(() => undefined);
  }
}

/** The built web UI's entry (`npm run build` writes dist/ui/). */
export const UI_INDEX = join(ROOT, 'dist', 'ui', 'index.html');

async function newestUiSourceMtime(dir: string): Promise<number> {
  let newest = 0;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? await newestUiSourceMtime(path) : (await stat(path)).mtimeMs);
  }
  return newest;
}

/**
 * Builds the web UI (`vite build --config ui/vite.config.ts` into dist/ui/) when
 * dist/ui/index.html is missing or older than any file under ui/. One test file uses it, so no lock.
 * @throws Error with vite's output when the build fails
 */
export async function ensureUiBuilt(): Promise<void> {
  const built = await stat(UI_INDEX).then((s) => s.mtimeMs, () => -1);
  if (built >= 0 && built >= (await newestUiSourceMtime(join(ROOT, 'ui')))) return;
  try {
    await run('npx', ['vite', 'build', '--config', 'ui/vite.config.ts'], { cwd: ROOT, maxBuffer: 32 * 1024 * 1024 });
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(`ensureUiBuilt: \`npx vite build --config ui/vite.config.ts\` failed:\n${e.stdout ?? ''}${e.stderr ?? ''}${e.message}`);
  }
}
