import type { ProjectConfig } from '../core/config.js';
import { hashJson } from '../core/hash.js';
import type { Task } from '../core/task.js';
import { assembleContext } from './assemble.js';
import type { ContextIndex } from './context-index.js';
import type { BundleProjectIndex } from './project-index-item.js';
import { renderBundle } from './render.js';
import type { TokenizerFamily } from './tokenizer.js';

/**
 * The planner's code context (issue 9 item 6): the bundle a planner or decomposition prompt gets,
 * built with the very machinery of a task's bundle (`assembleContext`): the stored project index
 * (INDEX.md), the repository map with symbols ranked by relevance to the goal, and the passages
 * retrieval finds for it, under `planner.contextBudget` tokens. The goal itself and the
 * taskgraph.yaml facts are already in the planner prompt, so the bundle's task and taskgraph.yaml
 * items are not repeated, nor passages of the README excerpt the prompt shows.
 */

/** Share of the planner budget the repository map may use (the planner needs the map most). */
export const PLANNER_MAP_SHARE = 0.4;

/** Id of the task that stands for the goal in the bundle (never stored). */
export const GOAL_TASK_ID = 'goal';

/** What the planner bundle is built from. */
export interface PlannerBundleInput {
  config: ProjectConfig;
  /** the goal in the user's words */
  goal: string;
  /** set when a task is decomposed: its text is ranked against too, and the files it names are included */
  task?: Pick<Task, 'id' | 'title' | 'description' | 'acceptance' | 'files'>;
  /** repository-relative paths of the worktree's files */
  repoFiles: string[];
  /** reads a repository file (UTF-8) */
  readFile(path: string): Promise<string>;
  /** tokens the bundle may use (`planner.contextBudget`), ≥ 256 */
  budget: number;
  family: TokenizerFamily;
  /** the stored project index of the run's base commit, when there is one */
  projectIndex?: BundleProjectIndex;
  /** a file the planner prompt shows already (the README excerpt): retrieved passages inside its first `lines` lines are left out */
  shown?: { path: string; lines: number };
  /** a prebuilt retrieval index over `repoFiles` (built when absent) */
  index?: ContextIndex;
}

/** The planner's code context, rendered. */
export interface PlannerBundle {
  /** Markdown: the kept items joined as a task bundle renders them ('' when nothing fits) */
  text: string;
  /** tokens of the whole bundle (task items included), ≤ the budget */
  tokens: number;
  budget: number;
  /** what was left out or shortened, one line each (`title (action: reason)`) */
  cut: string[];
  /** SHA-256 (hex) of `text` (the plan node's key covers `text` through the project context it hashes) */
  hash: string;
}

/**
 * Builds the planner's code context.
 * @returns the bundle; deterministic for equal inputs
 * @throws TaskgraphError CONFIG_INVALID when `budget` is not a non-negative integer
 * @throws whatever `readFile` throws for a file it cannot read while indexing
 */
export async function buildPlannerBundle(input: PlannerBundleInput): Promise<PlannerBundle> {
  const t = input.task;
  const task: Task = {
    planId: 'planner',
    id: t?.id ?? GOAL_TASK_ID,
    title: t?.title ?? input.goal,
    description: t ? `${t.description}\n\nGoal: ${input.goal}` : input.goal,
    acceptance: t?.acceptance ?? [],
    dependencies: [],
    files: t?.files ?? [],
    atomic: true,
    depth: 0,
    tags: [],
    notes: [],
    status: 'pending',
  };
  const docs: Array<{ path: string; text: string }> = [];
  const bundle = await assembleContext({
    config: input.config,
    task,
    requires: [],
    siblings: [],
    refers: [],
    files: [],
    repoFiles: input.repoFiles,
    readFile: input.readFile,
    earlierOutputs: [],
    docs,
    pins: [],
    excludes: [],
    budget: input.budget,
    family: input.family,
    ...(input.projectIndex ? { projectIndex: input.projectIndex } : {}),
    ...(input.index ? { index: input.index } : {}),
    options: { repoMapTokens: Math.floor(input.budget * PLANNER_MAP_SHARE), subject: 'goal' },
  });
  // the goal and taskgraph.yaml are in the planner prompt already
  const shown = input.shown;
  const repeated = (i: (typeof bundle.items)[number]) => shown !== undefined && i.source === 'retrieval' && i.origin.path === shown.path && (i.origin.lines?.[1] ?? Infinity) <= shown.lines;
  const kept = bundle.items.filter((i) => i.source !== 'task' && !(i.source === 'project' && i.origin.config !== undefined) && !repeated(i));
  const text = renderBundle({ items: kept });
  return { text, tokens: bundle.tokens, budget: bundle.budget, cut: bundle.cut, hash: hashJson(text) };
}
