import { z } from 'zod';
import { DEFAULT_PROTECTED_PATHS } from '../safety/protected-paths.js';
import { type AgentProfile, AgentProfileSchema } from './agent-profile.js';
import { TrackersSchema } from './tracker-config.js';
import { type ModelProfile, ModelProfileSchema } from './model-profile.js';

export { type ModelProfile, ModelProfileSchema, type Price, PriceSchema, PROVIDERS } from './model-profile.js';

/**
 * `taskgraph.yaml`: the project configuration (DESIGN.md §1 "project", §8 models, §9 policy).
 * Validated with zod where it enters (`project/load-config.ts`), never deep inside.
 */

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
    /** model calls of the run, every phase (planner, repairs, coder, summaries), failed calls included */
    maxModelCalls: z.number().int().positive().optional(),
    /** executions of `decompose` nodes in the run (the plan, as-needed re-decompositions) */
    maxDecompositions: z.number().int().positive().optional(),
  })
  .strict();

/**
 * Defaults of `policy.budget` when taskgraph.yaml sets none: a run stops (suspends, saying so)
 * after this many model calls or decompositions. A bound on runaway loops, not on normal work:
 * the demo makes 7 calls and 1 decomposition; a 20-task plan with 3 retries each makes ~80 calls.
 */
export const DEFAULT_BUDGET = { maxModelCalls: 300, maxDecompositions: 25 } as const;

/** Classes of commands taskgraph runs; each has its own network setting (`policy.safety.network`). */
export const COMMAND_CLASSES = ['setup', 'verify', 'command'] as const;
/** One of {@link COMMAND_CLASSES}. */
export type CommandClass = (typeof COMMAND_CLASSES)[number];

/** Network access of a sandboxed command: `none` (an empty network namespace) or `host`. */
export const NetworkSchema = z.enum(['none', 'host']);

/**
 * `policy.safety.commands`: the command policy every shell line passes before it is spawned
 * (`sandbox/command-policy.ts`, README "Safety and approvals"). Patterns are shell words matched
 * against each simple command of the parsed line as a prefix (`git push` matches
 * `git push origin main`); `*` in a word matches any characters (`npm run *`).
 * - `deny`: refused outright, always (COMMAND_DENIED).
 * - `defaults`: the default denylist (`sandbox/command-rules.ts`: git push, git remote, sudo,
 *   rm -r/-f outside the worktree, network tools, curl|sh pipes) is on; default true.
 * - `allow`: run without asking; a match also lifts the default per-command rules for it.
 * - `allowConfigured`: the project's own lines (`commands.*`, `verify.gates`) count as allowed
 *   (default true); `allowGraph`: so do `command` nodes as written in the graph (default true).
 * - `unlisted`: what happens to a line neither allowed nor denied. `ask` (the default): the node
 *   that runs it suspends until a person approves or rejects that exact line (`taskgraph approve|
 *   reject RUN NODE`, `safety/command-approval.ts`); where nothing can ask a person (no run node,
 *   e.g. `taskgraph init`'s probe) it is refused as with `refuse`. `allow`: it runs, audited.
 *   `refuse`: it fails with COMMAND_NEEDS_APPROVAL.
 * - `yes`: what `--yes-commands` sets for one session: unlisted lines run, each one audited.
 * - `by`: who the audit log names for this session's decisions (`--by`; default $USER).
 */
export const CommandPolicySchema = z
  .object({
    allow: z.array(z.string().min(1)).default([]),
    deny: z.array(z.string().min(1)).default([]),
    defaults: z.boolean().default(true),
    allowConfigured: z.boolean().default(true),
    allowGraph: z.boolean().default(true),
    unlisted: z.enum(['ask', 'allow', 'refuse']).default('ask'),
    yes: z.boolean().default(false),
    by: z.string().min(1).optional(),
  })
  .strict();

/** {@link CommandPolicySchema} as a type. */
export type CommandPolicy = z.infer<typeof CommandPolicySchema>;

/** `policy.safety.commands` when taskgraph.yaml sets none. */
export const DEFAULT_COMMAND_POLICY: CommandPolicy = { allow: [], deny: [], defaults: true, allowConfigured: true, allowGraph: true, unlisted: 'ask', yes: false };

/**
 * `policy.safety`: how commands are confined (DESIGN.md §9). `sandbox`: `auto` uses bubblewrap or
 * unshare when the platform has one and says once per run when it has none; `required` refuses
 * to run commands without one; `off` runs them unconfined. `network` is one value for every
 * command class or one per class (`setup`, `verify`, `command`); default `host` for all.
 * `protectedPaths`, `autoApproveBelow`, `approveAbove`: which edits wait for a person's approval
 * (`safety/edit-review.ts`, README "Safety and approvals").
 */
export const SafetySchema = z
  .object({
    sandbox: z.enum(['auto', 'required', 'off']).default('auto'),
    /** which shell lines may run at all (see {@link CommandPolicySchema}) */
    commands: CommandPolicySchema.default(DEFAULT_COMMAND_POLICY),
    network: z
      .union([
        NetworkSchema,
        z
          .object({ setup: NetworkSchema.default('host'), verify: NetworkSchema.default('host'), command: NetworkSchema.default('host') })
          .strict(),
      ])
      .default('host'),
    /** edits touching these globs need approval before they are applied (`safety/protected-paths.ts`) */
    protectedPaths: z.array(z.string().min(1)).default([...DEFAULT_PROTECTED_PATHS]),
    /** 0–100: an edit scoring below it needs no approval (audited as auto-approved); default 0 (always ask) */
    autoApproveBelow: z.number().min(0).max(100).default(0),
    /** 0–100: an edit scoring at or above it needs approval even without a protected path or secret; default off */
    approveAbove: z.number().min(0).max(100).optional(),
    /**
     * hosts `web` and `screenshot` nodes and `docs:` URLs may fetch from (issue 16;
     * `safety/web-hosts.ts`): `docs.python.org` (that host, any port), `*.mozilla.org` (its
     * subdomains, not itself). Default empty: no web access at all
     */
    webHosts: z.array(z.string().min(1).regex(/^(\*\.)?[A-Za-z0-9.-]+$|^\[[0-9a-fA-F:]+\]$/, 'a host name (docs.python.org), *.domain (its subdomains) or an IP address')).default([]),
  })
  .strict();

/** {@link SafetySchema} as a type. */
export type Safety = z.infer<typeof SafetySchema>;

/** The network setting of one command class. */
export function networkFor(safety: Safety, kind: CommandClass): 'none' | 'host' {
  return typeof safety.network === 'string' ? safety.network : safety.network[kind];
}

/**
 * `notify:` in taskgraph.yaml (issue 11 "Notifications"): what is called once when a run starts
 * waiting for a person (an `approval` or `human` node, a task held for a person). `command` is a
 * shell line run through the command gate with the question in the environment
 * (TASKGRAPH_RUN, TASKGRAPH_NODE, TASKGRAPH_KIND, TASKGRAPH_QUESTION; never put into the line
 * itself); `webhook` gets a POST of JSON `{ run, node, kind, question }`. Both bounded by
 * `timeoutMs`. Delivery failures are logged and audited (`notify-failed`), never fatal.
 */
export const NotifySchema = z
  .object({
    command: z.string().min(1).optional(),
    webhook: z.url({ protocol: /^https?$/ }).optional(),
    /** ms each delivery may take (command or webhook request); default 10 s */
    timeoutMs: z.number().int().positive().max(600_000).default(10_000),
    /** chat webhooks (Slack, Discord, generic) told of the events they list (see {@link ChatTargetSchema}) */
    chat: z.array(z.lazy(() => ChatTargetSchema)).default([]),
  })
  .strict()
  .refine((n) => n.command !== undefined || n.webhook !== undefined || n.chat.length > 0, { message: 'set notify.command, notify.webhook or notify.chat' });

/** Services a chat notification goes to (`notify/chat-webhook.ts`): their incoming webhooks, or a generic JSON POST. */
export const CHAT_SERVICES = ['slack', 'discord', 'generic'] as const;

/** The run events a chat target may be told of. */
export const CHAT_EVENTS = ['approval_requested', 'run_finished', 'budget_reached'] as const;

/** An environment variable name (never the value itself: taskgraph.yaml and graphs are committed). */
export const EnvNameSchema = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name, e.g. SLACK_WEBHOOK_URL (never the URL itself: it is a secret)');

/**
 * One `notify.chat` entry (issue 16): post to a Slack or Discord incoming webhook (or a generic
 * webhook) whose URL is held by the environment variable `urlEnv` — a secret, never written in
 * the file — when one of `events` happens (default: all of {@link CHAT_EVENTS}).
 */
export const ChatTargetSchema = z
  .object({
    service: z.enum(CHAT_SERVICES),
    urlEnv: EnvNameSchema,
    events: z.array(z.enum(CHAT_EVENTS)).min(1).default([...CHAT_EVENTS]),
  })
  .strict();

/** A parsed `notify.chat` entry. */
export type ChatTarget = z.infer<typeof ChatTargetSchema>;

/** Every webhook event (issue 13 "Webhooks"); see `webhooks/webhook-events.ts` for what sends each. */
export const WEBHOOK_EVENTS = ['task_created', 'task_updated', 'task_completed', 'run_started', 'run_finished', 'approval_requested', 'budget_reached'] as const;

/** One webhook event name. */
export type WebhookEventName = (typeof WEBHOOK_EVENTS)[number];

/**
 * One entry of `webhooks:` in taskgraph.yaml: POST these `events` (default: all) to `url`, signed
 * with the secret held by the environment variable `secretEnv` (never the secret itself: the file
 * is committed). `timeoutMs` bounds each request; `maxAttempts` tries before a delivery is `failed`.
 */
export const WebhookSchema = z
  .object({
    url: z.url({ protocol: /^https?$/ }),
    events: z.array(z.enum(WEBHOOK_EVENTS)).min(1).default([...WEBHOOK_EVENTS]),
    secretEnv: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name, e.g. TASKGRAPH_WEBHOOK_SECRET (never the secret itself)'),
    /** ms each POST may take; default 10 s */
    timeoutMs: z.number().int().positive().max(120_000).default(10_000),
    /** attempts before the delivery is marked failed; default 10 */
    maxAttempts: z.number().int().min(1).max(100).default(10),
  })
  .strict();

/** One `webhooks:` entry, parsed (see {@link WebhookSchema}). */
export type WebhookConfig = z.infer<typeof WebhookSchema>;

/** `notify:` of taskgraph.yaml, parsed (see {@link NotifySchema}). */
export type NotifyConfig = z.infer<typeof NotifySchema>;

/** How a run treats its base commit (`policy.baseline`, `--baseline`); see the `baseline` node in planning/plan-graph.ts. */
export const BaselineModeSchema = z.enum(['strict', 'known-failures', 'off']);

/**
 * One `verify.gates` entry: an extra check (lint, type check, coverage threshold) a task's verify
 * runs after the test command. A string is a command named by itself; `{ name, command }` names it.
 */
export const GateSchema = z.union([
  z.string().min(1),
  z.object({ name: z.string().min(1).max(60), command: z.string().min(1) }).strict(),
]);

/** A {@link GateSchema} entry with its name filled in. */
export interface VerifyGate {
  /** what notes and messages call it (`lint`, `types`); the command itself for a plain string */
  name: string;
  /** the shell line, run through the command gate (`kind: 'verify'`) in the worktree */
  command: string;
}

/**
 * The gates of a config, named: `verify.gates` in order, a string entry named by its command.
 * @param config the validated config (only `verify` is read)
 */
export function verifyGates(config: { verify: { gates: readonly z.infer<typeof GateSchema>[] } }): VerifyGate[] {
  return config.verify.gates.map((g) => (typeof g === 'string' ? { name: g, command: g } : { name: g.name, command: g.command }));
}

/**
 * `review`: the checker model (`roles.reviewer`). `task: true` adds a `T/review` node to every
 * task (verdict + findings; a `fail` refines the task like a failed verify); `pr: true` adds the
 * run's plan-level review, which writes the pull-request description. Both default to false.
 */
export const ReviewSchema = z.object({ task: z.boolean().default(false), pr: z.boolean().default(false) }).strict();

/** {@link BudgetSchema} as a type. */
export type Budget = z.infer<typeof BudgetSchema>;


/** The whole `taskgraph.yaml`. */
/**
 * The built-in role prompts (bundled in `library/prompts/` as version 1, read through the
 * project's library: `library/bundled-library.ts`): planner, coder (one per edit format),
 * reviewer (task and pull request) and summariser system prompts.
 */
export const BUILTIN_PROMPTS = [
  'planner.system',
  'coder.udiff.system',
  'coder.search-replace.system',
  'coder.whole.system',
  'reviewer.task.system',
  'reviewer.pr.system',
  'summariser.system',
] as const;

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
        /** run once in every new worktree before anything else (`npm ci`, `pip install -e .`, `cargo fetch`) */
        setup: z.string().optional(),
      })
      .strict()
      .default({}),
    /** who is told when a run waits for a person (see {@link NotifySchema}); none by default */
    notify: NotifySchema.optional(),
    /** issue 13: signed event POSTs through the store's outbox (`webhooks/`) */
    webhooks: z.array(WebhookSchema).default([]),
    /**
     * issue 15: where the store lives (`store/store-location.ts`): a PostgreSQL URL
     * (`postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?schema=NAME]`), or `sqlite:PATH` / a path
     * (relative to the project). Default: `.taskgraph/taskgraph.db`. `TASKGRAPH_DATABASE_URL` wins
     * over it; better keep a password there (or in `~/.pgpass`) than in this file.
     */
    store: z
      .string()
      .trim()
      .min(1)
      .refine((v) => !/^[a-z][a-z0-9+.-]*:\/\//i.test(v) || /^(?:postgres(?:ql)?|sqlite):\/\//i.test(v), {
        message: 'store must be a postgres:// (or postgresql://) URL, sqlite:PATH or a file path',
      })
      .optional(),
    /** issue 16: GitHub Issues and Jira for `issue` nodes and `do --issue` (see `core/tracker-config.ts`) */
    trackers: TrackersSchema.optional(),
    /** knowledge docs (globs, repository-relative): indexed for retrieval into context bundles */
    docs: z.array(z.string()).default([]),
    /**
     * the parent directory of run (and scratch) worktrees, relative to the project directory;
     * default `<user cache dir>/worktrees/<project>-<hash>` (`workspace/worktree-location.ts`),
     * outside the project, so nothing of the checkout leaks into a run
     */
    worktreeDir: z.string().min(1).optional(),
    /** INDEX.md, the root task's project index: `commit: true` also commits it on the run branch */
    index: z.object({ commit: z.boolean().default(false) }).strict().default({ commit: false }),
    /** context budget in tokens for each `context` node (the bundle never exceeds it) */
    contextBudget: z.number().int().min(256).default(24_000),
    /**
     * the planner's code context: `contextBudget` is the token budget of the bundle every planner
     * and decomposition prompt gets (project index, repository map ranked against the goal,
     * retrieved passages); 0 turns it off (the prompt then lists file names only).
     * `reuse` (issue 14): before planning a goal, look for an earlier successful run's plan of a
     * similar goal (`planning/plan-reuse.ts`, cosine similarity of the goals' words at least
     * `reuseThreshold`) and start from it: as it is for the same goal, adapted by one model call
     * otherwise. `--no-reuse` (and `--replan`) plan from scratch.
     */
    planner: z
      .object({
        contextBudget: z.number().int().refine((n) => n === 0 || n >= 256, 'must be 0 (off) or at least 256 tokens').default(8_000),
        reuse: z.boolean().default(true),
        reuseThreshold: z.number().min(0).max(1).default(0.8),
      })
      .strict()
      .default({ contextBudget: 8_000, reuse: true, reuseThreshold: 0.8 }),
    /**
     * model profiles by name; a profile with `provider: agent` is an agent CLI
     * (`core/agent-profile.ts`) and ends up in `agents`, not here
     */
    models: z.record(z.string(), z.discriminatedUnion('provider', [ModelProfileSchema, AgentProfileSchema])).default({}),
    /** agent profiles by name, as `models:` entries with `provider: agent` are (the parsed config keeps them here) */
    agents: z.record(z.string(), AgentProfileSchema.omit({ provider: true }).extend({ provider: z.literal('agent').default('agent') })).default({}),
    /** which profile each role uses (defaults: the profile named like the role) */
    roles: z
      .object({ planner: z.string().default('planner'), coder: z.string().default('coder'), reviewer: z.string().default('reviewer') })
      .strict()
      .default({ planner: 'planner', coder: 'coder', reviewer: 'reviewer' }),
    /**
     * which library prompt each built-in role prompt uses (issue 14): built-in name -> `name@version`
     * (or `name`, its newest version), e.g. `planner.system: planner.system@1` pins version 1, or
     * `reviewer.task.system: strict-review@2` swaps in another prompt. Unset: the newest version of
     * the built-in name in the project's library.
     */
    prompts: z
      .partialRecord(z.enum(BUILTIN_PROMPTS), z.string().regex(/^[a-z0-9][a-z0-9._-]*(@[1-9][0-9]*)?$/, 'a library reference: name@version or name'))
      .default({}),
    /** the checker model's steps (see {@link ReviewSchema}); off by default */
    review: ReviewSchema.default({ task: false, pr: false }),
    /** `gates`: extra checks every task's verify runs after `commands.test` (see {@link GateSchema}) */
    verify: z
      .object({
        // `gates:` with only commented entries under it (as `init` writes it) is YAML null: no gates
        gates: z
          .array(GateSchema)
          .nullable()
          .default([])
          .transform((g) => g ?? []),
      })
      .strict()
      .default({ gates: [] }),
    policy: z
      .object({
        /** attempts per task before it fails (refinement) */
        maxAttempts: z.number().int().min(1).max(20).default(3),
        /** decomposition depth limit */
        maxDepth: z.number().int().min(0).max(8).default(3),
        /** planner repair rounds after invalid output */
        maxRepairs: z.number().int().min(0).max(10).default(2),
        /**
         * suspend every `do` run after planning until a person approves the plan (`taskgraph plan
         * approve PLAN`), as `do --approve-plan` does (`nodes/plan-approval.ts`)
         */
        approvePlan: z.boolean().default(false),
        /** command/verify timeout in ms */
        commandTimeoutMs: z.number().int().positive().default(600_000),
        /** nodes running at once */
        concurrency: z.number().int().min(1).max(256).default(4),
        /**
         * tasks open at once (issue 10). Above 1 every task works in a worktree of its own on branch
         * `taskgraph/<run>-tasks/<task>` and a finished task is integrated onto the run branch in the
         * plan's topological order (`engine/parallel-tasks.ts`); 1 keeps the single shared
         * worktree, one task after another. `--task-concurrency` overrides it. Unset: 4 when the
         * run checks its base commit (`baseline` strict or known-failures), else 1 — with
         * `baseline: off` (as in the demo project) the base may be red, and independent tasks cut
         * from it would fail on tests an earlier task fixes (`engine/task-concurrency.ts`).
         */
        taskConcurrency: z.number().int().min(1).max(64).optional(),
        /** environment variables passed to commands besides PATH/HOME */
        envAllowlist: z.array(z.string()).default([]),
        /** characters of command output kept in notes and outputs (head + tail) */
        outputLimit: z.number().int().min(200).default(4000),
        /** run-wide limits */
        budget: BudgetSchema.default({}),
        /** limits per task subtree: key = task id, applies to the task and its subtasks (`T2` covers `T2.1`) */
        taskBudgets: z.record(z.string(), BudgetSchema).default({}),
        /** sandbox and network of commands */
        safety: SafetySchema.default({ sandbox: 'auto', network: 'host', commands: DEFAULT_COMMAND_POLICY, protectedPaths: [...DEFAULT_PROTECTED_PATHS], autoApproveBelow: 0, webHosts: [] }),
        /**
         * refuse edits to taskgraph.yaml and to the scripts and configuration the verify command
         * runs (package.json scripts, pytest/tox settings, CI files); false lifts it
         */
        protectConfig: z.boolean().default(true),
        /** largest file an edit may write, in bytes (default 1 MiB) */
        maxEditBytes: z.number().int().positive().default(1_048_576),
        /**
         * how `do` and `run PLAN` treat the base commit, verified before the first model call:
         * `strict` (a failing check stops the run, BASELINE_FAILED), `known-failures` (the tests
         * failing at the base are recorded and a task fails only on new failures), `off` (not
         * verified: for goals whose failing tests are the point). `--baseline` overrides it.
         */
        baseline: BaselineModeSchema.default('strict'),
      })
      .strict()
      .default({
        maxAttempts: 3,
        maxDepth: 3,
        maxRepairs: 2,
        approvePlan: false,
        commandTimeoutMs: 600_000,
        concurrency: 4,
        envAllowlist: [],
        outputLimit: 4000,
        budget: {},
        taskBudgets: {},
        safety: { sandbox: 'auto', network: 'host', commands: DEFAULT_COMMAND_POLICY, protectedPaths: [...DEFAULT_PROTECTED_PATHS], autoApproveBelow: 0, webHosts: [] },
        protectConfig: true,
        maxEditBytes: 1_048_576,
        baseline: 'strict',
      }),
  })
  .strict()
  .superRefine((config, ctx) => {
    const reviewer = config.roles.reviewer;
    if ((config.review.task || config.review.pr) && Object.keys(config.models).length > 0 && !(reviewer in config.models)) {
      ctx.addIssue({
        code: 'custom',
        path: ['roles', 'reviewer'],
        message: `review is on but the reviewer profile "${reviewer}" is not defined (known: ${Object.keys(config.models).join(', ')}); add a \`${reviewer}\` model profile or set roles.reviewer to one of them`,
      });
    }
    const agents = new Set([...Object.keys(config.agents), ...Object.entries(config.models).filter(([, p]) => p.provider === 'agent').map(([n]) => n)]);
    for (const role of ['planner', 'reviewer'] as const) {
      if (agents.has(config.roles[role])) {
        ctx.addIssue({ code: 'custom', path: ['roles', role], message: `roles.${role} names the agent profile "${config.roles[role]}"; only roles.coder may be an agent CLI: name a model profile` });
      }
    }
    for (const [name, profile] of Object.entries(config.models)) {
      if (profile.provider === 'agent') continue;
      if (profile.fallback !== undefined && agents.has(profile.fallback)) {
        ctx.addIssue({ code: 'custom', path: ['models', name, 'fallback'], message: `fallback profile "${profile.fallback}" is an agent profile; a model's fallback must be a model profile` });
      } else if (profile.fallback !== undefined && !(profile.fallback in config.models)) {
        ctx.addIssue({
          code: 'custom',
          path: ['models', name, 'fallback'],
          message: `fallback profile "${profile.fallback}" is not defined (known: ${Object.keys(config.models).join(', ')})`,
        });
      }
    }
  })
  .transform(({ models, agents, ...rest }) => {
    const llm: Record<string, ModelProfile> = {};
    const cli: Record<string, AgentProfile> = { ...agents };
    for (const [name, profile] of Object.entries(models)) {
      if (profile.provider === 'agent') cli[name] = profile;
      else llm[name] = profile;
    }
    return { ...rest, models: llm, agents: cli };
  });

/**
 * A validated `taskgraph.yaml`. `models` holds the model profiles only; `agents` the agent CLI
 * profiles (`provider: agent` entries of `models:` and any `agents:` entries), so a parsed config
 * parses again to itself.
 */
export type ProjectConfig = z.infer<typeof ProjectConfigSchema>;
