import { z } from '@hono/zod-openapi';
import { LINK_TYPES, TaskSchema } from '../core/task.js';
import { AUDIT_KINDS } from '../store/audit.js';

/**
 * The zod schemas of what the HTTP API returns and accepts, registered as OpenAPI components
 * (issue 12: "one schema per entity, never written twice"). Entities that already have a zod
 * schema are reused: a task is `core/task.ts`'s {@link TaskSchema}. The store's records are
 * TypeScript interfaces (`store/store.ts`, `store/audit.ts`, `safety/pending-approval.ts`); their
 * one zod form lives here. Free JSON (run options, error details, outputs) is `unknown`.
 */

/**
 * A task as stored: `core/task.ts`'s {@link TaskSchema}, field for field (its very shape), named
 * `Task` in the OpenAPI document. (It is re-wrapped because schemas built before
 * `@hono/zod-openapi` was imported have no `.openapi()`.)
 */
export const TaskComponent = z.object(TaskSchema.shape).openapi('Task');

/** Token usage and cost (USD) of attempts (`store/store.ts` Usage). */
export const UsageSchema = z
  .object({ inputTokens: z.number(), outputTokens: z.number(), costUsd: z.number(), model: z.string().optional(), calls: z.number() })
  .openapi('Usage');

const RUN_STATUSES = ['running', 'suspended', 'succeeded', 'failed', 'interrupted'] as const;

/** A run without its graph (`RunRecord`), `status` as it is now; `storedStatus` when that differs (a `running` run whose process is gone). */
export const RunSchema = z
  .object({
    id: z.string(),
    status: z.enum(RUN_STATUSES),
    storedStatus: z.enum(RUN_STATUSES).optional(),
    command: z.string(),
    options: z.record(z.string(), z.unknown()),
    planId: z.string().optional(),
    projectDir: z.string(),
    worktree: z.string().optional(),
    branch: z.string().optional(),
    baseCommit: z.string().optional(),
    workspace: z.object({ head: z.string(), tree: z.string() }).optional(),
    reason: z.string().optional(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('Run');

/** A node of a run with its tokens and cost (`RunNodeRecord` as `status --json` shows it). */
export const RunNodeSchema = z
  .object({
    runId: z.string(),
    nodeId: z.string(),
    status: z.string(),
    attempts: z.number(),
    task: z.string().optional(),
    lastAttemptSeq: z.number().optional(),
    startedAt: z.string().optional(),
    elapsedMs: z.number().optional(),
    tokens: z.number(),
    costUsd: z.number(),
  })
  .openapi('RunNode');

/** A failure as the store records it (`ErrorRecord`, core/errors.ts). */
export const ErrorRecordSchema = z
  .object({ code: z.string(), message: z.string(), retryable: z.boolean(), details: z.record(z.string(), z.unknown()), hint: z.string().optional() })
  .openapi('ErrorRecord');

/** An attempt without its payload (`AttemptSummary`). */
export const AttemptSummarySchema = z
  .object({
    seq: z.number(),
    runId: z.string(),
    nodeId: z.string(),
    number: z.number(),
    status: z.string(),
    error: ErrorRecordSchema.optional(),
    suspendReason: z.string().optional(),
    usage: UsageSchema,
    startedAt: z.string(),
    finishedAt: z.string().optional(),
    durationMs: z.number().optional(),
  })
  .openapi('AttemptSummary');

/** A task's state in a run (`RunTaskRecord`). */
export const RunTaskSchema = z
  .object({
    runId: z.string(),
    taskId: z.string(),
    attempt: z.number(),
    status: z.string(),
    startCommit: z.string().optional(),
    worktree: z.string().optional(),
    branch: z.string().optional(),
    integratedCommit: z.string().optional(),
  })
  .openapi('RunTask');

/** `GET /runs/:id`: what `taskgraph status RUN --json` shows, plus the attempts, the spend and the Markdown report. */
export const RunDetailSchema = z
  .object({
    run: RunSchema,
    place: z.object({ branchExists: z.boolean().nullable(), worktreeExists: z.boolean().nullable(), fullyCachedAs: z.string().nullable() }),
    lease: z.object({ pid: z.number(), host: z.string(), acquiredAt: z.string(), heartbeatAt: z.string(), live: z.boolean() }).nullable(),
    sessions: z.array(z.record(z.string(), z.unknown())),
    tasks: z.array(RunTaskSchema),
    nodes: z.array(RunNodeSchema),
    plan: z.object({ id: z.string(), goal: z.string(), tasks: z.array(TaskComponent) }).nullable(),
    attempts: z.array(AttemptSummarySchema),
    usage: z.object({ nodes: UsageSchema, total: UsageSchema, planning: z.record(z.string(), z.unknown()).optional(), activeMs: z.number() }),
    report: z.string().openapi({ description: 'the run report, Markdown (as `taskgraph report RUN --print`)' }),
  })
  .openapi('RunDetail');

/** A stored audit entry (`store/audit.ts` AuditEntry). */
export const AuditEntrySchema = z
  .object({
    id: z.number(),
    runId: z.string().optional(),
    at: z.number().openapi({ description: 'ms since the Unix epoch' }),
    who: z.string(),
    kind: z.enum(AUDIT_KINDS),
    subject: z.string(),
    risk: z.number().optional(),
    reason: z.string(),
    details: z.record(z.string(), z.unknown()),
  })
  .openapi('AuditEntry');

/** An approval waiting for a person (`safety/pending-approval.ts` PendingApproval). */
export const PendingApprovalSchema = z
  .object({
    runId: z.string(),
    nodeId: z.string(),
    subject: z.string(),
    diffHash: z.string(),
    command: z.string().optional(),
    commandHash: z.string().optional(),
    risk: z.number(),
    reasons: z.array(z.string()),
    stat: z.object({ files: z.number(), added: z.number(), deleted: z.number() }),
    diff: z.string(),
    at: z.number(),
  })
  .openapi('PendingApproval');

/** Ids in paths: a run, plan or task id (no slashes; node ids with `/` go in bodies). */
export const IdParam = z.string().min(1).max(200);

/** A typed link between two tasks of a plan (`core/task.ts` TaskLink; type one of {@link LINK_TYPES}). */
export const TaskLinkSchema = z.object({ planId: z.string(), from: z.string(), to: z.string(), type: z.enum(LINK_TYPES) }).openapi('TaskLink');

/** A task's stored pins and excludes (`store/store.ts` ContextOverrides). */
export const ContextOverridesSchema = z
  .object({
    pins: z.array(z.string()).openapi({ description: 'task ids, repository paths, directories or globs always given to the task' }),
    excludes: z.array(z.string()).openapi({ description: 'task ids, paths, directories or globs never given to the task' }),
  })
  .openapi('ContextOverrides');

const CONTEXT_SOURCES = ['project', 'task', 'failure', 'pin', 'dependency', 'sibling', 'refers', 'file', 'repo-map', 'retrieval'] as const;
/** Where an item's text came from (`context/types.ts` ItemOrigin): path, lines, task id, url, ... as apply. */
const ItemOriginSchema = z.record(z.string(), z.unknown()).openapi({ description: 'where the text came from: path, lines, shown, taskId, url, config, planId as apply' });

/** Something left out of, or shortened in, a bundle (`context/types.ts` CutEntry). */
export const CutEntrySchema = z
  .object({
    source: z.enum(CONTEXT_SOURCES),
    tier: z.number(),
    title: z.string(),
    origin: ItemOriginSchema,
    action: z.enum(['dropped', 'trimmed', 'summarized', 'excluded', 'missing']),
    tokens: z.number(),
    reason: z.string(),
  })
  .openapi('ContextCut');

/** One item of a bundle (`context/types.ts` ContextItem): its text as the model reads it, tier, tokens and why it is there. */
export const ContextItemSchema = z
  .object({
    source: z.enum(CONTEXT_SOURCES),
    tier: z.number(),
    title: z.string(),
    text: z.string(),
    tokens: z.number(),
    why: z.string(),
    origin: ItemOriginSchema,
    trimmed: z.boolean().optional(),
    cut: z.string().optional(),
    shortened: z.object({ action: z.enum(['trimmed', 'summarized']), fromTokens: z.number(), toTokens: z.number() }).optional(),
  })
  .openapi('ContextItem');

/** A built context bundle (`context/types.ts` ContextBundle): what a model is given for one task. */
export const ContextBundleSchema = z
  .object({
    task: z.string(),
    family: z.string().optional().openapi({ description: 'the tokenizer the counts are in' }),
    budget: z.number(),
    tokens: z.number().openapi({ description: 'tokens of the rendered bundle, at most budget' }),
    items: z.array(ContextItemSchema),
    cut: z.array(z.string()),
    cutEntries: z.array(CutEntrySchema).optional(),
  })
  .openapi('ContextBundle');
