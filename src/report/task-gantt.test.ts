import { describe, expect, it } from 'vitest';
import type { TaskSummary } from './run-summary.js';
import { taskGanttSection } from './task-gantt.js';

const usage = { inputTokens: 0, outputTokens: 0, costUsd: 0, calls: 0 };
const task = (t: Partial<TaskSummary> & { id: string }): TaskSummary => ({ status: 'done', attempts: 1, usage, notes: [], ...t });

describe('taskGanttSection', () => {
  it('draws one bar per task that ran, in ms since the epoch, with overlapping tasks side by side', () => {
    const section = taskGanttSection([
      task({ id: 'T1', title: 'Add multiply', startedAt: '2026-01-01T00:00:00.000Z', finishedAt: '2026-01-01T00:00:05.000Z' }),
      task({ id: 'T2', title: 'Docs: README; #1', status: 'failed', startedAt: '2026-01-01T00:00:01.000Z', finishedAt: '2026-01-01T00:00:03.500Z' }),
      task({ id: 'T3', title: 'never ran', status: 'pending', attempts: 0 }),
    ])!;
    const t0 = Date.parse('2026-01-01T00:00:00.000Z');
    expect(section.startsWith('## Task timeline\n\n```mermaid\ngantt\n')).toBe(true);
    expect(section).toContain('dateFormat x');
    expect(section).toContain(`    T1 Add multiply :done, ${t0}, ${t0 + 5000}`);
    // `:`, `;` and `#` would end the task line: they become spaces
    expect(section).toContain(`    T2 Docs README 1 :crit, ${t0 + 1000}, ${t0 + 3500}`);
    expect(section).not.toContain('T3');
    expect(section.endsWith('```')).toBe(true);
  });

  it('ends an unfinished bar at `now`, and has no section when no task ran', () => {
    const now = Date.parse('2026-01-01T00:01:00.000Z');
    const section = taskGanttSection([task({ id: 'T1', status: 'running', startedAt: '2026-01-01T00:00:00.000Z' })], now)!;
    expect(section).toContain(`T1 :active, ${now - 60_000}, ${now}`);
    expect(taskGanttSection([task({ id: 'T1', status: 'pending' })])).toBeUndefined();
  });
});
