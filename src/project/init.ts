import { mkdir, stat, writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { ProjectConfigSchema, type ProjectConfig } from '../core/config.js';
import { TaskgraphError } from '../core/errors.js';
import { DEFAULT_TASK_CONCURRENCY } from '../engine/task-concurrency.js';
import { detectCommands, type DetectedCommands } from './detect.js';
import { type DetectedGate, detectGates } from './detect-gates.js';
import { type CheckOptions, type CheckReport, checkCommands } from './init-check.js';
import { CONFIG_FILE_NAMES, parseProjectConfig } from './load-config.js';

/**
 * `taskgraph init`: writes a commented `taskgraph.yaml` for the project (detected language and
 * setup/build/test commands, example model profiles, policy defaults including the network of
 * commands and the baseline), runs the detected commands once to say what it found
 * (`init-check.ts`), and keeps `.taskgraph/` out of git.
 */

/** Options for {@link initProject}. */
export interface InitOptions {
  /** overwrite an existing `taskgraph.yaml` / `taskgraph.yml` */
  force?: boolean;
  /** run the detected commands once (default true; `init --no-check` sets false) */
  check?: boolean;
  /** timeouts, progress and abort of the check */
  checkOptions?: CheckOptions;
}

/** What {@link initProject} did. */
export interface InitResult {
  /** path of the configuration file written */
  path: string;
  /** the written file, parsed and validated */
  config: ProjectConfig;
  /** false when an existing file was overwritten (`force`) */
  created: boolean;
  /** what detection found (before any fix the check applied) */
  detected: DetectedCommands;
  /** the check of the detected commands; absent with `check: false` */
  check?: CheckReport;
}

/** Base URL of a local Ollama server's OpenAI-compatible API (Ollama docs, "OpenAI compatibility"). */
export const OLLAMA_BASE_URL = 'http://127.0.0.1:11434/v1';

/** The local model the example profiles use. */
export const DEFAULT_LOCAL_MODEL = 'qwen2.5-coder:7b';

/** A YAML scalar for `value`, on one line (plain when safe, quoted otherwise). */
function scalar(value: string | number): string {
  const text = stringify(value, { lineWidth: 0 }).trimEnd();
  return text.includes('\n') ? JSON.stringify(value) : text;
}

/** The inputs of {@link renderConfigTemplate}. */
export interface ConfigTemplateInput {
  name: string;
  language: string;
  test?: string;
  build?: string;
  setup?: string;
  /** comment lines written under `commands:` (what init's check found and proposes), without `#` */
  notes?: string[];
  /** lint / type-check gates detected from config files: written commented out under `verify.gates` */
  gates?: DetectedGate[];
}

/**
 * Renders the commented `taskgraph.yaml` that `init` writes. Pure. The policy block repeats the
 * schema's defaults ({@link ProjectConfigSchema}) so a person sees what can be tuned.
 * @param input project name, language and commands (absent commands are written commented out)
 * @returns YAML text that {@link parseProjectConfig} accepts
 */
export function renderConfigTemplate(input: ConfigTemplateInput): string {
  const policy = ProjectConfigSchema.parse({}).policy;
  const what = { test: 'runs the tests', build: 'builds the project', setup: 'installs the dependencies' } as const;
  const command = (key: 'test' | 'build' | 'setup', value: string | undefined, example: string) =>
    value === undefined ? `  # ${key}: ${scalar(example)}   # not detected: set the command that ${what[key]}` : `  ${key}: ${scalar(value)}`;
  const notes = (input.notes ?? []).map((n) => `  # ${n.replace(/\s+/g, ' ')}`);
  const envAllowlist =
    policy.envAllowlist.length === 0 ? '[]' : `[${policy.envAllowlist.map((v) => scalar(v)).join(', ')}]`;

  return `# taskgraph project configuration. Reference: the "Configuration" section of README.md.
# Paths are relative to this directory.

# Project name, used in prompts and reports.
name: ${scalar(input.name)}

# What the project is for, in a few sentences. Planner and coder models read this first.
vision: ""

# Main language (typescript, javascript, python, rust, go, ...).
language: ${scalar(input.language)}

# Rules every change must follow, one per line (uncomment and edit).
rules:
#  - Keep functions small and documented.
#  - Never change public APIs without updating the README.

# Style guide text given to the coder model (or leave empty).
styleGuide: ""

# Commands run in the run's git worktree. \`setup\` prepares each new worktree (installs the
# dependencies) before anything else, and again when a task changes a lock file. \`test\` is the
# verify step after each task; it also runs once over the base commit before the first model
# call (see policy.baseline).
commands:
${[...notes, command('setup', input.setup, 'npm ci'), command('test', input.test, 'npm test'), command('build', input.build, 'npm run build')].join('\n')}
  # run: "npm start"

# Extra checks every task's verify runs after commands.test, in order (lint, type check, coverage
# threshold): a failing gate fails the task's verify with a note naming the gate. They do not run
# over the base commit, so enable one only once it passes there. \`{ name, command }\` or a command.
verify:
  gates:
${gateLines(input.gates ?? [])}

# The checker model (roles.reviewer, a cheap model is fine). task: each task's change is reviewed
# against its acceptance criteria after verify (a "fail" verdict retries the task with the
# findings as a note); pr: a plan-level review writes .taskgraph/reports/<run>.pr.md at the end
# (\`taskgraph pr RUN\`). Both need a \`reviewer\` model profile.
review:
  task: false
  pr: false

# Model profiles: a named model choice per role. Prices are USD per 1,000,000 tokens and
# are used for cost accounting and budgets. The examples below use a local Ollama server
# (https://ollama.com, OpenAI-compatible API, no API key): \`ollama pull ${DEFAULT_LOCAL_MODEL}\`.
models:
  planner:
    provider: openai-compatible
    baseURL: ${scalar(OLLAMA_BASE_URL)}
    model: ${scalar(DEFAULT_LOCAL_MODEL)}
    temperature: 0
  coder:
    provider: openai-compatible
    baseURL: ${scalar(OLLAMA_BASE_URL)}
    model: ${scalar(DEFAULT_LOCAL_MODEL)}
    temperature: 0
    # Read-only tools (read_file, search, list_files, symbol) the coder may call before it
    # answers. Local models that handle tool calls well: qwen2.5-coder 7B and larger, llama3.1
    # 8B and larger, mistral-nemo (via Ollama). Small or older models often do not; check your
    # server's tool-calling support before you turn this on.
    # tools: true
    # maxSteps: 6        # model requests per edit, the answer included
    # toolTokens: 8000   # tokens of tool results per edit
  # To use one of the profiles below, uncomment it and name it under \`roles:\`.
  # OpenAI (reads OPENAI_API_KEY). Check current prices at https://openai.com/api/pricing
  # openai-planner:
  #   provider: openai
  #   model: gpt-4.1
  #   price:
  #     input: 2.0
  #     output: 8.0
  # Anthropic (reads ANTHROPIC_API_KEY). Check current prices at https://www.anthropic.com/pricing
  # anthropic-coder:
  #   provider: anthropic
  #   model: claude-sonnet-4-5
  #   maxOutputTokens: 8192
  #   tools: true          # OpenAI and Anthropic models handle tool calls
  #   price:
  #     input: 3.0
  #     output: 15.0
  # Any other OpenAI-compatible server (vLLM, llama.cpp server, LM Studio):
  # cheap:
  #   provider: openai-compatible
  #   baseURL: http://127.0.0.1:8000/v1
  #   model: my-model
  #   apiKeyEnv: MY_SERVER_API_KEY

# Which profile each role uses.
roles:
  planner: planner
  coder: coder
  # reviewer: reviewer   # the profile the review steps use (add it under models: first)

# Safety and budgets (defaults shown).
policy:
  # tries per task before it fails; each failed try adds a note and retries with it
  maxAttempts: ${policy.maxAttempts}
  # how deep the planner may decompose tasks
  maxDepth: ${policy.maxDepth}
  # planner re-asks after invalid plan output
  maxRepairs: ${policy.maxRepairs}
  # timeout of each command / verify step, in milliseconds
  commandTimeoutMs: ${policy.commandTimeoutMs}
  # nodes running at once
  concurrency: ${policy.concurrency}
  # tasks open at once, each in a git worktree of its own, integrated onto the run branch in
  # plan order (README "Tasks in parallel"); unset: ${DEFAULT_TASK_CONCURRENCY} when the base commit is checked
  # (baseline strict or known-failures), 1 with baseline: off. 1 keeps one shared worktree.
  # taskConcurrency: ${DEFAULT_TASK_CONCURRENCY}
  # environment variables passed to commands besides PATH, HOME, LANG, LC_ALL, TERM, SHELL, TMPDIR, USER and CI
  envAllowlist: ${envAllowlist}
  # characters of command output kept in notes and outputs (head + tail)
  outputLimit: ${policy.outputLimit}
  # How commands are confined. sandbox: auto (bubblewrap or unshare when available), required
  # (refuse to run commands without one) or off. network: host lets commands reach the network
  # (setup needs the package registry; test suites often talk to local services); none gives
  # each command an empty network namespace of its own.
  safety:
    sandbox: ${policy.safety.sandbox}
    network: ${typeof policy.safety.network === 'string' ? policy.safety.network : 'host'}
    # one setting per class of command instead:  network: { setup: host, verify: none, command: none }
    # Which shell lines may run (README "Safety and approvals"). The default denylist refuses git
    # push, git remote, sudo, rm -r/-f outside the worktree, curl/wget/nc/ssh/scp and curl|sh.
    # Patterns in \`allow\` run without asking (and lift the default denylist for what they
    # match), e.g. "npm run *"; patterns in \`deny\` are refused always. An unlisted line waits
    # for \`taskgraph approve RUN NODE\` with \`unlisted: ask\`; it runs, audited, with \`allow\`;
    # with \`refuse\` it fails (COMMAND_NEEDS_APPROVAL) unless the session has --yes-commands.
    # The commands above run without asking.
    commands:
      allow: []
      deny: []
      unlisted: ${policy.safety.commands.unlisted}
  # The base commit is verified with commands.test before the first model call. strict: a
  # failure stops the run (BASELINE_FAILED) before any model is paid; known-failures: the tests
  # failing at the base are recorded and a task fails only on new failures; off: not verified.
  # \`taskgraph do --baseline MODE\` overrides it for one run.
  baseline: ${policy.baseline}
`;
}

/** The commented `verify.gates` entries for detected gates (or a commented example). */
function gateLines(gates: readonly DetectedGate[]): string {
  if (gates.length === 0) return '  #  - { name: lint, command: "npm run lint" }   # none detected';
  return gates.map((g) => `  #  - { name: ${scalar(g.name)}, command: ${JSON.stringify(g.command)} }   # detected: ${g.source}`).join('\n');
}

async function fileExists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ENOENT';
  }
}

/** The comment lines init writes under `commands:` for what its check found. */
export function checkNotes(report: CheckReport): string[] {
  const notes: string[] = [];
  for (const p of report.proposals) {
    notes.push(p.applied ? `init: ${p.key} is \`${p.value}\`: ${p.reason}` : `init proposes ${p.key} = \`${p.value}\`: ${p.reason}`);
  }
  const last = new Map(report.checks.map((c) => [c.step, c]));
  const test = last.get('test');
  if (test && test.status !== 'green') notes.push(`init: \`${test.command}\` is ${test.status} now; a run stops at a red base (policy.baseline) until it passes`);
  return notes;
}

/**
 * Writes `<projectDir>/taskgraph.yaml` with the detected language and commands
 * ({@link detectCommands}), `name` = the directory's name, example model profiles `planner` and
 * `coder` for a local Ollama server, commented-out OpenAI / Anthropic examples and the policy
 * defaults; then makes sure `.taskgraph/` (runs, reports, database) is ignored by git by writing
 * `.taskgraph/.gitignore` containing `*` when it does not exist.
 *
 * Unless `check` is false, the detected setup, test and build commands run once in the project
 * directory first ({@link checkCommands}); a fix the check proved (the tests pass only after the
 * build) is written, other proposals are written as comments, and everything is in the result.
 *
 * An existing `taskgraph.yml` counts as an existing configuration and is the file overwritten
 * under `force`.
 * @param projectDir the project directory (must exist)
 * @param options `force` to overwrite an existing configuration; `check: false` to skip the check
 * @throws TaskgraphError `CONFIG_INVALID` when a configuration exists and `force` is not set
 *   (hint: `--force`); `INTERNAL` if the rendered file does not validate (a bug)
 */
export async function initProject(projectDir: string, options: InitOptions = {}): Promise<InitResult> {
  const dir = resolve(projectDir);
  let existing: string | undefined;
  for (const name of CONFIG_FILE_NAMES) {
    if (await fileExists(join(dir, name))) {
      existing = join(dir, name);
      break;
    }
  }
  if (existing !== undefined && !options.force) {
    throw new TaskgraphError('CONFIG_INVALID', `${existing} already exists; not overwriting it`, {
      details: { path: existing },
      hint: 'run `taskgraph init --force` to replace it, or edit the file by hand',
    });
  }

  const detected = await detectCommands(dir);
  const gates = await detectGates(dir);
  const path = existing ?? join(dir, CONFIG_FILE_NAMES[0]);
  const render = (commands: Pick<DetectedCommands, 'test' | 'build' | 'setup'>, notes: string[] = []) => {
    const text = renderConfigTemplate({
      name: basename(dir) || 'project',
      language: detected.language,
      ...(commands.test === undefined ? {} : { test: commands.test }),
      ...(commands.build === undefined ? {} : { build: commands.build }),
      ...(commands.setup === undefined ? {} : { setup: commands.setup }),
      notes,
      gates,
    });
    try {
      return { text, config: parseProjectConfig(text, path) };
    } catch (error) {
      throw new TaskgraphError('INTERNAL', `init rendered an invalid ${path}; this is a taskgraph bug`, { cause: error, details: { text } });
    }
  };
  let rendered = render(detected);
  let check: CheckReport | undefined;
  if (options.check !== false && (detected.setup || detected.test || detected.build)) {
    check = await checkCommands(dir, { ...detected }, rendered.config, options.checkOptions ?? {});
    rendered = render(check.commands, checkNotes(check));
  }
  const { text, config } = rendered;
  await writeFile(path, text, 'utf8');

  const stateDir = join(dir, '.taskgraph');
  await mkdir(stateDir, { recursive: true });
  const gitignore = join(stateDir, '.gitignore');
  if (!(await fileExists(gitignore))) await writeFile(gitignore, '*\n', 'utf8');

  return { path, config, created: existing === undefined, detected, ...(check ? { check } : {}) };
}
