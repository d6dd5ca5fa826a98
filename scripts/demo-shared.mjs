// Shared by scripts/demo.mjs and scripts/record-demo-cassette.mjs: the demo's goal, where its
// files are, and how the sample project becomes a fresh git repository.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const SAMPLE = join(ROOT, 'examples', 'calculator');
export const CASSETTE = join(ROOT, 'examples', 'demo.cassette.json');
export const CLI = join(ROOT, 'dist', 'cli', 'main.js');
export const GOAL =
  'Add multiply and divide to the calculator. divide must throw a RangeError when dividing by zero. Document both in the README.';

const GIT_ENV = {
  ...process.env,
  GIT_AUTHOR_NAME: 'taskgraph demo',
  GIT_AUTHOR_EMAIL: 'demo@taskgraph.invalid',
  GIT_COMMITTER_NAME: 'taskgraph demo',
  GIT_COMMITTER_EMAIL: 'demo@taskgraph.invalid',
};

/** Runs git in `cwd` with a fixed identity; returns stdout. */
export function git(cwd, ...args) {
  return execFileSync('git', args, { cwd, env: GIT_ENV, encoding: 'utf8' }).trim();
}

/**
 * Copies the sample project into a new temporary directory and makes it a git repository with
 * one commit. Returns the project directory.
 */
export function prepareSampleRepo(prefix = 'taskgraph-demo-') {
  const base = mkdtempSync(join(tmpdir(), prefix));
  const dir = join(base, 'calculator');
  cpSync(SAMPLE, dir, { recursive: true });
  rmSync(join(dir, '.taskgraph'), { recursive: true, force: true });
  git(dir, 'init', '-q', '-b', 'main');
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', 'calculator: add and subtract');
  return dir;
}

export { GIT_ENV };
