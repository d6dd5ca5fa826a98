import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { delimiter, isAbsolute, join, relative, resolve } from 'node:path';
import { quote } from 'shell-quote';
import { z } from 'zod';
import { TaskgraphError } from '../core/errors.js';
import { sha256 } from '../core/hash.js';
import type { Json } from '../core/json.js';
import type { NodeContext, NodeExecutor } from '../engine/node-executor.js';
import { pidDir } from '../engine/orphans.js';
import { runGated } from '../sandbox/gate.js';

const PythonConfig = z
  .object({
    /** a Python file, relative to the run's worktree (else the project directory) */
    script: z.string().min(1).optional(),
    /** inline Python code (run with `-c`) */
    code: z.string().min(1).optional(),
    /**
     * the interpreter: a program name looked up on PATH (`python3`, the default) or a path
     * relative to the worktree (a virtualenv's `.venv/bin/python`) or absolute
     */
    interpreter: z.string().min(1).default('python3'),
    /** arguments after the script (`sys.argv[1:]`) */
    args: z.array(z.string()).default([]),
    /** ms; default policy.commandTimeoutMs. Past it the whole process tree is killed */
    timeoutMs: z.number().int().positive().optional(),
    /** extra environment variable names passed through (besides policy.envAllowlist) */
    env: z.array(z.string()).default([]),
    /** characters of stdout kept at most; the JSON line must fit (default 1,000,000) */
    maxOutputChars: z.number().int().min(1000).max(50_000_000).default(1_000_000),
    /**
     * whether the script changes files in the worktree (default false: a function of its inputs
     * and the script). True makes the node side-effecting like `command`: the worktree state
     * joins its cache key and is restored on a cache hit
     */
    writes: z.boolean().default(false),
  })
  .strict()
  .refine((c) => (c.script === undefined) !== (c.code === undefined), { message: 'set exactly one of `script` (a file) or `code` (inline Python)' });

/** Config of a `python` node. */
export type PythonConfig = z.infer<typeof PythonConfig>;

/** Characters of stderr quoted in a PYTHON_FAILED message (its tail: where the traceback ends). */
export const STDERR_TAIL_CHARS = 2_000;

/** The directory the script runs in: the run's worktree, else the project directory. */
function workDir(ctx: NodeContext): string {
  return ctx.workspace?.dir ?? ctx.projectDir;
}

/**
 * The script file's absolute path, checked to be a file inside the work directory.
 * @throws TaskgraphError CONFIG_INVALID when it is outside, missing, or not a file
 */
function scriptPath(config: PythonConfig, dir: string): string {
  const path = resolve(dir, config.script!);
  const rel = relative(dir, path);
  if (rel.startsWith('..') || isAbsolute(rel)) {
    throw new TaskgraphError('CONFIG_INVALID', `python script "${config.script}" is outside the worktree`, { hint: 'give the script path relative to the repository root' });
  }
  if (!existsSync(path) || !statSync(path).isFile()) {
    throw new TaskgraphError('CONFIG_INVALID', `python script "${config.script}" does not exist in ${dir}`, { details: { script: config.script }, hint: 'commit the script to the repository, or use `code:` for inline Python' });
  }
  return path;
}

/**
 * Where the interpreter resolves to, for the cache key: a path (relative to the work directory)
 * or the first match on PATH, with symlinks followed (`python3` -> `/usr/bin/python3.11`, so an
 * upgraded interpreter dirties the node); the name itself when nothing is found (the run then
 * fails with the shell's "not found").
 */
export function resolveInterpreter(interpreter: string, dir: string, path = process.env['PATH'] ?? ''): string {
  const real = (p: string) => {
    try {
      return realpathSync(p);
    } catch {
      return p;
    }
  };
  if (interpreter.includes('/')) return real(resolve(dir, interpreter));
  for (const entry of path.split(delimiter)) {
    const candidate = join(entry || '.', interpreter);
    if (existsSync(candidate)) return real(candidate);
  }
  return interpreter;
}

/**
 * The JSON a script printed: the LAST non-empty line of its stdout (earlier lines are free for
 * progress prints). `ok: false` with that line ('' for none) when it is not JSON.
 */
export function lastJsonLine(stdout: string): { ok: true; value: Json } | { ok: false; line: string } {
  const line = stdout.split('\n').map((l) => l.trim()).filter(Boolean).pop() ?? '';
  try {
    return { ok: true, value: JSON.parse(line) as Json };
  } catch {
    return { ok: false, line };
  }
}

/**
 * `python` nodes (issue 16): run a Python script file or inline code in the run's worktree with
 * `python3` or a configured interpreter (a virtualenv's `bin/python`). The node's resolved inputs
 * go in as ONE JSON object on stdin; the output is the JSON value on the LAST non-empty line of
 * stdout (earlier lines may be progress prints and are dropped). The process runs through the
 * command gate like a `command` node (`sandbox/gate.ts`: command policy with origin `graph`,
 * sandbox, network class `command`, scrubbed environment plus `env`, secrets redacted from its
 * output), bounded by `timeoutMs`, after which its whole process tree is killed.
 *
 * Failures (returned as failed outcomes, not retryable): PYTHON_FAILED (non-zero exit; the message
 * ends with the last {@link STDERR_TAIL_CHARS} characters of stderr), PYTHON_OUTPUT_INVALID (the
 * last stdout line is not JSON, or stdout was longer than `maxOutputChars`), PYTHON_TIMEOUT.
 * Thrown: CONFIG_INVALID (script missing or outside the worktree), COMMAND_DENIED /
 * COMMAND_NEEDS_APPROVAL from the command policy.
 *
 * Cache key adds the SHA-256 of the script file's content (not only its path), the interpreter
 * as configured and where it resolves to (symlinks followed) and the env allowlist; a node with
 * `writes: true` also the worktree state (it then has side effects, like `command`). A script
 * without `writes` is taken to be a function of its inputs, its code and its interpreter: files
 * it reads besides the script are not in the key (pass their content as inputs, or set `writes`).
 */
export const pythonExecutor: NodeExecutor<PythonConfig> = {
  kind: 'python',
  version: 1,
  configSchema: PythonConfig as unknown as z.ZodType<PythonConfig>,
  cacheable: true,
  sideEffects: (config) => config.writes,
  async keyIngredients(config, _inputs, ctx) {
    const dir = workDir(ctx);
    return {
      script: config.script !== undefined ? sha256(readFileSync(scriptPath(config, dir))) : null,
      interpreter: { name: config.interpreter, resolved: resolveInterpreter(config.interpreter, dir) },
      env: [...ctx.config.policy.envAllowlist, ...config.env].sort(),
      ...(config.writes && ctx.workspace ? { workspace: { ...(await ctx.workspace.snapshot()) } } : {}),
    };
  },
  async execute(config, inputs, ctx) {
    const dir = workDir(ctx);
    const target = config.script !== undefined ? [relative(dir, scriptPath(config, dir))] : ['-c', config.code!];
    const line = quote([config.interpreter, ...target, ...config.args]);
    const timeoutMs = config.timeoutMs ?? ctx.config.policy.commandTimeoutMs;
    const result = await runGated(line, {
      kind: 'command',
      cwd: dir,
      config: ctx.config,
      projectDir: ctx.projectDir,
      timeoutMs,
      envNames: config.env,
      // Python writes UTF-8 whatever the locale; unbuffered so a killed script's prints are kept
      env: { PYTHONIOENCODING: 'utf-8', PYTHONUNBUFFERED: '1' },
      limit: config.maxOutputChars,
      stdin: JSON.stringify(inputs),
      signal: ctx.signal,
      pidDir: pidDir(ctx.projectDir, ctx.runId),
      log: ctx.log,
      origin: 'graph',
      audit: { store: ctx.store, runId: ctx.runId, nodeId: ctx.node.id },
    });
    const what = config.script !== undefined ? `python script ${config.script}` : 'inline python code';
    const details = { exitCode: result.exitCode, stderr: result.stderr.slice(-STDERR_TAIL_CHARS), durationMs: result.durationMs };
    if (result.timedOut) {
      return { status: 'failed', error: { code: 'PYTHON_TIMEOUT', message: `${what} timed out after ${timeoutMs} ms (its process tree was killed)`, retryable: false, details, hint: 'raise the node\'s timeoutMs or make the script faster' } };
    }
    if (result.exitCode !== 0) {
      const tail = result.stderr.trim().slice(-STDERR_TAIL_CHARS);
      return {
        status: 'failed',
        error: { code: 'PYTHON_FAILED', message: `${what} exited with ${result.exitCode ?? result.signal}${tail ? `:\n${tail}` : ''}`, retryable: false, details },
      };
    }
    if (result.stdout.length >= config.maxOutputChars) {
      return { status: 'failed', error: { code: 'PYTHON_OUTPUT_INVALID', message: `${what} printed more than ${config.maxOutputChars} characters`, retryable: false, details, hint: 'print less, or raise maxOutputChars' } };
    }
    const parsed = lastJsonLine(result.stdout);
    if (!parsed.ok) {
      return {
        status: 'failed',
        error: {
          code: 'PYTHON_OUTPUT_INVALID',
          message: `${what} did not print JSON on its last stdout line (got ${parsed.line ? JSON.stringify(parsed.line.slice(0, 200)) : 'nothing'})`,
          retryable: false,
          details: { ...details, line: parsed.line.slice(0, 1_000) },
          hint: 'end the script with print(json.dumps(result))',
        },
      };
    }
    return { status: 'succeeded', output: parsed.value };
  },
};
