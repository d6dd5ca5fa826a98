import type { ProjectConfig } from '../core/config.js';
import type { GraphSpecInput, NodeSpecInput } from '../core/graph.js';
import { hashJson } from '../core/hash.js';
import type { PlanRecord, Task } from '../core/task.js';

/**
 * Turns a plan into the nodes that carry it out (DESIGN.md §2 step 4): for every atomic task
 * `T`, in execution order, the small graph
 *
 *   T/context -> T/edit (llm, coder) -> T/apply -> T/verify [-> T/review] -> T/commit (git-commit)
 *
 * (`T/edit` is an `agent` node when `roles.coder` names an agent profile: see {@link editNode}.)
 *
 * `T/review` (kind `review`, the checker model; `nodes/review.ts`) is there when `review.task` is
 * on: its verdict is an input of the commit, and a `fail` refines the task like a failed verify.
 * All the nodes carry `task: T`, so a failed apply or verify retries them together with the
 * failure note (refinement). `T/context` takes `dep:D` inputs from each dependency's commit, so
 * what a dependency did is in the context and in the cache key. Tasks share one worktree: the
 * engine keeps one task open at a time, and the priorities (earlier in `leaves` = higher) make
 * that order the plan's topological order, so every commit sits on top of the one before. A
 * failed task skips only the tasks that depend on it.
 */
export interface PlanGraphOptions {
  /** the project's config; `index.commit` (default false) makes the root `index` node commit INDEX.md */
  config: Pick<ProjectConfig, 'roles' | 'commands' | 'policy'> & { index?: ProjectConfig['index']; review?: ProjectConfig['review']; agents?: ProjectConfig['agents'] };
  /**
   * `--baseline known-failures`: every `T/verify` takes the `baseline` node's output as its
   * input `baseline` (part of its cache key), so it fails only on tests that did not fail at
   * the base commit
   */
  knownFailures?: boolean;
  /** node ids every task's first node (`T/context`) waits for: the root `setup` / `baseline` nodes of `run PLAN` */
  after?: readonly string[];
}

/**
 * @param tasks all tasks of a plan (parents included)
 * @param leaves ids of the atomic tasks in execution order (dependencies first)
 * @returns node specs (ids `T/context`, `T/edit`, `T/apply`, `T/verify`, `T/commit`)
 */
export function planToNodes(tasks: readonly Task[], leaves: readonly string[], options: PlanGraphOptions): NodeSpecInput[] {
  const byId = new Map(tasks.map((t) => [t.id, t]));
  const nodes: NodeSpecInput[] = [];
  const split = new Set(tasks.filter((t) => t.parent !== undefined && byId.has(t.parent)).map((t) => t.parent!));
  const review = options.config.review?.task === true;
  leaves.forEach((id, index) => {
    const task = byId.get(id);
    if (!task) return;
    const deps = task.dependencies.filter((d) => leaves.includes(d));
    const priority = leaves.length - index;
    if (split.has(id)) {
      // an atomic task that an earlier run split into subtasks (ADaPT): its replan and its joining
      // commit, exactly as the run that split it left them; the cached replan re-expands into the
      // subtasks, so a re-run goes straight to them
      nodes.push(...splitTaskNodes(task, priority, options.after));
      return;
    }
    nodes.push(
      {
        id: `${id}/context`,
        kind: 'context',
        task: id,
        title: `context for ${id}`,
        priority,
        config: { task: id },
        inputs: Object.fromEntries(deps.map((d) => [`dep:${d}`, { $ref: `${d}/commit` }])),
        ...(options.after && options.after.length > 0 ? { needs: [...options.after] } : {}),
      },
      editNode(id, priority, options.config),
      { id: `${id}/apply`, kind: 'apply', task: id, title: `apply ${id}`, priority, config: {}, inputs: { edit: { $ref: `${id}/edit` } } },
      {
        id: `${id}/verify`,
        kind: 'verify',
        task: id,
        title: `verify ${id}`,
        priority,
        config: {},
        inputs: { applied: { $ref: `${id}/apply`, path: 'tree' }, ...(options.knownFailures ? { baseline: { $ref: BASELINE_NODE_ID } } : {}) },
      },
      ...(review
        ? [
            {
              id: `${id}/review`,
              kind: 'review' as const,
              task: id,
              title: `review ${id} against its acceptance criteria`,
              priority,
              config: { scope: 'task', task: id, profile: options.config.roles.reviewer },
              inputs: { applied: { $ref: `${id}/apply`, path: 'tree' }, verify: { $ref: `${id}/verify` } },
            },
          ]
        : []),
      {
        id: `${id}/commit`,
        kind: 'script',
        task: id,
        title: `commit ${id}`,
        priority,
        config: { fn: 'git-commit', args: { message: commitMessage(task) } },
        inputs: { verified: { $ref: `${id}/verify`, path: 'passed' }, ...(review ? { reviewed: { $ref: `${id}/review`, path: 'verdict' } } : {}) },
      },
    );
  });
  return nodes;
}

/**
 * A task's `T/edit` node: an `llm` node with the `edit` template for the `coder` role's model
 * profile, or, when `roles.coder` names an agent profile (`provider: agent`), an `agent` node
 * running that CLI in the worktree (`nodes/agent.ts`), whose diff output the same `apply` takes.
 */
function editNode(id: string, priority: number, config: PlanGraphOptions['config']): NodeSpecInput {
  const coder = config.roles.coder;
  const common = { id: `${id}/edit`, task: id, title: `edit for ${id}`, priority, inputs: { context: { $ref: `${id}/context` } } };
  if (config.agents?.[coder]) return { ...common, kind: 'agent', config: { profile: coder } };
  return { ...common, kind: 'llm', config: { profile: coder, template: 'edit', output: 'edit' } };
}

/** Node id of the root node that runs `commands.setup` in a new worktree (see {@link baselineRoots}). */
export const SETUP_NODE_ID = 'setup';

/** Node id of the root node that verifies the base commit (see {@link baselineRoots}). */
export const BASELINE_NODE_ID = 'baseline';

/** How a run treats its base commit: `policy.baseline` or `--baseline`. */
export type RunBaselineMode = ProjectConfig['policy']['baseline'];

/** Options of {@link baselineRoots}. */
export interface BaselineRootOptions {
  config: Pick<ProjectConfig, 'commands'>;
  /** how the base commit is treated; `off` adds no `baseline` node */
  baseline: RunBaselineMode;
  /** whether the run has a new worktree of its own (`setup` runs only there) */
  worktree: boolean;
}

/**
 * The root nodes of `do` and `run PLAN` graphs, which run before the first model call:
 *
 * - `setup` (kind `setup`, `nodes/setup.ts`): `commands.setup` in the run's new worktree; only
 *   when the run has a worktree and the project has a setup command.
 * - `baseline` (kind `verify` with `config.baseline`, `nodes/verify.ts`): the project's checks over
 *   the base commit, after `setup`; cached by the worktree tree, so an unchanged base is verified
 *   once. Absent when the mode is `off` or the project has no test command.
 *
 * @returns the nodes and `after`, the ids the rest of the graph waits for (the `plan` node of
 *   `do`, every task's first node in `run PLAN`): `baseline`, else `setup`, else none
 */
export function baselineRoots(options: BaselineRootOptions): { nodes: NodeSpecInput[]; after: string[] } {
  const nodes: NodeSpecInput[] = [];
  const setup = options.worktree && !!options.config.commands.setup;
  if (setup) nodes.push({ id: SETUP_NODE_ID, kind: 'setup', title: 'prepare the worktree (commands.setup)', config: {} });
  if (options.baseline !== 'off' && options.config.commands.test) {
    nodes.push({
      id: BASELINE_NODE_ID,
      kind: 'verify',
      title: 'verify the base commit',
      config: { baseline: options.baseline },
      ...(setup ? { needs: [SETUP_NODE_ID] } : {}),
    });
  }
  return { nodes, after: nodes.length > 0 ? [nodes[nodes.length - 1]!.id] : [] };
}

/** Whether a `baseline` node's output asks verify nodes to compare with known failures (see {@link PlanGraphOptions.knownFailures}). */
export function isKnownFailuresBaseline(output: unknown): boolean {
  return typeof output === 'object' && output !== null && (output as { baseline?: unknown }).baseline === 'known-failures';
}

/**
 * The nodes of a task split into subtasks by as-needed decomposition (ADaPT, arXiv:2311.05772):
 * `<task>/replan`, a `decompose` node that plans the task anew with its failure notes, and
 * `<task>/commit`, which takes the replan's plan id and (once the replan expands) waits for every
 * subtask's commit, so the tasks that depend on the split task still wait for all of it. Shared by
 * the engine, which splits a task at run time (`engine/task-tracker.ts`), and by
 * {@link planToNodes}, which gives a later run of the plan the same two nodes.
 * @param task the split task (its title, description and acceptance criteria are the replan's goal)
 * @param priority the task's scheduling priority
 * @param after ids the replan waits for: the root `baseline`/`setup` nodes of a plan graph; at run
 *   time what the task's first node waited for (done by then: it only keeps the replan and the
 *   subtasks after the task in topological order, the order tasks in parallel integrate in)
 */
export function splitTaskNodes(task: Pick<Task, 'id' | 'title' | 'description' | 'acceptance' | 'tags'>, priority: number | undefined, after: readonly string[] = []): NodeSpecInput[] {
  const goal = [task.title, task.description, ...task.acceptance.map((a) => `- ${a}`)].filter(Boolean).join('\n');
  return [
    {
      id: `${task.id}/replan`,
      kind: 'decompose',
      title: `split ${task.id} into smaller tasks`,
      ...(priority !== undefined ? { priority } : {}),
      config: { goal, task: task.id },
      inputs: {},
      needs: [...after],
    },
    {
      id: `${task.id}/commit`,
      kind: 'script',
      task: task.id,
      title: `commit ${task.id}`,
      ...(priority !== undefined ? { priority } : {}),
      config: { fn: 'git-commit', args: { message: commitMessage(task) } },
      inputs: { plan: { $ref: `${task.id}/replan`, path: 'planId' } },
      needs: [],
    },
  ];
}

/** Node id of a plan's root `index` node (see {@link rootPlanNodes}). */
export const INDEX_NODE_ID = 'index';

/** Node id of a plan's plan-level review, which writes the pull-request description (see {@link rootPlanNodes}). */
export const PR_REVIEW_NODE_ID = 'review';

/**
 * The nodes of a whole plan (`taskgraph do`, `run PLAN`): {@link planToNodes} for every atomic
 * task, then the root task's `index` node, which waits for every task's commit and then builds
 * the project index (`project-index` script, `nodes/project-index-script.ts`): its output, kept
 * in the store, is tier 1 of later runs' context bundles. With `index.commit: true` (its args
 * say `commit: true`) it also writes and commits INDEX.md. Subplans of a split task (ADaPT) get
 * no index node of their own: the root's waits for them through the split task's commit.
 * With `review.pr` on, the root `review` node (kind `review`, scope `run`) follows the index: it
 * takes every task's commit and writes the pull-request description over the branch's whole diff.
 * @param plan the plan's id, goal, tasks and atomic task ids in execution order
 */
export function rootPlanNodes(plan: { id: string; goal: string; tasks: readonly Task[]; leaves: readonly string[] }, options: PlanGraphOptions): NodeSpecInput[] {
  const nodes = planToNodes(plan.tasks, plan.leaves, options);
  const leaves = plan.leaves.filter((id) => nodes.some((n) => n.id === `${id}/commit`));
  if (leaves.length === 0) return nodes;
  const commit = options.config.index?.commit === true;
  nodes.push({
    id: INDEX_NODE_ID,
    kind: 'script',
    title: commit ? 'update and commit INDEX.md, the project index' : 'build the project index (INDEX.md, kept in the store)',
    config: { fn: 'project-index', args: { planId: plan.id, goal: plan.goal, leaves, commit } },
    inputs: Object.fromEntries(leaves.map((id) => [`task:${id}`, { $ref: `${id}/commit` }])),
  });
  if (options.config.review?.pr === true) {
    nodes.push({
      id: PR_REVIEW_NODE_ID,
      kind: 'review',
      title: 'review the whole branch and write the pull-request description',
      config: { scope: 'run', planId: plan.id, goal: plan.goal, leaves, profile: options.config.roles.reviewer },
      inputs: Object.fromEntries(leaves.map((id) => [`task:${id}`, { $ref: `${id}/commit` }])),
      needs: [INDEX_NODE_ID],
    });
  }
  return nodes;
}

/**
 * A Conventional Commits 1.0.0 message (https://www.conventionalcommits.org/en/v1.0.0/) naming
 * the task: `feat(T2.1): add multiply to the calculator`, with the description as body. The type
 * is the first task tag among feat/fix/refactor/test/docs/chore/perf/build/ci, else `feat`. The
 * title's first letter is lowercased only when its first word is an ordinary capitalised word
 * (`Add` -> `add`); an identifier or acronym (`BadData`, `README`, `Signer.sign`) keeps its case.
 */
export function commitMessage(task: Pick<Task, 'id' | 'title' | 'description' | 'tags'>): string {
  const types = ['feat', 'fix', 'refactor', 'test', 'docs', 'chore', 'perf', 'build', 'ci'];
  const type = task.tags.find((t) => types.includes(t)) ?? 'feat';
  const subject = task.title.replace(/\s+/g, ' ').trim().replace(/\.$/, '');
  // Only an ordinary capitalised word is lowercased ("Add" -> "add"); a leading identifier or
  // acronym keeps its case ("BadData", "README", "Signer.sign", "max_age").
  const first = /^[A-Z][a-z]*(?![\w.$])/.test(subject) ? subject.charAt(0).toLowerCase() + subject.slice(1) : subject;
  const body = task.description.trim();
  return `${type}(${task.id}): ${first}${body ? `\n\n${body}` : ''}\n\nTaskgraph-Task: ${task.id}`;
}

/**
 * A plan id derived from the plan's content: `p-` + the first 10 hex digits of SHA-256 over the
 * goal and the tasks (without their plan id). The same planner answer always gives the same
 * plan, so a cached `decompose` re-expands into the very same tasks and keeps their notes.
 * @param goal the goal the plan is for
 * @param tasks the planned tasks (any `planId` they carry is ignored)
 */
export function planIdFor(goal: string, tasks: readonly Task[]): string {
  return `p-${hashJson({ goal, tasks: tasks.map(({ planId: _p, ...t }) => t) }).slice(0, 10)}`;
}

/**
 * As-needed decomposition (ADaPT, Prasad et al. 2023, arXiv:2311.05772): places the tasks the
 * planner made for a failed task `parent` under it. Top-level ids become `<parent>.1`,
 * `<parent>.2`, ...; nested ids keep their suffix under their mapped parent; dependencies are
 * mapped the same way; subtasks with no dependency of their own inherit the parent's; depth
 * counts from the parent's.
 * @param parent the task being decomposed
 * @param planned the planner's tasks for the parent's goal (their own ids, depth from 0)
 * @param leaves the planner's atomic ids in execution order
 * @returns the subtasks (plan id and parent set) and their leaves in execution order
 */
export function subplanFor(parent: Task, planned: readonly Task[], leaves: readonly string[]): { tasks: Task[]; leaves: string[] } {
  const byId = new Map(planned.map((t) => [t.id, t]));
  const top = planned.filter((t) => !t.parent || !byId.has(t.parent));
  const mapped = new Map<string, string>();
  const map = (id: string): string => {
    const known = mapped.get(id);
    if (known) return known;
    const task = byId.get(id);
    let next: string;
    if (!task || !task.parent || !byId.has(task.parent)) next = `${parent.id}.${top.findIndex((t) => t.id === id) + 1}`;
    else next = `${map(task.parent)}${id.startsWith(task.parent) ? id.slice(task.parent.length) : `.${id}`}`;
    mapped.set(id, next);
    return next;
  };
  const tasks = planned.map((t) => {
    const own = t.dependencies.filter((d) => byId.has(d)).map(map);
    return {
      ...t,
      planId: parent.planId,
      id: map(t.id),
      parent: t.parent && byId.has(t.parent) ? map(t.parent) : parent.id,
      depth: parent.depth + 1 + t.depth,
      dependencies: own.length > 0 ? own : [...parent.dependencies],
      notes: [],
      status: 'pending' as const,
    };
  });
  return { tasks, leaves: leaves.map(map) };
}

/**
 * The graph that carries out a saved plan (`taskgraph run PLAN`, `why PLAN NODE`): the root
 * nodes `setup` and `baseline` ({@link baselineRoots}), which every task's first node waits for,
 * then the atomic tasks in the execution order recorded with the plan (`meta.leaves`), else in
 * plan order.
 * @param options `baseline` defaults to `policy.baseline`, `worktree` (the run gets a worktree
 *   of its own, so `setup` runs) to true
 */
export function planGraph(plan: PlanRecord, options: PlanGraphOptions & { baseline?: RunBaselineMode; worktree?: boolean }): GraphSpecInput {
  const leaves = executedLeaves(plan.tasks, Array.isArray(plan.meta['leaves']) ? (plan.meta['leaves'] as string[]) : plan.tasks.filter((t) => t.atomic).map((t) => t.id));
  const baseline = options.baseline ?? options.config.policy.baseline;
  const roots = baselineRoots({ config: options.config, baseline, worktree: options.worktree ?? true });
  const knownFailures = baseline === 'known-failures' && roots.nodes.some((n) => n.id === BASELINE_NODE_ID);
  const nodes = rootPlanNodes({ id: plan.id, goal: plan.goal, tasks: plan.tasks, leaves }, { config: options.config, knownFailures, after: roots.after });
  return { id: plan.id, title: plan.goal.slice(0, 120), nodes: [...roots.nodes, ...nodes] };
}

/**
 * The leaves a run executes: `leaves` without the tasks a person set to `skipped` during plan
 * review (`taskgraph task update PLAN T --status skipped`; the engine never sets that status).
 * Tasks that depend on a skipped task still run: planToNodes keeps only dependencies among the
 * executed leaves.
 * @param tasks the plan's tasks
 * @param leaves atomic task ids in execution order
 */
export function executedLeaves(tasks: readonly Task[], leaves: readonly string[]): string[] {
  const skipped = new Set(tasks.filter((t) => t.status === 'skipped').map((t) => t.id));
  return leaves.filter((id) => !skipped.has(id));
}
