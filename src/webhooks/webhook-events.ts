import type { WebhookEventName } from '../core/config.js';
import { canonicalJson } from '../core/hash.js';
import type { Json } from '../core/json.js';
import type { Task } from '../core/task.js';
import type { EngineEvent } from '../engine/events.js';

/** A webhook event before it is addressed to receivers: its name and its JSON `data`. */
export interface WebhookEvent {
  event: WebhookEventName;
  data: Record<string, Json>;
}

/**
 * The webhook event an engine event stands for, if any: `run-start` → `run_started`,
 * `run-finish` → `run_finished`, `task-finish` with status `done` → `task_completed`,
 * `approval-requested` → `approval_requested`, `budget-reached` → `budget_reached`. Every other
 * engine event (node progress, logs, model text) is not sent.
 */
export function webhookEventOf(event: EngineEvent): WebhookEvent | undefined {
  const { type: _type, ...rest } = event;
  const data = JSON.parse(JSON.stringify(rest)) as Record<string, Json>; // drops undefined fields
  switch (event.type) {
    case 'run-start':
      return { event: 'run_started', data };
    case 'run-finish':
      return { event: 'run_finished', data };
    case 'task-finish':
      return event.status === 'done' ? { event: 'task_completed', data } : undefined;
    case 'approval-requested':
      return { event: 'approval_requested', data };
    case 'budget-reached':
      return { event: 'budget_reached', data };
    default:
      return undefined;
  }
}

/**
 * The `task_created` and `task_updated` events of a plan edit: a task in `after` whose id was not
 * in `before` is created; one whose fields differ is updated (removed tasks send nothing).
 * @param planId the plan edited
 * @param version the plan version the edit made
 */
export function taskEditEvents(planId: string, version: number, before: readonly Task[], after: readonly Task[]): WebhookEvent[] {
  const old = new Map(before.map((t) => [t.id, canonicalJson(t)]));
  const out: WebhookEvent[] = [];
  for (const task of after) {
    const was = old.get(task.id);
    if (was === canonicalJson(task)) continue; // key order does not matter
    const data = { planId, version, task: JSON.parse(JSON.stringify(task)) as Json };
    out.push({ event: was === undefined ? 'task_created' : 'task_updated', data });
  }
  return out;
}
