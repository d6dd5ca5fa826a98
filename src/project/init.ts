import { mkdir, stat, writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { ProjectConfigSchema, type ProjectConfig } from '../core/config.js';
import { TaskgraphError } from '../core/errors.js';
import { detectCommands } from './detect.js';
import { CONFIG_FILE_NAMES, parseProjectConfig } from './load-config.js';

/**
 * `taskgraph init`: writes a commented `taskgraph.yaml` for the project (detected language and
 * commands, example model profiles, policy defaults) and keeps `.taskgraph/` out of git.
 */

/** Options for {@link initProject}. */
export interface InitOptions {
  /** overwrite an existing `taskgraph.yaml` / `taskgraph.yml` */
  force?: boolean;
}

/** What {@link initProject} did. */
export interface InitResult {
  /** path of the configuration file written */
  path: string;
  /** the written file, parsed and validated */
  config: ProjectConfig;
  /** false when an existing file was overwritten (`force`) */
  created: boolean;
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
}

/**
 * Renders the commented `taskgraph.yaml` that `init` writes. Pure. The policy block repeats the
 * schema's defaults ({@link ProjectConfigSchema}) so a person sees what can be tuned.
 * @param input project name, language and commands (absent commands are written commented out)
 * @returns YAML text that {@link parseProjectConfig} accepts
 */
export function renderConfigTemplate(input: ConfigTemplateInput): string {
  const policy = ProjectConfigSchema.parse({}).policy;
  const command = (key: 'test' | 'build', value: string | undefined, example: string) =>
    value === undefined
      ? `  # ${key}: ${scalar(example)}   # not detected: set the command that ${key === 'test' ? 'runs the tests' : 'builds the project'}`
      : `  ${key}: ${scalar(value)}`;
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

# Commands run in the run's git worktree. \`test\` is the verify step after each task.
commands:
${command('test', input.test, 'npm test')}
${command('build', input.build, 'npm run build')}
  # run: "npm start"

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
  # environment variables passed to commands besides PATH, HOME, LANG, LC_ALL, TERM, SHELL, TMPDIR, USER and CI
  envAllowlist: ${envAllowlist}
  # characters of command output kept in notes and outputs (head + tail)
  outputLimit: ${policy.outputLimit}
`;
}

async function fileExists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ENOENT';
  }
}

/**
 * Writes `<projectDir>/taskgraph.yaml` with the detected language and commands
 * ({@link detectCommands}), `name` = the directory's name, example model profiles `planner` and
 * `coder` for a local Ollama server, commented-out OpenAI / Anthropic examples and the policy
 * defaults; then makes sure `.taskgraph/` (runs, reports, database) is ignored by git by writing
 * `.taskgraph/.gitignore` containing `*` when it does not exist.
 *
 * An existing `taskgraph.yml` counts as an existing configuration and is the file overwritten
 * under `force`.
 * @param projectDir the project directory (must exist)
 * @param options `force` to overwrite an existing configuration
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
  const text = renderConfigTemplate({
    name: basename(dir) || 'project',
    language: detected.language,
    ...(detected.test === undefined ? {} : { test: detected.test }),
    ...(detected.build === undefined ? {} : { build: detected.build }),
  });
  const path = existing ?? join(dir, CONFIG_FILE_NAMES[0]);
  let config: ProjectConfig;
  try {
    config = parseProjectConfig(text, path);
  } catch (error) {
    throw new TaskgraphError('INTERNAL', `init rendered an invalid ${path}; this is a taskgraph bug`, {
      cause: error,
      details: { text },
    });
  }
  await writeFile(path, text, 'utf8');

  const stateDir = join(dir, '.taskgraph');
  await mkdir(stateDir, { recursive: true });
  const gitignore = join(stateDir, '.gitignore');
  if (!(await fileExists(gitignore))) await writeFile(gitignore, '*\n', 'utf8');

  return { path, config, created: existing === undefined };
}
