import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import pino, { type DestinationStream, type Level, type Logger } from 'pino';
import type { EngineEvent, EngineObserver } from '../engine/events.js';
import { secretRedactor } from '../security/redact.js';

/** Log levels of `--log-level`, most verbose first; `silent` writes nothing. */
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const;

/** One of {@link LOG_LEVELS}. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Options of {@link RunLog}. */
export interface RunLogOptions {
  /** where `<run id>.log` files go (created when missing), e.g. `<project>/.taskgraph/logs` */
  dir: string;
  /** level of the lines written to stderr (default `warn`) */
  stderrLevel?: LogLevel;
  /** level of the lines written to the file (default `info`, `debug` when stderr is at debug) */
  fileLevel?: LogLevel;
  /** where stderr lines go (default `process.stderr`'s descriptor 2), for tests */
  stderr?: DestinationStream;
}

/**
 * Structured logs of runs (issue 13, "Tracing and logs"): each engine event becomes one JSON
 * line (pino) in `<dir>/<run id>.log` and, at or above `stderrLevel`, on stderr. Levels: `debug`
 * model deltas and log lines of nodes; `info` run, task and node starts and finishes; `warn` a
 * failed node, a task retry, a person needed, a budget reached; `error` a failed run or task.
 * Every line is redacted (`security/redact.ts`) before it is written. Files are written
 * synchronously, so a line is on disk when the event returns. Never throws into the engine.
 */
export class RunLog {
  private readonly stderr: DestinationStream;
  private readonly stderrLevel: LogLevel;
  private readonly fileLevel: LogLevel;
  private current: { runId: string; logger: Logger; file: pino.DestinationStream & { end?: () => void } } | undefined;

  /** @param options see {@link RunLogOptions} */
  constructor(private readonly options: RunLogOptions) {
    this.stderrLevel = options.stderrLevel ?? 'warn';
    this.fileLevel = options.fileLevel ?? (this.stderrLevel === 'debug' ? 'debug' : 'info');
    this.stderr = options.stderr ?? pino.destination({ fd: 2, sync: true });
  }

  /** The engine observer. */
  readonly observer: EngineObserver = (event) => this.on(event);

  /** The path of run `runId`'s log file. */
  fileOf(runId: string): string {
    return join(this.options.dir, `${runId}.log`);
  }

  /** Closes the open log file (the next event of a run opens it again, appending). */
  close(): void {
    this.current?.file.end?.();
    this.current = undefined;
  }

  private loggerOf(runId: string): Logger {
    if (this.current?.runId === runId) return this.current.logger;
    this.close();
    mkdirSync(this.options.dir, { recursive: true });
    const file = pino.destination({ dest: this.fileOf(runId), sync: true, append: true });
    const streams: pino.StreamEntry[] = [];
    if (this.fileLevel !== 'silent') streams.push({ level: this.fileLevel as Level, stream: file });
    if (this.stderrLevel !== 'silent') streams.push({ level: this.stderrLevel as Level, stream: this.stderr });
    const redactor = secretRedactor();
    const logger = pino(
      {
        level: lowest(this.fileLevel, this.stderrLevel),
        base: { runId },
        // every line redacted whole, after serialisation: whatever field a secret hides in
        hooks: { streamWrite: (line) => (redactor.test(line) ? `${redactor.redactJsonText(line.trimEnd())}\n` : line) },
      },
      pino.multistream(streams),
    );
    this.current = { runId, logger, file };
    return logger;
  }

  private on(event: EngineEvent): void {
    const { type, runId, ...fields } = event;
    const log = this.loggerOf(runId);
    const at = levelOf(event);
    if (!log.isLevelEnabled(at)) return;
    log[at]({ event: type, ...fields }, type);
    if (type === 'run-finish') this.close();
  }
}

/** The log level of an engine event (see {@link RunLog}). */
export function levelOf(event: EngineEvent): Level {
  switch (event.type) {
    case 'model-delta':
    case 'log':
      return 'debug';
    case 'node-finish':
      return event.status === 'failed' ? 'warn' : 'info';
    case 'task-retry':
    case 'budget-reached':
      return 'warn';
    case 'task-finish':
      return event.status === 'failed' ? 'error' : event.status === 'needs-human' ? 'warn' : 'info';
    case 'run-finish':
      return event.status === 'failed' ? 'error' : 'info';
    default:
      return 'info';
  }
}

function lowest(a: LogLevel, b: LogLevel): LogLevel {
  return LOG_LEVELS[Math.min(LOG_LEVELS.indexOf(a), LOG_LEVELS.indexOf(b))]!;
}
