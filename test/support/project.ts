import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from './build.js';

const execFileAsync = promisify(execFile);

/** The bundled sample project (a tiny calculator whose `multiply` check fails). */
export const SAMPLE = join(ROOT, 'examples', 'calculator');

/** A fixed git identity, so commits are reproducible and git never asks who you are. */
export const GIT_IDENTITY_ENV = {
  GIT_AUTHOR_NAME: 'taskgraph e2e',
  GIT_AUTHOR_EMAIL: 'e2e@taskgraph.invalid',
  GIT_COMMITTER_NAME: 'taskgraph e2e',
  GIT_COMMITTER_EMAIL: 'e2e@taskgraph.invalid',
  GIT_CONFIG_NOSYSTEM: '1',
} as const;

/** Runs git in `cwd` (async: never blocks a fake server living in this process); returns trimmed stdout. */
export async function git(cwd: string, ...args: string[]): Promise<string> {
  const { stdout } = await execFileAsync('git', args, { cwd, env: { ...process.env, ...GIT_IDENTITY_ENV }, maxBuffer: 16 * 1024 * 1024 });
  return stdout.trim();
}

/** A temporary directory that {@link TempProject.cleanup} removes. */
export interface TempProject {
  /** the project directory (inside `base`) */
  dir: string;
  /** the temporary parent directory */
  base: string;
  cleanup(): Promise<void>;
}

/** Options of {@link createSampleRepo}. */
export interface SampleRepoOptions {
  /** replaces the sample's profile `baseURL` (e.g. the fake server's url) */
  baseURL?: string;
  /** edits the taskgraph.yaml text before the first commit */
  config?: (yaml: string) => string;
  /** extra files to write before the first commit (path relative to the project -> content) */
  files?: Record<string, string>;
  /** skip `git init` (a plain directory) */
  noGit?: boolean;
  /** copy this directory instead of examples/calculator (e.g. a copy made once, so that runs compared with each other start from the same files even while someone edits the sample) */
  from?: string;
}

/**
 * Copies examples/calculator (or `options.from`) into a new temporary directory, adjusts its taskgraph.yaml and makes
 * it a git repository (branch `main`) with one commit by {@link GIT_IDENTITY_ENV}.
 */
export async function createSampleRepo(options: SampleRepoOptions = {}): Promise<TempProject> {
  const base = await mkdtemp(join(tmpdir(), 'taskgraph-e2e-'));
  const dir = join(base, 'calculator');
  await cp(options.from ?? SAMPLE, dir, { recursive: true });
  await rm(join(dir, '.taskgraph'), { recursive: true, force: true });
  let yaml = await readFile(join(dir, 'taskgraph.yaml'), 'utf8');
  if (options.baseURL) yaml = yaml.replaceAll('http://127.0.0.1:11434/v1', options.baseURL);
  if (options.config) yaml = options.config(yaml);
  await writeFile(join(dir, 'taskgraph.yaml'), yaml);
  for (const [path, content] of Object.entries(options.files ?? {})) {
    const target = join(dir, path);
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, content);
  }
  if (!options.noGit) {
    await git(dir, 'init', '-q', '-b', 'main');
    await git(dir, 'add', '-A');
    await git(dir, 'commit', '-q', '-m', 'calculator: add and subtract');
  }
  return { dir, base, cleanup: () => rm(base, { recursive: true, force: true }) };
}

/** A new empty temporary directory (not a git repository). */
export async function createTempDir(prefix = 'taskgraph-e2e-'): Promise<TempProject> {
  const base = await mkdtemp(join(tmpdir(), prefix));
  return { dir: base, base, cleanup: () => rm(base, { recursive: true, force: true }) };
}

/**
 * Every file under `dir` (relative path -> content), skipping `.git` and `.taskgraph`: for
 * comparing working trees byte for byte.
 */
export async function readTree(dir: string, skip: readonly string[] = ['.git', '.taskgraph']): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (d: string) => {
    for (const entry of await readdir(d, { withFileTypes: true })) {
      if (skip.includes(entry.name)) continue;
      const path = join(d, entry.name);
      if (entry.isDirectory()) await walk(path);
      else out[relative(dir, path)] = await readFile(path, 'utf8');
    }
  };
  await walk(dir);
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => a.localeCompare(b)));
}
