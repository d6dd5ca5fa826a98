import { statements } from './postgres-db.js';

/**
 * The SQL of {@link import('./postgres-store.js').PostgresStore}, in PostgreSQL's dialect with
 * positional `$n` parameters. Parameter orders are those of SQLite's statements
 * (`sqlite-statements.ts`), so both stores share the row/value mappers of `sqlite-rows.ts`:
 * `runNodeValues`, `attemptValues`, `attemptOutcomeValues`, `cacheValues`. `json` lists the
 * (0-based) parameters written to `jsonb` columns. Every statement is prepared once per
 * connection, under its name.
 */

const TASK_COLUMNS = 'plan_id, id, position, title, description, acceptance, dependencies, files, atomic, parent, depth, tags, notes, status';
/** a task row as `sqlite-rows.ts` reads it (`atomic` as 0/1) */
const TASK_SELECT =
  'plan_id, id, position, title, description, acceptance, dependencies, files, atomic::int AS atomic, parent, depth, tags, notes, status';
const TASK_UPDATE =
  'title = excluded.title, description = excluded.description, acceptance = excluded.acceptance, ' +
  'dependencies = excluded.dependencies, files = excluded.files, atomic = excluded.atomic, parent = excluded.parent, ' +
  'depth = excluded.depth, tags = excluded.tags, notes = excluded.notes, status = excluded.status';
/** jsonb parameters of a task insert: acceptance, dependencies, files, tags, notes */
const TASK_JSON = [5, 6, 7, 11, 12];
const RUN_NODE_INSERT = 'INSERT INTO run_nodes (run_id, node_id, status, attempts, task, last_attempt_seq, started_at) VALUES ($1, $2, $3, $4, $5, $6, $7)';
const OUTCOME_COLUMNS =
  'status, output, output_blob, output_hash, error, suspend_reason, input_tokens, output_tokens, cost_usd, model, calls, finished_at, duration_ms, workspace_after';
const CACHE_COLUMNS =
  'key, kind, node_id, ingredients, output, output_blob, output_hash, input_tokens, output_tokens, cost_usd, model, calls, workspace_after, created_at';
const params = (from: number, count: number): string => Array.from({ length: count }, (_, i) => `$${from + i}`).join(', ');
const excluded = (columns: string): string =>
  columns.split(',').map((c) => c.trim()).filter((c) => c !== 'key').map((c) => `${c} = excluded.${c}`).join(', ');
const ATTEMPT_SELECT = 'SELECT a.*, b.data AS output_data FROM attempts a LEFT JOIN blobs b ON b.hash = a.output_blob';
const SUCCESSFUL = `${ATTEMPT_SELECT} WHERE a.node_id = $1 AND a.status IN ('succeeded', 'cached') AND ($2::text IS NULL OR a.run_id <> $2) ORDER BY a.seq DESC`;

/** Every statement of the store. */
export const PG = statements(
  {
    upsertPlan: {
      sql: `INSERT INTO plans (id, goal, created_at, meta) VALUES ($1, $2, $3, $4)
        ON CONFLICT (id) DO UPDATE SET goal = excluded.goal, created_at = excluded.created_at, meta = excluded.meta`,
      json: [3],
    },
    getPlan: 'SELECT id, goal, created_at, meta FROM plans WHERE id = $1',
    listPlans: 'SELECT id, goal, created_at, meta FROM plans ORDER BY created_at DESC, ord DESC',
    /** row lock on the plan: serialises writers that read the plan's tasks or links and then write them */
    lockPlan: 'SELECT 1 FROM plans WHERE id = $1 FOR NO KEY UPDATE',
    setPlanMeta: { sql: 'UPDATE plans SET meta = $2 WHERE id = $1', json: [1] },

    upsertTaskAt: {
      sql: `INSERT INTO tasks (${TASK_COLUMNS}) VALUES (${params(1, 14)})
        ON CONFLICT (plan_id, id) DO UPDATE SET position = excluded.position, ${TASK_UPDATE}`,
      json: TASK_JSON,
    },
    /** the task values without position (computed: last) */
    upsertTaskAppend: {
      sql: `INSERT INTO tasks (${TASK_COLUMNS})
        VALUES ($1, $2, (SELECT coalesce(max(position) + 1, 0) FROM tasks WHERE plan_id = $1), ${params(3, 11)})
        ON CONFLICT (plan_id, id) DO UPDATE SET ${TASK_UPDATE}`,
      json: TASK_JSON.map((i) => i - 1),
    },
    getTask: `SELECT ${TASK_SELECT} FROM tasks WHERE plan_id = $1 AND id = $2`,
    listTasks: `SELECT ${TASK_SELECT} FROM tasks WHERE plan_id = $1 ORDER BY position, id`,
    appendNote: `UPDATE tasks SET notes = notes || jsonb_build_array($3::text) WHERE plan_id = $1 AND id = $2 RETURNING ${TASK_SELECT}`,
    setTaskStatus: 'UPDATE tasks SET status = $3 WHERE plan_id = $1 AND id = $2',
    setTaskDependencies: { sql: 'UPDATE tasks SET dependencies = $3 WHERE plan_id = $1 AND id = $2', json: [2] },
    deleteTask: 'DELETE FROM tasks WHERE plan_id = $1 AND id = $2',

    deleteRequiresFrom: `DELETE FROM links WHERE plan_id = $1 AND from_task = $2 AND type = 'requires'`,
    insertLink: 'INSERT INTO links (plan_id, from_task, to_task, type) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING',
    deleteLink: 'DELETE FROM links WHERE plan_id = $1 AND from_task = $2 AND to_task = $3 AND type = $4',
    deleteLinksOf: 'DELETE FROM links WHERE plan_id = $1 AND (from_task = $2 OR to_task = $2)',
    listLinks: 'SELECT plan_id, from_task, to_task, type FROM links WHERE plan_id = $1 ORDER BY from_task, to_task, type',
    listLinksOf: `SELECT plan_id, from_task, to_task, type FROM links WHERE plan_id = $1 AND (from_task = $2 OR to_task = $2)
      ORDER BY from_task, to_task, type`,
    listRequires: `SELECT from_task, to_task FROM links WHERE plan_id = $1 AND type = 'requires' ORDER BY from_task, to_task`,

    getContextOverrides: 'SELECT pins, excludes FROM context_overrides WHERE plan_id = $1 AND task_id = $2',
    upsertContextOverrides: {
      sql: `INSERT INTO context_overrides (plan_id, task_id, pins, excludes, updated_at) VALUES ($1, $2, $3, $4, $5)
        ON CONFLICT (plan_id, task_id) DO UPDATE SET pins = excluded.pins, excludes = excluded.excludes, updated_at = excluded.updated_at`,
      json: [2, 3],
    },

    insertVersion: {
      sql: `INSERT INTO plan_versions (plan_id, version, created_at, by, summary, snapshot) VALUES ($1, $2, $3, $4, $5, $6)
        ON CONFLICT DO NOTHING`,
      json: [5],
    },
    listVersions: 'SELECT * FROM plan_versions WHERE plan_id = $1 ORDER BY version',
    approveVersion: 'UPDATE plan_versions SET approved_by = $3, approved_at = $4 WHERE plan_id = $1 AND version = $2',

    insertRun: {
      sql: `INSERT INTO runs (id, status, graph, command, options, plan_id, project_dir, worktree, branch, base_commit,
          workspace, reason, created_at, updated_at) VALUES (${params(1, 14)})`,
      json: [2, 4, 10],
    },
    getRun: 'SELECT * FROM runs WHERE id = $1',
    /** $1: the limit, NULL for none (LIMIT NULL is LIMIT ALL) */
    listRuns: 'SELECT * FROM runs ORDER BY created_at DESC, ord DESC LIMIT $1',
    /** row lock on the run: serialises lease takers, session starters and deciders of one run */
    lockRun: 'SELECT 1 FROM runs WHERE id = $1 FOR NO KEY UPDATE',
    setRunGraph: { sql: 'UPDATE runs SET graph = $2, updated_at = $3 WHERE id = $1', json: [1] },
    /** positional: workspace, updated_at, id (as SQLite's) */
    setRunWorkspace: { sql: 'UPDATE runs SET workspace = $1, updated_at = $2 WHERE id = $3', json: [0] },

    insertRunNode: RUN_NODE_INSERT,
    insertRunNodeIfNew: `${RUN_NODE_INSERT} ON CONFLICT (run_id, node_id) DO NOTHING`,
    upsertRunNode: `${RUN_NODE_INSERT}
      ON CONFLICT (run_id, node_id) DO UPDATE SET status = excluded.status, attempts = excluded.attempts,
        task = excluded.task, last_attempt_seq = excluded.last_attempt_seq, started_at = excluded.started_at`,
    /** run_id, node_id, attempts, seq, started_at */
    startNodeRunning: `INSERT INTO run_nodes (run_id, node_id, status, attempts, task, last_attempt_seq, started_at)
      VALUES ($1, $2, 'running', $3, NULL, $4, $5)
      ON CONFLICT (run_id, node_id) DO UPDATE SET status = 'running', attempts = excluded.attempts,
        last_attempt_seq = excluded.last_attempt_seq, started_at = excluded.started_at`,
    /** attempts, started_at, run_id, node_id */
    markNodeRunning: `UPDATE run_nodes SET status = 'running', attempts = $1, started_at = $2 WHERE run_id = $3 AND node_id = $4`,
    listRunNodes: 'SELECT run_id, node_id, status, attempts, task, last_attempt_seq, started_at FROM run_nodes WHERE run_id = $1 ORDER BY ord',

    upsertRunTask: `INSERT INTO run_tasks (run_id, task_id, attempt, status, start_commit, worktree, branch, integrated_commit)
      VALUES (${params(1, 8)})
      ON CONFLICT (run_id, task_id) DO UPDATE SET attempt = excluded.attempt, status = excluded.status,
        start_commit = excluded.start_commit, worktree = excluded.worktree, branch = excluded.branch,
        integrated_commit = excluded.integrated_commit`,
    getRunTask: 'SELECT * FROM run_tasks WHERE run_id = $1 AND task_id = $2',
    listRunTasks: 'SELECT * FROM run_tasks WHERE run_id = $1 ORDER BY ord',

    /** positional: `attemptValues`; jsonb: ingredients, output, error, workspace_after */
    insertAttempt: {
      sql: `INSERT INTO attempts (run_id, node_id, number, cache_key, ingredients, started_at, ${OUTCOME_COLUMNS})
        VALUES (${params(1, 20)}) RETURNING seq`,
      json: [4, 7, 10, 19],
    },
    /** positional: `attemptOutcomeValues`, then seq */
    finishAttempt: { sql: `UPDATE attempts SET (${OUTCOME_COLUMNS}) = (${params(1, 14)}) WHERE seq = $15`, json: [1, 4, 13] },
    listAttempts: `${ATTEMPT_SELECT} WHERE a.run_id = $1 ORDER BY a.seq`,
    listAttemptsOfNode: `${ATTEMPT_SELECT} WHERE a.run_id = $1 AND a.node_id = $2 ORDER BY a.seq`,
    listAttemptSummaries: `SELECT seq, run_id, node_id, number, status, error, suspend_reason, input_tokens, output_tokens, cost_usd, model,
        calls, started_at, finished_at, duration_ms
      FROM attempts WHERE run_id = $1 ORDER BY seq`,
    interruptNodes: `UPDATE run_nodes SET status = 'pending', started_at = NULL
      WHERE run_id = $1 AND (status = 'running'
        OR node_id IN (SELECT node_id FROM attempts WHERE run_id = $1 AND status = 'running'))`,
    interruptAttempts: `UPDATE attempts SET status = 'interrupted', finished_at = $2 WHERE run_id = $1 AND status = 'running'`,
    lastSuccessful: `${SUCCESSFUL} LIMIT 1`,
    recentSuccessful: `${SUCCESSFUL} LIMIT $3`,

    /** positional: `cacheValues`; a later entry for the same key replaces the earlier in place */
    upsertCache: {
      sql: `INSERT INTO cache_entries (${CACHE_COLUMNS}) VALUES (${params(1, 14)}) ON CONFLICT (key) DO UPDATE SET ${excluded(CACHE_COLUMNS)}`,
      json: [3, 4, 12],
    },
    getCache: 'SELECT c.*, b.data AS output_data FROM cache_entries c LEFT JOIN blobs b ON b.hash = c.output_blob WHERE c.key = $1',
    /** hash, size, data; a blob is immutable (its key is its content hash) */
    insertBlob: 'INSERT INTO blobs (hash, size, data) VALUES ($1, $2, $3) ON CONFLICT (hash) DO NOTHING',

    upsertDecision: `INSERT INTO decisions (run_id, node_id, decision, by, at, comment, subject) VALUES (${params(1, 7)})
      ON CONFLICT (run_id, node_id) DO UPDATE SET decision = excluded.decision, by = excluded.by, at = excluded.at,
        comment = excluded.comment, subject = excluded.subject`,
    getDecision: 'SELECT * FROM decisions WHERE run_id = $1 AND node_id = $2',

    getLease: 'SELECT * FROM run_leases WHERE run_id = $1',
    upsertLease: `INSERT INTO run_leases (run_id, token, pid, host, acquired_at, heartbeat_at) VALUES (${params(1, 6)})
      ON CONFLICT (run_id) DO UPDATE SET token = excluded.token, pid = excluded.pid, host = excluded.host,
        acquired_at = excluded.acquired_at, heartbeat_at = excluded.heartbeat_at`,
    /** heartbeat_at, run_id, token */
    heartbeatLease: 'UPDATE run_leases SET heartbeat_at = $1 WHERE run_id = $2 AND token = $3',
    releaseLease: 'DELETE FROM run_leases WHERE run_id = $1 AND token = $2',
    insertSession: `INSERT INTO run_sessions (run_id, number, command, pid, host, started_at)
      VALUES ($1, (SELECT coalesce(max(number), 0) + 1 FROM run_sessions WHERE run_id = $1), $2, $3, $4, $5) RETURNING number`,
    endSession: 'UPDATE run_sessions SET ended_at = $3, outcome = $4, reason = $5 WHERE run_id = $1 AND number = $2',
    listSessions: 'SELECT * FROM run_sessions WHERE run_id = $1 ORDER BY number',

    insertAudit: {
      sql: `INSERT INTO audit (run_id, at, who, kind, subject, risk, reason, details) VALUES (${params(1, 8)}) RETURNING *`,
      json: [7],
    },
    listAudit: 'SELECT * FROM audit ORDER BY id',
    listAuditOfRun: 'SELECT * FROM audit WHERE run_id = $1 ORDER BY id',

    /** transaction-level advisory lock: appenders of run events take turns (see migration 9) */
    lockRunEvents: 'SELECT pg_advisory_xact_lock(hashtext(current_schema() || \':taskgraph:run-events\'))',
    insertRunEvent: { sql: 'INSERT INTO run_events (run_id, at, type, node_id, data) VALUES ($1, $2, $3, $4, $5) RETURNING seq, data', json: [4] },
    /** run_id, after seq, limit (NULL: none) */
    listRunEvents: 'SELECT * FROM run_events WHERE run_id = $1 AND seq > $2 ORDER BY seq LIMIT $3',

    insertWebhookDelivery: 'INSERT INTO webhook_deliveries (id, url, event, body, next_at, created_at) VALUES ($1, $2, $3, $4, $5, $6)',
    /** status (NULL: any), due (NULL: any), limit (NULL: none) */
    listWebhookDeliveries: `SELECT * FROM webhook_deliveries WHERE ($1::text IS NULL OR status = $1) AND ($2::bigint IS NULL OR next_at <= $2)
      ORDER BY created_at, ord LIMIT $3`,
    /** status, attempts, next_at, last_error, id */
    updateWebhookDelivery: 'UPDATE webhook_deliveries SET status = $1, attempts = $2, next_at = $3, last_error = $4 WHERE id = $5',
  },
  'tg',
);
