import { randomBytes } from 'node:crypto';
import { existsSync, linkSync, mkdirSync, statSync, unlinkSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { TaskgraphError } from '../core/errors.js';

/**
 * Refuses a database file of 0 bytes. SQLite treats an empty file as a new, empty database and
 * would quietly start over; but taskgraph writes the header at once when it creates a store (the
 * `journal_mode = WAL` pragma writes page 1, 4,096 bytes), so an existing empty file is a store
 * that was truncated or replaced (a failed copy, a full disk, a sync tool), and its runs, plans
 * and cache are gone from it (issue 8 item 15). The person decides: restore it or delete it.
 * @param path database file path
 * @throws TaskgraphError STORE_ERROR naming the file and both ways out
 */
export function refuseEmptyFile(path: string): void {
  let size: number | undefined;
  try {
    size = statSync(path).size;
  } catch {
    return; // absent (a new store) or unreadable (SQLite reports it)
  }
  if (size !== 0) return;
  const wal = `${path}-wal`;
  const walNote = existsSync(wal) ? ` (${wal} is still there and may hold the latest changes)` : '';
  throw new TaskgraphError('STORE_ERROR', `open: the database file ${path} is empty (0 bytes): it holds no runs, plans or cache, so taskgraph will not use it as a store`, {
    details: { op: 'open', path },
    hint: `restore ${path} from a backup${walNote}; or, to start over with an empty store, delete it (the run history is lost)`,
  });
}

/**
 * Creates a new database file atomically: its header is written to a private temporary file in
 * the same directory (`journal_mode = WAL` writes page 1), which is then hard-linked to `path`.
 * A process that opens the store while another creates it thus never sees a 0-byte file, which
 * {@link refuseEmptyFile} would take for a truncated store (two `taskgraph do` started at once
 * on a new project did). When `path` appeared meanwhile (`EEXIST`), the other process's file is
 * used and the temporary one dropped.
 * @param path database file path (its directory exists)
 * @throws Error when the directory is not writable (the caller maps it with `toStoreError`)
 */
function createDatabaseFile(path: string): void {
  const tmp = `${path}.new-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    const db = new Database(tmp);
    try {
      db.pragma('journal_mode = WAL');
    } finally {
      db.close();
    }
    try {
      linkSync(tmp, path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  } finally {
    for (const f of [tmp, `${tmp}-wal`, `${tmp}-shm`]) {
      try {
        unlinkSync(f);
      } catch {
        // absent
      }
    }
  }
}

/**
 * Opens a better-sqlite3 connection for the store, creating parent directories, and sets its
 * pragmas.
 *
 * Pragmas, set once per connection (https://www.sqlite.org/pragma.html). Numbers quoted are
 * per-node costs measured on the development VM (2 shared vCPUs, ext4), 20,000
 * `recordFinishedAttempt` calls with a cache entry on a file database (`sqlite-store-perf.test.ts`
 * runs the same loop):
 * - `journal_mode = WAL`: readers do not block the writer; commits append to the `-wal` file.
 * - `synchronous = NORMAL`: in WAL mode the WAL is not fsynced on every commit, only at
 *   checkpoints. Per https://www.sqlite.org/pragma.html#pragma_synchronous, "WAL mode is always
 *   consistent with synchronous=NORMAL": a committed transaction survives a crash of the
 *   process (kill -9), because its pages are already in the OS's file cache; only an OS crash
 *   or power loss can roll back the last few transactions. It makes a commit ~10x cheaper
 *   than `FULL`, which the engine's per-node overhead budget (< 50 µs) needs.
 * - `wal_autocheckpoint = 10000` (pages, ~40 MiB; default 1000): the commit that takes the WAL
 *   past this many pages copies it back into the database file and fsyncs both
 *   (https://www.sqlite.org/wal.html#automatic_checkpoint). 10x fewer checkpoints mean 10x fewer
 *   fsyncs, and a page rewritten by many commits (index and rightmost table pages) is copied
 *   once per checkpoint; measured ~86 -> ~64 µs wall per node. The cost is a larger `-wal`
 *   file while running (deleted on close) and a longer WAL replay when a killed process's
 *   database is reopened (~40 MiB read, once).
 * - `journal_size_limit = 67108864` (64 MiB, https://www.sqlite.org/pragma.html#pragma_journal_size_limit):
 *   a WAL that grew past this (e.g. while a long read kept checkpoints from finishing) is
 *   truncated back to it after the next checkpoint instead of keeping its disk space.
 * - `temp_store = MEMORY` (https://www.sqlite.org/pragma.html#pragma_temp_store): sorts without
 *   an index (e.g. a run's attempts by seq) use memory, never temporary files.
 * - `foreign_keys = ON`: child rows (tasks, run nodes, attempts...) need their plan/run, and a
 *   row naming an output blob needs the blob. A write to a missing run fails on the foreign
 *   key and is reported `NOT_FOUND`, so no write first SELECTs its parent.
 * - `busy_timeout = 5000` (ms): wait up to 5 s for another process's write lock before
 *   failing with SQLITE_BUSY.
 * Left at their defaults, measured: `cache_size` (2 MiB; 32 MiB changed nothing for getCache
 * over 100,000 entries: the OS file cache serves the rest,
 * https://www.sqlite.org/pragma.html#pragma_cache_size) and `mmap_size` (0; 256 MiB made a
 * getCache miss 3.2 -> 5.4 µs, because every read transaction then stats the file to check the
 * mapped size (one extra syscall, seen with strace), and did not speed up writes, which go
 * through the WAL with write(): https://www.sqlite.org/mmap.html).
 *
 * @param path file path, or `':memory:'` (or `''`) for a private in-memory/temporary database
 * @returns the open connection
 * @throws TaskgraphError STORE_ERROR when the file exists but is empty (see {@link refuseEmptyFile})
 * @throws SqliteError / Error when the directory cannot be created or the file cannot be opened
 *   or is not a database (the caller maps it with `toStoreError`)
 */
export function openDatabase(path: string): Database.Database {
  if (path !== ':memory:' && path !== '') {
    mkdirSync(dirname(path), { recursive: true });
    if (!existsSync(path)) createDatabaseFile(path);
    refuseEmptyFile(path);
  }
  const db = new Database(path);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('wal_autocheckpoint = 10000');
    db.pragma('journal_size_limit = 67108864');
    db.pragma('temp_store = MEMORY');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
  } catch (error) {
    db.close();
    throw error;
  }
  return db;
}
