import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { resetSecretRedactor } from '../security/redact.js';
import { RunLog } from './run-log.js';

/** A destination that keeps what pino writes to it. */
function memory(): { write(line: string): void; lines: string[] } {
  const lines: string[] = [];
  return { lines, write: (line: string) => void lines.push(line) };
}

afterEach(() => {
  delete process.env['TG_RUNLOG_TEST_TOKEN'];
  resetSecretRedactor();
});

describe('run log', () => {
  it('writes JSON lines to <dir>/<run>.log at info and to stderr at its level, redacted', () => {
    const secret = `tok-${randomBytes(10).toString('hex')}`;
    process.env['TG_RUNLOG_TEST_TOKEN'] = secret;
    resetSecretRedactor();
    const dir = mkdtempSync(join(tmpdir(), 'tg-runlog-'));
    const stderr = memory();
    const log = new RunLog({ dir, stderr });
    log.observer({ type: 'run-start', runId: 'r1', nodes: 1, resumed: false });
    log.observer({ type: 'model-delta', runId: 'r1', nodeId: 'n', attempt: 1, text: 'hello' });
    log.observer({ type: 'node-finish', runId: 'r1', nodeId: 'n', attempt: 1, status: 'failed', durationMs: 5, error: { code: 'COMMAND_FAILED', message: `exit 1 with ${secret}`, retryable: false, details: {} } });
    log.observer({ type: 'run-finish', runId: 'r1', status: 'failed', reason: 'n failed' });
    const file = readFileSync(join(dir, 'r1.log'), 'utf8');
    const lines = file.trim().split('\n').map((l) => JSON.parse(l) as { level: number; event: string; runId: string });
    expect(lines.map((l) => [l.event, l.level])).toEqual([
      ['run-start', 30],
      ['node-finish', 40],
      ['run-finish', 50],
    ]); // the debug line (model delta) is not in the file at the default level
    expect(lines.every((l) => l.runId === 'r1')).toBe(true);
    expect(file).not.toContain(secret);
    expect(file).toContain('exit 1 with [redacted]');
    // stderr at its default level, warn: the failed node and the failed run only
    expect(stderr.lines.map((l) => (JSON.parse(l) as { event: string }).event)).toEqual(['node-finish', 'run-finish']);
    expect(stderr.lines.join('')).not.toContain(secret);
  });

  it('at debug, the file gets debug lines too; silent stderr gets nothing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tg-runlog-'));
    const stderr = memory();
    const log = new RunLog({ dir, stderr, stderrLevel: 'silent', fileLevel: 'debug' });
    log.observer({ type: 'model-delta', runId: 'r2', nodeId: 'n', attempt: 1, text: 'hello' });
    log.close();
    expect(readFileSync(join(dir, 'r2.log'), 'utf8')).toContain('"event":"model-delta"');
    expect(stderr.lines).toEqual([]);
  });
});
