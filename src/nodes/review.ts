import { z } from 'zod';
import { TaskgraphError } from '../core/errors.js';
import { sha256 } from '../core/hash.js';
import { isJsonObject, type Json } from '../core/json.js';
import { builtinPromptFor, promptIngredients, type ResolvedPrompt } from '../library/prompt-source.js';
import type { NodeContext, NodeExecutor, NodeOutcome } from '../engine/node-executor.js';
import { countTokens, tokenizerFamily } from '../context/tokenizer.js';
import { outputTokensPerCall } from '../engine/estimate.js';
import { trimMiddle } from '../engine/refine.js';
import { askReviewer } from '../review/ask-reviewer.js';
import {
  checksOf,
  type PrReviewInput,
  type PrTask,
  renderPrDescription,
  renderPrReviewPrompt,
  renderTaskReviewPrompt,
  REVIEW_PROMPT_VERSION,
} from '../review/review-prompts.js';
import { findingsText, PrReviewSchema, TaskReviewSchema, type TaskReview } from '../review/review-schema.js';
import { gitText } from '../workspace/git-run.js';
import { profileOf } from './llm.js';
import { runBaseCommit } from './project-index-lookup.js';

const ReviewConfig = z.discriminatedUnion('scope', [
  z
    .object({
      /** `task`: review one task's change (verdict + findings) */
      scope: z.literal('task'),
      /** the task of the run's plan whose change is reviewed */
      task: z.string().min(1),
      /** reviewer model profile; default the `reviewer` role's */
      profile: z.string().optional(),
    })
    .strict(),
  z
    .object({
      /** `run`: the plan-level review over the branch's whole diff, which writes the pull-request description */
      scope: z.literal('run'),
      planId: z.string().min(1),
      goal: z.string(),
      /** the plan's atomic tasks in execution order (each is an input `task:<id>`, its commit) */
      leaves: z.array(z.string()),
      profile: z.string().optional(),
    })
    .strict(),
]);

/** Config of a `review` node. */
export type ReviewConfig = z.infer<typeof ReviewConfig>;

/** Output kind of the plan-level review (see {@link PrOutput}). */
export const PR_OUTPUT_KIND = 'pr-description';

/**
 * Output of a plan-level review: the pull-request description without its footer (the footer
 * names the run, which a cached review in a later run is not): `markdown` is the whole text.
 */
export interface PrOutput {
  kind: typeof PR_OUTPUT_KIND;
  planId: string;
  title: string;
  markdown: string;
  /** the diff's ends: base commit and branch head (40 hex) */
  base: string;
  head: string;
}

/** Characters of diff a review prompt holds: about the context budget (3 characters a token), trimmed in the middle beyond. */
function diffLimit(ctx: NodeContext): number {
  return ctx.config.contextBudget * 3;
}

function requireWorkspace(ctx: NodeContext): NonNullable<NodeContext['workspace']> {
  if (!ctx.workspace) throw new TaskgraphError('RUN_STATE', `review node ${ctx.node.id} needs the run's worktree`, { hint: 'run the plan with a worktree (without --no-worktree)' });
  return ctx.workspace;
}

/** The task review's prompt: the task from the store, the diff from HEAD to the applied tree, the verify result. */
async function taskPrompt(config: Extract<ReviewConfig, { scope: 'task' }>, inputs: Record<string, Json>, ctx: NodeContext): Promise<string> {
  const task = ctx.planId ? await ctx.store.getTask(ctx.planId, config.task) : undefined;
  if (!task) throw new TaskgraphError('NOT_FOUND', `review: task "${config.task}" is not in the run's plan`, { hint: 'review nodes belong to plan graphs (`taskgraph do`, `run PLAN`)' });
  const workspace = requireWorkspace(ctx);
  const tree = typeof inputs['applied'] === 'string' ? inputs['applied'] : (await workspace.snapshot()).tree;
  const diff = await gitText(workspace.dir, ['diff', '--no-color', '--no-ext-diff', 'HEAD', tree, '--']);
  const verify = inputs['verify'];
  const known = isJsonObject(verify) && Array.isArray(verify['knownFailures']) ? verify['knownFailures'].filter((k): k is string => typeof k === 'string') : [];
  return renderTaskReviewPrompt({ task, diff: trimMiddle(diff, diffLimit(ctx)), checks: checksOf(verify), knownFailures: known });
}

/** The plan-level review's input: tasks with their commits, verify results and reviews, and the whole diff. */
async function prInput(config: Extract<ReviewConfig, { scope: 'run' }>, inputs: Record<string, Json>, ctx: NodeContext): Promise<PrReviewInput & { base: string; head: string }> {
  const workspace = requireWorkspace(ctx);
  const base = await runBaseCommit({ store: ctx.store, runId: ctx.runId, workspace });
  const head = (await workspace.snapshot()).head;
  const diff = await gitText(workspace.dir, ['diff', '--no-color', '--no-ext-diff', base, head, '--']);
  const tasks: PrTask[] = [];
  for (const id of config.leaves) {
    const task = ctx.planId ? await ctx.store.getTask(ctx.planId, id) : undefined;
    const commit = inputs[`task:${id}`];
    const verify = ctx.outputOf(`${id}/verify`);
    const review = TaskReviewSchema.safeParse(ctx.outputOf(`${id}/review`));
    const known = isJsonObject(verify) && Array.isArray(verify['knownFailures']) ? verify['knownFailures'].filter((k): k is string => typeof k === 'string') : [];
    tasks.push({
      id,
      title: task?.title ?? id,
      ...(isJsonObject(commit) && typeof commit['commit'] === 'string'
        ? { commit: { sha: commit['commit'], subject: String(commit['message'] ?? '').split('\n')[0]! } }
        : {}),
      checks: checksOf(verify),
      ...(known.length > 0 ? { knownFailures: known } : {}),
      ...(review.success ? { review: review.data } : {}),
    });
  }
  return { goal: config.goal, planId: config.planId, tasks, diff: trimMiddle(diff, diffLimit(ctx)), base, head };
}

/** The reviewer's system prompt of a scope, through the project's library (`reviewer.task.system` / `reviewer.pr.system`, newest version). */
function reviewerSystem(config: ReviewConfig, ctx: Pick<NodeContext, 'prompts' | 'config'>): Promise<ResolvedPrompt> {
  return builtinPromptFor(ctx, config.scope === 'task' ? 'reviewer.task.system' : 'reviewer.pr.system');
}

async function rendered(config: ReviewConfig, inputs: Record<string, Json>, ctx: NodeContext): Promise<{ system: string; prompt: string; used: ResolvedPrompt }> {
  const used = await reviewerSystem(config, ctx);
  if (config.scope === 'task') return { system: used.text, prompt: await taskPrompt(config, inputs, ctx), used };
  return { system: used.text, prompt: renderPrReviewPrompt(await prInput(config, inputs, ctx)), used };
}

/**
 * `review` nodes (issue 9 item 8; DESIGN.md §2 step 5): the checker model (`roles.reviewer`,
 * structured output with repairs, see `review/ask-reviewer.ts`).
 *
 * - `scope: 'task'` (`T/review`, after `T/verify`, before `T/commit`, when `review.task` is on):
 *   shown the task, its acceptance criteria, the diff from the task's starting commit to the
 *   applied tree and the verify result, the model answers `{ verdict, findings }`. `pass`
 *   succeeds with that output; `fail` fails the node with REVIEW_FAILED whose
 *   `details.output` lists the findings (one line each), which refinement turns into the task's
 *   note (the retry prompt carries it), and `details.findings` the findings themselves (loop
 *   detection compares them).
 * - `scope: 'run'` (the root `review` node, after every task's commit and the index, when
 *   `review.pr` is on): shown the goal, the tasks with their commits and test evidence and the
 *   branch's whole diff, the model answers title, summary, risks and follow-ups; the node
 *   outputs the pull-request description ({@link PrOutput}), which the CLI writes to
 *   `.taskgraph/reports/<run>.pr.md` and `taskgraph pr RUN` prints.
 *
 * Cache key: the rendered prompt's hash (task text, criteria, diff, verify result; for a run the
 * tasks, commits and whole diff) and the reviewer profile (provider, model, temperature).
 * @throws TaskgraphError CONFIG_INVALID without models; NOT_FOUND for a task not in the plan;
 *   RUN_STATE without a worktree; MODEL_OUTPUT_INVALID when answers stay invalid after
 *   `policy.maxRepairs` repairs; whatever the model client throws
 */
export const reviewExecutor: NodeExecutor<ReviewConfig> = {
  kind: 'review',
  version: 1,
  configSchema: ReviewConfig,
  cacheable: true,
  recordStart: true,
  needsWorkspace: true,
  sideEffects: () => false,
  // a forecast never calls the reviewer; it assumes a task's change passes (and says so)
  forecastOutput: (config): Json => (config.scope === 'task' ? { verdict: 'pass', findings: [] } : { kind: PR_OUTPUT_KIND }),
  async keyIngredients(config, inputs, ctx): Promise<Record<string, Json>> {
    const name = profileOf(config, ctx, 'reviewer');
    const profile = ctx.config.models[name];
    const { system, prompt, used } = await rendered(config, inputs, ctx);
    return {
      review: sha256(`${REVIEW_PROMPT_VERSION}\u0000${system}\u0000${prompt}`),
      ...promptIngredients([used]),
      model: { profile: name, provider: profile?.provider ?? null, model: profile?.model ?? null, temperature: profile?.temperature ?? null },
    };
  },
  async estimate(config, inputs, ctx) {
    const profile = profileOf(config, ctx, 'reviewer');
    const p = ctx.config.models[profile];
    const family = tokenizerFamily(p ? { provider: p.provider, model: p.model } : undefined);
    const { system, prompt } = await rendered(config, inputs, ctx);
    const out = outputTokensPerCall((await ctx.store.lastSuccessfulAttempt(ctx.node.id))?.usage, 'reviewer');
    return { profile, inputTokens: countTokens(system, family) + countTokens(prompt, family), outputTokens: out.tokens, calls: 1, basis: `one reviewer call, input counted from its prompt, ${out.basis}` };
  },
  async execute(config, inputs, ctx): Promise<NodeOutcome> {
    if (!ctx.models) {
      throw new TaskgraphError('CONFIG_INVALID', `review node ${ctx.node.id} needs a model, but none is configured`, {
        hint: 'add a `reviewer` model profile to taskgraph.yaml (or set roles.reviewer), or pass --replay CASSETTE',
      });
    }
    const profile = profileOf(config, ctx, 'reviewer');
    if (config.scope === 'task') {
      const prompt = await taskPrompt(config, inputs, ctx);
      const { value, usage } = await askReviewer({ client: ctx.models, profile, system: (await reviewerSystem(config, ctx)).text, prompt, schema: TaskReviewSchema, schemaName: 'review', label: ctx.node.id, maxRepairs: ctx.config.policy.maxRepairs, signal: ctx.signal });
      const review: TaskReview = value;
      const output = review as unknown as Json;
      if (review.verdict === 'pass') return { status: 'succeeded', output, usage };
      const errors = review.findings.filter((f) => f.severity === 'error');
      const first = (errors[0] ?? review.findings[0])?.message.split('\n')[0];
      return {
        status: 'failed',
        output,
        usage,
        error: {
          code: 'REVIEW_FAILED',
          message: `review failed: ${review.findings.length} finding${review.findings.length === 1 ? '' : 's'}${first ? `: ${first}` : ''}`,
          retryable: false,
          details: { findings: review.findings, output: review.findings.length > 0 ? findingsText(review.findings) : '(the reviewer gave no findings)', reviewer: profile },
          hint: 'the task is retried with the findings as a note; turn review.task off in taskgraph.yaml to skip the checker',
        },
      };
    }
    const input = await prInput(config, inputs, ctx);
    const { value, usage } = await askReviewer({ client: ctx.models, profile, system: (await reviewerSystem(config, ctx)).text, prompt: renderPrReviewPrompt(input), schema: PrReviewSchema, schemaName: 'pull_request', label: ctx.node.id, maxRepairs: ctx.config.policy.maxRepairs, signal: ctx.signal });
    const output: PrOutput = { kind: PR_OUTPUT_KIND, planId: config.planId, title: value.title, markdown: renderPrDescription(value, input), base: input.base, head: input.head };
    return { status: 'succeeded', output: output as unknown as Json, usage };
  },
};
