import stripAnsi from 'strip-ansi';
import type { CommandClass, ProjectConfig } from '../core/config.js';
import type { ProcessResult } from '../nodes/run-process.js';
import { runGated } from '../sandbox/gate.js';
import { firstFailingLines } from '../verify/failure-lines.js';
import { runCheck } from '../verify/run-check.js';
import { diagnosePytest } from './pytest-hints.js';

/**
 * `taskgraph init`'s check: the detected commands run once in the project directory, through the
 * command gate, with bounded timeouts, so `init` can say what it found (green, red with the first
 * failing lines, a missing tool) and propose a fix where one is evident, before any run pays a
 * model call for a red base.
 */

/** The commands init checks. */
export interface CheckedCommands {
  setup?: string;
  build?: string;
  test?: string;
}

/** How one command did: exit 0; non-zero; its program is not installed (exit 127); over its timeout. */
export type CheckStatus = 'green' | 'red' | 'missing' | 'timeout';

/** One command's run. */
export interface InitCheck {
  step: 'setup' | 'build' | 'test';
  command: string;
  status: CheckStatus;
  exitCode: number | null;
  /** ms */
  durationMs: number;
  /** first lines naming the failure (untrusted repository text: print through safeText) */
  firstLines: string[];
  /** failing test ids, for a red test run whose runner taskgraph reads */
  failing?: string[];
  /** for `missing`: the program that was not found */
  tool?: string;
  /** why this run happened, when it was a second try (`after the build`) */
  note?: string;
}

/** A change to taskgraph.yaml that the check points to. */
export interface InitProposal {
  /** the key to set (`commands.test`, `commands.setup`) */
  key: 'commands.test' | 'commands.setup';
  /** the value proposed */
  value: string;
  /** one sentence: what the check saw */
  reason: string;
  /** true when the check proved the value works and init wrote it; false when it is only advice */
  applied: boolean;
}

/** What {@link checkCommands} found. */
export interface CheckReport {
  checks: InitCheck[];
  proposals: InitProposal[];
  /** the commands to write: the detected ones, with the applied proposals */
  commands: CheckedCommands;
}

/** Timeouts of the check, ms: setup 10 min (installs), build and test 5 min each. */
export const INIT_TIMEOUTS_MS = { setup: 600_000, build: 300_000, test: 300_000 } as const;

/** Options of {@link checkCommands}. */
export interface CheckOptions {
  /** ms per step, over {@link INIT_TIMEOUTS_MS} */
  timeoutsMs?: Partial<Record<'setup' | 'build' | 'test', number>>;
  /** progress line per command started */
  log?: (message: string) => void;
  signal?: AbortSignal;
}

/** The program a shell said it could not find (`sh: 1: pytest: not found`, `bash: pytest: command not found`). */
function missingTool(result: ProcessResult, command: string): string | undefined {
  const text = stripAnsi(result.output);
  const said = /(?:^|\n)(?:[^\n:]*sh: (?:\d+: )?(?:line \d+: )?)?([^\s:]+): (?:command )?not found/.exec(text)?.[1];
  if (result.exitCode === 127) return said ?? command.trim().split(/\s+/)[0];
  return said && /(^|\s)sh: |command not found/.test(text) ? said : undefined;
}

const INSTALL_HINTS: Readonly<Record<string, string>> = {
  pytest: 'pip install pytest (or use `python3 -m pytest -q` as commands.test)',
  poetry: 'pipx install poetry (https://python-poetry.org/docs/#installation)',
  uv: 'pipx install uv (https://docs.astral.sh/uv/)',
  pnpm: 'corepack enable pnpm (Node ≥ 16.9)',
  yarn: 'corepack enable yarn (Node ≥ 16.9)',
  bun: 'see https://bun.sh',
  cargo: 'rustup (https://rustup.rs)',
  go: 'the Go toolchain (https://go.dev/dl/)',
  make: 'your system package manager (e.g. apt-get install make)',
  pip: 'python3 -m ensurepip, or use `python3 -m pip` in commands.setup',
};

/**
 * Runs the detected commands once in `dir`: setup (gate class `setup`), then the tests (class
 * `verify`); when the tests fail and a build command exists, the build and then the tests again,
 * to see whether they only pass after a build; when the tests pass, the build alone. Reads a red
 * test output for an evident fix: a build step (proved by the second test run, so applied), a
 * pytest plugin or test dependencies to install (advice for `commands.setup`).
 * @param dir the project directory (commands run there, as `init` is asked to check the project)
 * @param commands the detected commands
 * @param config the configuration init is about to write (its policy.safety and env allowlist apply)
 * @throws Error only when a shell cannot be spawned
 */
export async function checkCommands(dir: string, commands: CheckedCommands, config: ProjectConfig, options: CheckOptions = {}): Promise<CheckReport> {
  const checks: InitCheck[] = [];
  const proposals: InitProposal[] = [];
  const out: CheckedCommands = { ...commands };
  const timeouts = { ...INIT_TIMEOUTS_MS, ...(options.timeoutsMs ?? {}) };
  const run = async (step: InitCheck['step'], command: string, note?: string): Promise<InitCheck> => {
    options.log?.(`${step}: ${command}${note ? ` (${note})` : ''}`);
    const kind: CommandClass = step === 'setup' ? 'setup' : 'verify';
    const gate = { kind, cwd: dir, config, projectDir: dir, timeoutMs: timeouts[step], ...(options.signal ? { signal: options.signal } : {}) };
    const { result, tests } = step === 'test' ? await runCheck(command, gate, true) : { result: await runGated(command, gate), tests: undefined };
    const tool = result.exitCode === 0 ? undefined : missingTool(result, command);
    const status: CheckStatus = result.exitCode === 0 ? 'green' : result.timedOut ? 'timeout' : tool ? 'missing' : 'red';
    const check: InitCheck = {
      step,
      command,
      status,
      exitCode: result.exitCode,
      durationMs: result.durationMs,
      firstLines: status === 'green' ? [] : firstFailingLines(result.output),
      ...(tests && tests.failing.length > 0 && status === 'red' ? { failing: tests.failing } : {}),
      ...(tool ? { tool } : {}),
      ...(note ? { note } : {}),
    };
    checks.push(check);
    if (tool) {
      proposals.push({
        key: step === 'setup' ? 'commands.setup' : 'commands.test',
        value: command,
        reason: `\`${tool}\` is not installed here: install it (${INSTALL_HINTS[tool] ?? 'see its documentation'}), or change the command`,
        applied: false,
      });
    }
    if (status === 'red' && step === 'test') diagnose(result.output, out, proposals);
    return check;
  };

  if (commands.setup) await run('setup', commands.setup);
  const test = commands.test ? await run('test', commands.test) : undefined;
  if (commands.build) {
    const build = await run('build', commands.build, test?.status === 'red' ? 'the tests failed: do they need a build?' : undefined);
    if (test && commands.test && test.status === 'red' && build.status === 'green') {
      const again = await run('test', commands.test, 'after the build');
      if (again.status === 'green') {
        out.test = `${commands.build} && ${commands.test}`;
        proposals.push({
          key: 'commands.test',
          value: out.test,
          reason: 'the tests fail on a fresh checkout and pass after the build, so the verify command builds first',
          applied: true,
        });
      }
    }
  }
  return { checks, proposals, commands: out };
}

/** Adds the pytest fixes a red test output points to. */
function diagnose(output: string, commands: CheckedCommands, proposals: InitProposal[]): void {
  const found = diagnosePytest(stripAnsi(output));
  if (!found) return;
  const base = commands.setup ? `${commands.setup} && ` : '';
  if (found.plugins.length > 0) {
    const names = found.plugins.map((p) => p.plugin);
    proposals.push({
      key: 'commands.setup',
      value: `${base}pip install ${names.join(' ')}`,
      reason: `the pytest configuration needs ${names.join(', ')} (${found.plugins.map((p) => p.because).join('; ')}), which is not installed: install it in commands.setup, or add it to the project's test dependencies`,
      applied: false,
    });
  }
  if (found.modules.length > 0) {
    proposals.push({
      key: 'commands.setup',
      value: commands.setup ?? "pip install -e '.[test]'",
      reason: `the tests import ${found.modules.join(', ')}, which is not installed: commands.setup should install the project with its test dependencies`,
      applied: false,
    });
  }
}
