import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import picocolors from 'picocolors';
import { TaskgraphError } from '../core/errors.js';
import { redactSecrets } from '../report/redact.js';
import { safeText } from './safe-text.js';

/**
 * How the CLI ends when something goes wrong (issue 8 item 5):
 * - a closed output pipe (`taskgraph status | head -1`) is a normal end: the process exits at once
 *   and quietly, with the exit code set so far (0 when none);
 * - a user error (a `TaskgraphError`, a zod validation error) prints `error [CODE]: message` and a
 *   `hint:` line, never a stack trace;
 * - an unexpected error prints one line, `error: <message>`, and `full trace: <file>`; the file
 *   holds the stack and its causes (secrets redacted). It is written under the project's
 *   `.taskgraph/logs/` when the directory is a taskgraph project, else in the OS temp directory.
 * Every message passes {@link safeText} first: it may quote a model or a repository.
 */

/** Where traces go in a project, relative to the project directory. */
export const TRACE_DIR = join('.taskgraph', 'logs');

/**
 * Makes a closed pipe on any of `streams` end the process quietly: `EPIPE` (the reader went away)
 * exits with `process.exitCode` (0 when unset); any other stream error is re-thrown, to be
 * reported as an unexpected error.
 * @param streams default `process.stdout` and `process.stderr`
 * @param exit how to leave (tests pass a spy); default `process.exit`
 */
export function exitQuietlyOnClosedPipe(
  streams: readonly NodeJS.EventEmitter[] = [process.stdout, process.stderr],
  exit: (code: number) => void = (code) => process.exit(code),
): void {
  for (const stream of streams) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE') {
        const code = process.exitCode;
        exit(typeof code === 'number' ? code : 0);
        return;
      }
      throw error;
    });
  }
}

/** Where {@link reportError} writes and what it may read. */
export interface ErrorOutputOptions {
  /** the project directory (`-C`, else the working directory) */
  projectDir: string;
  /** where the lines go; default `process.stderr` */
  stderr?: { write(text: string): unknown };
  /** directory for traces outside a project; default `os.tmpdir()` */
  tempDir?: string;
  /** the command line, for the trace; default `process.argv` */
  argv?: readonly string[];
  /** environment whose secret values are redacted from the trace; default: the process's */
  env?: NodeJS.ProcessEnv;
}

/** Whether `dir` is a taskgraph project (it has `.taskgraph/` or a taskgraph.yaml / .yml). */
function isProject(dir: string): boolean {
  return ['.taskgraph', 'taskgraph.yaml', 'taskgraph.yml'].some((name) => existsSync(join(dir, name)));
}

/** The stack of an error and of its causes (`Caused by:`), at most 5 deep. */
function traceText(error: unknown, argv: readonly string[]): string {
  const lines = [`taskgraph crashed at ${new Date().toISOString()}`, `command: ${argv.join(' ')}`, `node ${process.version} on ${process.platform}`, ''];
  let current: unknown = error;
  for (let depth = 0; current !== undefined && depth < 5; depth++) {
    if (depth > 0) lines.push('', 'Caused by:');
    lines.push(current instanceof Error ? (current.stack ?? `${current.name}: ${current.message}`) : String(current));
    if (current instanceof TaskgraphError) lines.push(`details: ${JSON.stringify(current.details)}`);
    current = current instanceof Error ? current.cause : undefined;
  }
  return `${lines.join('\n')}\n`;
}

/**
 * Writes the full trace of an unexpected error to a new file and returns its path: under
 * `<project>/.taskgraph/logs/` for a project (falling back to the temp directory when that cannot
 * be written), else in the temp directory. Synchronous, so it also works from an
 * `uncaughtException` handler. Secrets are redacted (`redactSecrets`).
 * @throws Error when neither directory can be written
 */
export function writeTrace(error: unknown, options: ErrorOutputOptions): string {
  const name = `taskgraph-crash-${new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '')}-${process.pid}.log`;
  const raw = traceText(error, options.argv ?? process.argv);
  const text = options.env ? redactSecrets(raw, options.env) : redactSecrets(raw);
  const dirs = isProject(options.projectDir) ? [join(options.projectDir, TRACE_DIR)] : [];
  dirs.push(options.tempDir ?? tmpdir());
  let lastError: unknown;
  for (const dir of dirs) {
    try {
      mkdirSync(dir, { recursive: true });
      const file = join(dir, name);
      writeFileSync(file, text, { encoding: 'utf8', flag: 'wx', mode: 0o600 });
      return file;
    } catch (e) {
      lastError = e;
    }
  }
  throw lastError;
}

/**
 * Prints an error the way the CLI ends on it (see the module doc).
 * @returns the exit code: 1
 */
export function reportError(error: unknown, options: ErrorOutputOptions): number {
  const out = options.stderr ?? process.stderr;
  // colour only on a terminal (picocolors alone also colours any stream when CI or FORCE_COLOR is set)
  const pc = picocolors.createColors(Boolean((out as { isTTY?: boolean }).isTTY) && !('NO_COLOR' in process.env));
  if (error instanceof TaskgraphError && error.code !== 'INTERNAL') {
    out.write(`${pc.red('error')} [${error.code}]: ${safeText(error.message)}\n`);
    if (error.hint) out.write(`${pc.dim('hint')}: ${safeText(error.hint)}\n`);
    return 1;
  }
  if (error instanceof Error && error.name === 'ZodError') {
    out.write(`${pc.red('error')}: ${safeText(error.message)}\n`);
    return 1;
  }
  const message = error instanceof Error ? `${error instanceof TaskgraphError ? `[${error.code}] ` : ''}${error.message}` : String(error);
  out.write(`${pc.red('error')}: ${safeText(message.split('\n')[0] ?? '')}\n`);
  try {
    out.write(`full trace: ${writeTrace(error, options)}\n`);
  } catch (writeError) {
    out.write(`full trace: not written (${safeText((writeError as Error).message)})\n`);
  }
  return 1;
}

/**
 * Reports errors nothing caught (`uncaughtException`, `unhandledRejection`) like any unexpected
 * error — one line plus the trace file — and exits with 1.
 * @param projectDir gives the project directory when the error happens
 * @param exit how to leave (tests pass a spy); default `process.exit`
 */
export function reportUncaughtErrors(projectDir: () => string, exit: (code: number) => void = (code) => process.exit(code)): void {
  const onError = (error: unknown) => exit(reportError(error, { projectDir: projectDir() }));
  process.on('uncaughtException', onError);
  process.on('unhandledRejection', onError);
}
