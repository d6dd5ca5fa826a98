import type { TaskSummary } from './run-summary.js';

/**
 * The report's task timeline (issue 10) as a Mermaid Gantt chart: one bar per task that ran in
 * the run, from the first attempt of any of its nodes to the last one's end, so tasks that ran at
 * the same time (policy.taskConcurrency above 1) show side by side. Pure.
 *
 * Mermaid syntax (https://mermaid.js.org/syntax/gantt.html): `dateFormat x` reads the bars' start
 * and end as Unix milliseconds; `axisFormat %H:%M:%S` labels the axis with UTC clock times as
 * GitHub renders them. Titles are cut to 60 characters and stripped of `:`, `;`, `#` and
 * newlines, which end a Mermaid task line or comment.
 */

/** A task title that cannot break a Mermaid task line. */
function barLabel(t: TaskSummary): string {
  const title = (t.title ?? '').replace(/[:;#\r\n]+/g, ' ').replace(/\s+/g, ' ').trim().slice(0, 60);
  return `${t.id.replace(/[:;#\s]+/g, '-')}${title ? ` ${title}` : ''}`;
}

/**
 * The Gantt chart of the tasks' intervals, as a Markdown section (`## Task timeline` with a
 * ```` ```mermaid ```` block), or undefined when no task has a recorded interval.
 * @param tasks the run's tasks (their `startedAt`/`finishedAt` ISO times, see `run-summary.ts`)
 * @param now ms since the epoch: the end of a bar whose task has no finished attempt yet
 */
export function taskGanttSection(tasks: readonly TaskSummary[], now: number = Date.now()): string | undefined {
  const bars = tasks.flatMap((t) => {
    if (!t.startedAt) return [];
    const start = Date.parse(t.startedAt);
    const end = Math.max(start + 1, t.finishedAt ? Date.parse(t.finishedAt) : now);
    if (!Number.isFinite(start) || !Number.isFinite(end)) return [];
    return [`    ${barLabel(t)} :${t.status === 'done' ? 'done, ' : t.status === 'running' ? 'active, ' : t.status === 'failed' ? 'crit, ' : ''}${start}, ${end}`];
  });
  if (bars.length === 0) return undefined;
  const chart = ['```mermaid', 'gantt', '    title Tasks (first attempt started to last attempt ended)', '    dateFormat x', '    axisFormat %H:%M:%S', '    section tasks', ...bars, '```'];
  return ['## Task timeline', chart.join('\n')].join('\n\n');
}
