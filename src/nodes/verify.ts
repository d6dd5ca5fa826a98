import { z } from 'zod';
import { verifyGates, type VerifyGate } from '../core/config.js';
import { TaskgraphError, type ErrorRecord } from '../core/errors.js';
import { isJsonObject, type Json } from '../core/json.js';
import type { NodeContext, NodeExecutor, NodeOutcome } from '../engine/node-executor.js';
import { pidDir } from '../engine/orphans.js';
import type { GateOptions } from '../sandbox/gate.js';
import { dependencyHash } from '../verify/dependency-files.js';
import { firstFailingLines } from '../verify/failure-lines.js';
import { compareWithBaseline, failingSetOf, listIds, type BaselineMode } from '../verify/known-failures.js';
import { runCheck } from '../verify/run-check.js';
import { readSetupMarker, runSetup } from '../verify/setup-run.js';

const VerifyConfig = z
  .object({
    /** commands to run in order; default: the project's test command (taskgraph.yaml commands.test) */
    commands: z.array(z.string().min(1)).optional(),
    /** ms per command; default policy.commandTimeoutMs */
    timeoutMs: z.number().int().positive().optional(),
    /**
     * this node verifies the run's base commit (the root node `baseline`): `strict` fails with
     * BASELINE_FAILED when a check fails; `known-failures` records the failing tests instead
     */
    baseline: z.enum(['strict', 'known-failures']).optional(),
  })
  .strict();

/** Config of a `verify` node. */
export type VerifyConfig = z.infer<typeof VerifyConfig>;

/** One check of a baseline: its command, exit code and the tests failing at the base. */
export interface BaselineCheck {
  command: string;
  exitCode: number | null;
  /** failing test ids (sorted); empty when the check passed */
  failing: string[];
}

/**
 * Output of a baseline `verify` node: deterministic (no durations), so a baseline served from
 * the cache and one run again give the same hash, and the verify nodes that take it as their
 * `baseline` input keep their keys.
 */
export interface BaselineOutput {
  baseline: BaselineMode;
  /** every check passed at the base */
  passed: boolean;
  checks: BaselineCheck[];
}

/** The known failures of a `baseline` input: command -> failing ids, when it is a known-failures baseline. */
function knownFailuresOf(input: Json | undefined): Map<string, string[]> | undefined {
  if (!isJsonObject(input) || input['baseline'] !== 'known-failures' || !Array.isArray(input['checks'])) return undefined;
  const known = new Map<string, string[]>();
  for (const check of input['checks']) {
    if (isJsonObject(check) && typeof check['command'] === 'string' && Array.isArray(check['failing'])) {
      known.set(check['command'], check['failing'].filter((f): f is string => typeof f === 'string'));
    }
  }
  return known;
}

function failed(error: ErrorRecord, output: Json): NodeOutcome {
  return { status: 'failed', output, error };
}

/**
 * Runs setup again when a task changed the dependency files since the worktree's last setup
 * (the marker `setup` wrote). Nothing to do without a worktree, without `commands.setup`, or
 * when setup never ran in this worktree.
 * @returns a failed outcome when that setup fails, else undefined
 */
async function refreshSetup(ctx: NodeContext): Promise<NodeOutcome | undefined> {
  const command = ctx.config.commands.setup;
  if (!ctx.workspace || !command) return undefined;
  const marker = await readSetupMarker(ctx.workspace.dir);
  if (!marker) return undefined;
  const deps = await dependencyHash(ctx.workspace.dir, await ctx.workspace.listFiles());
  if (marker.dependencies === deps.hash && marker.command === command) return undefined;
  ctx.log(`verify: the dependency files changed since the last setup (${listIds(deps.files)}): running setup again`);
  const { error } = await runSetup(command, {
    cwd: ctx.workspace.dir,
    config: ctx.config,
    projectDir: ctx.projectDir,
    dependencies: deps.hash,
    signal: ctx.signal,
    pidDir: pidDir(ctx.projectDir, ctx.runId),
    log: (m) => ctx.log(m),
    audit: { store: ctx.store, runId: ctx.runId, nodeId: ctx.node.id },
  });
  if (!error) return undefined;
  // the task changed a dependency file so that setup fails: a refinable verify failure
  return failed({ ...error, code: 'VERIFY_FAILED', message: `verify failed: the dependency files changed and ${error.message}` }, { passed: false, checks: [] });
}

/**
 * `verify` nodes (DESIGN.md §4, §2 step 4): run the project's checks in the worktree with a
 * timeout. All pass -> `{ passed: true, checks: [{ command, exitCode, durationMs }] }`. The first
 * failing check fails the node with VERIFY_FAILED carrying `details.command`, `details.exitCode`,
 * the trimmed `details.output` and `details.digest` (the failing tests, their error lines and
 * project frames: `verify/failure-digest.ts`), which refinement turns into a task note. Cache key adds the
 * commands and the worktree state, so an unchanged tree is not tested twice.
 *
 * - Before the checks, setup runs again when a task changed the dependency files
 *   ({@link refreshSetup}).
 * - `config.baseline` makes the node the run's baseline: the checks run over the base commit and
 *   give a {@link BaselineOutput}; in `strict` mode a failing check fails the node with
 *   BASELINE_FAILED (command, exit code, first failing lines, what to do), in `known-failures`
 *   mode the failing tests are recorded (BASELINE_FAILED only when they cannot be told).
 * - Lines of `config.commands` are the graph's own for the command policy (`origin: graph`, so
 *   `policy.safety.commands.allowGraph` allows them like a `command` node's line).
 * - After the test commands, a task's verify (not the baseline) runs `verify.gates` ({@link runGates});
 *   a failing gate fails the node with a message naming the gate.
 * - An input `baseline` holding a known-failures {@link BaselineOutput} makes a failing check
 *   pass when every test failing now already failed at the base (`knownFailures` in the output);
 *   a new failing test, or a failing set that cannot be told, fails it.
 */
export const verifyExecutor: NodeExecutor<VerifyConfig> = {
  kind: 'verify',
  version: 1,
  configSchema: VerifyConfig,
  cacheable: true,
  sideEffects: () => false,
  // a forecast never runs the checks; it assumes they pass (and says so)
  forecastOutput: () => ({ passed: true, checks: [] }),
  async keyIngredients(config, _inputs, ctx) {
    const gates = config.baseline ? [] : verifyGates(ctx.config);
    return {
      commands: commandsOf(config, ctx.config.commands),
      ...(gates.length > 0 ? { gates: gates as unknown as Json } : {}),
      ...(ctx.workspace ? { tree: (await ctx.workspace.snapshot()).tree } : {}),
    };
  },
  async execute(config, inputs, ctx) {
    const commands = commandsOf(config, ctx.config.commands);
    const stale = await refreshSetup(ctx);
    if (stale) return stale;
    const known = config.baseline ? undefined : knownFailuresOf(inputs['baseline']);
    // a line of the node's own `config.commands` is written in the graph, like a `command` node's (allowGraph)
    const gate = (command?: string): GateOptions => ({
      ...(command !== undefined && config.commands?.includes(command) ? { origin: 'graph' as const } : {}),
      kind: 'verify',
      cwd: ctx.workspace?.dir ?? ctx.projectDir,
      config: ctx.config,
      projectDir: ctx.projectDir,
      ...(config.timeoutMs ? { timeoutMs: config.timeoutMs } : {}),
      signal: ctx.signal,
      pidDir: pidDir(ctx.projectDir, ctx.runId),
      log: (m) => ctx.log(m),
      audit: { store: ctx.store, runId: ctx.runId, nodeId: ctx.node.id },
    });
    const checks: Json[] = [];
    const baselineChecks: BaselineCheck[] = [];
    const stillFailing: string[] = [];
    for (const command of commands) {
      ctx.log(`verify: ${command}`);
      // failing tests are always read: the failure digest of a failed check becomes the retry's note
      const { result: r, tests, digest } = await runCheck(command, gate(command), true);
      const why = r.timedOut ? `timed out after ${config.timeoutMs ?? ctx.config.policy.commandTimeoutMs} ms` : `exit code ${r.exitCode ?? r.signal}`;
      const set = tests && (config.baseline !== undefined || known !== undefined) ? failingSetOf(r.exitCode, r.timedOut, tests) : undefined;
      const details = { command, exitCode: r.exitCode, output: r.output, timedOut: r.timedOut, ...(digest ? { digest: digest.text } : {}) };

      if (config.baseline) {
        if (set?.known && (r.exitCode === 0 || config.baseline === 'known-failures')) {
          baselineChecks.push({ command, exitCode: r.exitCode, failing: set.failing });
          continue;
        }
        return failed(baselineError(config.baseline, command, why, r.output, set, ctx), { baseline: config.baseline, passed: false, checks: baselineChecks as unknown as Json });
      }

      checks.push({ command, exitCode: r.exitCode, durationMs: r.durationMs });
      if (r.exitCode === 0) continue;
      if (known && set?.known) {
        const cmp = compareWithBaseline(set.failing, known.get(command) ?? []);
        if (cmp.newFailures.length === 0) {
          ctx.log(`verify: \`${command}\` fails only on tests that failed at the base (${listIds(cmp.stillFailing)})`);
          stillFailing.push(...cmp.stillFailing);
          continue;
        }
        return failed(
          {
            code: 'VERIFY_FAILED',
            message: `verify failed: \`${command}\` (${why}): ${cmp.newFailures.length} new failing test${cmp.newFailures.length === 1 ? '' : 's'}: ${listIds(cmp.newFailures)}${cmp.stillFailing.length > 0 ? ` (${cmp.stillFailing.length} more failed at the base already)` : ''}`,
            retryable: false,
            details: { ...details, newFailures: cmp.newFailures, knownFailures: cmp.stillFailing },
          },
          { passed: false, checks },
        );
      }
      const unknown = known && set && !set.known ? `; with --baseline known-failures any failure counts, because taskgraph cannot tell which tests failed: ${set.reason}` : '';
      return failed({ code: 'VERIFY_FAILED', message: `verify failed: \`${command}\` (${why})${unknown}`, retryable: false, details }, { passed: false, checks });
    }
    if (!config.baseline) {
      const gateFailure = await runGates(verifyGates(ctx.config), gate, checks, config.timeoutMs ?? ctx.config.policy.commandTimeoutMs, ctx);
      if (gateFailure) return gateFailure;
    }
    if (config.baseline) {
      const output: BaselineOutput = { baseline: config.baseline, passed: baselineChecks.every((c) => c.exitCode === 0), checks: baselineChecks };
      return { status: 'succeeded', output: output as unknown as Json };
    }
    return { status: 'succeeded', output: { passed: true, checks, ...(stillFailing.length > 0 ? { knownFailures: [...new Set(stillFailing)].sort() } : {}) } };
  },
};

/**
 * Runs the `verify.gates` of taskgraph.yaml (lint, type check, coverage threshold) after the test
 * commands passed, in order, through the same command gate; each is recorded in `checks` with its
 * `gate` name. The first failing gate fails the node with VERIFY_FAILED whose message names the
 * gate and its command (so the failure note does), `details.gate` the name.
 * @param checks the node's check records; each gate run is appended
 * @returns the failed outcome, or undefined when every gate passed
 */
async function runGates(gates: readonly VerifyGate[], gate: () => GateOptions, checks: Json[], timeoutMs: number, ctx: NodeContext): Promise<NodeOutcome | undefined> {
  for (const g of gates) {
    ctx.log(`verify: gate ${g.name}: ${g.command}`);
    const { result: r } = await runCheck(g.command, gate(), false);
    checks.push({ command: g.command, gate: g.name, exitCode: r.exitCode, durationMs: r.durationMs });
    if (r.exitCode === 0) continue;
    const why = r.timedOut ? `timed out after ${timeoutMs} ms` : `exit code ${r.exitCode ?? r.signal}`;
    const label = g.name === g.command ? `gate \`${g.command}\`` : `gate "${g.name}" (\`${g.command}\`)`;
    return failed(
      {
        code: 'VERIFY_FAILED',
        message: `verify failed: ${label} (${why}); the tests passed, the ${g.name === g.command ? 'gate' : `${g.name} gate`} did not`,
        retryable: false,
        details: { command: g.command, gate: g.name, exitCode: r.exitCode, output: r.output, timedOut: r.timedOut },
      },
      { passed: false, checks },
    );
  }
  return undefined;
}

/** The BASELINE_FAILED error of a baseline check that failed (strict) or whose failing tests cannot be told (known-failures). */
function baselineError(
  mode: BaselineMode,
  command: string,
  why: string,
  output: string,
  set: ReturnType<typeof failingSetOf> | undefined,
  ctx: NodeContext,
): ErrorRecord {
  const failing = set?.known ? set.failing : [];
  const firstLines = firstFailingLines(output);
  const { build, test } = ctx.config.commands;
  const needsBuild = build && test && command === test && !test.includes(build) ? ` If the tests need a build first, set commands.test to \`${build} && ${test}\`.` : '';
  if (mode === 'known-failures') {
    return {
      code: 'BASELINE_FAILED',
      message: `cannot tell which tests fail at the base commit: \`${command}\` (${why}): ${set && !set.known ? set.reason : 'no test output'}`,
      retryable: false,
      details: { command, output, firstLines, failing },
      hint: `--baseline known-failures needs output taskgraph can read (pytest, node --test, TAP, vitest, jest, mocha, go test, cargo test --no-fail-fast), and every test to run; or make \`${command}\` pass at the base commit.${needsBuild}`,
    };
  }
  return {
    code: 'BASELINE_FAILED',
    message: `the checks fail at the base commit, before any change: \`${command}\` (${why})${failing.length > 0 ? `; failing: ${listIds(failing)}` : ''}`,
    retryable: false,
    details: { command, output, firstLines, failing },
    hint: `make \`${command}\` pass at the base commit (\`taskgraph init --force\` runs the detected commands and proposes fixes for a missing build step or test plugin), or run again with --baseline known-failures to record the tests failing now and fail a task only on new failures.${needsBuild}`,
  };
}

function commandsOf(config: VerifyConfig, commands: { test?: string | undefined; build?: string | undefined }): string[] {
  if (config.commands && config.commands.length > 0) return config.commands;
  if (commands.test) return [commands.test];
  throw new TaskgraphError('CONFIG_INVALID', 'verify has no command: set commands.test in taskgraph.yaml or config.commands on the node', {
    hint: '`taskgraph init` detects the test command from package.json, pytest, cargo, go or make',
  });
}
