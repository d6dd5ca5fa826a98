import type Database from 'better-sqlite3';
import { TaskgraphError } from '../core/errors.js';
import { canonicalJson } from '../core/hash.js';
import type { Json } from '../core/json.js';
import { applyMigrations } from '../store/migrations.js';
import { openDatabase } from '../store/sqlite-open.js';
import { toStoreError } from '../store/sqlite-errors.js';
import {
  formatItemRef,
  type Library,
  type LibraryHit,
  type LibraryItem,
  type LibraryItemInput,
  type LibraryKind,
  type LibraryListQuery,
  type LibrarySearch,
  TAG_BOOST,
  toLibraryItem,
} from './library.js';
import './prompt-format.js'; // registers the prompt validator

/**
 * The {@link Library} over SQLite, in the project's store database (store migration 11:
 * `library_items` plus the FTS5 table `library_fts`). It opens its own connection to the file
 * (WAL: it and the store's connection do not block each other's reads).
 *
 * Search ranking: FTS5's bm25 (https://www.sqlite.org/fts5.html#the_bm25_function) with column
 * weights name 4, tags 3, description 2, text 1 (a word in a name says more than one in a long
 * text), negated so higher is better, plus {@link TAG_BOOST} per asked-for tag the item carries.
 */

/** Column weights given to `bm25()`: name, description, tags, text (the FTS column order). */
export const BM25_WEIGHTS = [4, 2, 3, 1] as const;

interface ItemRow {
  rowid: number;
  kind: LibraryKind;
  name: string;
  version: number;
  description: string;
  tags: string;
  body: string;
  created_at: string;
}

/** Options of {@link SqliteLibrary.open}. */
export interface OpenLibraryOptions {
  /**
   * items every library holds (the bundled prompts, `bundled-library.ts`): added when absent,
   * and rewritten when the stored copy of that same version differs (a bundled version belongs
   * to taskgraph; a project overrides it by adding a newer version)
   */
  seed?: readonly LibraryItemInput[];
  /** clock for `createdAt` (tests) */
  now?: () => Date;
}

/** The SQLite library. */
export class SqliteLibrary implements Library {
  private readonly now: () => Date;

  private constructor(
    private readonly db: Database.Database,
    private readonly path: string,
    options: OpenLibraryOptions,
  ) {
    this.now = options.now ?? (() => new Date());
  }

  /**
   * Opens the library in the database at `path` (the project's `.taskgraph/taskgraph.db`, or
   * `:memory:`), applies pending store migrations and adds the seed items.
   * @throws TaskgraphError STORE_ERROR when the file cannot be opened or migrated
   */
  static open(path: string, options: OpenLibraryOptions = {}): SqliteLibrary {
    let db: Database.Database | undefined;
    try {
      db = openDatabase(path);
      applyMigrations(db, path);
      const library = new SqliteLibrary(db, path, options);
      if (options.seed && options.seed.length > 0) library.seed(options.seed);
      return library;
    } catch (error) {
      db?.close();
      throw toStoreError(error, { op: 'library open', path });
    }
  }

  private seed(items: readonly LibraryItemInput[]): void {
    const find = this.db.prepare('SELECT rowid, body FROM library_items WHERE kind = ? AND name = ? AND version = ?');
    const stale = items.filter((item) => {
      const row = find.get(item.kind, item.name, item.version) as { body: string } | undefined;
      return row === undefined || row.body !== canonicalJson(item.body);
    });
    if (stale.length === 0) return;
    this.db.transaction(() => {
      for (const item of stale) {
        this.deleteRows(item.kind, item.name, item.version);
        this.insert(toLibraryItem(item.body, formatItemRef(item)));
      }
    }).immediate();
  }

  private insert(item: LibraryItemInput): LibraryItem {
    const createdAt = this.now().toISOString();
    const body = canonicalJson(item.body);
    const info = this.db
      .prepare('INSERT INTO library_items (kind, name, version, description, tags, body, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(item.kind, item.name, item.version, item.description, JSON.stringify(item.tags), body, createdAt);
    this.db.prepare('INSERT INTO library_fts (rowid, name, description, tags, text) VALUES (?, ?, ?, ?, ?)').run(info.lastInsertRowid, item.name, item.description, item.tags.join(' ; '), searchText(item));
    return { ...item, createdAt };
  }

  private deleteRows(kind: LibraryKind, name: string, version?: number): number {
    const rows = (
      version === undefined
        ? this.db.prepare('SELECT rowid FROM library_items WHERE kind = ? AND name = ?').all(kind, name)
        : this.db.prepare('SELECT rowid FROM library_items WHERE kind = ? AND name = ? AND version = ?').all(kind, name, version)
    ) as Array<{ rowid: number }>;
    const dropItem = this.db.prepare('DELETE FROM library_items WHERE rowid = ?');
    const dropText = this.db.prepare('DELETE FROM library_fts WHERE rowid = ?');
    for (const { rowid } of rows) {
      dropItem.run(rowid);
      dropText.run(rowid);
    }
    return rows.length;
  }

  private guard<T>(op: string, fn: () => T): Promise<T> {
    try {
      return Promise.resolve(fn());
    } catch (error) {
      return Promise.reject(toStoreError(error, { op, path: this.path }));
    }
  }

  add(items: readonly LibraryItemInput[]): Promise<LibraryItem[]> {
    return this.guard('library add', () => {
      const checked = items.map((i) => {
        const item = toLibraryItem(i.body, formatItemRef(i));
        if (item.kind !== i.kind || item.name !== i.name || item.version !== i.version) {
          throw new TaskgraphError('CONFIG_INVALID', `library item ${i.kind} ${formatItemRef(i)}: its body says ${item.kind} ${formatItemRef(item)}`, {
            hint: 'kind, name and version must be those of the document',
          });
        }
        return item;
      });
      const seen = new Set<string>();
      for (const item of checked) {
        const key = `${item.kind} ${formatItemRef(item)}`;
        if (seen.has(key)) throw new TaskgraphError('CONFIG_INVALID', `library item ${key} is given twice`, { hint: 'give each version once' });
        seen.add(key);
      }
      const find = this.db.prepare('SELECT * FROM library_items WHERE kind = ? AND name = ? AND version = ?');
      return this.db.transaction(() =>
        checked.map((item) => {
          const row = find.get(item.kind, item.name, item.version) as ItemRow | undefined;
          if (row) {
            if (row.body === canonicalJson(item.body)) return rowToItem(row);
            const newest = (this.db.prepare('SELECT max(version) AS v FROM library_items WHERE kind = ? AND name = ?').get(item.kind, item.name) as { v: number }).v;
            throw new TaskgraphError('CONFIG_INVALID', `${item.kind} ${formatItemRef(item)} already exists with different content`, {
              details: { kind: item.kind, name: item.name, version: item.version, newest },
              hint: `a stored version never changes: add it as version ${newest + 1}`,
            });
          }
          return this.insert(item);
        }),
      ).immediate();
    });
  }

  remove(kind: LibraryKind, name: string, version?: number): Promise<number> {
    return this.guard('library rm', () => {
      const n = this.db.transaction(() => this.deleteRows(kind, name, version)).immediate();
      if (n === 0) {
        throw new TaskgraphError('NOT_FOUND', `no ${kind} ${version === undefined ? name : `${name}@${version}`} in the library`, {
          details: { kind, name, version: version ?? null },
          hint: 'taskgraph library ls lists what the library holds',
        });
      }
      return n;
    });
  }

  get(kind: LibraryKind, name: string, version?: number): Promise<LibraryItem | undefined> {
    return this.guard('library show', () => {
      const row = (
        version === undefined
          ? this.db.prepare('SELECT rowid, * FROM library_items WHERE kind = ? AND name = ? ORDER BY version DESC LIMIT 1').get(kind, name)
          : this.db.prepare('SELECT rowid, * FROM library_items WHERE kind = ? AND name = ? AND version = ?').get(kind, name, version)
      ) as ItemRow | undefined;
      return row ? rowToItem(row) : undefined;
    });
  }

  list(query: LibraryListQuery = {}): Promise<LibraryItem[]> {
    return this.guard('library ls', () => this.rows(query).map(rowToItem));
  }

  private rows(query: LibraryListQuery, columns = 'i.rowid, i.*'): ItemRow[] {
    const where: string[] = [];
    const args: Array<string | number> = [];
    if (query.kind) {
      where.push('i.kind = ?');
      args.push(query.kind);
    }
    if (query.name) {
      where.push('i.name = ?');
      args.push(query.name);
    }
    if (!query.allVersions) where.push('i.version = (SELECT max(version) FROM library_items WHERE kind = i.kind AND name = i.name)');
    const sql = `SELECT ${columns} FROM library_items i ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY i.kind, i.name, i.version`;
    return this.db.prepare(sql).all(...args) as ItemRow[];
  }

  search(query: LibrarySearch): Promise<LibraryHit[]> {
    return this.guard('library search', () => {
      const wanted = [...new Set((query.tags ?? []).map((t) => t.trim().toLowerCase()).filter((t) => t !== ''))];
      const mode = query.tagMode ?? 'all';
      const match = ftsQuery(query.text ?? '');
      let textScores: Map<number, number> | undefined;
      if (match !== undefined) {
        const rows = this.db.prepare(`SELECT rowid, bm25(library_fts, ${BM25_WEIGHTS.join(', ')}) AS rank FROM library_fts WHERE library_fts MATCH ?`).all(match) as Array<{ rowid: number; rank: number }>;
        textScores = new Map(rows.map((r) => [r.rowid, -r.rank]));
      } else if ((query.text ?? '').trim() !== '') {
        return []; // words with no searchable character
      }
      // rank on the light columns; read (and parse) the bodies of the hits kept only
      const ranked: Array<{ rowid: number; name: string; version: number; score: number; matchedTags: string[] }> = [];
      for (const row of this.rows({ ...(query.kind ? { kind: query.kind } : {}), ...(query.allVersions ? { allVersions: true } : {}) }, 'i.rowid, i.name, i.version, i.tags')) {
        const tags = (JSON.parse(row.tags) as string[]).map((t) => t.toLowerCase());
        const matchedTags = wanted.filter((t) => tags.includes(t));
        if (wanted.length > 0 && (mode === 'all' ? matchedTags.length < wanted.length : matchedTags.length === 0)) continue;
        const text = textScores?.get(row.rowid);
        if (textScores && text === undefined) continue;
        ranked.push({ rowid: row.rowid, name: row.name, version: row.version, score: (text ?? 0) + TAG_BOOST * matchedTags.length, matchedTags });
      }
      ranked.sort((a, b) => b.score - a.score || a.name.localeCompare(b.name) || b.version - a.version);
      const byRowid = this.db.prepare('SELECT rowid, * FROM library_items WHERE rowid = ?');
      return ranked.slice(0, query.limit ?? 20).map(({ rowid, score, matchedTags }) => ({ item: rowToItem(byRowid.get(rowid) as ItemRow), score, matchedTags }));
    });
  }

  close(): Promise<void> {
    if (this.db.open) this.db.close();
    return Promise.resolve();
  }
}

/** The text indexed for an item: a prompt's `text`, a template's whole body as JSON. */
function searchText(item: LibraryItemInput): string {
  const body = item.body as { [k: string]: Json };
  return item.kind === 'prompt' && typeof body['text'] === 'string' ? body['text'] : JSON.stringify(item.body);
}

/**
 * An FTS5 query for free text: each word quoted (so FTS syntax in the text is taken literally),
 * joined with OR, so an item matching more of the words ranks higher. Undefined when the text
 * has no word.
 */
export function ftsQuery(text: string): string | undefined {
  const words = [...new Set(text.toLowerCase().match(/[\p{L}\p{N}_]+/gu) ?? [])];
  return words.length === 0 ? undefined : words.map((w) => `"${w}"`).join(' OR ');
}

function rowToItem(row: ItemRow): LibraryItem {
  return {
    kind: row.kind,
    name: row.name,
    version: row.version,
    description: row.description,
    tags: JSON.parse(row.tags) as string[],
    body: JSON.parse(row.body) as Json,
    createdAt: row.created_at,
  };
}
