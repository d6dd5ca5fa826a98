import type { ProjectConfig } from '../core/config.js';
import type { Task } from '../core/task.js';
import type { ContextIndex } from './context-index.js';
import type { BundleProjectIndex } from './project-index-item.js';
import type { DependencyChange } from './dependency-diff.js';
import type { TokenizerFamily } from './tokenizer.js';

/**
 * The data shapes of context assembly (DESIGN.md §7). A bundle is plain JSON: it is the output
 * of a `context` node, persisted with the attempt, and its hash (`bundleManifestHash`) goes into
 * the `llm` node's cache key.
 */

/**
 * Where an item comes from, by tier (allocation order in brackets):
 * `project` 1 [1], `task` 2 [2], `failure` 10 [3], `pin` 9 [4], `dependency` 3 [5], `sibling` 4 [6],
 * `refers` 5 [7], `file` 6 [8], `repo-map` 7 [9], `retrieval` 8 [10]. `failure` items are the
 * code a retry's latest failure names (`failure-pins.ts`): whole blocks, never trimmed.
 */
export type ContextSource = 'project' | 'task' | 'failure' | 'pin' | 'dependency' | 'sibling' | 'refers' | 'file' | 'repo-map' | 'retrieval';

/** Tier number of each source, as numbered in issue 4 and DESIGN.md §7. */
export const TIER_OF: Record<ContextSource, number> = {
  project: 1,
  task: 2,
  dependency: 3,
  sibling: 4,
  refers: 5,
  file: 6,
  'repo-map': 7,
  retrieval: 8,
  pin: 9,
  failure: 10,
};

/**
 * Allocation rank of each source: items are allocated and rendered in this order. The code named
 * by the latest failure (tier 10) comes right after the task and its notes, which hold that
 * failure. Pins (tier 9) rank next: a person pinned them on purpose, so they must not be crowded
 * out by dependency outputs or retrieval; they are still below the project index and the task.
 */
export const RANK_OF: Record<ContextSource, number> = {
  project: 1,
  task: 2,
  failure: 3,
  pin: 4,
  dependency: 5,
  sibling: 6,
  refers: 7,
  file: 8,
  'repo-map': 9,
  retrieval: 10,
};

/** Where an item's text came from. All fields optional; set what applies. */
export interface ItemOrigin {
  /** repository-relative path (or a configured doc's path) */
  path?: string;
  /** 1-based inclusive line range within `path` or within a task output */
  lines?: [number, number];
  /**
   * set when a file item was trimmed code-aware (`code/trim-code.ts`): the 1-based inclusive
   * line ranges of `path` shown verbatim; every other line of `lines` shows as a signature or
   * an `… N lines` marker
   */
  shown?: Array<[number, number]>;
  /** task id (the task, a dependency, a sibling, a pinned task, an earlier output) */
  taskId?: string;
  /** a URL, for docs that have one */
  url?: string;
  /** the config file, for the project index */
  config?: string;
  /** the plan whose root task produced the project index (INDEX.md) */
  planId?: string;
}

/** How an included item was shortened to fit. */
export interface ItemCut {
  action: 'trimmed' | 'summarized';
  /** tokens of the item's full rendered text */
  fromTokens: number;
  /** tokens of what was kept (= the item's `tokens`) */
  toTokens: number;
}

/** One item of a bundle. */
export interface ContextItem {
  source: ContextSource;
  /** tier number, see {@link TIER_OF} */
  tier: number;
  title: string;
  /** exactly what is rendered for this item (heading included) */
  text: string;
  /** tokens of `text` in the bundle's tokenizer family */
  tokens: number;
  /** why it is in the bundle */
  why: string;
  origin: ItemOrigin;
  /** true when the item was trimmed or summarized */
  trimmed?: boolean;
  /** set when the item was shortened: what was done, in words, e.g. `trimmed from 5012 to 2048 tokens` */
  cut?: string;
  /** set when the item was shortened: the same, as data */
  shortened?: ItemCut;
}

/** Something left out of, or shortened in, a bundle, with the reason. */
export interface CutEntry {
  source: ContextSource;
  tier: number;
  title: string;
  origin: ItemOrigin;
  /**
   * `dropped`: did not fit; `trimmed`/`summarized`: included shortened; `excluded`: an exclude
   * override removed it; `missing`: a pin that names nothing known
   */
  action: 'dropped' | 'trimmed' | 'summarized' | 'excluded' | 'missing';
  /** tokens of the full item (0 when never rendered) */
  tokens: number;
  reason: string;
}

/** A built bundle: what a model is given for one task. */
export interface ContextBundle {
  /** task id */
  task: string;
  /** tokenizer the counts are in (absent in bundles from the first, approximate format) */
  family?: TokenizerFamily;
  /** token budget */
  budget: number;
  /** tokens of `renderBundle(bundle)`, counted on the rendered string: always ≤ `budget` */
  tokens: number;
  /** in allocation order (see {@link RANK_OF}) */
  items: ContextItem[];
  /** what was left out or shortened, one line each: `title (action: reason)` */
  cut: string[];
  /** the same as data (absent in bundles from the first format) */
  cutEntries?: CutEntry[];
}

/**
 * Summarizes `text` into at most about `maxTokens` tokens (the lead wires it to the `cheap`
 * model profile). The result is counted again and trimmed if it is still too long.
 */
export type SummarizeFn = (text: string, maxTokens: number) => Promise<string>;

/** Everything {@link assembleContext} needs: plain data plus a file reader. */
export interface AssembleInput {
  config: ProjectConfig;
  task: Task;
  /**
   * the task's `requires` dependencies with their outputs (included in full when they fit);
   * `change`, when the dependency's commit could be read, is what that commit changed: the tier
   * then shows its summary line and diff (`dependency-diff.ts`) instead of `output`
   */
  requires: Array<{ task: Task; output: string; change?: DependencyChange }>;
  /** other tasks of the plan (titles and status) */
  siblings: Task[];
  /** tasks the task `refers` to (title + first line of description) */
  refers: Task[];
  /** paths named by the task's earlier edits (the task's own `files` globs are read from `task`) */
  files: string[];
  /** repository-relative paths of every file in the worktree */
  repoFiles: string[];
  /**
   * Reads a repository file (UTF-8). A file it fails on is skipped by indexing and shown as a
   * one-line note where it is named or pinned.
   */
  readFile(path: string): Promise<string>;
  /** outputs of other tasks in the plan, for retrieval */
  earlierOutputs: Array<{ taskId: string; text: string }>;
  /** configured knowledge docs (`docs:` globs in taskgraph.yaml), for retrieval */
  docs: Array<{ path: string; text: string; url?: string }>;
  /** paths, globs or task ids (optionally `task:ID` / `path:GLOB`) always included */
  pins: string[];
  /** paths, globs or task ids never included (wins over pins) */
  excludes: string[];
  /** tokens the rendered bundle may use */
  budget: number;
  family: TokenizerFamily;
  /**
   * shortens oversized dependency outputs, named and pinned files, `refers` lists and the project
   * index (the task itself, the taskgraph.yaml index, the map and retrieved passages are trimmed)
   */
  summarize?: SummarizeFn;
  /** every task of the plan, to resolve pinned task ids (optional: else the tasks above) */
  allTasks?: Task[];
  /**
   * the project index (INDEX.md) an earlier plan's root task produced for a commit this worktree
   * holds (`nodes/project-index-lookup.ts`); tier 1, shown without what the repository map lists
   * (`project-index-item.ts`). A repository file named INDEX.md is an ordinary file.
   */
  projectIndex?: BundleProjectIndex;
  /**
   * a prebuilt index (see `buildContextIndex`); when given, the map and retrieval read repository
   * files, docs and earlier outputs from it (not from `repoFiles`/`docs`/`earlierOutputs`), so
   * build it from the same data; built from those fields when absent
   */
  index?: ContextIndex;
  /** tuning knobs; defaults in `assemble.ts` */
  options?: AssembleOptions;
}

/** Tuning of {@link AssembleInput}. */
export interface AssembleOptions {
  /** tokens the repository map may use (default: 15% of the budget, clamped to 256..4,096) */
  repoMapTokens?: number;
  /**
   * largest share of the budget one item may take before it is trimmed or summarized
   * (default 0.5); the task itself and pins may use all that is left
   */
  maxItemShare?: number;
  /** what the repository map ranks against, in its heading and cut lines (default `task`; the planner's bundle: `goal`) */
  subject?: string;
}
