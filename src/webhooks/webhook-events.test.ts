import { describe, expect, it } from 'vitest';
import { testTask } from '../../test/support/task.js';
import { taskEditEvents, webhookEventOf } from './webhook-events.js';

describe('webhook events', () => {
  it('maps run, task, approval and budget engine events, and nothing else', () => {
    expect(webhookEventOf({ type: 'run-start', runId: 'r', nodes: 3, resumed: false })).toEqual({ event: 'run_started', data: { runId: 'r', nodes: 3, resumed: false } });
    expect(webhookEventOf({ type: 'run-finish', runId: 'r', status: 'failed', reason: 'x' })).toEqual({ event: 'run_finished', data: { runId: 'r', status: 'failed', reason: 'x' } });
    expect(webhookEventOf({ type: 'task-finish', runId: 'r', task: 'T1', status: 'done', attempts: 2 })?.event).toBe('task_completed');
    expect(webhookEventOf({ type: 'task-finish', runId: 'r', task: 'T1', status: 'failed', attempts: 2 })).toBeUndefined();
    expect(webhookEventOf({ type: 'approval-requested', runId: 'r', nodeId: 'n', kind: 'approval', reason: undefined })).toEqual({ event: 'approval_requested', data: { runId: 'r', nodeId: 'n', kind: 'approval' } });
    expect(webhookEventOf({ type: 'budget-reached', runId: 'r', scope: 'task', reason: 'cap', task: 'T2' })?.event).toBe('budget_reached');
    expect(webhookEventOf({ type: 'node-start', runId: 'r', nodeId: 'n', attempt: 1 })).toBeUndefined();
    expect(webhookEventOf({ type: 'log', runId: 'r', nodeId: 'n', message: 'm' })).toBeUndefined();
  });

  it('a plan edit sends task_created for new tasks and task_updated for changed ones', () => {
    const before = [testTask('T1'), testTask('T2')];
    const after = [testTask('T1'), testTask('T2', { title: 'renamed' }), testTask('T3')];
    const events = taskEditEvents('p', 2, before, after);
    expect(events.map((e) => [e.event, (e.data['task'] as { id: string }).id])).toEqual([
      ['task_updated', 'T2'],
      ['task_created', 'T3'],
    ]);
    expect(events[0]!.data).toMatchObject({ planId: 'p', version: 2, task: { title: 'renamed' } });
    expect(taskEditEvents('p', 2, before, before)).toEqual([]);
  });
});
