import type { Task } from '../../src/core/task.js';

/**
 * A task of plan `p` for unit tests, every field filled in: title `Task <id>`, one acceptance
 * line `<id> works`, atomic, depth 0, pending, no dependencies, files, tags or notes.
 * @param over fields to set instead
 */
export function testTask(id: string, over: Partial<Task> = {}): Task {
  return {
    planId: 'p',
    id,
    title: `Task ${id}`,
    description: '',
    acceptance: [`${id} works`],
    dependencies: [],
    files: [],
    atomic: true,
    depth: 0,
    tags: [],
    notes: [],
    status: 'pending',
    ...over,
  };
}
