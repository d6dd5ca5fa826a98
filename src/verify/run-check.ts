import { randomBytes } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { trimMiddle } from '../engine/refine.js';
import type { ProcessResult } from '../nodes/run-process.js';
import { type GateOptions, runGated } from '../sandbox/gate.js';
import { type Digest, failureDigest } from './failure-digest.js';
import { MAX_JUNIT_CHARS } from './junit-results.js';
import { readTestResults, type TestResults } from './test-results.js';

/**
 * One check (a test or build command) run through the command gate, with its failing tests read
 * from the output when asked. To get a machine-readable report without changing the user's
 * command, pytest is asked through its environment (`PYTEST_ADDOPTS`, documented at
 * https://docs.pytest.org/en/stable/reference/reference.html#envvar-PYTEST_ADDOPTS) to also write
 * JUnit XML into a file in the command's directory, which is read and removed afterwards; other
 * runners ignore the variable.
 */

/** What {@link runCheck} returns. */
export interface CheckRun {
  command: string;
  result: ProcessResult;
  /** the failing tests read from the output (when `readTests` was set) */
  tests?: TestResults;
  /**
   * the failure digest of the whole output (and JUnit report), at most the gate's limit
   * (`policy.outputLimit`) characters: when `readTests` was set, the check failed (non-zero
   * exit, signal or timeout) and a reader recognised the output (else `result.output`'s head and
   * tail are all there is)
   */
  digest?: Digest;
}

/**
 * Characters of output kept for reading failing tests (the gate's `limit`), 1,000,000: a test run
 * that prints more is read from its head and tail only, and its failing set counts as incomplete
 * unless a JUnit report covered it.
 */
export const READ_LIMIT_CHARS = 1_000_000;

/** Name prefix of the JUnit report file taskgraph asks pytest for (in the command's directory, removed after). */
export const JUNIT_FILE_PREFIX = '.taskgraph-junit-';

/**
 * Runs `command` through {@link runGated} and, when `readTests` is set, reads its failing tests
 * and, when it fails, builds its failure digest (`failure-digest.ts`) from the whole output.
 * @param command the shell line (the project's own command, never model text)
 * @param gate the gate options (`kind`, `cwd`, config, timeout, signal ...); its `env` is kept
 * @param readTests whether to collect failing tests and the digest (sets `PYTEST_ADDOPTS`, reads the report)
 * @throws Error only when the shell cannot be spawned (see {@link runGated})
 */
export async function runCheck(command: string, gate: GateOptions, readTests: boolean): Promise<CheckRun> {
  if (!readTests) return { command, result: await runGated(command, gate) };
  const junit = join(gate.cwd, `${JUNIT_FILE_PREFIX}${randomBytes(6).toString('hex')}.xml`);
  // the user's own PYTEST_ADDOPTS reaches the command only when envAllowlist names it
  const allowed = [...gate.config.policy.envAllowlist, ...(gate.envNames ?? [])].includes('PYTEST_ADDOPTS');
  const own = allowed ? (gate.env?.['PYTEST_ADDOPTS'] ?? process.env['PYTEST_ADDOPTS']) : gate.env?.['PYTEST_ADDOPTS'];
  const addopts = `${own ? `${own} ` : ''}--junitxml=${junit}`;
  try {
    const full = await runGated(command, { ...gate, limit: READ_LIMIT_CHARS, env: { ...(gate.env ?? {}), PYTEST_ADDOPTS: addopts } });
    const xml = await readJunit(junit);
    const tests = readTestResults({ output: full.output, ...(xml !== undefined ? { junitXml: xml } : {}), cwd: gate.cwd });
    const cut = full.output.length > READ_LIMIT_CHARS; // trimMiddle added its marker
    if (cut && xml === undefined) tests.incomplete = [tests.incomplete, `the output was longer than ${READ_LIMIT_CHARS} characters and was cut`].filter(Boolean).join('; ');
    const limit = gate.limit ?? gate.config.policy.outputLimit;
    const result = { ...full, output: trimMiddle(full.output, limit), stdout: trimMiddle(full.stdout, limit), stderr: trimMiddle(full.stderr, limit) };
    if (full.exitCode === 0 && !full.timedOut) return { command, result, tests };
    const digest = failureDigest({ command, exitCode: full.exitCode, timedOut: full.timedOut, output: full.output, ...(xml !== undefined ? { junitXml: xml } : {}), cwd: gate.cwd, limit });
    // output no reader recognises keeps its head and tail in `result.output` alone
    return { command, result, tests, ...(digest.sources.length > 0 ? { digest } : {}) };
  } finally {
    await rm(junit, { force: true }).catch(() => undefined);
  }
}

async function readJunit(path: string): Promise<string | undefined> {
  try {
    const text = await readFile(path, 'utf8');
    return text.length > MAX_JUNIT_CHARS ? undefined : text;
  } catch {
    return undefined;
  }
}
