import { z } from 'zod';
import { TaskgraphError } from '../core/errors.js';
import { hashJson } from '../core/hash.js';
import { isJsonObject, type Json } from '../core/json.js';
import type { Task } from '../core/task.js';
import type { NodeContext, NodeExecutor } from '../engine/node-executor.js';
import { assertTaskText } from '../planning/plan-schema.js';
import { planGoal } from '../planning/planner.js';
import { profileOf } from './llm.js';
import { buildPlannerPrompt, PLANNER_PROMPT_VERSION } from '../planning/prompts.js';
import { builtinPromptFor, promptIngredients, type ResolvedPrompt } from '../library/prompt-source.js';
import { countTokens, tokenizerFamily } from '../context/tokenizer.js';
import { outputTokensPerCall } from '../engine/estimate.js';
import { BASELINE_NODE_ID, executedLeaves, isKnownFailuresBaseline, planIdFor, planToNodes, rootPlanNodes, subplanFor } from '../planning/plan-graph.js';
import { collectProjectContext } from '../project/project-context.js';
import type { ProjectContext } from '../planning/project-context.js';
import { buildPlannerBundle, type PlannerBundle } from '../context/planner-bundle.js';
import { findProjectIndex, runBaseCommit } from './project-index-lookup.js';
import { renderNotes } from '../context/attempt-edit.js';
import { PLAN_GATE_NODE } from './plan-approval.js';
import { planFromEarlier, type ReuseRecord, reuseOn } from './decompose-reuse.js';

const DecomposeConfig = z
  .object({
    /** the goal in the user's words (or a PRD's text) */
    goal: z.string().min(1),
    /** decomposition depth limit; default policy.maxDepth */
    maxDepth: z.number().int().min(0).max(8).optional(),
    /** planner model profile; default the `planner` role's profile */
    profile: z.string().optional(),
    /**
     * as-needed decomposition: the id of a task of the run's plan that failed; it is split into
     * subtasks (with its failure notes given to the planner) instead of planning `goal` anew
     */
    task: z.string().optional(),
    /** false: plan from scratch, never from an earlier plan (`--no-reuse`, `--replan`); default `planner.reuse` */
    reuse: z.boolean().optional(),
  })
  .strict();

/** Config of a `decompose` node. */
export type DecomposeConfig = z.infer<typeof DecomposeConfig>;

/** Output of a `decompose` node. */
export interface DecomposeOutput {
  planId: string;
  goal: string;
  tasks: Task[];
  leaves: string[];
  /** set for as-needed decomposition: the task that was split */
  parent?: string;
  /** the repository's language when the plan was made (kept in the plan's meta for the archive) */
  language?: string;
  /** set when the plan was built from an earlier one (issue 14, "Reuse in planning") */
  reuse?: ReuseRecord;
}

async function taskOf(ctx: NodeContext, id: string): Promise<Task> {
  const task = ctx.planId ? await ctx.store.getTask(ctx.planId, id) : undefined;
  if (!task) throw new TaskgraphError('NOT_FOUND', `decompose: task "${id}" is not in the run's plan`);
  return task;
}

/** Planner bundles of this process by what they are made of (key ingredients, estimate and execute build the same one). */
const BUNDLES = new Map<string, Promise<PlannerBundle>>();
const BUNDLES_MAX = 4;

/** The tokenizer family of the planner profile. */
function plannerFamily(config: DecomposeConfig, ctx: NodeContext) {
  const p = ctx.config.models[profileOf(config, ctx, 'planner')];
  return tokenizerFamily(p ? { provider: p.provider, model: p.model } : undefined);
}

/**
 * The planner's code context for this node (`context/planner-bundle.ts`), built from the run's
 * worktree under `planner.contextBudget`; undefined without a worktree or with a budget of 0.
 * Reused within the process for the same worktree tree, goal, task, budget and project index.
 */
async function plannerBundle(config: DecomposeConfig, ctx: NodeContext, parent: Task | undefined, project: ProjectContext): Promise<PlannerBundle | undefined> {
  const workspace = ctx.workspace;
  const budget = ctx.config.planner.contextBudget;
  if (!workspace || budget === 0) return undefined;
  const found = await findProjectIndex(ctx.store, workspace, await runBaseCommit(ctx), ctx.runId);
  const family = plannerFamily(config, ctx);
  const task = parent ? { id: parent.id, title: parent.title, description: parent.description, acceptance: parent.acceptance, files: parent.files } : undefined;
  // the README excerpt the prompt shows is not retrieved again
  const shown = project.readmePath && project.readme ? { path: project.readmePath, lines: project.readme.split('\n').length } : undefined;
  const key = hashJson({ tree: (await workspace.snapshot()).tree, goal: config.goal, task: task ?? null, budget, family, index: found?.hash ?? null, shown: shown ?? null, config: ctx.config as unknown as Json });
  let bundle = BUNDLES.get(key);
  if (!bundle) {
    bundle = (async () => {
      const repoFiles = await workspace.listFiles();
      return buildPlannerBundle({
        config: ctx.config,
        goal: config.goal,
        ...(task ? { task } : {}),
        repoFiles,
        readFile: (p) => workspace.readFile(p),
        budget,
        family,
        ...(shown ? { shown } : {}),
        ...(found ? { projectIndex: { planId: found.index.planId, modules: found.index.modules, goals: found.index.goals } } : {}),
      });
    })();
    if (BUNDLES.size >= BUNDLES_MAX) BUNDLES.delete(BUNDLES.keys().next().value!);
    BUNDLES.set(key, bundle);
    bundle.catch(() => BUNDLES.delete(key));
  }
  return bundle;
}

/** The project as the planner sees it: the project index, the file list and the code context (when built). */
async function projectContext(config: DecomposeConfig, ctx: NodeContext, parent: Task | undefined): Promise<ProjectContext> {
  const files = ctx.workspace ? await ctx.workspace.listFiles() : [];
  const project = await collectProjectContext(ctx.workspace?.dir ?? ctx.projectDir, ctx.config, files);
  const bundle = await plannerBundle(config, ctx, parent, project);
  return bundle && bundle.text !== '' ? { ...project, code: bundle.text } : project;
}

/** The planner's system prompt, through the project's library (`planner.system`: `config.prompts` or the newest version; bundled: version 1). */
function plannerSystem(ctx: Pick<NodeContext, 'prompts' | 'config'>): Promise<ResolvedPrompt> {
  return builtinPromptFor(ctx, 'planner.system');
}

/**
 * `decompose` nodes (DESIGN.md §4, §2 step 2): the planner expands a goal into a plan at run
 * time — recursive decomposition with schema validation and repair — and the engine adds the
 * plan's task nodes to the run graph ({@link planToNodes}). The plan id is derived from the
 * plan's content, so a cached plan re-expands into the very same tasks (and keeps their notes).
 * Cache key adds the planner prompt version, the planner model and the project context, which
 * holds the planner's code context (`planner.contextBudget`): a change to a file relevant to the
 * goal re-plans, an unchanged project does not. A failed task's split (`T/replan`) reads the
 * task's notes as the coder would, but with every recorded edit as one summary line and older
 * failures in short (`renderNotes`, version 2): the planner splits the task, it repairs no diff.
 */
export const decomposeExecutor: NodeExecutor<DecomposeConfig> = {
  kind: 'decompose',
  version: 2,
  configSchema: DecomposeConfig,
  cacheable: true,
  recordStart: true,
  sideEffects: () => false,
  async keyIngredients(config, _inputs, ctx): Promise<Record<string, Json>> {
    const name = profileOf(config, ctx, 'planner');
    const profile = ctx.config.models[name];
    const parent = config.task ? await taskOf(ctx, config.task) : undefined;
    return {
      prompt: PLANNER_PROMPT_VERSION,
      ...promptIngredients([await plannerSystem(ctx)]),
      model: { profile: name, provider: profile?.provider ?? null, model: profile?.model ?? null, temperature: profile?.temperature ?? null },
      maxDepth: config.maxDepth ?? ctx.config.policy.maxDepth,
      project: hashJson(await projectContext(config, ctx, parent)),
      // reuse of earlier plans (on by default) is in the key only when off, so turning it off re-plans
      ...(!parent && !reuseOn(config, ctx) ? { reuse: false } : {}),
      ...(parent ? { task: { ...parent, status: null } as unknown as Json } : {}),
    };
  },
  async estimate(config, _inputs, ctx) {
    const profile = profileOf(config, ctx, 'planner');
    const parent = config.task ? await taskOf(ctx, config.task) : undefined;
    const maxDepth = parent ? Math.max(0, ctx.config.policy.maxDepth - parent.depth - 1) : (config.maxDepth ?? ctx.config.policy.maxDepth);
    const prompt = buildPlannerPrompt({ goal: config.goal, project: await projectContext(config, ctx, parent), depth: 0, maxDepth, ...(parent ? { notes: renderNotes(parent.notes, { edits: 'summary' }) } : {}) });
    const family = plannerFamily(config, ctx);
    const out = outputTokensPerCall((await ctx.store.lastSuccessfulAttempt(ctx.node.id))?.usage, 'planner');
    return {
      profile,
      inputTokens: countTokens((await plannerSystem(ctx)).text, family) + countTokens(prompt, family),
      outputTokens: out.tokens,
      calls: 1,
      basis: `one planner call, input counted from its prompt, ${out.basis}; each task it marks non-atomic adds a call`,
    };
  },
  async execute(config, _inputs, ctx) {
    if (!ctx.models) {
      throw new TaskgraphError('CONFIG_INVALID', 'planning needs a model, but none is configured', {
        hint: 'add a `planner` model profile to taskgraph.yaml, or pass --replay CASSETTE',
      });
    }
    const parent = config.task ? await taskOf(ctx, config.task) : undefined;
    const project = await projectContext(config, ctx, parent);
    if (!parent && reuseOn(config, ctx)) {
      const reused = await planFromEarlier(config, ctx, project, ctx.models);
      if (reused) return { status: 'succeeded', output: reused.output as unknown as Json, usage: reused.usage };
    }
    const result = await planGoal({
      goal: config.goal,
      ...(parent ? { notes: renderNotes(parent.notes, { edits: 'summary' }) } : {}),
      project,
      client: ctx.models,
      profile: profileOf(config, ctx, 'planner'),
      system: (await plannerSystem(ctx)).text,
      maxDepth: parent ? Math.max(0, ctx.config.policy.maxDepth - parent.depth - 1) : (config.maxDepth ?? ctx.config.policy.maxDepth),
      maxRepairs: ctx.config.policy.maxRepairs,
      planId: 'pending',
      signal: ctx.signal,
      onEvent: (e) => ctx.log(`planner: ${JSON.stringify(e)}`),
    });
    if (parent) {
      const sub = subplanFor(parent, result.tasks, result.leaves);
      const output: DecomposeOutput = { planId: parent.planId, goal: config.goal, tasks: sub.tasks, leaves: sub.leaves, parent: parent.id };
      return { status: 'succeeded', output: output as unknown as Json, usage: result.usage };
    }
    const planId = planIdFor(config.goal, result.tasks);
    const tasks = result.tasks.map((t) => ({ ...t, planId }));
    const output: DecomposeOutput = { planId, goal: config.goal, tasks, leaves: result.leaves, ...(project.language ? { language: project.language } : {}) };
    return { status: 'succeeded', output: output as unknown as Json, usage: result.usage };
  },
  async expand(output, ctx) {
    if (!isJsonObject(output) || typeof output['planId'] !== 'string') {
      throw new TaskgraphError('INTERNAL', 'decompose output has no planId');
    }
    const plan = output as unknown as DecomposeOutput;
    assertTaskText(plan.tasks);
    // with --baseline known-failures, the new verify nodes compare with the run's baseline
    const knownFailures = isKnownFailuresBaseline(ctx.outputOf(BASELINE_NODE_ID));
    if (plan.parent) {
      // subtasks join the plan (kept when they exist: their notes survive a re-run)
      for (const t of plan.tasks) if (!(await ctx.store.getTask(plan.planId, t.id))) await ctx.store.putTask(t);
      // the stored tasks: a subtask split again by a later failure is expanded as split
      const nodes = planToNodes(await ctx.store.listTasks(plan.planId), plan.leaves, { config: ctx.config, knownFailures });
      // the parent's commit node now joins the subtasks' commits
      return { nodes, planId: plan.planId, needs: { [`${plan.parent}/commit`]: plan.leaves.map((l) => `${l}/commit`) } };
    }
    const saved = await ctx.store.getPlan(plan.planId);
    if (!saved) {
      const meta = { leaves: plan.leaves, ...(plan.language ? { language: plan.language } : {}), ...(plan.reuse ? { reusedFrom: plan.reuse.from.planId } : {}) };
      await ctx.store.savePlan({ id: plan.planId, goal: plan.goal, createdAt: new Date().toISOString(), tasks: plan.tasks, meta });
    }
    // plan review (`do --approve-plan`, policy.approvePlan): the tasks wait behind the gate, which
    // expands them from the plan as approved (edits made during review included)
    if (ctx.config.policy.approvePlan) {
      return { nodes: [{ id: PLAN_GATE_NODE, kind: 'plan-approval', title: `approve plan ${plan.planId}`, config: { planId: plan.planId } }], planId: plan.planId };
    }
    // the stored tasks: a task an earlier run split into subtasks (ADaPT) is expanded as split,
    // and a plan a person edited (`taskgraph task ...`) runs as edited, in its stored order
    const tasks = await ctx.store.listTasks(plan.planId);
    const leaves = executedLeaves(tasks, saved && Array.isArray(saved.meta['leaves']) ? (saved.meta['leaves'] as string[]) : plan.leaves);
    return { nodes: rootPlanNodes({ id: plan.planId, goal: plan.goal, tasks, leaves }, { config: ctx.config, knownFailures }), planId: plan.planId };
  },
};
