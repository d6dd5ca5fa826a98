import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { createRunWorkspace, type GitWorkspace } from './git-workspace.js';

/** Shared fixtures of the git workspace tests: real repositories in a temporary directory. */

/** Fixture commits use an explicit identity; the code under test must cope without one. */
export const FIXTURE_IDENTITY = ['-c', 'user.name=Fixture', '-c', 'user.email=fixture@example.com'];

let base: string;
let counter = 0;

/** The number of the newest fixture directory (run ids of {@link newWorkspace} are `r-test-<n>`). */
export function fixtureCount(): number {
  return counter;
}

/** A new fixture number, for a directory of the test's own under {@link fixtureBase}. */
export function nextFixtureNumber(): number {
  return ++counter;
}

/** The directory fixture repositories are made in (valid inside the tests of a file calling {@link useGitFixtures}). */
export function fixtureBase(): string {
  return base;
}

export function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8' }).replace(/\n$/, '');
}

export async function writeFiles(dir: string, files: Record<string, string>): Promise<void> {
  for (const [name, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, name)), { recursive: true });
    await writeFile(path.join(dir, name), content);
  }
}

/** A fresh repository with one commit holding `files`. */
export async function makeRepo(files: Record<string, string>): Promise<string> {
  const dir = path.join(base, `repo-${++counter}`);
  await mkdir(dir);
  git(dir, 'init', '-q', '-b', 'main');
  await writeFiles(dir, files);
  git(dir, 'add', '-A');
  git(dir, ...FIXTURE_IDENTITY, 'commit', '-q', '-m', 'init');
  return dir;
}

/** A repository with one commit holding `files`, and a run workspace on it. */
export async function newWorkspace(files: Record<string, string>): Promise<{ repo: string; ws: GitWorkspace }> {
  const repo = await makeRepo(files);
  return { repo, ws: await createRunWorkspace({ projectDir: repo, runId: `r-test-${counter}` }) };
}

/** Every file under `dir` (except .git and .taskgraph) with its bytes, as a sorted record. */
export async function tree(dir: string, prefix = ''): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const entry of await readdir(path.join(dir, prefix), { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (rel === '.git' || rel === '.taskgraph') continue;
    if (entry.isDirectory()) Object.assign(out, await tree(dir, rel));
    else out[rel] = (await readFile(path.join(dir, rel))).toString('base64');
  }
  return out;
}

/**
 * Registers the file's hooks: a temporary base directory, and git with no global or system
 * configuration and no identity in the environment (like a fresh CI machine); removed after.
 */
export function useGitFixtures(): void {
beforeAll(async () => {
  base = await mkdtemp(path.join(tmpdir(), 'tg-git-ws-'));
  // No global/system git config, no identity in the environment: like a fresh CI machine.
  await writeFile(path.join(base, 'empty-gitconfig'), '');
  process.env['GIT_CONFIG_GLOBAL'] = path.join(base, 'empty-gitconfig');
  process.env['GIT_CONFIG_NOSYSTEM'] = '1';
  for (const name of ['GIT_AUTHOR_NAME', 'GIT_AUTHOR_EMAIL', 'GIT_COMMITTER_NAME', 'GIT_COMMITTER_EMAIL', 'EMAIL']) {
    delete process.env[name];
  }
});

afterAll(async () => {
  await rm(base, { recursive: true, force: true });
});
}
