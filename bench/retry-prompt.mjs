#!/usr/bin/env node
// Prompt tokens of a retry compared with the first try (issue 9 benchmarks). Runs `taskgraph do`
// for real (the built CLI, its own process) on two fixtures whose task T1 fails verify once and
// then passes, then reads the run's attempts from the project store and hands them to
// retryPromptFigures (src/report/retry-prompt.ts): coder prompt tokens of edit attempts 1 and 2,
// the context budget, and whether the retry shows the previous diff, the failing test's block
// and the error line. Prints ONE JSON object on stdout; progress goes to stderr. Needs a build.
//
//   node bench/retry-prompt.mjs       # { scenarios: [{ name, files, ...figures }], ok }
//
// Fixtures:
// - demo: examples/calculator replaying examples/demo.cassette.json (as `npm run demo` does)
// - shop: the fixture web shop (src/context/fixtures/shop-repo.ts, ~255 files) plus a small
//   discount-code module and its node:test file, answered by the loopback fake OpenAI server
//   (dist/testing/fake-openai-server.js) in this process: a plan of one task, then a buggy edit,
//   then the fix (the retry is told apart by its "Notes from earlier attempts" section)
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { CASSETTE, CLI, GIT_ENV, GOAL as DEMO_GOAL, git, prepareSampleRepo, ROOT } from '../scripts/demo-shared.mjs';

const { retryPromptFigures } = await import(join(ROOT, 'dist', 'report', 'retry-prompt.js'));
const { startFakeOpenAIServer } = await import(join(ROOT, 'dist', 'testing', 'fake-openai-server.js'));
const { udiff } = await import(join(ROOT, 'dist', 'testing', 'udiff.js'));
const { writeShopRepo } = await import(join(ROOT, 'dist', 'context', 'fixtures', 'shop-repo.js'));

const log = (msg) => process.stderr.write(`retry-prompt: ${msg}\n`);
/** worktrees of the runs go under this cache directory, removed at the end */
const cacheHome = mkdtempSync(join(tmpdir(), 'tg-bench-retry-cache-'));
const ENV = { ...GIT_ENV, CI: '1', NO_COLOR: '1', XDG_CACHE_HOME: cacheHome };
delete ENV.OPENAI_API_KEY;
delete ENV.ANTHROPIC_API_KEY;

/** Runs the CLI asynchronously (an in-process fake server must keep answering); resolves { code, stdout }. */
function cli(dir, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, '-C', dir, ...args], { env: ENV, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Every attempt of a run from `<dir>/.taskgraph/taskgraph.db` (read-only), outputs over 64 KiB from `blobs`. */
function storedAttempts(dir, runId) {
  const db = new Database(join(dir, '.taskgraph', 'taskgraph.db'), { readonly: true, fileMustExist: true });
  try {
    return db
      .prepare(
        'SELECT a.node_id, a.number, a.status, coalesce(a.output, CAST(b.data AS TEXT)) AS output, a.output_hash, a.error, a.ingredients, a.input_tokens FROM attempts a LEFT JOIN blobs b ON b.hash = a.output_blob WHERE a.run_id = ? ORDER BY a.seq',
      )
      .all(runId);
  } finally {
    db.close();
  }
}

/** `taskgraph do GOAL --json ...extra` in `dir`, then the figures of T1 from the store. */
async function measure(name, dir, goal, extra, errorLine, files) {
  const started = performance.now();
  const r = await cli(dir, ['do', goal, '--json', ...extra]);
  if (r.code !== 0) throw new Error(`${name}: taskgraph do exited with ${r.code}: ${r.stderr.slice(-2000)}`);
  const { runId } = JSON.parse(r.stdout);
  const figures = retryPromptFigures(storedAttempts(dir, runId), 'T1', errorLine);
  log(`${name}: ${figures.first.promptTokens} → ${figures.retry.promptTokens} tokens (budget ${figures.budget}), checks ${JSON.stringify(figures.checks)} (${((performance.now() - started) / 1000).toFixed(1)} s)`);
  return { name, files, run: runId, ...figures };
}

/** The demo: T1 ("Add multiply") fails the multiply check once (a sign bug), then passes. */
async function demo() {
  const dir = prepareSampleRepo('tg-bench-retry-demo-');
  try {
    const files = git(dir, 'ls-files').split('\n').length;
    return await measure('demo', dir, DEMO_GOAL, ['--replay', CASSETTE], 'FAIL multiply multiplies: expected -6, got 6', files);
  } finally {
    rmSync(dirname(dir), { recursive: true, force: true });
  }
}

const DISCOUNT0 = `/**
 * Discount codes of the cart: a code takes a whole percentage off the subtotal.
 */

/** Known codes and the percentage each takes off. */
export const CODES = { WELCOME10: 10, SPRING25: 25 };

/** The percentage \`code\` takes off (case-insensitive), 0 for an unknown code. */
export function percentOff(code) {
  return CODES[String(code).toUpperCase()] ?? 0;
}
`;
const discountWith = (body) => `${DISCOUNT0}
/** The subtotal (minor units) after \`code\`'s discount, rounded to a whole minor unit. */
export function applyDiscountCode(subtotalMinor, code) {
  return ${body};
}
`;
const DISCOUNT_TEST = `import test from 'node:test';
import assert from 'node:assert/strict';
import * as discount from '../src/cart/discount-code.mjs';

test('percentOff knows the codes', () => {
  assert.equal(discount.percentOff('welcome10'), 10);
  assert.equal(discount.percentOff('nope'), 0);
});

test('applyDiscountCode reduces the subtotal', () => {
  assert.equal(typeof discount.applyDiscountCode, 'function');
  const reduced = discount.applyDiscountCode(2000, 'WELCOME10');
  assert.equal(reduced, 1800);
});

test('an unknown code leaves the subtotal alone', () => {
  assert.equal(discount.applyDiscountCode?.(999, 'nope'), 999);
});
`;
const SHOP_GOAL = 'Apply discount codes to the cart total: a valid code reduces the subtotal by its percentage.';
const SHOP_PLAN = {
  tasks: [
    {
      id: 'T1',
      title: 'Apply discount codes to the cart total',
      description: 'Add applyDiscountCode(subtotalMinor, code) to src/cart/discount-code.mjs: the subtotal after the code\'s percentage is taken off, rounded.',
      acceptance: ['applyDiscountCode(2000, "WELCOME10") returns 1800', 'the checks in test/discount-code.test.mjs pass'],
      dependencies: [],
      atomic: true,
      files: ['src/cart/discount-code.mjs'],
    },
  ],
};
const shopConfig = (url) => `name: shop
vision: The backend of a web shop.
language: javascript
commands:
  test: node --test test/discount-code.test.mjs
models:
  planner: { provider: openai-compatible, baseURL: ${url}, model: bench-model, temperature: 0 }
  coder: { provider: openai-compatible, baseURL: ${url}, model: bench-model, temperature: 0 }
policy:
  maxAttempts: 3
  # the discount checks fail at the base commit: the task is to make them pass
  baseline: off
`;

/** The shop: T1 first returns the discount instead of the reduced subtotal, then the fix. */
async function shop() {
  const edit = (retry) => udiff([['src/cart/discount-code.mjs', DISCOUNT0, discountWith(retry ? 'subtotalMinor - Math.round((subtotalMinor * percentOff(code)) / 100)' : 'Math.round((subtotalMinor * percentOff(code)) / 100)')]]);
  const respond = ({ messages }) => {
    const system = messages.find((m) => m.role === 'system')?.content ?? '';
    const user = messages.filter((m) => m.role === 'user').map((m) => m.content).join('\n');
    if (system.startsWith('You are the planner')) return { content: JSON.stringify(SHOP_PLAN) };
    if (/# Task T1:/.test(user)) return { content: edit(user.includes('## Notes from earlier attempts')) };
    return { status: 400, body: { error: { message: 'the retry-prompt bench has no answer for this request' } } };
  };
  const server = await startFakeOpenAIServer({ respond });
  const base = mkdtempSync(join(tmpdir(), 'tg-bench-retry-shop-'));
  const dir = join(base, 'shop');
  try {
    const paths = await writeShopRepo(dir);
    mkdirSync(join(dir, 'test'), { recursive: true });
    writeFileSync(join(dir, 'src', 'cart', 'discount-code.mjs'), DISCOUNT0);
    writeFileSync(join(dir, 'test', 'discount-code.test.mjs'), DISCOUNT_TEST);
    writeFileSync(join(dir, 'taskgraph.yaml'), shopConfig(server.url));
    git(dir, 'init', '-q', '-b', 'main');
    git(dir, 'add', '-A');
    git(dir, 'commit', '-q', '-m', 'shop fixture with discount codes');
    return await measure('shop', dir, SHOP_GOAL, [], '200 !== 1800', paths.length + 3);
  } finally {
    await server.close();
    rmSync(base, { recursive: true, force: true });
  }
}

try {
  const scenarios = [await demo(), await shop()];
  process.stdout.write(`${JSON.stringify({ scenarios, ok: scenarios.every((s) => s.ok) })}\n`);
} finally {
  rmSync(cacheHome, { recursive: true, force: true });
}
