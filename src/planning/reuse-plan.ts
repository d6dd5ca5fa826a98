import type { Task } from '../core/task.js';
import type { ModelClient } from '../llm/model-client.js';
import type { Usage } from '../store/store.js';
import { assemblePlan, type PlannedTask } from './assemble-plan.js';
import { type PlanEvent, requestPlanLevel } from './plan-level.js';
import { MAX_TASKS_PER_LEVEL } from './plan-schema.js';
import type { ReuseChoice } from './plan-reuse.js';
import { buildPlannerPrompt, PLANNER_SYSTEM_PROMPT } from './prompts.js';
import type { ProjectContext } from './project-context.js';

/**
 * Version of the customisation prompt below; it goes into the `decompose` node's cache key
 * (with reuse on), so a change of wording re-plans.
 */
export const REUSE_PROMPT_VERSION = 1;

/** What the customisation call adds to the planner's system prompt. */
export const REUSE_SYSTEM_SUFFIX = `
This request reuses an earlier plan: a plan made before for a similar goal in this project is given below. Adapt it to the new goal instead of planning from scratch: keep the tasks that still apply (with their ids), change what differs, drop what does not apply, add what is missing. Every task must be atomic ("atomic": true).`;

/** An earlier plan to start from: its goal and its tasks as stored. */
export interface EarlierPlan {
  planId: string;
  runId: string;
  goal: string;
  tasks: readonly Task[];
  /** atomic task ids in execution order */
  leaves: readonly string[];
  /** what planning its goal from scratch cost */
  fresh: Usage;
}

/** What {@link reusePlan} gives the `decompose` node. */
export interface ReusedPlan {
  /** every task (status pending, notes empty), plan id `pending` until the caller derives it */
  tasks: Task[];
  leaves: string[];
  /** the customisation call's usage; zero for an identical goal */
  usage: Usage;
}

const ZERO: Usage = { inputTokens: 0, outputTokens: 0, costUsd: 0, calls: 0 };

/** The earlier plan's tasks as a new plan would hold them: pending, without notes. */
function fresh(tasks: readonly Task[]): Task[] {
  return tasks.map((t) => ({ ...t, planId: 'pending', status: 'pending', notes: [] }));
}

/**
 * True when the earlier plan can be handed to the customisation call: its atomic tasks fit in
 * one planner answer ({@link MAX_TASKS_PER_LEVEL}).
 */
export function customisable(plan: Pick<EarlierPlan, 'leaves'>): boolean {
  return plan.leaves.length > 0 && plan.leaves.length <= MAX_TASKS_PER_LEVEL;
}

/**
 * Builds the plan for `goal` from an earlier plan (issue 14, "Reuse in planning"):
 * - `identical` goal: the earlier tasks as they stand, no model call;
 * - `customise`: ONE planner call (the planner's system prompt plus {@link REUSE_SYSTEM_SUFFIX};
 *   the usual user prompt without the code context and the README, with the earlier plan's atomic tasks,
 *   renumbered T1..Tn, as JSON) whose answer is validated and repaired like any planner answer;
 *   every task it returns is kept atomic.
 * @throws TaskgraphError PLAN_INVALID when the customised answer stays invalid after repairs;
 *   whatever the client throws (PROVIDER_ERROR, CASSETTE_MISS, ...)
 */
export async function reusePlan(options: {
  goal: string;
  choice: ReuseChoice<EarlierPlan>;
  project: ProjectContext;
  client: ModelClient;
  profile: string;
  maxRepairs: number;
  /** the planner's system prompt (default {@link PLANNER_SYSTEM_PROMPT}; a decompose node passes its project library's) */
  system?: string;
  signal?: AbortSignal;
  onEvent?: (event: PlanEvent) => void;
}): Promise<ReusedPlan> {
  const earlier = options.choice.candidate;
  if (options.choice.mode === 'identical') return { tasks: fresh(earlier.tasks), leaves: [...earlier.leaves], usage: ZERO };
  const byId = new Map(earlier.tasks.map((t) => [t.id, t]));
  const number = new Map(earlier.leaves.map((id, i) => [id, `T${i + 1}`]));
  const shown = earlier.leaves.map((id) => {
    const t = byId.get(id)!;
    return { id: number.get(id)!, title: t.title, description: t.description, acceptance: t.acceptance, files: t.files, dependencies: t.dependencies.flatMap((d) => (number.has(d) ? [number.get(d)!] : [])), atomic: true };
  });
  // leaner than a fresh planner prompt: the earlier plan stands for the code context and the README
  const { code: _code, readme: _readme, ...project } = options.project;
  // the earlier plan goes before the closing request, one task per line
  const base = buildPlannerPrompt({ goal: options.goal, project, depth: 0, maxDepth: 0 });
  const cut = base.lastIndexOf('\n\n# Your answer');
  const earlierSection = `# Earlier plan, to adapt to the goal above\n\nIts goal was: ${earlier.goal.trim()}\n\n{"tasks": [\n${shown.map((t) => JSON.stringify(t)).join(',\n')}\n]}`;
  const prompt = cut < 0 ? `${base}\n\n${earlierSection}` : `${base.slice(0, cut)}\n\n${earlierSection}${base.slice(cut)}`;
  const result = await requestPlanLevel({
    client: options.client,
    profile: options.profile,
    system: (options.system ?? PLANNER_SYSTEM_PROMPT) + REUSE_SYSTEM_SUFFIX,
    prompt,
    level: 'goal',
    depth: 0,
    maxRepairs: options.maxRepairs,
    validate: { idPrefix: '' },
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.onEvent ? { onEvent: options.onEvent } : {}),
  });
  const planned: PlannedTask[] = result.output.tasks.map((t) => ({ id: t.id, depth: 0, title: t.title, description: t.description, acceptance: t.acceptance, files: t.files, dependencies: t.dependencies, children: [] }));
  const { tasks, leaves } = assemblePlan(planned, 'pending');
  return { tasks: tasks.map((t) => ({ ...t, atomic: true })), leaves, usage: result.usage };
}
