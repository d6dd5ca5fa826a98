import { readdir, readFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { ProjectConfigSchema } from '../core/config.js';
import { TaskSchema, type Task } from '../core/task.js';
import { assembleContext } from './assemble.js';
import { buildContextIndex } from './context-index.js';
import { SHOP_TASKS } from './fixtures/shop-tasks.js';
import type { AssembleInput, ContextBundle } from './types.js';

/** Result of {@link assembleForBench}. */
export interface BenchAssembly {
  /** files listed in the repository */
  files: number;
  /** ms to list, read and index every file (tiers 7 and 8 need it) */
  indexMs: number;
  /** ms to assemble the bundle from the index */
  assembleMs: number;
  /** indexMs + assembleMs */
  totalMs: number;
  bundle: ContextBundle;
}

/** Repository-relative paths of the files under `dir` (skipping `.git` and `node_modules`), sorted. */
export async function listRepoFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)).split(sep).join('/'))
    .filter((p) => !/(^|\/)(\.git|node_modules)\//.test(p))
    .sort();
}

/**
 * The assembly input of a fixture shop task with nothing but the repository around it: no
 * dependencies, siblings, links, pins or docs; cl100k_base; the given budget (tokens).
 */
export function shopAssembleInput(task: Task, repo: Pick<AssembleInput, 'repoFiles' | 'readFile' | 'index' | 'budget'>): AssembleInput {
  return {
    config: ProjectConfigSchema.parse({ name: 'shop-backend', vision: 'An online shop backend' }),
    task,
    requires: [],
    siblings: [],
    refers: [],
    files: [],
    earlierOutputs: [],
    docs: [],
    pins: [],
    excludes: [],
    family: 'cl100k_base',
    ...repo,
  };
}

/**
 * One full context assembly over the repository in `repoDir`, timed, for `bench/context.mjs`:
 * list + read + index every file, then assemble the bundle of the first fixture task
 * (`SHOP_TASKS[0]`) under an 8,000-token cl100k_base budget. Timings use `performance.now()`.
 * @param repoDir a directory with a repository checkout (e.g. from `writeShopRepo`)
 * @param budget tokens (default 8,000)
 */
export async function assembleForBench(repoDir: string, budget = 8000): Promise<BenchAssembly> {
  const spec = SHOP_TASKS[0]!;
  const task = TaskSchema.parse({ planId: 'bench', id: spec.id, title: spec.title, description: spec.description });
  const t0 = performance.now();
  const repoFiles = await listRepoFiles(repoDir);
  const read = (p: string) => readFile(join(repoDir, p), 'utf8');
  const index = await buildContextIndex({ repoFiles, readFile: read });
  const t1 = performance.now();
  const bundle = await assembleContext({
    ...shopAssembleInput(task, { repoFiles, readFile: read, index, budget }),
    config: ProjectConfigSchema.parse({ name: 'shop-backend', vision: 'An online shop backend', language: 'typescript', commands: { test: 'npm test' } }),
    siblings: SHOP_TASKS.slice(1).map((t) => TaskSchema.parse({ planId: 'bench', id: t.id, title: t.title })),
  });
  const t2 = performance.now();
  return { files: repoFiles.length, indexMs: t1 - t0, assembleMs: t2 - t1, totalMs: t2 - t0, bundle };
}
