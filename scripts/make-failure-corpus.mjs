#!/usr/bin/env node
/**
 * Regenerates the failure-digest corpus (src/verify/fixtures/corpus/): runs real test runners on
 * the small fixture projects in src/verify/fixtures/corpus/projects/ and stores what they print.
 *
 * Usage: node scripts/make-failure-corpus.mjs [entry-name ...]
 *
 * Each project is copied to /tmp/taskgraph-failure-corpus/<project> (a fixed path, so the
 * absolute paths in the outputs stay the same from one generation to the next) and its command
 * runs there with stdout and stderr combined (`2>&1`), `CI=1`, no colours. The JavaScript runners
 * come from the npm registry, installed once into /tmp/taskgraph-failure-corpus/_deps (never into
 * this repository): vitest 3.2.4, jest 29.7.0, mocha 10.8.2, tape 5.10.2. Also needed on PATH:
 * node, python3 with pytest, cargo (no crates are fetched), go. The builds that fail before any
 * test runs use tsc from this repository's node_modules/.bin (TypeScript 7), cargo/rustc and
 * python3; their entries need no registry.
 *
 * Writes `<entry>.txt` (and `<entry>.junit.xml` when the entry asks pytest for JUnit XML) and
 * updates `runner`, `command`, `exitCode` and `cwd` of the entry in manifest.json, keeping the
 * hand-written `name` (a failing test's name as the digest prints it) and `errorLine` (its
 * error line) of entries that already have them.
 */
import { execSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const corpus = join(here, '..', 'src', 'verify', 'fixtures', 'corpus');
const root = '/tmp/taskgraph-failure-corpus';
const deps = join(root, '_deps');

/** name -> [runner, project, command, extra env]; `JUNIT` in env asks pytest for a JUnit report */
const ENTRIES = {
  'pytest-basic': ['pytest', 'py-basic', 'python3 -m pytest'],
  'pytest-basic-q': ['pytest', 'py-basic', 'python3 -m pytest -q'],
  'pytest-build-log': ['pytest', 'py-basic', `python3 -c "for i in range(600): print(f'[build] compiling module {i}/600 ... ok')" && python3 -m pytest -q`],
  'pytest-warnings': ['pytest', 'py-warnings', 'python3 -m pytest'],
  'pytest-long-log': ['pytest', 'py-longlog', 'python3 -m pytest'],
  'pytest-deep': ['pytest', 'py-deep', 'python3 -m pytest'],
  'pytest-deep-short': ['pytest', 'py-deep', 'python3 -m pytest --tb=short'],
  'pytest-verbose': ['pytest', 'py-verbose', 'python3 -m pytest -v'],
  'pytest-junit': ['pytest', 'py-junit', 'python3 -m pytest', { JUNIT: '1' }],
  'pytest-errors': ['pytest', 'py-errors', 'python3 -m pytest'],
  'node-test-tap': ['node', 'node-basic', 'node --test'],
  'node-test-noisy': ['node', 'node-noisy', 'node --test'],
  'node-test-spec': ['node', 'node-spec', 'node --test --test-reporter=spec'],
  'node-test-tap-throws': ['node', 'node-spec', 'node --test'],
  'vitest-basic': ['vitest', 'vitest-basic', 'npx vitest run'],
  'vitest-noisy': ['vitest', 'vitest-noisy', 'npx vitest run'],
  'jest-basic': ['jest', 'jest-basic', 'npx jest'],
  'jest-noisy': ['jest', 'jest-noisy', 'npx jest'],
  'jest-broken': ['jest', 'jest-broken', 'npx jest'],
  'mocha-basic': ['mocha', 'mocha-basic', 'npx mocha'],
  'mocha-deep': ['mocha', 'mocha-deep', 'npx mocha'],
  'tape-basic': ['tape', 'tape-basic', 'node test/math.js'],
  'cargo-basic': ['cargo', 'cargo-basic', 'cargo test'],
  'cargo-warnings': ['cargo', 'cargo-warnings', 'cargo test'],
  'cargo-multi': ['cargo', 'cargo-multi', 'cargo test --no-fail-fast'],
  'go-basic': ['go', 'go-basic', 'go test ./...'],
  'go-basic-v': ['go', 'go-basic', 'go test -v ./...'],
  'go-panic': ['go', 'go-panic', 'go test ./...'],
  // builds that fail before the tests run: compiler and type-checker errors, warnings mixed in
  'tsc-plain': ['tsc', 'tsc-errors', 'tsc -p .'],
  'tsc-pretty': ['tsc', 'tsc-errors', 'tsc -p . --pretty'],
  'cargo-build-errors': ['rustc', 'rust-build', 'cargo build'],
  'cargo-test-build-errors': ['rustc', 'rust-build', 'cargo test'],
  'pytest-syntax-error': ['pytest', 'py-syntax', 'python3 -m pytest'],
  'python-compile-error': ['python', 'py-syntax', 'python3 -m compileall -q .'],
  'python-import-error': ['python', 'py-import', 'python3 -W default main.py'],
};
const JS_RUNNERS = ['node', 'vitest', 'jest', 'mocha', 'tape'];

const only = process.argv.slice(2);
const manifestPath = join(corpus, 'manifest.json');
const manifest = existsSync(manifestPath) ? JSON.parse(readFileSync(manifestPath, 'utf8')) : {};

mkdirSync(root, { recursive: true });
const chosen = Object.entries(ENTRIES).filter(([name]) => only.length === 0 || only.includes(name));
if (chosen.some(([, [runner]]) => JS_RUNNERS.includes(runner)) && !existsSync(join(deps, 'node_modules'))) {
  mkdirSync(deps, { recursive: true });
  writeFileSync(join(deps, 'package.json'), '{"private":true}\n');
  execSync('npm install --no-audit --no-fund vitest@3.2.4 jest@29.7.0 mocha@10.8.2 tape@5.10.2', { cwd: deps, stdio: 'inherit' });
}

for (const [name, [runner, project, command, env = {}]] of chosen) {
  const cwd = join(root, project);
  rmSync(cwd, { recursive: true, force: true });
  cpSync(join(corpus, 'projects', project), cwd, { recursive: true });
  if (JS_RUNNERS.includes(runner)) symlinkSync(join(deps, 'node_modules'), join(cwd, 'node_modules'));
  const junit = env.JUNIT ? join(cwd, 'report.xml') : undefined;
  const runEnv = { ...process.env, CI: '1', NO_COLOR: '1', FORCE_COLOR: '0', ...(junit ? { PYTEST_ADDOPTS: `--junitxml=${junit}` } : {}) };
  delete runEnv.JUNIT;
  if (runner === 'tsc') runEnv.PATH = `${join(here, '..', 'node_modules', '.bin')}:${runEnv.PATH}`;
  const r = spawnSync('sh', ['-c', `${command} 2>&1`], { cwd, env: runEnv, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  writeFileSync(join(corpus, `${name}.txt`), r.stdout);
  if (junit) writeFileSync(join(corpus, `${name}.junit.xml`), readFileSync(junit, 'utf8'));
  manifest[name] = { name: '', errorLine: '', ...manifest[name], runner, command, exitCode: r.status, cwd, ...(junit ? { junit: `${name}.junit.xml` } : {}) };
  console.log(`${name}: exit ${r.status}, ${r.stdout.length} chars`);
}
writeFileSync(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
