import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TaskSchema } from '../core/task.js';
import { assembleContext } from './assemble.js';
import { assembleForBench, listRepoFiles, shopAssembleInput } from './bench.js';
import { buildContextIndex, type ContextIndex } from './context-index.js';
import { generateShopRepo, writeShopRepo } from './fixtures/shop-repo.js';
import { SHOP_TASKS } from './fixtures/shop-tasks.js';
import { renderBundle } from './render.js';
import { countTokens } from './tokenizer.js';
import type { ContextBundle } from './types.js';

/** Whether tiers 7–8 put `path` into the bundle: a retrieved passage, or a map entry with its symbols. */
function retrieved(bundle: ContextBundle, path: string): { passage: boolean; map: boolean } {
  const passage = bundle.items.some((i) => i.source === 'retrieval' && i.origin.path === path);
  const lines = bundle.items.find((i) => i.source === 'repo-map')?.text.split('\n') ?? [];
  const at = lines.indexOf(path);
  const map = at >= 0 && /^ {2}\d+: /.test(lines[at + 1] ?? '');
  return { passage, map };
}

describe('retrieval on the fixture web shop', () => {
  let dir: string;
  let repoFiles: string[];
  let index: ContextIndex;
  const read = async (p: string) => (await import('node:fs/promises')).readFile(join(dir, p), 'utf8');

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tg-ctx-shop-'));
    await writeShopRepo(dir);
    repoFiles = await listRepoFiles(dir);
    index = await buildContextIndex({ repoFiles, readFile: read });
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('generates the same repository of at least 200 files every time, padded on request', () => {
    expect(repoFiles.length).toBeGreaterThanOrEqual(200);
    expect(generateShopRepo()).toEqual(generateShopRepo());
    expect(generateShopRepo().map((f) => f.path)).toEqual(repoFiles);
    const big = generateShopRepo({ files: 600 });
    expect(big.length).toBe(600);
    expect(new Set(big.map((f) => f.path)).size).toBe(600);
    expect(generateShopRepo({ seed: 7 })).not.toEqual(generateShopRepo({ seed: 8 }));
    for (const t of SHOP_TASKS) expect(repoFiles).toContain(t.relevant);
  });

  it('puts the relevant file into an 8,000-token bundle for at least 8 of 10 tasks', async () => {
    const outcomes: string[] = [];
    let hits = 0;
    for (const spec of SHOP_TASKS) {
      const task = TaskSchema.parse({ planId: 'shop', id: spec.id, title: spec.title, description: spec.description });
      const bundle = await assembleContext(shopAssembleInput(task, { repoFiles, readFile: read, index, budget: 8000 }));
      expect(countTokens(renderBundle(bundle), 'cl100k_base')).toBeLessThanOrEqual(8000);
      const r = retrieved(bundle, spec.relevant);
      if (r.passage || r.map) hits++;
      outcomes.push(`${spec.id} ${spec.relevant}: passage=${r.passage} map=${r.map}`);
    }
    console.log(`retrieval hits ${hits}/10\n${outcomes.join('\n')}`);
    expect(hits).toBeGreaterThanOrEqual(8);
  });

  it('assembleForBench reads, indexes and assembles from disk', async () => {
    const r = await assembleForBench(dir);
    expect(r.files).toBe(repoFiles.length);
    expect(r.indexMs).toBeGreaterThan(0);
    expect(r.totalMs).toBeCloseTo(r.indexMs + r.assembleMs, 5);
    expect(r.bundle.tokens).toBeLessThanOrEqual(8000);
    expect(retrieved(r.bundle, SHOP_TASKS[0]!.relevant).passage).toBe(true);
  });
});
