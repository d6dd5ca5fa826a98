import { EventEmitter } from 'node:events';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TaskgraphError } from '../core/errors.js';
import { exitQuietlyOnClosedPipe, reportError, TRACE_DIR } from './error-output.js';

const base = mkdtempSync(join(tmpdir(), 'tg-error-output-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

function sink(): { write(text: string): void; text: string } {
  return {
    text: '',
    write(text: string) {
      this.text += text;
    },
  };
}

/** A stack frame line as V8 prints it. */
const FRAME = /^\s+at /m;

describe('reportError', () => {
  it('prints a user error as its message and hint, without a stack trace or a trace file', () => {
    const project = join(base, 'user');
    mkdirSync(join(project, '.taskgraph'), { recursive: true });
    const err = sink();
    const code = reportError(new TaskgraphError('CONFIG_INVALID', 'bad key\nsecond line', { hint: 'fix it' }), { projectDir: project, stderr: err });
    expect(code).toBe(1);
    expect(err.text).toBe('error [CONFIG_INVALID]: bad key\nsecond line\nhint: fix it\n');
    expect(readdirSync(join(project, '.taskgraph'))).toEqual([]);
  });

  it('prints an unexpected error as one line plus the path of the full trace, written in the project', () => {
    const project = join(base, 'project');
    mkdirSync(project);
    writeFileSync(join(project, 'taskgraph.yaml'), 'name: x\n');
    const err = sink();
    const error = new TypeError("Cannot read properties of undefined (reading 'nodes')", { cause: new Error('the inner cause') });
    expect(reportError(error, { projectDir: project, stderr: err, argv: ['node', 'taskgraph', 'status'] })).toBe(1);
    const [first, second, ...rest] = err.text.split('\n');
    expect(first).toBe("error: Cannot read properties of undefined (reading 'nodes')");
    expect(second).toMatch(/^full trace: .*\/\.taskgraph\/logs\/taskgraph-crash-\d{8}T\d{6}-\d+\.log$/);
    expect(rest).toEqual(['']);
    expect(err.text).not.toMatch(FRAME);
    const trace = readFileSync(second!.slice('full trace: '.length), 'utf8');
    expect(trace).toMatch(FRAME);
    expect(trace).toContain('command: node taskgraph status');
    expect(trace).toContain('Caused by:');
    expect(trace).toContain('the inner cause');
    expect(readdirSync(join(project, TRACE_DIR))).toHaveLength(1);
  });

  it('writes the trace to the temp directory outside a project, redacts secrets, and neutralises escape codes', () => {
    const elsewhere = join(base, 'not-a-project');
    mkdirSync(elsewhere);
    const temp = join(base, 'tmp');
    const err = sink();
    const env = { HARDEN_TEST_API_KEY: 'sk-test-0123456789abcdef' };
    reportError(new Error('boom \u001b]0;owned\u0007\u001b[2J sk-test-0123456789abcdef'), { projectDir: elsewhere, stderr: err, tempDir: temp, env });
    expect(err.text).not.toMatch(/\u001b|\u0007/);
    const path = /full trace: (.*)\n/.exec(err.text)![1]!;
    expect(path.startsWith(temp)).toBe(true);
    expect(readFileSync(path, 'utf8')).not.toContain('sk-test-0123456789abcdef');
    expect(readdirSync(elsewhere)).toEqual([]);
  });
});

describe('exitQuietlyOnClosedPipe', () => {
  it('exits with the current exit code on EPIPE, and re-throws other stream errors', () => {
    const stream = new EventEmitter();
    const exits: number[] = [];
    exitQuietlyOnClosedPipe([stream], (code) => exits.push(code));
    const before = process.exitCode;
    try {
      process.exitCode = undefined;
      stream.emit('error', Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
      process.exitCode = 3;
      stream.emit('error', Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
    } finally {
      process.exitCode = before;
    }
    expect(exits).toEqual([0, 3]);
    expect(() => stream.emit('error', Object.assign(new Error('write EIO'), { code: 'EIO' }))).toThrow('write EIO');
  });
});
