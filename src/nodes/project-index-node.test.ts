import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSampleRepo, git, type TempProject } from '../../test/support/project.js';
import { ProjectConfigSchema, type ProjectConfig } from '../core/config.js';
import type { GraphSpecInput } from '../core/graph.js';
import { isJsonObject } from '../core/json.js';
import { TaskSchema } from '../core/task.js';
import { Engine, newRunId } from '../engine/engine.js';
import type { EngineEvent } from '../engine/events.js';
import type { ScriptFunction } from '../engine/node-executor.js';
import { INDEX_NODE_ID } from '../planning/plan-graph.js';
import { SqliteStore } from '../store/sqlite-store.js';
import { createRunWorkspace } from '../workspace/git-workspace.js';
import { defaultRegistry } from './index.js';
import { findProjectIndex, ProjectIndexOutputSchema, type ProjectIndexOutput } from './project-index-lookup.js';

/**
 * The root task's `index` node through the real engine, in real worktrees, with a real store:
 * by default the project index is the node's output only; a later run whose base holds the
 * indexed commit builds on it; `args.commit` also commits INDEX.md.
 */

/** Writes `args.path` with `args.text` and commits it (what a task's edit + commit do). */
const writeAndCommit: ScriptFunction = {
  version: 1,
  sideEffects: true,
  forecastSafe: true,
  description: 'writes a file and commits it',
  async run(args, _inputs, ctx) {
    const { path, text } = args as { path: string; text: string };
    await ctx.workspace!.writeFile(path, text);
    return { commit: await ctx.workspace!.commit(`feat: write ${path}`) };
  },
};

let project: TempProject;
let store: SqliteStore;
const events: EngineEvent[] = [];

beforeAll(async () => {
  project = await createSampleRepo();
  store = SqliteStore.open(':memory:');
  await store.migrate();
  for (const [planId, goal] of [['p-aaaa', 'Add multiply'], ['p-bbbb', 'Add divide'], ['p-cccc', 'Add a changelog']] as const) {
    const task = TaskSchema.parse({ planId, id: 'T1', title: goal, status: 'done' });
    await store.savePlan({ id: planId, goal, createdAt: new Date(0).toISOString(), tasks: [task], meta: {} });
  }
});
afterAll(async () => {
  await store?.close();
  await project?.cleanup();
});

/** One plan's run: `T1/commit` writes a file, then the `index` node; returns the run and its index output. */
async function runPlan(planId: string, goal: string, file: { path: string; text: string }, config: ProjectConfig = ProjectConfigSchema.parse({ name: 'calculator', vision: 'Sums.' })) {
  const { executors, scripts } = defaultRegistry(new Map([['write-and-commit', writeAndCommit]]));
  const engine = new Engine({ store, executors, scripts, projectDir: project.dir, config, observers: [(e) => events.push(e)] });
  const runId = newRunId();
  const workspace = await createRunWorkspace({ projectDir: project.dir, runId });
  const graph: GraphSpecInput = {
    nodes: [
      { id: 'T1/commit', kind: 'script', task: 'T1', config: { fn: 'write-and-commit', args: file } },
      { id: INDEX_NODE_ID, kind: 'script', config: { fn: 'project-index', args: { planId, goal, leaves: ['T1'], commit: config.index.commit } }, inputs: { 'task:T1': { $ref: 'T1/commit' } } },
    ],
  };
  events.length = 0;
  const summary = await engine.start({ graph, command: 'test', planId, runId, workspace });
  expect(summary.status).toBe('succeeded');
  const [attempt] = await store.listAttempts(runId, INDEX_NODE_ID);
  const status = events.find((e) => e.type === 'node-finish' && (e as { nodeId: string }).nodeId === INDEX_NODE_ID) as { status: string } | undefined;
  return { runId, workspace, index: ProjectIndexOutputSchema.parse(attempt!.output) as ProjectIndexOutput, indexStatus: status?.status };
}

describe('the index node (project-index script)', () => {
  it('returns the project index as its output and writes or commits nothing by default; the same goal from the same base is a cache hit', async () => {
    const base = await git(project.dir, 'rev-parse', 'HEAD');
    const first = await runPlan('p-aaaa', 'Add multiply', { path: 'src/mul.js', text: '/** Multiplies. */\n\nexport function multiply(a, b) {\n  return a * b;\n}\n' });
    expect(first.indexStatus).toBe('succeeded');
    expect(first.index).toMatchObject({ kind: 'project-index', planId: 'p-aaaa', path: 'INDEX.md', committed: false, project: '**calculator**: Sums.' });
    expect(first.index.goals).toEqual(['- `p-aaaa` Add multiply — T1 Add multiply (done)']);
    expect(first.index.modules).toContainEqual({ path: 'src/mul.js', doc: 'Multiplies.', exports: ['multiply'] });
    expect(first.index.text).toContain('- `src/mul.js` — Multiplies.; exports: multiply');
    // the indexed commit is the task's commit; nothing else on the branch, no INDEX.md anywhere
    const head = await git(first.workspace.dir, 'rev-parse', 'HEAD');
    expect(first.index.head).toBe(head);
    expect(await git(first.workspace.dir, 'log', '--format=%s', `${base}..HEAD`)).toBe('feat: write src/mul.js');
    expect(existsSync(join(first.workspace.dir, 'INDEX.md'))).toBe(false);
    expect(await git(first.workspace.dir, 'status', '--porcelain')).toBe('');

    // not merged: a later run from the same base does not build on it, so the same goal is served from the cache
    expect(await findProjectIndex(store, first.workspace, base)).toBeUndefined();
    const again = await runPlan('p-aaaa', 'Add multiply', { path: 'src/mul.js', text: '/** Multiplies. */\n\nexport function multiply(a, b) {\n  return a * b;\n}\n' });
    expect(again.indexStatus).toBe('cached');
    expect(again.index).toEqual(first.index);
  });

  it('a run whose base holds an earlier plan\'s indexed commit takes that index as the one it builds on', async () => {
    const [latest] = await store.listRuns(1);
    await git(project.dir, 'merge', '-q', '--ff-only', latest!.branch!);
    const base = await git(project.dir, 'rev-parse', 'HEAD');
    const found = await findProjectIndex(store, (await createRunWorkspace({ projectDir: project.dir, runId: newRunId() })), base);
    expect(found?.index.planId).toBe('p-aaaa');
    expect(found?.runId).toBe(latest!.id);

    const second = await runPlan('p-bbbb', 'Add divide', { path: 'src/div.js', text: 'export function divide(a, b) {\n  return a / b;\n}\n' });
    expect(second.index.goals).toEqual(['- `p-bbbb` Add divide — T1 Add divide (done)', '- `p-aaaa` Add multiply — T1 Add multiply (done)']);
    expect(second.index.modules.map((m) => m.path)).toEqual(expect.arrayContaining(['src/mul.js', 'src/div.js']));
  });

  it('with index.commit: true also writes INDEX.md and commits it on the run branch', async () => {
    const config = ProjectConfigSchema.parse({ name: 'calculator', vision: 'Sums.', index: { commit: true } });
    const third = await runPlan('p-cccc', 'Add a changelog', { path: 'CHANGELOG.md', text: '# Changelog\n' }, config);
    expect(third.index).toMatchObject({ committed: true, changed: true });
    expect(await git(third.workspace.dir, 'log', '-1', '--format=%s')).toBe('docs(index): update INDEX.md');
    expect(await git(third.workspace.dir, 'rev-parse', 'HEAD')).toBe(third.index.commit);
    expect(await git(third.workspace.dir, 'show', 'HEAD:INDEX.md')).toBe(third.index.text.trimEnd());
    // its history is the stored index of its base (p-aaaa), not an unmerged branch's (p-bbbb)
    expect(third.index.goals.map((g) => g.slice(3, 9))).toEqual(['p-cccc', 'p-aaaa']);
    const outputs = await store.recentSuccessfulAttempts(INDEX_NODE_ID, 10);
    expect(outputs.every((a) => isJsonObject(a.output) && a.output['kind'] === 'project-index')).toBe(true);
  });
});
