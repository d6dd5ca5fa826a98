import { join } from 'node:path';
import { type LogLevel, RunLog } from '../observability/run-log.js';

/**
 * The CLI's tracing and log settings, in one place (issue 13, "Tracing and logs").
 *
 * - Spans: the engine always makes them through `@opentelemetry/api` (no-ops by default).
 *   {@link startTelemetry} starts `@opentelemetry/sdk-node`, which exports them over OTLP, only
 *   when `OTEL_EXPORTER_OTLP_ENDPOINT` is set; the SDK is not even loaded otherwise.
 *   The standard `OTEL_*` variables (protocol, headers, service name) configure it.
 * - Logs: every engine built by `openProject` writes `.taskgraph/logs/<run id>.log` (info and
 *   up; debug too at `--log-level debug`) and, at `--log-level` and up (default `warn`), stderr.
 */

let stderrLevel: LogLevel = 'silent';
let sdk: { shutdown(): Promise<void> } | undefined;

/**
 * Sets the level of log lines written to stderr (`--log-level`).
 * @param level one of `debug`, `info`, `warn`, `error`, `silent`
 */
export function setLogLevel(level: LogLevel): void {
  stderrLevel = level;
}

/**
 * A run log for the project at `projectDir`: files in `.taskgraph/logs/`, stderr at the level of
 * {@link setLogLevel}.
 * @param projectDir the project's directory
 */
export function runLogFor(projectDir: string): RunLog {
  return new RunLog({ dir: join(projectDir, '.taskgraph', 'logs'), stderrLevel });
}

/**
 * Starts the OpenTelemetry Node SDK (OTLP trace exporter configured from the environment) when
 * `env.OTEL_EXPORTER_OTLP_ENDPOINT` is set; otherwise does nothing and loads nothing.
 * @param env the environment to check (default `process.env`; the SDK itself reads `process.env`)
 * @returns whether the SDK was started
 */
export async function startTelemetry(env: NodeJS.ProcessEnv = process.env): Promise<boolean> {
  if (!env['OTEL_EXPORTER_OTLP_ENDPOINT'] || sdk) return false;
  const { NodeSDK } = await import('@opentelemetry/sdk-node');
  const started = new NodeSDK({ serviceName: env['OTEL_SERVICE_NAME'] ?? 'taskgraph', instrumentations: [] });
  started.start();
  sdk = started;
  return true;
}

/**
 * Flushes and stops the SDK {@link startTelemetry} started, if any, waiting at most `waitMs` (a
 * collector that is down must not hold the CLI's exit); never rejects.
 * @param waitMs ms to wait for the export (default 3000)
 */
export async function shutdownTelemetry(waitMs = 3000): Promise<void> {
  const running = sdk;
  sdk = undefined;
  if (!running) return;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, waitMs);
    timer.unref();
  });
  await Promise.race([running.shutdown().catch(() => undefined), late]);
  clearTimeout(timer);
}
