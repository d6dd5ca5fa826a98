import type Database from 'better-sqlite3';
import { TaskgraphError } from '../core/errors.js';

/**
 * Versioned schema migrations of the SQLite store (DESIGN.md §10). Each migration runs once, in
 * version order, inside its own transaction; the `schema_migrations` table records which
 * versions were applied. Never edit a released migration: append a new one with the next
 * version number.
 *
 * Conventions: JSON values are stored as TEXT (`JSON.stringify`); an absent optional value is SQL
 * NULL (so a JSON `null` output is the TEXT `'null'`, distinct from "no output"); booleans are
 * INTEGER 0/1; dates are ISO-8601 TEXT. An output larger than `BLOB_THRESHOLD_BYTES` is stored
 * once in `blobs` (keyed by the SHA-256 of its canonical JSON) and the row's `output` is NULL
 * with `output_blob` naming the blob; the foreign key makes a row without its blob impossible.
 */

/** One schema migration. */
export interface Migration {
  /** strictly increasing, starting at 1 */
  version: number;
  /** short kebab-case description, recorded in `schema_migrations.name` */
  name: string;
  /** SQL statements, run with `Database.exec` inside one transaction */
  sql: string;
}

/** The table that records applied migrations (created before any migration runs). */
export const SCHEMA_MIGRATIONS_SQL = `
CREATE TABLE IF NOT EXISTS schema_migrations (
  version    INTEGER PRIMARY KEY,
  name       TEXT NOT NULL,
  applied_at TEXT NOT NULL
);`;

/** Every migration, in version order. */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'initial-schema',
    sql: `
CREATE TABLE plans (
  id         TEXT PRIMARY KEY,
  goal       TEXT NOT NULL,
  created_at TEXT NOT NULL,
  meta       TEXT NOT NULL            -- JSON object
);

CREATE TABLE tasks (
  plan_id      TEXT NOT NULL REFERENCES plans(id) ON DELETE CASCADE,
  id           TEXT NOT NULL,
  position     INTEGER NOT NULL,      -- order inside the plan
  title        TEXT NOT NULL,
  description  TEXT NOT NULL,
  acceptance   TEXT NOT NULL,         -- JSON string[]
  dependencies TEXT NOT NULL,         -- JSON string[]
  files        TEXT NOT NULL,         -- JSON string[]
  atomic       INTEGER NOT NULL,      -- 0 | 1
  parent       TEXT,
  depth        INTEGER NOT NULL,
  tags         TEXT NOT NULL,         -- JSON string[]
  notes        TEXT NOT NULL,         -- JSON string[]
  status       TEXT NOT NULL,
  PRIMARY KEY (plan_id, id)
);

CREATE TABLE links (
  plan_id   TEXT NOT NULL REFERENCES plans(id) ON DELETE CASCADE,
  from_task TEXT NOT NULL,
  to_task   TEXT NOT NULL,
  type      TEXT NOT NULL,
  PRIMARY KEY (plan_id, from_task, to_task, type)
);
CREATE INDEX links_to ON links (plan_id, to_task);

CREATE TABLE runs (
  id          TEXT PRIMARY KEY,
  status      TEXT NOT NULL,
  graph       TEXT NOT NULL,          -- JSON GraphSpec
  command     TEXT NOT NULL,
  options     TEXT NOT NULL,          -- JSON object
  plan_id     TEXT,
  project_dir TEXT NOT NULL,
  worktree    TEXT,
  branch      TEXT,
  base_commit TEXT,
  workspace   TEXT,                   -- JSON WorkspaceSnapshot
  reason      TEXT,
  created_at  TEXT NOT NULL,
  updated_at  TEXT NOT NULL
);
CREATE INDEX runs_created ON runs (created_at);

CREATE TABLE run_nodes (
  run_id           TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  node_id          TEXT NOT NULL,
  status           TEXT NOT NULL,
  attempts         INTEGER NOT NULL,
  task             TEXT,
  last_attempt_seq INTEGER,
  PRIMARY KEY (run_id, node_id)
);

CREATE TABLE run_tasks (
  run_id       TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  task_id      TEXT NOT NULL,
  attempt      INTEGER NOT NULL,
  status       TEXT NOT NULL,
  start_commit TEXT,
  PRIMARY KEY (run_id, task_id)
);

CREATE TABLE attempts (
  seq             INTEGER PRIMARY KEY AUTOINCREMENT,
  run_id          TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  node_id         TEXT NOT NULL,
  number          INTEGER NOT NULL,
  status          TEXT NOT NULL,
  cache_key       TEXT NOT NULL,
  ingredients     TEXT NOT NULL,      -- JSON KeyIngredients
  output          TEXT,               -- JSON
  output_hash     TEXT,
  error           TEXT,               -- JSON ErrorRecord
  suspend_reason  TEXT,
  input_tokens    INTEGER NOT NULL,
  output_tokens   INTEGER NOT NULL,
  cost_usd        REAL NOT NULL,
  model           TEXT,
  calls           INTEGER NOT NULL,
  started_at      TEXT NOT NULL,
  finished_at     TEXT,
  duration_ms     REAL,
  workspace_after TEXT                -- JSON WorkspaceSnapshot
);
CREATE INDEX attempts_run_node ON attempts (run_id, node_id);
CREATE INDEX attempts_node ON attempts (node_id);

CREATE TABLE cache_entries (
  key             TEXT PRIMARY KEY,
  kind            TEXT NOT NULL,
  node_id         TEXT NOT NULL,
  ingredients     TEXT NOT NULL,      -- JSON KeyIngredients
  output          TEXT NOT NULL,      -- JSON
  output_hash     TEXT NOT NULL,
  input_tokens    INTEGER NOT NULL,
  output_tokens   INTEGER NOT NULL,
  cost_usd        REAL NOT NULL,
  model           TEXT,
  calls           INTEGER NOT NULL,
  workspace_after TEXT,               -- JSON WorkspaceSnapshot
  created_at      TEXT NOT NULL
);

CREATE TABLE decisions (
  run_id   TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  node_id  TEXT NOT NULL,
  decision TEXT NOT NULL,
  by       TEXT NOT NULL,
  at       TEXT NOT NULL,
  comment  TEXT,
  PRIMARY KEY (run_id, node_id)
);
`,
  },
  {
    version: 2,
    name: 'blobs-and-lean-attempts',
    // Rebuilds `attempts` and `cache_entries` (https://www.sqlite.org/lang_altertable.html#otheralter:
    // create the new table, copy, drop the old, rename) because SQLite cannot drop AUTOINCREMENT or
    // NOT NULL in place. Rows keep their seq and content; large outputs written before this
    // migration stay inline (reads handle both).
    sql: `
CREATE TABLE blobs (
  hash TEXT PRIMARY KEY,              -- SHA-256 hex of data
  size INTEGER NOT NULL,              -- bytes of data
  data BLOB NOT NULL                  -- canonical JSON text (RFC 8785), UTF-8
);

-- seq without AUTOINCREMENT: a new row gets max(seq) + 1, still increasing in creation order
-- because attempts are never deleted one by one (https://www.sqlite.org/autoinc.html), and an
-- insert no longer rewrites the sqlite_sequence page (one page write less per attempt).
CREATE TABLE attempts_v2 (
  seq             INTEGER PRIMARY KEY,
  run_id          TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  node_id         TEXT NOT NULL,
  number          INTEGER NOT NULL,
  status          TEXT NOT NULL,
  cache_key       TEXT NOT NULL,
  ingredients     TEXT NOT NULL,      -- JSON KeyIngredients
  output          TEXT,               -- JSON, when at most BLOB_THRESHOLD_BYTES
  output_blob     TEXT REFERENCES blobs(hash), -- else the blob holding it
  output_hash     TEXT,
  error           TEXT,               -- JSON ErrorRecord
  suspend_reason  TEXT,
  input_tokens    INTEGER NOT NULL,
  output_tokens   INTEGER NOT NULL,
  cost_usd        REAL NOT NULL,
  model           TEXT,
  calls           INTEGER NOT NULL,
  started_at      TEXT NOT NULL,
  finished_at     TEXT,
  duration_ms     REAL,
  workspace_after TEXT,               -- JSON WorkspaceSnapshot
  CHECK (output IS NULL OR output_blob IS NULL)
);
INSERT INTO attempts_v2 (seq, run_id, node_id, number, status, cache_key, ingredients, output, output_hash, error,
    suspend_reason, input_tokens, output_tokens, cost_usd, model, calls, started_at, finished_at, duration_ms, workspace_after)
  SELECT seq, run_id, node_id, number, status, cache_key, ingredients, output, output_hash, error,
    suspend_reason, input_tokens, output_tokens, cost_usd, model, calls, started_at, finished_at, duration_ms, workspace_after
  FROM attempts;
DROP TABLE attempts;
ALTER TABLE attempts_v2 RENAME TO attempts;
CREATE INDEX attempts_run_node ON attempts (run_id, node_id);
CREATE INDEX attempts_node ON attempts (node_id);

CREATE TABLE cache_entries_v2 (
  key             TEXT PRIMARY KEY,
  kind            TEXT NOT NULL,
  node_id         TEXT NOT NULL,
  ingredients     TEXT NOT NULL,      -- JSON KeyIngredients
  output          TEXT,               -- JSON, when at most BLOB_THRESHOLD_BYTES
  output_blob     TEXT REFERENCES blobs(hash), -- else the blob holding it
  output_hash     TEXT NOT NULL,
  input_tokens    INTEGER NOT NULL,
  output_tokens   INTEGER NOT NULL,
  cost_usd        REAL NOT NULL,
  model           TEXT,
  calls           INTEGER NOT NULL,
  workspace_after TEXT,               -- JSON WorkspaceSnapshot
  created_at      TEXT NOT NULL,
  CHECK ((output IS NULL) <> (output_blob IS NULL))
);
INSERT INTO cache_entries_v2 (key, kind, node_id, ingredients, output, output_hash, input_tokens, output_tokens, cost_usd,
    model, calls, workspace_after, created_at)
  SELECT key, kind, node_id, ingredients, output, output_hash, input_tokens, output_tokens, cost_usd,
    model, calls, workspace_after, created_at
  FROM cache_entries;
DROP TABLE cache_entries;
ALTER TABLE cache_entries_v2 RENAME TO cache_entries;
`,
  },
  {
    version: 3,
    name: 'context-overrides',
    // Manual pins and excludes of a task's context (DESIGN.md §7), kept until changed. The
    // foreign key ties a row to its task (tasks are upserted, never deleted one by one, so a
    // re-saved plan keeps its overrides) and turns a write for an unknown task into an error.
    sql: `
CREATE TABLE context_overrides (
  plan_id    TEXT NOT NULL,
  task_id    TEXT NOT NULL,
  pins       TEXT NOT NULL,           -- JSON string[]: paths, globs or task ids
  excludes   TEXT NOT NULL,           -- JSON string[]
  updated_at TEXT NOT NULL,
  PRIMARY KEY (plan_id, task_id),
  FOREIGN KEY (plan_id, task_id) REFERENCES tasks (plan_id, id) ON DELETE CASCADE
);
`,
  },
  {
    version: 4,
    name: 'run-lease-and-sessions',
    // DESIGN.md §6: one process owns a run through its lease (one row per run while held; the
    // holder's random token fences heartbeat and release); one row per session of the run (the
    // process that started it and each that continued it). `run_nodes.started_at` holds when a
    // `running` node's attempt started, so `status` can show its elapsed time; NULL otherwise.
    sql: `
CREATE TABLE run_leases (
  run_id       TEXT PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE,
  token        TEXT NOT NULL,
  pid          INTEGER NOT NULL,
  host         TEXT NOT NULL,
  acquired_at  TEXT NOT NULL,
  heartbeat_at TEXT NOT NULL
);

CREATE TABLE run_sessions (
  run_id     TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  number     INTEGER NOT NULL,          -- 1-based, in start order
  command    TEXT NOT NULL,
  pid        INTEGER NOT NULL,
  host       TEXT NOT NULL,
  started_at TEXT NOT NULL,
  ended_at   TEXT,
  outcome    TEXT,                      -- succeeded | failed | suspended | interrupted; NULL while running or when killed
  reason     TEXT,
  PRIMARY KEY (run_id, number)
);

ALTER TABLE run_nodes ADD COLUMN started_at TEXT;
`,
  },
  {
    version: 5,
    name: 'audit-log',
    // Issue 11: who decided what (refused commands, commands allowed unlisted; later approvals,
    // answers, plan edits). Append-only. `run_id` has no foreign key: an entry outlives its run
    // and may belong to none (init's probe). `at` is ms since the epoch; `risk` 0-100 or NULL.
    sql: `
CREATE TABLE audit (
  id      INTEGER PRIMARY KEY AUTOINCREMENT,
  run_id  TEXT,
  at      INTEGER NOT NULL,
  who     TEXT NOT NULL,
  kind    TEXT NOT NULL,
  subject TEXT NOT NULL,
  risk    INTEGER CHECK (risk IS NULL OR (risk BETWEEN 0 AND 100)),
  reason  TEXT NOT NULL,
  details TEXT NOT NULL            -- JSON object, secrets redacted
);
CREATE INDEX audit_by_run ON audit (run_id, id);
`,
  },
  {
    version: 6,
    name: 'plan-versions',
    // Issue 11, plan review: every edit of a plan's tasks (`taskgraph task add|rm|update|move`,
    // `link add|rm ... requires`) stores the whole task list as a new version; version 1 is the
    // planner's output. `snapshot` is JSON `{ tasks, leaves }` (tasks without their notes).
    // A version is approved once `approved_by`/`approved_at` are set (`taskgraph plan approve`).
    sql: `
CREATE TABLE plan_versions (
  plan_id     TEXT NOT NULL REFERENCES plans(id) ON DELETE CASCADE,
  version     INTEGER NOT NULL CHECK (version >= 1),
  created_at  TEXT NOT NULL,
  by          TEXT NOT NULL,
  summary     TEXT NOT NULL,
  snapshot    TEXT NOT NULL,
  approved_by TEXT,
  approved_at TEXT,
  PRIMARY KEY (plan_id, version)
);
`,
  },
  {
    version: 7,
    name: 'task-worktrees',
    // issue 10: a task of a run with taskConcurrency > 1 works in a worktree of its own on a task
    // branch, and is integrated onto the run branch once it passed; resume finds both here
    sql: `
ALTER TABLE run_tasks ADD COLUMN worktree TEXT;
ALTER TABLE run_tasks ADD COLUMN branch TEXT;
ALTER TABLE run_tasks ADD COLUMN integrated_commit TEXT;
`,
  },
  {
    version: 8,
    name: 'decision-subject',
    // Issue 11, diff-scoped approval: what a decision is about (the sha256 of the diff an `apply`
    // node asked about). A decision about another subject of the same node (an earlier attempt's
    // diff) is superseded by a new one; NULL for `approval`/`human` nodes.
    sql: `ALTER TABLE decisions ADD COLUMN subject TEXT;`,
  },
  {
    version: 9,
    name: 'run-events',
    // Issue 12, live run events: an append-only log of what the engine told its observers (node
    // and task status changes, log lines, approvals requested), read by `GET /runs/:id/events`.
    // `seq` is the event id: AUTOINCREMENT never reuses a value, and SQLite has one writer at a
    // time, so a reader polling `seq > last` sees every committed event exactly once, in order.
    // `data` is the event's JSON (secrets redacted); `at` is ms since the Unix epoch.
    sql: `
CREATE TABLE run_events (
  seq     INTEGER PRIMARY KEY AUTOINCREMENT,
  run_id  TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  at      INTEGER NOT NULL,
  type    TEXT NOT NULL,
  node_id TEXT,
  data    TEXT NOT NULL
);
CREATE INDEX run_events_by_run ON run_events (run_id, seq);
`,
  },
  {
    version: 10,
    name: 'webhook-deliveries',
    // Issue 13, webhooks: the outbox. One row per event and receiver, written when the event
    // happens; the delivery worker POSTs rows whose next_at (ms since the Unix epoch) has come
    // and records each attempt. status: pending | delivered | failed. body is JSON text, redacted.
    sql: `
CREATE TABLE webhook_deliveries (
  id         TEXT PRIMARY KEY,
  url        TEXT NOT NULL,
  event      TEXT NOT NULL,
  body       TEXT NOT NULL,
  attempts   INTEGER NOT NULL DEFAULT 0,
  next_at    INTEGER NOT NULL,
  status     TEXT NOT NULL DEFAULT 'pending',
  last_error TEXT,
  created_at INTEGER NOT NULL
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_at);
`,
  },
  {
    version: 11,
    name: 'library',
    // Issue 14, the library (src/library/): versioned prompts and templates. body is the item
    // document as JSON text (what its YAML file holds); tags a JSON string[]; created_at ISO-8601.
    // library_fts is an FTS5 index (https://www.sqlite.org/fts5.html) kept in step with
    // library_items by the library code, in the same transaction; its rowid is the item's rowid.
    // text is a prompt's text, or a template's whole body as JSON text. porter stems English words.
    sql: `
CREATE TABLE library_items (
  kind        TEXT NOT NULL CHECK (kind IN ('prompt', 'template')),
  name        TEXT NOT NULL,
  version     INTEGER NOT NULL CHECK (version >= 1),
  description TEXT NOT NULL,
  tags        TEXT NOT NULL,
  body        TEXT NOT NULL,
  created_at  TEXT NOT NULL,
  UNIQUE (kind, name, version)
);
CREATE VIRTUAL TABLE library_fts USING fts5(name, description, tags, text, tokenize = 'porter unicode61');
`,
  },
];

/**
 * Applies pending {@link MIGRATIONS} to `db` in version order, each in its own `BEGIN IMMEDIATE`
 * transaction (so two processes migrating at once serialise; the loser sees the version applied
 * and skips it). Idempotent.
 * @param db an open better-sqlite3 connection
 * @param path the database path, for error messages
 * @param migrations the migrations to apply (default all; a prefix lets tests build an older schema)
 * @throws TaskgraphError STORE_ERROR when the database holds a version newer than the newest
 *   known migration (written by a newer taskgraph)
 * @throws SqliteError when a migration's SQL fails (the caller wraps it)
 */
export function applyMigrations(db: Database.Database, path: string, migrations: readonly Migration[] = MIGRATIONS): void {
  db.exec(SCHEMA_MIGRATIONS_SQL);
  const latest = MIGRATIONS.at(-1)?.version ?? 0;
  const newestApplied = db.prepare('SELECT max(version) AS v FROM schema_migrations');
  const isApplied = db.prepare('SELECT 1 FROM schema_migrations WHERE version = ?');
  const record = db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)');
  const apply = db.transaction((migration: Migration) => {
    const newest = (newestApplied.get() as { v: number | null }).v ?? 0;
    if (newest > latest) {
      throw new TaskgraphError('STORE_ERROR', `database ${path} has schema version ${newest}; this taskgraph knows up to ${latest}`, {
        details: { path, version: newest, known: latest },
        hint: 'upgrade taskgraph, or use a different project directory',
      });
    }
    if (isApplied.get(migration.version)) return;
    db.exec(migration.sql);
    record.run(migration.version, migration.name, new Date().toISOString());
  });
  for (const migration of migrations) apply.immediate(migration);
}
