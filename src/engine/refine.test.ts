import { describe, expect, it } from 'vitest';
import type { ErrorRecord } from '../core/errors.js';
import { failureNote, failureSignature, noteSignature } from './refine.js';

const DIGEST = [
  'Command: npm test',
  'Exit code: 1',
  'Failing tests (1, read from vitest):',
  '- test/a.test.js > adds',
  '    AssertionError: expected 3 to be 4 // Object.is equality',
  'Dropped: 40 passing-test lines, 2 warning lines, other output (logs, build, outside frames) of 300 lines.',
].join('\n');

function verifyError(details: Record<string, unknown>): ErrorRecord {
  return { code: 'VERIFY_FAILED', message: 'verify failed: `npm test` (exit code 1)', retryable: false, details };
}

describe('failureNote', () => {
  it("shows a verify check's failure digest instead of its command, exit code and head/tail output", () => {
    const error = verifyError({ command: 'npm test', exitCode: 1, output: 'head ... FAIL test/a.test.js > adds ... tail', digest: DIGEST });
    const note = failureNote('T1/verify', 2, error);
    expect(note).toBe(`Attempt 2 failed at T1/verify (VERIFY_FAILED) [signature ${failureSignature(error)}]: verify failed: \`npm test\` (exit code 1)\n\`\`\`\n${DIGEST}\n\`\`\``);
    expect(noteSignature(note)).toBe(failureSignature(error));
  });

  it('keeps the head/tail output when there is no digest (output no reader recognised)', () => {
    const note = failureNote('T1/verify', 1, verifyError({ command: 'make check', exitCode: 2, output: 'something broke' }));
    expect(note).toContain('Command: make check\nExit code: 2\nOutput:\n```\nsomething broke\n```');
  });

  it('redacts secrets in the digest', () => {
    const note = failureNote('T1/verify', 1, verifyError({ command: 'npm test', exitCode: 1, output: '', digest: `${DIGEST}\n    Authorization: Bearer sk-abcdefghijklmnopqrstuvwxyz012345` }));
    expect(note).not.toContain('sk-abcdefghijklmnopqrstuvwxyz012345');
  });

  it('signs the failure from the output, so the digest does not change loop detection', () => {
    const output = 'FAIL test/a.test.js > adds (12 ms)\nAssertionError: expected 3 to be 4';
    expect(failureSignature(verifyError({ output, digest: DIGEST }))).toBe(failureSignature(verifyError({ output })));
    expect(failureSignature(verifyError({ output, digest: DIGEST }))).not.toBe(failureSignature(verifyError({ output: 'FAIL test/a.test.js > subtracts' })));
  });
});
