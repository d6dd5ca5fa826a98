import type { ErrorRecord } from '../core/errors.js';
import type { GraphSpec } from '../core/graph.js';
import type { KeyIngredients } from '../core/hash.js';
import type { Json } from '../core/json.js';
import type { PlanRecord, Task, TaskLink } from '../core/task.js';
import { secretRedactor } from '../security/redact.js';
import { decodeOutput, type EncodedOutput } from './sqlite-outputs.js';
import type {
  AttemptRecord,
  AttemptSummary,
  CacheEntry,
  DecisionRecord,
  RunNodeRecord,
  RunRecord,
  RunTaskRecord,
  Usage,
  WorkspaceSnapshot,
} from './store.js';

/**
 * Conversions between store records and SQLite rows/parameters (schema in `migrations.ts`).
 * Absent optional fields are SQL NULL and come back absent (no `undefined`-valued keys), so a
 * record read back is deep-equal to the record written.
 */

/** A bind value better-sqlite3 accepts. */
type Param = string | number | null;
/** Named parameters for a prepared statement (`@name` in SQL). */
export type Params = Record<string, Param>;
/** Positional parameters for a prepared statement (`?` in SQL), in the statement's column order. */
export type Values = Param[];

/**
 * The store's safety net (DESIGN.md §9): every free-text or JSON value written (goals, task
 * text and notes, run graphs, commands, options and reasons, attempt ingredients, outputs and
 * errors, suspend reasons, decision comments) passes through the process-wide redactor
 * (`security/redact.ts`) on its way into a row, whatever the caller already did. Identifiers,
 * paths, hashes and snapshots are not touched: a redacted path would break the run. Text
 * without a secret costs one regular-expression scan.
 */

/** Free text as stored: secrets redacted. */
export function storedText(text: string): string {
  return secretRedactor().redact(text);
}

/** Free text as stored, SQL NULL for `undefined`. */
function storedTextOrNull(text: string | undefined): string | null {
  return text === undefined ? null : storedText(text);
}

/** JSON text of `value` as stored (secrets in its strings redacted, still valid JSON). */
export function storedJson(value: unknown): string {
  return secretRedactor().json(value) ?? 'null';
}

/** JSON text of `value` (secrets redacted, {@link storedJson}), or SQL NULL when `value` is `undefined`. */
export function jsonOrNull(value: unknown): string | null {
  return value === undefined ? null : storedJson(value);
}

/** Parses JSON text produced by {@link jsonOrNull}. */
function parse<T>(text: string): T {
  return JSON.parse(text) as T;
}

/** A `plans` row. */
export interface PlanRow { id: string; goal: string; created_at: string; meta: string }
/** A `tasks` row. */
export interface TaskRow {
  plan_id: string; id: string; position: number; title: string; description: string; acceptance: string;
  dependencies: string; files: string; atomic: number; parent: string | null; depth: number; tags: string;
  notes: string; status: string;
}
/** A `links` row. */
export interface LinkRow { plan_id: string; from_task: string; to_task: string; type: string }
/** A `runs` row. */
export interface RunRow {
  id: string; status: string; graph: string; command: string; options: string; plan_id: string | null;
  project_dir: string; worktree: string | null; branch: string | null; base_commit: string | null;
  workspace: string | null; reason: string | null; created_at: string; updated_at: string;
}
/** A `run_nodes` row. */
export interface RunNodeRow {
  run_id: string; node_id: string; status: string; attempts: number; task: string | null; last_attempt_seq: number | null;
  started_at: string | null;
}
/** A `run_tasks` row. */
export interface RunTaskRow {
  run_id: string; task_id: string; attempt: number; status: string; start_commit: string | null;
  worktree: string | null; branch: string | null; integrated_commit: string | null;
}
/** The usage columns shared by `attempts` and `cache_entries`. */
interface UsageColumns { input_tokens: number; output_tokens: number; cost_usd: number; model: string | null; calls: number }
/** The output columns of `attempts` and `cache_entries`, with the blob joined in (`output_data`). */
interface OutputColumns { output: string | null; output_blob: string | null; output_data: Buffer | null }
/** An `attempts` row joined with its output blob. */
export interface AttemptRow extends UsageColumns, OutputColumns {
  seq: number; run_id: string; node_id: string; number: number; status: string; cache_key: string; ingredients: string;
  output_hash: string | null; error: string | null; suspend_reason: string | null;
  started_at: string; finished_at: string | null; duration_ms: number | null; workspace_after: string | null;
}
/** A `cache_entries` row joined with its output blob. */
export interface CacheRow extends UsageColumns, OutputColumns {
  key: string; kind: string; node_id: string; ingredients: string; output_hash: string;
  workspace_after: string | null; created_at: string;
}
/** A `decisions` row. */
export interface DecisionRow { run_id: string; node_id: string; decision: string; by: string; at: string; comment: string | null; subject: string | null }

/** The usage columns -> Usage (`model` absent when NULL). */
function usageFromRow(row: UsageColumns): Usage {
  const usage: Usage = { inputTokens: row.input_tokens, outputTokens: row.output_tokens, costUsd: row.cost_usd, calls: row.calls };
  if (row.model !== null) usage.model = row.model;
  return usage;
}

/** Plan row -> record (tasks supplied by the caller). */
export function planFromRow(row: PlanRow, tasks: Task[]): PlanRecord {
  return { id: row.id, goal: row.goal, createdAt: row.created_at, tasks, meta: parse<Record<string, unknown>>(row.meta) };
}

/** Task -> parameters; `planId` is the plan the row belongs to. */
export function taskParams(task: Task, planId: string, position: number): Params {
  return {
    plan_id: planId,
    id: task.id,
    position,
    title: storedText(task.title),
    description: storedText(task.description),
    acceptance: storedJson(task.acceptance),
    dependencies: JSON.stringify(task.dependencies),
    files: JSON.stringify(task.files),
    atomic: task.atomic ? 1 : 0,
    parent: task.parent ?? null,
    depth: task.depth,
    tags: storedJson(task.tags),
    notes: storedJson(task.notes),
    status: task.status,
  };
}

/** Task row -> record. */
export function taskFromRow(row: TaskRow): Task {
  const task: Task = {
    planId: row.plan_id,
    id: row.id,
    title: row.title,
    description: row.description,
    acceptance: parse<string[]>(row.acceptance),
    dependencies: parse<string[]>(row.dependencies),
    files: parse<string[]>(row.files),
    atomic: row.atomic === 1,
    depth: row.depth,
    tags: parse<string[]>(row.tags),
    notes: parse<string[]>(row.notes),
    status: row.status as Task['status'],
  };
  if (row.parent !== null) task.parent = row.parent;
  return task;
}

/** Link -> parameters. */
export function linkParams(link: TaskLink): Params {
  return { plan_id: link.planId, from_task: link.from, to_task: link.to, type: link.type };
}

/** Link row -> record. */
export function linkFromRow(row: LinkRow): TaskLink {
  return { planId: row.plan_id, from: row.from_task, to: row.to_task, type: row.type as TaskLink['type'] };
}

/** Run -> parameters. */
export function runParams(run: RunRecord): Params {
  return {
    id: run.id,
    status: run.status,
    graph: storedJson(run.graph),
    command: storedText(run.command),
    options: storedJson(run.options),
    plan_id: run.planId ?? null,
    project_dir: run.projectDir,
    worktree: run.worktree ?? null,
    branch: run.branch ?? null,
    base_commit: run.baseCommit ?? null,
    workspace: jsonOrNull(run.workspace),
    reason: storedTextOrNull(run.reason),
    created_at: run.createdAt,
    updated_at: run.updatedAt,
  };
}

/** Run row -> record. */
export function runFromRow(row: RunRow): RunRecord {
  const run: RunRecord = {
    id: row.id,
    status: row.status as RunRecord['status'],
    graph: parse<GraphSpec>(row.graph),
    command: row.command,
    options: parse<Record<string, Json>>(row.options),
    projectDir: row.project_dir,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
  if (row.plan_id !== null) run.planId = row.plan_id;
  if (row.worktree !== null) run.worktree = row.worktree;
  if (row.branch !== null) run.branch = row.branch;
  if (row.base_commit !== null) run.baseCommit = row.base_commit;
  if (row.workspace !== null) run.workspace = parse<WorkspaceSnapshot>(row.workspace);
  if (row.reason !== null) run.reason = row.reason;
  return run;
}

/** The `runs` columns {@link import('./store.js').Store.updateRun} redacts: free text and JSON, not ids or paths. */
export const REDACTED_RUN_COLUMNS: ReadonlySet<string> = new Set(['graph', 'command', 'options', 'reason']);

/**
 * The columns {@link import('./store.js').Store.updateRun} may change: patch field -> column, whether
 * the value is JSON, and whether the column may be NULL (an `undefined` patch value clears it).
 */
export const RUN_PATCH_COLUMNS: Readonly<Record<string, { column: string; json: boolean; nullable: boolean }>> = {
  status: { column: 'status', json: false, nullable: false },
  graph: { column: 'graph', json: true, nullable: false },
  command: { column: 'command', json: false, nullable: false },
  options: { column: 'options', json: true, nullable: false },
  planId: { column: 'plan_id', json: false, nullable: true },
  projectDir: { column: 'project_dir', json: false, nullable: false },
  worktree: { column: 'worktree', json: false, nullable: true },
  branch: { column: 'branch', json: false, nullable: true },
  baseCommit: { column: 'base_commit', json: false, nullable: true },
  workspace: { column: 'workspace', json: true, nullable: true },
  reason: { column: 'reason', json: false, nullable: true },
};

/**
 * Run node -> positional values (run_id, node_id, status, attempts, task, last_attempt_seq, started_at).
 * @param lastAttemptSeq overrides `node.lastAttemptSeq` when given
 */
export function runNodeValues(node: RunNodeRecord, lastAttemptSeq?: number): Values {
  return [
    node.runId, node.nodeId, node.status, node.attempts, node.task ?? null, lastAttemptSeq ?? node.lastAttemptSeq ?? null,
    node.startedAt ?? null,
  ];
}

/** Run node row -> record. */
export function runNodeFromRow(row: RunNodeRow): RunNodeRecord {
  const node: RunNodeRecord = {
    runId: row.run_id,
    nodeId: row.node_id,
    status: row.status as RunNodeRecord['status'],
    attempts: row.attempts,
  };
  if (row.task !== null) node.task = row.task;
  if (row.last_attempt_seq !== null) node.lastAttemptSeq = row.last_attempt_seq;
  if (row.started_at !== null) node.startedAt = row.started_at;
  return node;
}

/** Run task -> parameters. */
export function runTaskParams(task: RunTaskRecord): Params {
  return {
    run_id: task.runId,
    task_id: task.taskId,
    attempt: task.attempt,
    status: task.status,
    start_commit: task.startCommit ?? null,
    worktree: task.worktree ?? null,
    branch: task.branch ?? null,
    integrated_commit: task.integratedCommit ?? null,
  };
}

/** Run task row -> record. */
export function runTaskFromRow(row: RunTaskRow): RunTaskRecord {
  const task: RunTaskRecord = {
    runId: row.run_id,
    taskId: row.task_id,
    attempt: row.attempt,
    status: row.status as RunTaskRecord['status'],
  };
  if (row.start_commit !== null) task.startCommit = row.start_commit;
  if (row.worktree !== null && row.worktree !== undefined) task.worktree = row.worktree;
  if (row.branch !== null && row.branch !== undefined) task.branch = row.branch;
  if (row.integrated_commit !== null && row.integrated_commit !== undefined) task.integratedCommit = row.integrated_commit;
  return task;
}

/** What an attempt's outcome columns are made of (an attempt, or a finish of one). */
interface AttemptOutcome {
  status: string;
  outputHash?: string;
  error?: ErrorRecord;
  suspendReason?: string;
  usage: Usage;
  finishedAt?: string;
  durationMs?: number;
  workspaceAfter?: WorkspaceSnapshot;
}

/**
 * The outcome columns of an attempt, positional (shared by insert and finish): status, output,
 * output_blob, output_hash, error, suspend_reason, input_tokens, output_tokens, cost_usd, model,
 * calls, finished_at, duration_ms, workspace_after.
 * @param output the output as encoded by `encodeOutput`
 */
export function attemptOutcomeValues(a: AttemptOutcome, output: EncodedOutput): Values {
  const u = a.usage;
  return [
    a.status, output.text, output.blobHash, a.outputHash ?? null, jsonOrNull(a.error), storedTextOrNull(a.suspendReason),
    u.inputTokens, u.outputTokens, u.costUsd, u.model ?? null, u.calls,
    a.finishedAt ?? null, a.durationMs ?? null, jsonOrNull(a.workspaceAfter),
  ];
}

/**
 * Attempt (without seq) -> positional insert values: run_id, node_id, number, cache_key,
 * ingredients, started_at, then {@link attemptOutcomeValues}.
 * @param ingredients `storedJson(a.ingredients)`, passed in so a caller writing the same
 *   ingredients into a cache entry serialises them once
 */
export function attemptValues(a: Omit<AttemptRecord, 'seq'>, ingredients: string, output: EncodedOutput): Values {
  return [a.runId, a.nodeId, a.number, a.cacheKey, ingredients, a.startedAt, ...attemptOutcomeValues(a, output)];
}

/** The columns of an attempt summary row (see `listAttemptSummaries` in sqlite-statements.ts). */
export type AttemptSummaryRow = Pick<
  AttemptRow,
  'seq' | 'run_id' | 'node_id' | 'number' | 'status' | 'error' | 'suspend_reason' | 'input_tokens' | 'output_tokens' | 'cost_usd' | 'model' | 'calls' | 'started_at' | 'finished_at' | 'duration_ms'
>;

/** Attempt summary row -> summary (absent optional fields stay absent). */
export function attemptSummaryFromRow(row: AttemptSummaryRow): AttemptSummary {
  const a: AttemptSummary = {
    seq: row.seq,
    runId: row.run_id,
    nodeId: row.node_id,
    number: row.number,
    status: row.status as AttemptRecord['status'],
    usage: usageFromRow(row),
    startedAt: row.started_at,
  };
  if (row.error !== null) a.error = parse<ErrorRecord>(row.error);
  if (row.suspend_reason !== null) a.suspendReason = row.suspend_reason;
  if (row.finished_at !== null) a.finishedAt = row.finished_at;
  if (row.duration_ms !== null) a.durationMs = row.duration_ms;
  return a;
}

/** Attempt row -> record. */
export function attemptFromRow(row: AttemptRow): AttemptRecord {
  const a: AttemptRecord = {
    seq: row.seq,
    runId: row.run_id,
    nodeId: row.node_id,
    number: row.number,
    status: row.status as AttemptRecord['status'],
    cacheKey: row.cache_key,
    ingredients: parse<KeyIngredients>(row.ingredients),
    usage: usageFromRow(row),
    startedAt: row.started_at,
  };
  const output = decodeOutput(row.output, row.output_blob, row.output_data, `attempt ${row.seq}`);
  if (output !== undefined) a.output = output;
  if (row.output_hash !== null) a.outputHash = row.output_hash;
  if (row.error !== null) a.error = parse<ErrorRecord>(row.error);
  if (row.suspend_reason !== null) a.suspendReason = row.suspend_reason;
  if (row.finished_at !== null) a.finishedAt = row.finished_at;
  if (row.duration_ms !== null) a.durationMs = row.duration_ms;
  if (row.workspace_after !== null) a.workspaceAfter = parse<WorkspaceSnapshot>(row.workspace_after);
  return a;
}

/**
 * Cache entry -> positional values: key, kind, node_id, ingredients, output, output_blob,
 * output_hash, input_tokens, output_tokens, cost_usd, model, calls, workspace_after, created_at.
 * @param ingredients `storedJson(entry.ingredients)`
 * @param output `entry.output` as encoded by `encodeOutput`
 */
export function cacheValues(entry: CacheEntry, ingredients: string, output: EncodedOutput): Values {
  const u = entry.usage;
  return [
    entry.key, entry.kind, entry.nodeId, ingredients, output.text, output.blobHash, entry.outputHash,
    u.inputTokens, u.outputTokens, u.costUsd, u.model ?? null, u.calls,
    jsonOrNull(entry.workspaceAfter), entry.createdAt,
  ];
}

/** Cache row -> entry. */
export function cacheFromRow(row: CacheRow): CacheEntry {
  const entry: CacheEntry = {
    key: row.key,
    kind: row.kind,
    nodeId: row.node_id,
    ingredients: parse<KeyIngredients>(row.ingredients),
    output: decodeOutput(row.output, row.output_blob, row.output_data, `cache entry ${row.key}`) ?? null,
    outputHash: row.output_hash,
    usage: usageFromRow(row),
    createdAt: row.created_at,
  };
  if (row.workspace_after !== null) entry.workspaceAfter = parse<WorkspaceSnapshot>(row.workspace_after);
  return entry;
}

/** Decision -> parameters. */
export function decisionParams(d: DecisionRecord): Params {
  // an `answered` row keeps its answer as JSON in `comment` (DecisionRecord.answer)
  const comment = d.decision === 'answered' ? storedJson(d.answer ?? null) : storedTextOrNull(d.comment);
  return { run_id: d.runId, node_id: d.nodeId, decision: d.decision, by: storedText(d.by), at: d.at, comment, subject: d.subject ?? null };
}

/** Decision row -> record. */
export function decisionFromRow(row: DecisionRow): DecisionRecord {
  const d: DecisionRecord = {
    runId: row.run_id,
    nodeId: row.node_id,
    decision: row.decision as DecisionRecord['decision'],
    by: row.by,
    at: row.at,
  };
  if (row.decision === 'answered') d.answer = row.comment === null ? null : (JSON.parse(row.comment) as Json);
  else if (row.comment !== null) d.comment = row.comment;
  if (row.subject !== null && row.subject !== undefined) d.subject = row.subject;
  return d;
}
