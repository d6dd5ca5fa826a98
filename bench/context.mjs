// Context assembly time on a 2,000-file repository (issue 4): builds the fixture web shop
// (src/context/fixtures/shop-repo.ts) padded to 2,000 files in a temp dir, then runs
// assembleForBench (src/context/bench.ts) 5 times: list + read + index every file, then
// assemble the bundle of a fixture task under an 8,000-token cl100k_base budget.
// Prints ONE JSON object on stdout; progress goes to stderr. Needs a build (`npm run build`).
//
//   node bench/context.mjs            # { context_assembly_ms_2000_files, index_ms, assemble_ms, ... }
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assembleForBench } from '../dist/context/bench.js';
import { writeShopRepo } from '../dist/context/fixtures/shop-repo.js';

const FILES = 2000;
const RUNS = 5;
const BUDGET = 8000;

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
};
const round = (x) => Math.round(x * 10) / 10;

const dir = await mkdtemp(join(tmpdir(), 'tg-bench-context-'));
try {
  const paths = await writeShopRepo(dir, { files: FILES });
  process.stderr.write(`context: ${paths.length} files in ${dir}\n`);
  const runs = [];
  for (let i = 0; i < RUNS; i++) {
    const r = await assembleForBench(dir, BUDGET);
    runs.push(r);
    process.stderr.write(`context: run ${i + 1}/${RUNS}: ${r.totalMs.toFixed(0)} ms (index ${r.indexMs.toFixed(0)}, assemble ${r.assembleMs.toFixed(0)}), ${r.bundle.tokens}/${BUDGET} tokens, ${r.bundle.items.length} items\n`);
  }
  const last = runs[runs.length - 1];
  const result = {
    context_assembly_ms_2000_files: round(median(runs.map((r) => r.totalMs))),
    index_ms: round(median(runs.map((r) => r.indexMs))),
    assemble_ms: round(median(runs.map((r) => r.assembleMs))),
    files: last.files,
    runs: RUNS,
    budget_tokens: BUDGET,
    bundle_tokens: last.bundle.tokens,
    bundle_items: last.bundle.items.length,
    notes: 'median of 5; each run lists, reads and indexes every file, then assembles; the first run also loads the cl100k_base tokenizer',
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
} finally {
  await rm(dir, { recursive: true, force: true });
}
