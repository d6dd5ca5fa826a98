#!/usr/bin/env node
/**
 * `node bench/ui-render.mjs [NODES]` (after `npm run build`): the web UI on a large run (issue 12
 * "Scale"). Runs a NODES-node graph of no-op script nodes in tasks of 20 (src/testing/scale-graph.ts)
 * in a scratch copy of examples/calculator, serves it with `taskgraph serve`'s server, opens the
 * run page in Debian's Chromium (playwright-core, /usr/bin/chromium, headless, no GPU) three
 * times and prints ONE JSON line with the medians: time to first render (navigation start until
 * the graph shows nodes and the node list has all of them), the layout alone, and the frame
 * times (median, p95) of requestAnimationFrame during a scripted drag of the graph.
 * Without Chromium or a built UI it prints `{"skipped": "..."}`.
 */
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const CHROMIUM = '/usr/bin/chromium';
const nodes = Number(process.argv[2] ?? 500);
const ROUNDS = 3;

if (!existsSync(CHROMIUM) || !existsSync(join(root, 'dist', 'ui', 'index.html'))) {
  const why = !existsSync(CHROMIUM) ? `${CHROMIUM} is missing (apt-get install -y chromium)` : 'dist/ui is not built (npm run build)';
  process.stdout.write(`${JSON.stringify({ skipped: why })}\n`);
  process.exit(0);
}

const { chromium } = await import('playwright-core');
const { openProject } = await import('../dist/cli/wiring.js');
const { startServer } = await import('../dist/server/start-server.js');
const { scaleGraph } = await import('../dist/testing/scale-graph.js');
const { measureRunPage } = await import('../dist/testing/ui-measure.js');
const { CHROMIUM_ARGS } = await import('../dist/context/headless-chromium.js');

const base = mkdtempSync(join(tmpdir(), 'tg-bench-ui-'));
const dir = join(base, 'calculator');
cpSync(join(root, 'examples', 'calculator'), dir, { recursive: true });
rmSync(join(dir, '.taskgraph'), { recursive: true, force: true });
const project = await openProject(dir);
const token = 'bench-ui-token-0123456789abcdef';
const server = await startServer(project, { port: 0, token });
const browser = await chromium.launch({
  executablePath: CHROMIUM,
  args: [...CHROMIUM_ARGS],
});
try {
  const summary = await project.engine({ concurrency: 16 }).start({ graph: scaleGraph(nodes), command: 'run', options: { goal: `${nodes}-node scale run` } });
  if (summary.status !== 'succeeded') throw new Error(`the ${nodes}-node run ended ${summary.status}`);
  const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
  await page.goto(`${server.url}/#token=${token}`);
  const rounds = [];
  for (let i = 0; i < ROUNDS; i++) {
    rounds.push(await measureRunPage(page, `${server.url}/#/runs/${encodeURIComponent(summary.runId)}`, nodes));
    process.stderr.write(`  round ${i + 1}: ${JSON.stringify(rounds.at(-1))}\n`);
  }
  const median = (key) => rounds.map((r) => r[key]).sort((a, b) => a - b)[Math.floor(rounds.length / 2)];
  process.stdout.write(
    `${JSON.stringify({
      nodes,
      rounds: ROUNDS,
      ui_first_render_ms: median('ui_first_render_ms'),
      ui_layout_ms: median('ui_layout_ms'),
      ui_pan_frame_ms_median: median('ui_pan_frame_ms_median'),
      ui_pan_frame_ms_p95: median('ui_pan_frame_ms_p95'),
      browser: `chromium ${browser.version()} headless, --disable-gpu`,
    })}\n`,
  );
} finally {
  await browser.close();
  await server.close();
  await project.close();
  rmSync(base, { recursive: true, force: true });
}
