import { secretRedactor } from './redact.js';

/**
 * Redaction of what the CLI prints: every chunk written to a stream (normally `process.stdout`
 * and `process.stderr`) passes through the process-wide redactor first, so no command, progress
 * line, status listing, note, report, error message or stack trace shows a secret, whichever code
 * path printed it (DESIGN.md §9). Installed once at the top of the CLI.
 */

const INSTALLED = Symbol.for('taskgraph.redactedWrites');

/**
 * Wraps `stream.write` so that string and byte chunks are redacted before they are written.
 * Idempotent per stream. Chunks are redacted one by one: taskgraph writes whole lines or blocks,
 * so a secret is never split across two writes by taskgraph's own printing.
 * @param stream a writable stream whose `write` has the Node signature
 *   `(chunk, encoding?, callback?) => boolean`
 */
export function redactWrites(stream: NodeJS.WritableStream): void {
  const target = stream as NodeJS.WritableStream & { [INSTALLED]?: true };
  if (target[INSTALLED]) return;
  const write = stream.write.bind(stream) as (chunk: unknown, ...rest: unknown[]) => boolean;
  const redacted = (chunk: unknown, ...rest: unknown[]): boolean => {
    const secrets = secretRedactor();
    if (typeof chunk === 'string') return write(secrets.redact(chunk), ...rest);
    if (chunk instanceof Uint8Array) {
      const text = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength).toString('utf8');
      if (secrets.test(text)) return write(secrets.redact(text), ...rest.filter((r) => typeof r === 'function'));
    }
    return write(chunk, ...rest);
  };
  target.write = redacted as typeof stream.write;
  target[INSTALLED] = true;
}
