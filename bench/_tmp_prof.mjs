#!/usr/bin/env node
/**
 * Tasks in parallel (issue 10): the real CLI (`taskgraph do`) on a small real project, a plan of 8
 * tasks of width 4 and a critical path of 3 (A1..A4; B1 after A1+A2, B2 after A3, B3 after A4;
 * C1 after B1..B3), a scripted model behind the loopback fake OpenAI server answering after
 * MODEL_MS, and a test command that takes about TEST_MS. The same plan runs twice on fresh copies:
 * `--task-concurrency 1` (serial) and `--task-concurrency 4` (parallel).
 *
 * Figures (from the store's attempt times, tasks' phase only: first task attempt started to last
 * one ended, so the shared planning call is left out):
 * - task_parallel_speedup: serial phase ÷ parallel phase;
 * - task_makespan_over_critical_path: parallel phase ÷ the critical path, the longest dependency
 *   chain of the tasks' OWN work in the parallel run: per task, from the start of its last
 *   `T/context` attempt to the end of its last `T/commit` attempt (its last attempt, context to
 *   commit). Time a task waits for a free slot, for earlier tasks to integrate, or for its
 *   integration check is NOT in it (so integration overhead shows in the ratio);
 * - integration_checks: how many `T/integrate` checks ran (a batch of tasks integrated together
 *   runs one check over its tip), integration_check_ms: their mean duration, and
 *   integration_ms_per_task: the integration overhead per task, the time the phase spends with a
 *   check running and no task working, divided by the tasks.
 * Prints ONE JSON object on stdout; progress on stderr. Needs a build (`npm run build`).
 *
 *   node bench/parallel-tasks.mjs [MODEL_MS=2000] [TEST_MS=1000]
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { startFakeOpenAIServer } from '../dist/testing/fake-openai-server.js';
import { udiff } from '../dist/testing/udiff.js';

const here = dirname(fileURLToPath(import.meta.url));
const CLI = join(here, '..', 'dist', 'cli', 'main.js');
const MODEL_MS = Number(process.argv[2] ?? 2000);
const TEST_MS = Number(process.argv[3] ?? 1000);
const log = (m) => process.stderr.write(`${m}\n`);
const git = promisify(execFile);
const GIT_ENV = { GIT_AUTHOR_NAME: 'bench', GIT_AUTHOR_EMAIL: 'bench@localhost', GIT_COMMITTER_NAME: 'bench', GIT_COMMITTER_EMAIL: 'bench@localhost' };

/** The plan: id -> dependencies. */
const TASKS = { A1: [], A2: [], A3: [], A4: [], B1: ['A1', 'A2'], B2: ['A3'], B3: ['A4'], C1: ['B1', 'B2', 'B3'] };
const PLAN = JSON.stringify({
  tasks: Object.entries(TASKS).map(([id, deps]) => ({
    id,
    title: `Add module ${id.toLowerCase()}`,
    description: `Create src/${id.toLowerCase()}.js exporting ${id.toLowerCase()}().`,
    acceptance: ['the module loads and the tests pass'],
    dependencies: deps,
    atomic: true,
    files: [`src/${id.toLowerCase()}.js`],
  })),
});

async function respond(req) {
  await sleep(MODEL_MS);
  const system = req.messages.filter((m) => m.role === 'system').map((m) => m.content).join('\n');
  const user = req.messages.filter((m) => m.role === 'user').map((m) => m.content).join('\n');
  if (system.startsWith('You are the planner')) return { content: PLAN };
  const task = /# Task (\S+):/.exec(user)?.[1];
  if (task && TASKS[task]) {
    const name = task.toLowerCase();
    return { content: udiff([[`src/${name}.js`, null, `/** Module ${name}. */\nexport function ${name}() {\n  return '${name}';\n}\n`]]) };
  }
  return { content: 'ok' };
}

/** A fresh project: every src/*.js must load; the check takes about TEST_MS. */
async function project(base, name, url) {
  const dir = join(base, name);
  await mkdir(join(dir, 'src'), { recursive: true });
  await mkdir(join(dir, 'test'), { recursive: true });
  await writeFile(join(dir, 'package.json'), '{ "name": "bench-app", "type": "module" }\n');
  await writeFile(join(dir, 'src', 'index.js'), "/** The app. */\nexport const app = 'bench';\n");
  await writeFile(
    join(dir, 'test', 'run.mjs'),
    `import { readdirSync } from 'node:fs';\nconst until = Date.now() + ${TEST_MS};\nfor (const f of readdirSync('src')) await import('../src/' + f);\nawait new Promise((r) => setTimeout(r, Math.max(0, until - Date.now())));\nconsole.log('ok');\n`,
  );
  const profile = `    provider: openai-compatible\n    baseURL: ${url}\n    model: bench-model\n    temperature: 0\n    price: { input: 0.15, output: 0.6 }\n`;
  await writeFile(
    join(dir, 'taskgraph.yaml'),
    `name: bench-app\nlanguage: javascript\ncommands:\n  test: node test/run.mjs\nmodels:\n  planner:\n${profile}  coder:\n${profile}policy:\n  maxAttempts: 1\n  baseline: off\n  concurrency: 8\n`,
  );
  await git('git', ['init', '-q', '-b', 'main'], { cwd: dir });
  await git('git', ['add', '-A'], { cwd: dir });
  await git('git', ['commit', '-q', '-m', 'bench app'], { cwd: dir, env: { ...process.env, ...GIT_ENV } });
  return dir;
}

function runDo(dir, taskConcurrency, cacheHome) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const env = { ...process.env, ...GIT_ENV, CI: '1', NO_COLOR: '1', XDG_CACHE_HOME: cacheHome, GITLOG: '/tmp/gitlog-' + taskConcurrency };
    delete env.OPENAI_API_KEY;
    const proc = spawn(process.execPath, [...(process.env.PROF ? ['--cpu-prof', '--cpu-prof-dir=/tmp/prof-' + taskConcurrency] : []), CLI, '-C', dir, 'do', 'Add the eight modules.', '--task-concurrency', String(taskConcurrency), '--json'], { env, stdio: ['ignore', 'pipe', process.env.BENCH_VERBOSE ? 'inherit' : 'pipe'] });
    let out = '';
    let err = '';
    proc.stdout.on('data', (d) => (out += d));
    proc.stderr?.on('data', (d) => (err += d));
    proc.on('close', (code) => {
      if (code !== 0) return reject(new Error(`do --task-concurrency ${taskConcurrency} exited ${code}: ${err.slice(-2000)}`));
      resolve({ summary: JSON.parse(out), wallMs: performance.now() - t0 });
    });
  });
}

/**
 * Per task: [first attempt start, last attempt end] ms of all its nodes (the phase), its own work
 * [start of its last `T/context` attempt, end of its last `T/commit` attempt] ms, and the
 * integration checks ([start, end] ms each).
 */
function taskSpans(dir, runId) {
  const db = new Database(join(dir, '.taskgraph', 'taskgraph.db'), { readonly: true });
  try {
    const rows = db.prepare('SELECT node_id, started_at, finished_at FROM attempts WHERE run_id = ? ORDER BY seq').all(runId);
    const spans = {};
    const own = {};
    const checks = [];
    for (const r of rows) {
      const [task, node] = r.node_id.split('/');
      if (!(task in TASKS)) continue;
      const s = Date.parse(r.started_at);
      const e = Date.parse(r.finished_at ?? r.started_at);
      if (node === 'integrate') checks.push([s, e]);
      if (node === 'context') own[task] = [s, own[task]?.[1] ?? s];
      if (node === 'commit') own[task] = [own[task]?.[0] ?? s, e];
      spans[task] = spans[task] ? [Math.min(spans[task][0], s), Math.max(spans[task][1], e)] : [s, e];
    }
    return { spans, own, checks };
  } finally {
    db.close();
  }
}

function phaseMs(spans) {
  const all = Object.values(spans);
  return Math.max(...all.map((s) => s[1])) - Math.min(...all.map((s) => s[0]));
}

/** The longest chain of the tasks' own work along the dependencies (ms). */
function criticalPathMs(own) {
  const memo = {};
  const longest = (id) => (memo[id] ??= own[id][1] - own[id][0] + Math.max(0, ...TASKS[id].map(longest)));
  return Math.max(...Object.keys(TASKS).map(longest));
}

/** ms during which a check runs and no task does its own work. */
function checkOnlyMs(checks, own) {
  let total = 0;
  for (const [s, e] of checks) {
    for (let t = s; t < e; t += 10) if (!Object.values(own).some(([a, b]) => a <= t && t < b)) total += Math.min(10, e - t);
  }
  return total;
}

const base = await mkdtemp(join(tmpdir(), 'taskgraph-bench-parallel-'));
const server = await startFakeOpenAIServer({ respond });
try {
  const serialDir = await project(base, 'serial', server.url);
  const parallelDir = await project(base, 'parallel', server.url);
  log(`[parallel tasks] serial (--task-concurrency 1), model ${MODEL_MS} ms, tests ~${TEST_MS} ms ...`);
  const serial = await runDo(serialDir, 1, join(base, 'cache'));
  log(`  ${serial.summary.status} in ${(serial.wallMs / 1000).toFixed(1)} s`);
  log('[parallel tasks] parallel (--task-concurrency 4) ...');
  const parallel = await runDo(parallelDir, 4, join(base, 'cache'));
  log(`  ${parallel.summary.status} in ${(parallel.wallMs / 1000).toFixed(1)} s`);
  if (serial.summary.status !== 'succeeded' || parallel.summary.status !== 'succeeded') throw new Error('a run did not succeed');
  const s = taskSpans(serialDir, serial.summary.runId);
  const p = taskSpans(parallelDir, parallel.summary.runId);
  const serialPhase = phaseMs(s.spans);
  const parallelPhase = phaseMs(p.spans);
  const critical = criticalPathMs(p.own);
  const checkMs = p.checks.map(([a, b]) => b - a);
  const round = (x) => Math.round(x * 1000) / 1000;
  process.stdout.write(
    `${JSON.stringify({
      task_parallel_speedup: round(serialPhase / parallelPhase),
      task_makespan_over_critical_path: round(parallelPhase / critical),
      serial_task_phase_ms: serialPhase,
      parallel_task_phase_ms: parallelPhase,
      critical_path_ms: critical,
      serial_wall_ms: Math.round(serial.wallMs),
      parallel_wall_ms: Math.round(parallel.wallMs),
      integration_checks: p.checks.length,
      integration_check_ms: checkMs.length > 0 ? Math.round(checkMs.reduce((a, b) => a + b, 0) / checkMs.length) : null,
      integration_ms_per_task: Math.round(checkOnlyMs(p.checks, p.own) / Object.keys(TASKS).length),
      model_ms: MODEL_MS,
      test_ms: TEST_MS,
      tasks: Object.keys(TASKS).length,
    })}\n`,
  );
} finally {
  await server.close();
  process.stderr.write("BASE " + base + "\n");
}
