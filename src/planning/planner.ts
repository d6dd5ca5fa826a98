import { randomBytes } from 'node:crypto';
import { TaskgraphError } from '../core/errors.js';
import type { Task } from '../core/task.js';
import type { ModelClient } from '../llm/model-client.js';
import type { Usage } from '../store/store.js';
import { assemblePlan, type PlannedTask } from './assemble-plan.js';
import type { PlanOutput, PlanTask } from './plan-schema.js';
import { type PlanEvent, requestPlanLevel } from './plan-level.js';
import { sumUsage } from '../core/usage.js';
import { buildPlannerPrompt, type ParentTaskContext, PLANNER_PROMPT_VERSION, PLANNER_SYSTEM_PROMPT } from './prompts.js';
import type { ProjectContext } from './project-context.js';

/** Options of {@link planGoal}. */
export interface PlanGoalOptions {
  /** what to build, in the user's words */
  goal: string;
  project: ProjectContext;
  client: ModelClient;
  /** model profile name for the planner role (`planner`) */
  profile: string;
  /** the planner's system prompt (default {@link PLANNER_SYSTEM_PROMPT}, the bundled `planner.system@1`); a project's library may hold a newer version */
  system?: string;
  /** deepest task depth (goal's tasks are depth 0); non-atomic tasks at this depth are kept as atomic. Default 3. */
  maxDepth?: number;
  /** repair rounds per request after an invalid answer. Default 2. */
  maxRepairs?: number;
  /** notes from earlier attempts, given to every request */
  notes?: string[];
  /** id written into every task; default `plan-` + 12 random hex digits */
  planId?: string;
  onEvent?: (event: PlanEvent) => void;
  signal?: AbortSignal;
}

/** What the planner records about how the plan was made (goes into `PlanRecord.meta`). */
export interface PlanMeta {
  promptVersion: number;
  profile: string;
  maxDepth: number;
  /** `provider:model` of the last planner call */
  model?: string;
  /** non-atomic tasks kept as atomic because they reached `maxDepth` */
  forcedAtomic: string[];
}

/** The result of {@link planGoal}. */
export interface PlanResult {
  planId: string;
  /** every task in plan order (depth-first, parents before children), status `pending`, notes empty */
  tasks: Task[];
  /** ids of the atomic tasks to execute, dependencies first, ties by plan order */
  leaves: string[];
  /** tokens and USD summed over every planner call */
  usage: Usage;
  /** model calls made (first answers + repairs) */
  calls: number;
  /** repair calls among `calls` */
  repairs: number;
  meta: PlanMeta;
}

/**
 * Plans a goal (DESIGN.md §2 step 2): asks the planner model for the goal's tasks, then
 * recursively decomposes every task marked `atomic: false` whose depth is below `maxDepth`
 * (depth-first, in plan order, one request at a time so the call order is deterministic).
 * Subtask ids are `<parentId>.<childId>` (`T2.1`); each answer is validated and repaired (see
 * {@link requestPlanLevel}); dependencies are rewired to leaves (see `assemblePlan`): a subtask
 * with no dependencies of its own inherits its parent's, and a dependency on a decomposed task
 * becomes dependencies on all of its leaves. A non-atomic task at `maxDepth` is kept as atomic
 * and listed in `meta.forcedAtomic`.
 * @throws TaskgraphError `PLAN_INVALID` when an answer stays invalid after `maxRepairs` repairs,
 *   when the goal is empty, or when the rewired leaf graph has a cycle (the path is in the message)
 * @throws TaskgraphError `CONFIG_INVALID` for a negative or non-integer `maxDepth` / `maxRepairs`
 * @throws whatever the client throws for other failures (`PROVIDER_ERROR`, `CASSETTE_MISS`, ...)
 */
export async function planGoal(options: PlanGoalOptions): Promise<PlanResult> {
  const maxDepth = options.maxDepth ?? 3;
  const maxRepairs = options.maxRepairs ?? 2;
  for (const [name, value] of [['maxDepth', maxDepth], ['maxRepairs', maxRepairs]] as const) {
    if (!Number.isInteger(value) || value < 0) {
      throw new TaskgraphError('CONFIG_INVALID', `${name} must be a whole number >= 0, got ${value}`, { hint: `set policy.${name} in taskgraph.yaml` });
    }
  }
  if (options.goal.trim() === '') {
    throw new TaskgraphError('PLAN_INVALID', 'the goal is empty: say what should be built or changed', { hint: 'taskgraph plan "<goal>" or --prd FILE' });
  }
  const planId = options.planId ?? `plan-${randomBytes(6).toString('hex')}`;
  const notes = options.notes ?? [];
  const planned: PlannedTask[] = [];
  const forcedAtomic: string[] = [];
  let usage: Usage = { inputTokens: 0, outputTokens: 0, costUsd: 0, calls: 0 };
  let calls = 0;
  let repairs = 0;

  const askLevel = async (depth: number, parent?: ParentTaskContext): Promise<PlanOutput> => {
    const prefix = parent ? `${parent.id}.` : '';
    const result = await requestPlanLevel({
      client: options.client,
      profile: options.profile,
      system: options.system ?? PLANNER_SYSTEM_PROMPT,
      prompt: buildPlannerPrompt({ goal: options.goal, project: options.project, depth, maxDepth, notes, ...(parent ? { parent } : {}) }),
      level: parent ? parent.id : 'goal',
      depth,
      maxRepairs,
      ...(parent ? { normalize: (output: PlanOutput) => stripPrefix(output, prefix) } : {}),
      validate: { idPrefix: prefix },
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.onEvent ? { onEvent: options.onEvent } : {}),
    });
    usage = sumUsage(usage, result.usage);
    calls += result.calls;
    repairs += result.repairs;
    return result.output;
  };

  /** Adds one level's tasks (and, depth-first, their subtrees) to `planned`. */
  const addLevel = async (tasks: PlanTask[], depth: number, parent: PlannedTask | undefined, ancestors: string[]): Promise<void> => {
    const prefix = parent ? `${parent.id}.` : '';
    const siblings = tasks.map((t) => ({ id: prefix + t.id, title: t.title }));
    for (const task of tasks) {
      const node: PlannedTask = {
        id: prefix + task.id,
        ...(parent ? { parent: parent.id } : {}),
        depth,
        title: task.title,
        description: task.description,
        acceptance: task.acceptance,
        files: task.files,
        dependencies: task.dependencies.map((d) => prefix + d),
        children: [],
      };
      planned.push(node);
      if (task.atomic) continue;
      if (depth >= maxDepth) {
        forcedAtomic.push(node.id);
        options.onEvent?.({ type: 'plan:depth-limit', taskId: node.id, depth });
        continue;
      }
      const context: ParentTaskContext = {
        id: node.id,
        title: node.title,
        description: node.description,
        acceptance: node.acceptance,
        files: node.files,
        ancestors,
        siblings,
      };
      const children = await askLevel(depth + 1, context);
      node.children = children.tasks.map((c) => `${node.id}.${c.id}`);
      await addLevel(children.tasks, depth + 1, node, [...ancestors, node.title]);
    }
  };

  const top = await askLevel(0);
  await addLevel(top.tasks, 0, undefined, []);
  const { tasks, leaves } = assemblePlan(planned, planId);
  return {
    planId,
    tasks,
    leaves,
    usage,
    calls,
    repairs,
    meta: {
      promptVersion: PLANNER_PROMPT_VERSION,
      profile: options.profile,
      maxDepth,
      ...(usage.model !== undefined ? { model: usage.model } : {}),
      forcedAtomic,
    },
  };
}

/**
 * Removes a repeated parent prefix from subtask ids and dependencies (a model decomposing `T2`
 * may answer `T2.1` where `1` was asked for), so the stored id is `T2.1`, not `T2.T2.1`.
 */
function stripPrefix(output: PlanOutput, prefix: string): PlanOutput {
  const strip = (id: string) => (id.startsWith(prefix) && id.length > prefix.length ? id.slice(prefix.length) : id);
  return { tasks: output.tasks.map((t) => ({ ...t, id: strip(t.id), dependencies: t.dependencies.map(strip) })) };
}
