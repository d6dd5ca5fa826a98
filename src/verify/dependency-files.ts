import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';

/**
 * The files that decide what `commands.setup` installs: the lock files of the package managers
 * taskgraph knows and the manifests they are made from. Their hash is part of the `setup` node's
 * cache key and of the marker a worktree keeps of its last setup (`setup-run.ts`), so setup runs
 * again when a task changes one of them.
 */

/** Lock files by exact name (npm, yarn, pnpm, bun, Poetry, uv, Pipenv, PDM, Cargo, Go, Bundler, Composer). */
export const LOCK_FILES: readonly string[] = [
  'package-lock.json',
  'npm-shrinkwrap.json',
  'yarn.lock',
  'pnpm-lock.yaml',
  'bun.lockb',
  'bun.lock',
  'poetry.lock',
  'uv.lock',
  'Pipfile.lock',
  'pdm.lock',
  'Cargo.lock',
  'go.sum',
  'Gemfile.lock',
  'composer.lock',
];

/** Manifests that lock files are made from (and that `pip install -e .` reads when there is no lock file). */
export const MANIFEST_FILES: readonly string[] = ['package.json', 'pyproject.toml', 'setup.py', 'setup.cfg', 'Pipfile', 'Cargo.toml', 'go.mod', 'Gemfile', 'composer.json'];

/** pip requirement files: `requirements.txt`, `requirements-dev.txt`, `requirements_test.txt`, ... */
const REQUIREMENTS = /^requirements([-_.][\w.-]+)?\.txt$/;

/** Directories whose files are never the project's own dependency files (vendored, installed, built). */
const FOREIGN_DIRS = new Set(['node_modules', 'vendor', 'third_party', '.venv', 'venv', 'dist', 'build', 'target', '.tox', 'site-packages']);

/**
 * Whether a repository-relative path is a dependency file (a lock file, a manifest or a pip
 * requirements file at any depth, outside vendored and build directories).
 */
export function isDependencyFile(path: string): boolean {
  const parts = path.split('/');
  if (parts.slice(0, -1).some((p) => FOREIGN_DIRS.has(p))) return false;
  const name = basename(path);
  return LOCK_FILES.includes(name) || MANIFEST_FILES.includes(name) || REQUIREMENTS.test(name);
}

/**
 * SHA-256 (hex) over the dependency files among `files`, each as its path and the SHA-256 of its
 * bytes, in path order. The same files with the same bytes give the same hash; a file that
 * cannot be read counts as `missing`.
 * @param dir the worktree (or project) directory
 * @param files repository-relative paths of the worktree's files (tracked and untracked, not ignored)
 * @returns the hash and the dependency files it covers
 */
export async function dependencyHash(dir: string, files: readonly string[]): Promise<{ hash: string; files: string[] }> {
  const deps = files.filter(isDependencyFile).sort();
  const outer = createHash('sha256');
  for (const path of deps) {
    let digest = 'missing';
    try {
      digest = createHash('sha256').update(await readFile(join(dir, path))).digest('hex');
    } catch {
      // deleted since listed: counts as missing
    }
    outer.update(`${path}\0${digest}\n`);
  }
  return { hash: outer.digest('hex'), files: deps };
}
