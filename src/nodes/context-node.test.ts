import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ProjectConfigSchema } from '../core/config.js';
import { cacheKey, keyIngredients } from '../core/hash.js';
import type { Json } from '../core/json.js';
import { TaskSchema } from '../core/task.js';
import type { NodeContext } from '../engine/node-executor.js';
import { SqliteStore } from '../store/sqlite-store.js';
import { GitWorkspace } from '../workspace/git-workspace.js';
import { contextExecutor } from './context.js';

/** A real worktree whose file reads are counted. */
class CountingWorkspace extends GitWorkspace {
  reads = 0;
  override readFile(path: string): Promise<string> {
    this.reads++;
    return super.readFile(path);
  }
}

async function setup() {
  const dir = mkdtempSync(join(tmpdir(), 'tg-context-node-'));
  const git = (...args: string[]) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { cwd: dir });
  git('init', '-q', '-b', 'main');
  for (let i = 0; i < 30; i++) writeFileSync(join(dir, `mod${i}.ts`), `/** module ${i} */\n\nexport function feature${i}() {\n  return ${i};\n}\n`);
  git('add', '-A');
  git('commit', '-qm', 'init');
  const store = SqliteStore.open(':memory:');
  await store.migrate();
  const task = TaskSchema.parse({ planId: 'p-1', id: 'T1', title: 'Change feature7', description: 'Make feature7 return 70.' });
  await store.savePlan({ id: 'p-1', goal: 'g', createdAt: new Date(0).toISOString(), tasks: [task], meta: {} });
  const workspace = new CountingWorkspace(dir, 'main');
  const ctx = {
    runId: 'r-1',
    node: { id: 'T1/context', kind: 'context', task: 'T1', config: { task: 'T1' }, inputs: {} },
    attempt: 1,
    store,
    projectDir: dir,
    config: ProjectConfigSchema.parse({ name: 'm', contextBudget: 4000 }),
    workspace,
    models: undefined,
    planId: 'p-1',
    outputOf: () => undefined,
    scripts: new Map(),
    signal: new AbortController().signal,
    log: () => undefined,
  } as unknown as NodeContext;
  return { dir, ctx, workspace };
}

/** Executes the node the way the engine does: key ingredients first, then execute with them. */
async function execute(ctx: NodeContext) {
  const extra = await contextExecutor.keyIngredients!({ task: 'T1' }, {}, ctx);
  const ingredients = keyIngredients('context', contextExecutor.version, { task: 'T1' }, {}, extra);
  return contextExecutor.execute({ task: 'T1' }, {}, { ...ctx, ingredients });
}

describe('context node: retrieval index reuse', () => {
  it('indexes a worktree tree once (a retry from the same commit reads no file again), and again once a file changes', async () => {
    const { dir, ctx, workspace } = await setup();
    const first = await execute(ctx);
    expect(first.status).toBe('succeeded');
    const firstReads = workspace.reads;
    expect(firstReads).toBeGreaterThanOrEqual(30);

    const second = await execute(ctx);
    expect(workspace.reads - firstReads).toBeLessThan(5);
    // the same bundle, byte for byte
    expect(JSON.stringify(second)).toBe(JSON.stringify(first));

    writeFileSync(join(dir, 'mod7.ts'), 'export function feature7() {\n  return 70;\n}\n');
    const before = workspace.reads;
    const third = await execute(ctx);
    expect(workspace.reads - before).toBeGreaterThanOrEqual(30);
    expect(JSON.stringify(third)).toContain('return 70');
  });
});

describe('context node: the stored project index', () => {
  /** Records a successful `index` attempt of run `runId` whose output indexed `head`. */
  async function storeIndex(ctx: NodeContext, runId: string, head: string, goal: string) {
    const output: Json = {
      kind: 'project-index', planId: 'p-0', path: 'INDEX.md', text: '# Project index\n', head, tree: 'f'.repeat(40), project: '**m**',
      modules: [{ path: 'mod7.ts', doc: 'module 7', exports: ['feature7'] }, { path: 'mod8.ts', exports: ['feature8'] }],
      goals: [`- \`p-0\` ${goal} — T1 ${goal} (done)`], committed: false,
    };
    const now = new Date().toISOString();
    await ctx.store.createRun({ id: runId, status: 'succeeded', graph: { id: 'g', nodes: [], edges: [] } as never, command: 'do', options: {}, projectDir: '/p', createdAt: now, updatedAt: now });
    const ing = keyIngredients('script', 1, { fn: 'project-index' }, {}, { run: runId });
    await ctx.store.recordFinishedAttempt(
      { runId, nodeId: 'index', number: 1, status: 'succeeded', cacheKey: cacheKey(ing), ingredients: ing, output, usage: { inputTokens: 0, outputTokens: 0, costUsd: 0, calls: 0 }, startedAt: now, finishedAt: now, durationMs: 1 },
      { runId, nodeId: 'index', status: 'succeeded', attempts: 1 },
    );
  }

  it('shows the index stored for the base commit as tier 1 (doc lines only next to the map), and keys on its hash', async () => {
    const { dir, ctx } = await setup();
    const head = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: dir, encoding: 'utf8' }).trim();
    const key = async () => cacheKey(keyIngredients('context', contextExecutor.version, { task: 'T1' }, {}, await contextExecutor.keyIngredients!({ task: 'T1' }, {}, ctx)));
    const none = await key();
    expect((await contextExecutor.keyIngredients!({ task: 'T1' }, {}, ctx))['index']).toBeNull();

    // an index of a commit this worktree does not hold is not used
    await storeIndex(ctx, 'r-other', 'e'.repeat(40), 'Elsewhere');
    expect(await key()).toBe(none);

    await storeIndex(ctx, 'r-0', head, 'Make modules');
    const withIndex = await key();
    expect(withIndex).not.toBe(none);
    const out = await execute(ctx);
    const bundle = (out as unknown as { output: { items: Array<{ title: string; text: string; origin: object }> } }).output;
    const item = bundle.items.find((i) => i.title === 'project index (INDEX.md)')!;
    expect(item.origin).toEqual({ planId: 'p-0' });
    expect(item.text).toContain('- `p-0` Make modules — T1 Make modules (done)');
    expect(item.text).toContain('- `mod7.ts` — module 7');
    expect(item.text).not.toContain('feature7');
    expect(item.text).not.toContain('mod8.ts');
    // the same index again: the same key; a newer one for the same commit: a new key
    expect(await key()).toBe(withIndex);
    await storeIndex(ctx, 'r-2', head, 'Make more modules');
    expect(await key()).not.toBe(withIndex);
  });
});

describe('context node: a docs: URL (issue 16)', () => {
  it('is fetched from an allowed host as Markdown into the bundle, its content is in the key, and a host off policy.safety.webHosts is refused', async () => {
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html', etag: '"v1"' });
      res.end(`<html><head><title>Feature guide</title></head><body><nav>Home</nav><article><h1>Feature guide</h1><p>feature7 must return 70 in release 1; callers rely on feature7 for the totals. Keep the module doc comment when you change it.</p><p>Every feature function returns a number, never a string, and has no side effects at all.</p></article></body></html>`);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/guide`;
    try {
      const { ctx: base } = await setup();
      const ctx = { ...base, config: ProjectConfigSchema.parse({ name: 'm', contextBudget: 4000, docs: [url], policy: { safety: { webHosts: ['127.0.0.1'] } } }) } as NodeContext;
      const key = async (c: NodeContext) => cacheKey(keyIngredients('context', contextExecutor.version, { task: 'T1' }, {}, await contextExecutor.keyIngredients!({ task: 'T1' }, {}, c)));
      const k1 = await key(ctx);
      const out = await execute(ctx);
      const items = (out as unknown as { output: { items: Array<{ title: string; text: string; origin: { path?: string } }> } }).output.items;
      const doc = items.find((i) => i.origin.path === url)!;
      expect(doc.text).toContain('feature7 must return 70 in release 1');
      expect(doc.text).not.toContain('Home');
      expect(await key(ctx)).toBe(k1); // cached page (1 h TTL): same key, no request
      const denied = { ...ctx, config: ProjectConfigSchema.parse({ docs: [url] }) } as NodeContext;
      await expect(contextExecutor.keyIngredients!({ task: 'T1' }, {}, denied)).rejects.toMatchObject({ code: 'WEB_HOST_DENIED' });
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});
