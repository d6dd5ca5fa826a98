import { getEventListeners } from 'node:events';
import { constants } from 'node:os';
import { TaskgraphError } from '../core/errors.js';

/**
 * SIGINT and SIGTERM for the CLI (issue 8 item 13): a run in progress is stopped cleanly — its
 * commands are killed, its model calls aborted, the run is recorded `interrupted` with the reason
 * `stopped by SIGTERM`, its session ends and its lease is released — and the process then exits
 * with 128 + the signal number (130 for SIGINT, 143 for SIGTERM), the shell convention. A second
 * signal, or one that comes when no run is in progress, exits at once (a run left that way keeps
 * a lease whose process is gone: `taskgraph resume` takes it over).
 */

/** The signal every engine of this process stops on (wiring.ts passes it to each engine). */
const controller = new AbortController();
/** The signal the engine listens to: aborted on the first SIGINT/SIGTERM, with a `TaskgraphError('ABORTED', 'stopped by SIG...')` reason. */
export const interruptSignal: AbortSignal = controller.signal;

let received: NodeJS.Signals | undefined;

/** 128 + the signal's number (SIGINT 130, SIGTERM 143). */
function exitCodeOf(signal: NodeJS.Signals): number {
  return 128 + (constants.signals[signal] ?? 0);
}

/**
 * Registers the SIGINT and SIGTERM handlers (once per process; the CLI entry point calls it).
 * @param exit how to leave at once (tests pass a spy); default `process.exit`
 */
export function installSignalHandlers(exit: (code: number) => void = (code) => process.exit(code)): void {
  const onSignal = (signal: NodeJS.Signals) => {
    if (received !== undefined || getEventListeners(controller.signal, 'abort').length === 0) {
      process.stderr.write(`\n${signal}: exiting now\n`);
      exit(exitCodeOf(signal));
      return;
    }
    received = signal;
    process.stderr.write(`\n${signal}: stopping the run (its commands are killed, the run is recorded interrupted); send it again to exit at once\n`);
    controller.abort(new TaskgraphError('ABORTED', `stopped by ${signal}`, { hint: 'continue it with `taskgraph resume RUN`' }));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

/** The exit code a received signal calls for (130/143), or undefined when none came. */
export function signalExitCode(): number | undefined {
  return received === undefined ? undefined : exitCodeOf(received);
}
