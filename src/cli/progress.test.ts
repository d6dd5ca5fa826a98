import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createProgress } from './progress.js';

// eslint-disable-next-line no-control-regex
const ACTIVE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;

function capture(tty: boolean): { stream: NodeJS.WriteStream; text: () => string } {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
  return { stream: stream as unknown as NodeJS.WriteStream, text: () => text };
}

const hostile = {
  error: 'edit to src/a.js does not apply: first line: "\u001b]0;owned\u0007\u001b[2Jall tests passed"',
  note: 'Attempt 1 failed at T1/verify (VERIFY_FAILED): FAIL add\r\u001b[1A\u001b[2K✔ all tests passed',
};

describe('progress: untrusted text in events', () => {
  it('plain lines (CI, pipes) carry no escape sequence or control character from a model or a repository', () => {
    const out = capture(false);
    const { observer, done } = createProgress(out.stream, false);
    observer({ type: 'run-start', runId: 'r1', nodes: 2, resumed: false });
    observer({ type: 'node-start', runId: 'r1', nodeId: 'T1/apply', attempt: 1, task: 'T1' });
    observer({
      type: 'node-finish',
      runId: 'r1',
      nodeId: 'T1/apply',
      attempt: 1,
      status: 'failed',
      task: 'T1',
      durationMs: 3,
      error: { code: 'EDIT_REJECTED', message: hostile.error, retryable: false, details: {} },
    });
    observer({ type: 'task-retry', runId: 'r1', task: 'T1', attempt: 2, maxAttempts: 3, note: hostile.note });
    observer({ type: 'node-finish', runId: 'r1', nodeId: 'T1/verify', attempt: 1, status: 'suspended', durationMs: 1, reason: 'needs a person\u001b]8;;http://evil\u0007' });
    done();
    const text = out.text();
    expect(text).not.toMatch(ACTIVE);
    expect(text).toContain('all tests passed"');
    expect(text).toContain('FAIL add\\x0d✔ all tests passed');
  });

  it('the redrawn frame (TTY) keeps its own colours but none from the events', () => {
    const out = capture(true);
    const { observer, done } = createProgress(out.stream, true);
    observer({ type: 'node-start', runId: 'r1', nodeId: 'T1/verify', attempt: 1, task: 'T1' });
    observer({ type: 'task-retry', runId: 'r1', task: 'T1', attempt: 2, maxAttempts: 3, note: hostile.note });
    done();
    const text = out.text();
    expect(text).not.toContain('\u001b]0;');
    expect(text).not.toContain('\u001b[1A\u001b[2K✔');
    expect(text).not.toContain('\r');
    expect(text).toContain('FAIL add\\x0d✔ all'); // log-update wraps the line at 80 columns
  });
});

describe('progress: tasks in parallel', () => {
  it('says a done task still has to go onto the run branch, and when it does, and that a held task waits for a person, not failed (plain lines)', () => {
    const out = capture(false);
    const { observer, done } = createProgress(out.stream, false);
    observer({ type: 'task-finish', runId: 'r1', task: 'T2', status: 'done', attempts: 1, awaitsIntegration: true });
    observer({ type: 'task-integrate', runId: 'r1', task: 'T1', branch: 'taskgraph/r1', commit: '36c749830bbc25c04eb3567d5fa732a47d95ecd4', how: 'fast-forward', batch: 1, durationMs: 12 });
    observer({ type: 'task-integrate', runId: 'r1', task: 'T2', branch: 'taskgraph/r1', commit: '43d7ccdeb893aaaaaaaaaaaaaaaaaaaaaaaaaaaa', how: 'replayed', batch: 2, durationMs: 950 });
    observer({ type: 'task-finish', runId: 'r1', task: 'T3', status: 'done', attempts: 2 });
    observer({ type: 'graph-expand', runId: 'r1', by: 'T5/commit', added: ['T5/replan'], planId: 'p-1', reason: 'T5: 3 attempt(s) failed, the last at T5/commit (INTEGRATION_CONFLICT): splitting it into smaller tasks' });
    observer({ type: 'graph-expand', runId: 'r1', by: 'T5/replan', added: ['T5.1/context'] });
    observer({ type: 'task-finish', runId: 'r1', task: 'T4', status: 'needs-human', attempts: 2, reason: 'T4 needs a person: the same failure twice (signature 0e7d88f312d8); see its notes, then `taskgraph answer r1 T4 "..."`' });
    done();
    expect(out.text().split('\n').filter(Boolean)).toEqual([
      'task T2: committed in its worktree after 1 attempt(s); goes onto the run branch in plan order',
      'task T1: on taskgraph/r1 as 36c749830b (fast-forward, 12 ms)',
      'task T2: on taskgraph/r1 as 43d7ccdeb8 (replayed, batch of 2, 950 ms)',
      'task T3: done after 2 attempt(s)',
      'plan p-1: 1 nodes added by T5/commit (T5: 3 attempt(s) failed, the last at T5/commit (INTEGRATION_CONFLICT): splitting it into smaller tasks)',
      'graph: 1 nodes added by T5/replan',
      'task T4: held after 2 attempt(s): T4 needs a person: the same failure twice (signature 0e7d88f312d8); see its notes, then `taskgraph answer r1 T4 "..."`',
    ]);
  });

  it('lists the integration under the redrawn frame (TTY)', () => {
    const out = capture(true);
    const { observer, done } = createProgress(out.stream, true);
    observer({ type: 'run-start', runId: 'r1', nodes: 1, resumed: false });
    observer({ type: 'task-integrate', runId: 'r1', task: 'T1', branch: 'taskgraph/r1', commit: '36c749830bbc25c04eb3567d5fa732a47d95ecd4', how: 'fast-forward', batch: 1, durationMs: 12 });
    done();
    expect(out.text()).toContain('task T1: on taskgraph/r1 as 36c749830b (fast-forward, 12 ms)');
  });
});
