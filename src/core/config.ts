import { z } from 'zod';

/**
 * `taskgraph.yaml`: the project configuration (DESIGN.md §1 "project", §8 models, §9 policy).
 * Validated with zod where it enters (`project/load-config.ts`), never deep inside.
 */

/** Price in USD per million tokens. */
export const PriceSchema = z
  .object({
    input: z.number().nonnegative().describe('USD per 1,000,000 input tokens'),
    output: z.number().nonnegative().describe('USD per 1,000,000 output tokens'),
  })
  .strict();

/** {@link PriceSchema} as a type. */
export type Price = z.infer<typeof PriceSchema>;

/** Providers reachable through the AI SDK. */
export const PROVIDERS = ['openai', 'anthropic', 'openai-compatible'] as const;

/** A model profile: a named model choice for a node role (planner, coder, cheap ...). */
export const ModelProfileSchema = z
  .object({
    provider: z.enum(PROVIDERS),
    model: z.string().min(1),
    /** for `openai-compatible` (required there) or to override the provider's default URL */
    baseURL: z.string().url().optional(),
    /** environment variable that holds the API key; defaults: OPENAI_API_KEY, ANTHROPIC_API_KEY, none for openai-compatible */
    apiKeyEnv: z.string().optional(),
    temperature: z.number().min(0).max(2).optional(),
    maxOutputTokens: z.number().int().positive().optional(),
    price: PriceSchema.optional(),
    /** a stronger profile used for a node's retries after a failure (model escalation) */
    fallback: z.string().min(1).optional(),
    /**
     * how `llm` nodes with the `edit` template ask this model for changes (default `udiff`):
     * `udiff` unified diffs (strong models), `search-replace` SEARCH/REPLACE blocks, `whole`
     * complete files (small files; costs output tokens in proportion to the file size)
     */
    editFormat: z
      .enum(['udiff', 'search-replace', 'whole'])
      .optional()
      .describe(
        'Edit format the `edit` prompt asks this model for; default "udiff". "udiff": unified diffs (strong models); ' +
          '"search-replace": SEARCH/REPLACE blocks; "whole": complete files, for small files only',
      ),
  })
  .strict();

/**
 * Limits on what a run (or a task subtree) may spend. When one is reached the run suspends with
 * the reason; raise the limit and `taskgraph resume RUN` (DESIGN.md §8, §9).
 */
export const BudgetSchema = z
  .object({
    /** input + output tokens */
    maxTokens: z.number().int().positive().optional(),
    /** USD */
    maxCostUsd: z.number().positive().optional(),
    /** ms of active run time (time suspended does not count) */
    maxWallMs: z.number().int().positive().optional(),
    /** failed node attempts in a row */
    maxConsecutiveFailures: z.number().int().positive().optional(),
  })
  .strict();

/** {@link BudgetSchema} as a type. */
export type Budget = z.infer<typeof BudgetSchema>;

/** {@link ModelProfileSchema} as a type. */
export type ModelProfile = z.infer<typeof ModelProfileSchema>;

/** The whole `taskgraph.yaml`. */
export const ProjectConfigSchema = z
  .object({
    name: z.string().default('project'),
    vision: z.string().default(''),
    language: z.string().default(''),
    rules: z.array(z.string()).default([]),
    styleGuide: z.string().default(''),
    commands: z
      .object({
        test: z.string().optional(),
        build: z.string().optional(),
        run: z.string().optional(),
      })
      .strict()
      .default({}),
    /** knowledge docs (globs, repository-relative): indexed for retrieval into context bundles */
    docs: z.array(z.string()).default([]),
    /** context budget in tokens for each `context` node (the bundle never exceeds it) */
    contextBudget: z.number().int().min(256).default(24_000),
    models: z.record(z.string(), ModelProfileSchema).default({}),
    /** which profile each role uses (defaults: the profile named like the role) */
    roles: z
      .object({ planner: z.string().default('planner'), coder: z.string().default('coder') })
      .strict()
      .default({ planner: 'planner', coder: 'coder' }),
    policy: z
      .object({
        /** attempts per task before it fails (refinement) */
        maxAttempts: z.number().int().min(1).max(20).default(3),
        /** decomposition depth limit */
        maxDepth: z.number().int().min(0).max(8).default(3),
        /** planner repair rounds after invalid output */
        maxRepairs: z.number().int().min(0).max(10).default(2),
        /** command/verify timeout in ms */
        commandTimeoutMs: z.number().int().positive().default(600_000),
        /** nodes running at once */
        concurrency: z.number().int().min(1).max(256).default(4),
        /** environment variables passed to commands besides PATH/HOME */
        envAllowlist: z.array(z.string()).default([]),
        /** characters of command output kept in notes and outputs (head + tail) */
        outputLimit: z.number().int().min(200).default(4000),
        /** run-wide limits */
        budget: BudgetSchema.default({}),
        /** limits per task subtree: key = task id, applies to the task and its subtasks (`T2` covers `T2.1`) */
        taskBudgets: z.record(z.string(), BudgetSchema).default({}),
      })
      .strict()
      .default({
        maxAttempts: 3,
        maxDepth: 3,
        maxRepairs: 2,
        commandTimeoutMs: 600_000,
        concurrency: 4,
        envAllowlist: [],
        outputLimit: 4000,
        budget: {},
        taskBudgets: {},
      }),
  })
  .strict()
  .superRefine((config, ctx) => {
    for (const [name, profile] of Object.entries(config.models)) {
      if (profile.fallback !== undefined && !(profile.fallback in config.models)) {
        ctx.addIssue({
          code: 'custom',
          path: ['models', name, 'fallback'],
          message: `fallback profile "${profile.fallback}" is not defined (known: ${Object.keys(config.models).join(', ')})`,
        });
      }
    }
  });

/** A validated `taskgraph.yaml`. */
export type ProjectConfig = z.infer<typeof ProjectConfigSchema>;
