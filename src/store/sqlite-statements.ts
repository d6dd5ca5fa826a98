import type Database from 'better-sqlite3';

/**
 * The SQL of {@link import('./sqlite-store.js').SqliteStore}, prepared once per connection
 * (preparing is the expensive part of a query; a prepared statement is reused for every call).
 * Named parameters (`@name`) match the column names produced by `sqlite-rows.ts`. The statements
 * of the per-node path (attempts, run nodes, cache, blobs) take positional `?` parameters in the
 * column order of the `*Values` functions of `sqlite-rows.ts`: binding by name costs a property
 * lookup per parameter, which for the 20-column attempt insert doubles its cost.
 */

const TASK_COLUMNS =
  'plan_id, id, position, title, description, acceptance, dependencies, files, atomic, parent, depth, tags, notes, status';
const TASK_UPDATE =
  'title = excluded.title, description = excluded.description, acceptance = excluded.acceptance, ' +
  'dependencies = excluded.dependencies, files = excluded.files, atomic = excluded.atomic, parent = excluded.parent, ' +
  'depth = excluded.depth, tags = excluded.tags, notes = excluded.notes, status = excluded.status';
const TASK_VALUES =
  '@title, @description, @acceptance, @dependencies, @files, @atomic, @parent, @depth, @tags, @notes, @status';
/** positional order: `runNodeValues` */
const RUN_NODE_VALUES = '(run_id, node_id, status, attempts, task, last_attempt_seq, started_at) VALUES (?, ?, ?, ?, ?, ?, ?)';
/** positional order: `attemptOutcomeValues` */
const OUTCOME_COLUMNS =
  'status, output, output_blob, output_hash, error, suspend_reason, input_tokens, output_tokens, cost_usd, model, calls, ' +
  'finished_at, duration_ms, workspace_after';
/** positional order: `cacheValues` */
const CACHE_COLUMNS =
  'key, kind, node_id, ingredients, output, output_blob, output_hash, input_tokens, output_tokens, cost_usd, model, calls, ' +
  'workspace_after, created_at';
const placeholders = (columns: string): string => columns.split(',').map(() => '?').join(', ');
const excluded = (columns: string): string =>
  columns.split(',').map((c) => c.trim()).filter((c) => c !== 'key').map((c) => `${c} = excluded.${c}`).join(', ');
/** an attempt row with its output blob (NULL when inline or absent) */
const ATTEMPT_SELECT = 'SELECT a.*, b.data AS output_data FROM attempts a LEFT JOIN blobs b ON b.hash = a.output_blob';

const SQL = {
  upsertPlan: `INSERT INTO plans (id, goal, created_at, meta) VALUES (@id, @goal, @created_at, @meta)
    ON CONFLICT (id) DO UPDATE SET goal = excluded.goal, created_at = excluded.created_at, meta = excluded.meta`,
  getPlan: 'SELECT * FROM plans WHERE id = ?',
  listPlans: 'SELECT * FROM plans ORDER BY created_at DESC, rowid DESC',

  /** plan order wins: position is rewritten */
  upsertTaskAt: `INSERT INTO tasks (${TASK_COLUMNS}) VALUES (@plan_id, @id, @position, ${TASK_VALUES})
    ON CONFLICT (plan_id, id) DO UPDATE SET position = excluded.position, ${TASK_UPDATE}`,
  /** a new task goes last; an existing one keeps its place */
  upsertTaskAppend: `INSERT INTO tasks (${TASK_COLUMNS})
    VALUES (@plan_id, @id, (SELECT coalesce(max(position) + 1, 0) FROM tasks WHERE plan_id = @plan_id), ${TASK_VALUES})
    ON CONFLICT (plan_id, id) DO UPDATE SET ${TASK_UPDATE}`,
  getTask: 'SELECT * FROM tasks WHERE plan_id = ? AND id = ?',
  listTasks: 'SELECT * FROM tasks WHERE plan_id = ? ORDER BY position, id',
  appendNote: `UPDATE tasks SET notes = json_insert(notes, '$[#]', @note) WHERE plan_id = @plan_id AND id = @id`,
  setTaskStatus: 'UPDATE tasks SET status = @status WHERE plan_id = @plan_id AND id = @id',
  setTaskDependencies: 'UPDATE tasks SET dependencies = @dependencies WHERE plan_id = @plan_id AND id = @id',

  deleteRequiresFrom: `DELETE FROM links WHERE plan_id = @plan_id AND from_task = @from_task AND type = 'requires'`,
  insertLink: `INSERT OR IGNORE INTO links (plan_id, from_task, to_task, type) VALUES (@plan_id, @from_task, @to_task, @type)`,
  deleteLink: 'DELETE FROM links WHERE plan_id = @plan_id AND from_task = @from_task AND to_task = @to_task AND type = @type',
  listLinks: 'SELECT * FROM links WHERE plan_id = ? ORDER BY from_task, to_task, type',
  listLinksOf: `SELECT * FROM links WHERE plan_id = @plan_id AND (from_task = @task OR to_task = @task)
    ORDER BY from_task, to_task, type`,
  /** the plan's requires edges (for the cycle check of addLink) */
  listRequires: `SELECT from_task, to_task FROM links WHERE plan_id = ? AND type = 'requires' ORDER BY from_task, to_task`,

  getContextOverrides: 'SELECT pins, excludes FROM context_overrides WHERE plan_id = ? AND task_id = ?',
  upsertContextOverrides: `INSERT INTO context_overrides (plan_id, task_id, pins, excludes, updated_at)
    VALUES (@plan_id, @task_id, @pins, @excludes, @updated_at)
    ON CONFLICT (plan_id, task_id) DO UPDATE SET pins = excluded.pins, excludes = excluded.excludes,
      updated_at = excluded.updated_at`,

  insertRun: `INSERT INTO runs (id, status, graph, command, options, plan_id, project_dir, worktree, branch, base_commit,
      workspace, reason, created_at, updated_at)
    VALUES (@id, @status, @graph, @command, @options, @plan_id, @project_dir, @worktree, @branch, @base_commit,
      @workspace, @reason, @created_at, @updated_at)`,
  getRun: 'SELECT * FROM runs WHERE id = ?',
  /** LIMIT -1 means no limit in SQLite */
  listRuns: 'SELECT * FROM runs ORDER BY created_at DESC, rowid DESC LIMIT @limit',
  setRunGraph: 'UPDATE runs SET graph = @graph, updated_at = @updated_at WHERE id = @id',
  /** positional: workspace, updated_at, id */
  setRunWorkspace: 'UPDATE runs SET workspace = ?, updated_at = ? WHERE id = ?',

  /** positional: `runNodeValues` */
  insertRunNode: `INSERT INTO run_nodes ${RUN_NODE_VALUES}`,
  /** positional: `runNodeValues` */
  insertRunNodeIfNew: `INSERT INTO run_nodes ${RUN_NODE_VALUES} ON CONFLICT (run_id, node_id) DO NOTHING`,
  /** positional: `runNodeValues` */
  upsertRunNode: `INSERT INTO run_nodes ${RUN_NODE_VALUES}
    ON CONFLICT (run_id, node_id) DO UPDATE SET status = excluded.status, attempts = excluded.attempts,
      task = excluded.task, last_attempt_seq = excluded.last_attempt_seq, started_at = excluded.started_at`,
  /** positional: run_id, node_id, attempts, seq, started_at (startAttempt) */
  startNodeRunning: `INSERT INTO run_nodes (run_id, node_id, status, attempts, task, last_attempt_seq, started_at)
    VALUES (?, ?, 'running', ?, NULL, ?, ?)
    ON CONFLICT (run_id, node_id) DO UPDATE SET status = 'running', attempts = excluded.attempts,
      last_attempt_seq = excluded.last_attempt_seq, started_at = excluded.started_at`,
  /** positional: attempts, started_at, run_id, node_id (a pure node still executing) */
  markNodeRunning: `UPDATE run_nodes SET status = 'running', attempts = ?, started_at = ? WHERE run_id = ? AND node_id = ?`,
  listRunNodes: 'SELECT * FROM run_nodes WHERE run_id = ? ORDER BY rowid',

  upsertRunTask: `INSERT INTO run_tasks (run_id, task_id, attempt, status, start_commit, worktree, branch, integrated_commit)
    VALUES (@run_id, @task_id, @attempt, @status, @start_commit, @worktree, @branch, @integrated_commit)
    ON CONFLICT (run_id, task_id) DO UPDATE SET attempt = excluded.attempt, status = excluded.status,
      start_commit = excluded.start_commit, worktree = excluded.worktree, branch = excluded.branch,
      integrated_commit = excluded.integrated_commit`,
  getRunTask: 'SELECT * FROM run_tasks WHERE run_id = ? AND task_id = ?',
  listRunTasks: 'SELECT * FROM run_tasks WHERE run_id = ? ORDER BY rowid',

  /** positional: `attemptValues` */
  insertAttempt: `INSERT INTO attempts (run_id, node_id, number, cache_key, ingredients, started_at, ${OUTCOME_COLUMNS})
    VALUES (?, ?, ?, ?, ?, ?, ${placeholders(OUTCOME_COLUMNS)})`,
  /** positional: `attemptOutcomeValues`, then seq */
  finishAttempt: `UPDATE attempts SET (${OUTCOME_COLUMNS}) = (${placeholders(OUTCOME_COLUMNS)}) WHERE seq = ?`,
  listAttempts: `${ATTEMPT_SELECT} WHERE a.run_id = ? ORDER BY a.seq`,
  listAttemptsOfNode: `${ATTEMPT_SELECT} WHERE a.run_id = ? AND a.node_id = ? ORDER BY a.seq`,
  /** the columns of an AttemptSummary (no output, ingredients, key or workspace) */
  listAttemptSummaries: `SELECT seq, run_id, node_id, number, status, error, suspend_reason, input_tokens, output_tokens, cost_usd, model,
      calls, started_at, finished_at, duration_ms
    FROM attempts WHERE run_id = ? ORDER BY seq`,
  /** every node with a running attempt, and any node left `running`, goes back to `pending` */
  interruptNodes: `UPDATE run_nodes SET status = 'pending', started_at = NULL
    WHERE run_id = @run_id AND (status = 'running'
      OR node_id IN (SELECT node_id FROM attempts WHERE run_id = @run_id AND status = 'running'))`,
  interruptAttempts: `UPDATE attempts SET status = 'interrupted', finished_at = @finished_at
    WHERE run_id = @run_id AND status = 'running'`,
  lastSuccessful: `${ATTEMPT_SELECT}
    WHERE a.node_id = @node_id AND a.status IN ('succeeded', 'cached') AND (@before IS NULL OR a.run_id <> @before)
    ORDER BY a.seq DESC LIMIT 1`,
  recentSuccessful: `${ATTEMPT_SELECT}
    WHERE a.node_id = @node_id AND a.status IN ('succeeded', 'cached') AND (@before IS NULL OR a.run_id <> @before)
    ORDER BY a.seq DESC LIMIT @limit`,

  /** positional: `cacheValues`; a later entry for the same key replaces the earlier in place */
  upsertCache: `INSERT INTO cache_entries (${CACHE_COLUMNS}) VALUES (${placeholders(CACHE_COLUMNS)})
    ON CONFLICT (key) DO UPDATE SET ${excluded(CACHE_COLUMNS)}`,
  getCache: 'SELECT c.*, b.data AS output_data FROM cache_entries c LEFT JOIN blobs b ON b.hash = c.output_blob WHERE c.key = ?',
  /** positional: hash, size, data; a blob is immutable (its key is its content hash) */
  insertBlob: 'INSERT OR IGNORE INTO blobs (hash, size, data) VALUES (?, ?, ?)',

  upsertDecision: `INSERT INTO decisions (run_id, node_id, decision, by, at, comment, subject)
    VALUES (@run_id, @node_id, @decision, @by, @at, @comment, @subject)
    ON CONFLICT (run_id, node_id) DO UPDATE SET decision = excluded.decision, by = excluded.by, at = excluded.at,
      comment = excluded.comment, subject = excluded.subject`,
  getDecision: 'SELECT * FROM decisions WHERE run_id = ? AND node_id = ?',

  getLease: 'SELECT * FROM run_leases WHERE run_id = ?',
  upsertLease: `INSERT INTO run_leases (run_id, token, pid, host, acquired_at, heartbeat_at)
    VALUES (@run_id, @token, @pid, @host, @acquired_at, @heartbeat_at)
    ON CONFLICT (run_id) DO UPDATE SET token = excluded.token, pid = excluded.pid, host = excluded.host,
      acquired_at = excluded.acquired_at, heartbeat_at = excluded.heartbeat_at`,
  /** positional: heartbeat_at, run_id, token */
  heartbeatLease: 'UPDATE run_leases SET heartbeat_at = ? WHERE run_id = ? AND token = ?',
  /** positional: run_id, token */
  releaseLease: 'DELETE FROM run_leases WHERE run_id = ? AND token = ?',
  insertSession: `INSERT INTO run_sessions (run_id, number, command, pid, host, started_at)
    VALUES (@run_id, (SELECT coalesce(max(number), 0) + 1 FROM run_sessions WHERE run_id = @run_id), @command, @pid, @host, @started_at)
    RETURNING number`,
  endSession: `UPDATE run_sessions SET ended_at = @ended_at, outcome = @outcome, reason = @reason
    WHERE run_id = @run_id AND number = @number`,
  listSessions: 'SELECT * FROM run_sessions WHERE run_id = ? ORDER BY number',

  insertAudit: `INSERT INTO audit (run_id, at, who, kind, subject, risk, reason, details)
    VALUES (@run_id, @at, @who, @kind, @subject, @risk, @reason, @details) RETURNING *`,
  listAudit: 'SELECT * FROM audit ORDER BY id',
  listAuditOfRun: 'SELECT * FROM audit WHERE run_id = ? ORDER BY id',

  /** positional: run_id, at, type, node_id, data */
  insertRunEvent: 'INSERT INTO run_events (run_id, at, type, node_id, data) VALUES (?, ?, ?, ?, ?) RETURNING seq, data',
  /** positional: run_id, after seq, limit (-1: no limit) */
  listRunEvents: 'SELECT * FROM run_events WHERE run_id = ? AND seq > ? ORDER BY seq LIMIT ?',

  /** positional: id, url, event, body, next_at, created_at */
  insertWebhookDelivery: 'INSERT INTO webhook_deliveries (id, url, event, body, next_at, created_at) VALUES (?, ?, ?, ?, ?, ?)',
  /** named: status (NULL: any), due (NULL: any), limit (-1: no limit) */
  listWebhookDeliveries: `SELECT * FROM webhook_deliveries WHERE (@status IS NULL OR status = @status) AND (@due IS NULL OR next_at <= @due)
    ORDER BY created_at, rowid LIMIT @limit`,
  /** positional: status, attempts, next_at, last_error, id */
  updateWebhookDelivery: 'UPDATE webhook_deliveries SET status = ?, attempts = ?, next_at = ?, last_error = ? WHERE id = ?',
} as const;

/** Every prepared statement of the store, by name. */
export type Statements = { [K in keyof typeof SQL]: Database.Statement };

/**
 * Prepares every statement of {@link SQL} on `db`.
 * @throws SqliteError ("no such table") when the schema has not been migrated yet
 */
export function prepareStatements(db: Database.Database): Statements {
  const out: Partial<Record<keyof typeof SQL, Database.Statement>> = {};
  for (const name of Object.keys(SQL) as (keyof typeof SQL)[]) out[name] = db.prepare(SQL[name]);
  return out as Statements;
}
