import { z } from 'zod';
import { TaskgraphError } from '../core/errors.js';
import type { Json } from '../core/json.js';

/**
 * The library (DESIGN.md §1 "template", "prompt"; issue 14): versioned, tagged, searchable
 * reusable items kept in the project's store database. Two kinds share one table and one
 * full-text index: `prompt` (this folder's `prompt-*.ts`) and `template` (`template-*.ts`).
 *
 * An item's `body` is the item document exactly as its YAML file holds it
 * (`<name>@<version>.yaml`, see `library-files.ts`): `kind`, `name`, `version`, `description`,
 * `tags`, plus the kind's own fields (`variables` and `text` for a prompt; `parameters`,
 * `variants`, `graph` for a template). `description` and `tags` are copied out of it for search.
 */

/** The kinds of library item. */
export const LIBRARY_KINDS = ['prompt', 'template'] as const;

/** `prompt` or `template`. */
export type LibraryKind = (typeof LIBRARY_KINDS)[number];

/** A library item name: lowercase letters, digits, `.`, `_`, `-`; starts with a letter or digit. */
export const ITEM_NAME_PATTERN = /^[a-z0-9][a-z0-9._-]*$/;

/** One stored version of one item. */
export interface LibraryItem {
  kind: LibraryKind;
  name: string;
  /** positive integer; (kind, name, version) is unique */
  version: number;
  /** one line */
  description: string;
  tags: string[];
  /** the item document (see the module comment) */
  body: Json;
  /** ISO-8601 time the version was added to this library */
  createdAt: string;
}

/** What {@link Library.add} takes: an item without its `createdAt`. */
export type LibraryItemInput = Omit<LibraryItem, 'createdAt'>;

/** How {@link Library.search} combines the tags it is given. */
export type TagMode = 'all' | 'any';

/** A search over the library. */
export interface LibrarySearch {
  /** only this kind (default both) */
  kind?: LibraryKind;
  /** words to find in name, description, tags and text (FTS5, bm25 ranking) */
  text?: string;
  /** tags to match, compared case-insensitively */
  tags?: string[];
  /** `all` (default): an item must carry every tag; `any`: at least one, more ranks higher */
  tagMode?: TagMode;
  /** every version, not only the newest of each name (default false) */
  allVersions?: boolean;
  /** at most this many hits (default 20) */
  limit?: number;
}

/** One search result, best first. */
export interface LibraryHit {
  item: LibraryItem;
  /** higher is better: the text score (negated bm25) plus {@link TAG_BOOST} per tag matched */
  score: number;
  /** the asked-for tags the item carries */
  matchedTags: string[];
}

/**
 * Rank added per matched tag. bm25 scores of a short library are ~1-10 per matched word, so one
 * tag counts about as much as a word found in a name.
 */
export const TAG_BOOST = 2;

/** A listing filter. */
export interface LibraryListQuery {
  kind?: LibraryKind;
  /** every version, not only the newest of each name (default false) */
  allVersions?: boolean;
  /** only this name */
  name?: string;
}

/**
 * The library store. Implemented over SQLite (`sqlite-library.ts`) in the project's database
 * (store migration 11). Every method that writes commits one transaction (all or nothing).
 */
export interface Library {
  /**
   * Adds items (one transaction). Re-adding an identical version is a no-op (so imports are
   * idempotent); a different item under an existing (kind, name, version) is refused.
   * @returns the items as stored
   * @throws TaskgraphError CONFIG_INVALID (invalid item, version taken by a different item; nothing written)
   */
  add(items: readonly LibraryItemInput[]): Promise<LibraryItem[]>;
  /**
   * Removes one version, or every version of the name when `version` is undefined.
   * @returns how many versions were removed
   * @throws TaskgraphError NOT_FOUND when nothing matched
   */
  remove(kind: LibraryKind, name: string, version?: number): Promise<number>;
  /** One item: the given version, or the newest when `version` is undefined. */
  get(kind: LibraryKind, name: string, version?: number): Promise<LibraryItem | undefined>;
  /** Items ordered by kind, name, version (newest of each name only, unless `allVersions`). */
  list(query?: LibraryListQuery): Promise<LibraryItem[]>;
  /** Ranked search (see {@link LibrarySearch}). */
  search(query: LibrarySearch): Promise<LibraryHit[]>;
  close(): Promise<void>;
}

/** A reference `name@version` or `name` (newest). */
export interface ItemRef {
  name: string;
  version?: number;
}

/**
 * Parses `name@version` or `name`.
 * @throws TaskgraphError CONFIG_INVALID for a bad name or a version that is not a positive integer
 */
export function parseItemRef(ref: string): ItemRef {
  const at = ref.lastIndexOf('@');
  const name = at < 0 ? ref : ref.slice(0, at);
  const versionText = at < 0 ? undefined : ref.slice(at + 1);
  if (!ITEM_NAME_PATTERN.test(name) || (versionText !== undefined && !/^[1-9][0-9]*$/.test(versionText))) {
    throw new TaskgraphError('CONFIG_INVALID', `bad library reference "${ref}"`, {
      details: { ref },
      hint: 'write name@version (e.g. code-review.system@2) or a name alone for its newest version; names use a-z, 0-9, ".", "_", "-"',
    });
  }
  return versionText === undefined ? { name } : { name, version: Number(versionText) };
}

/** `name@version`. */
export function formatItemRef(item: { name: string; version: number }): string {
  return `${item.name}@${item.version}`;
}

/** The generic shape every item document has (its kind's own fields pass through). */
export const ItemDocumentSchema = z
  .object({
    kind: z.enum(LIBRARY_KINDS),
    name: z.string().regex(ITEM_NAME_PATTERN, 'use a-z, 0-9, ".", "_", "-", starting with a letter or digit'),
    version: z.number().int().positive(),
    description: z.string().min(1).refine((d) => !d.includes('\n'), 'one line'),
    tags: z.array(z.string().min(1)),
  })
  .passthrough();

/**
 * Checks a kind's body further (a template's parameters, variants and graph): throws a
 * TaskgraphError (CONFIG_INVALID) saying what is wrong. Registered by the kind's own code.
 */
export type ItemValidator = (body: Json) => void;

const validators = new Map<LibraryKind, ItemValidator>();

/**
 * Registers the validator of a kind's bodies, called by {@link toLibraryItem} for every item
 * added (so an invalid item is never stored). The prompt kind registers `prompt-format.ts`; the
 * templates code registers its own. A second registration replaces the first.
 */
export function registerItemValidator(kind: LibraryKind, fn: ItemValidator): void {
  validators.set(kind, fn);
}

/**
 * Validates an item document (the generic shape, then its kind's registered validator) and
 * returns the item it describes.
 * @param doc a parsed YAML/JSON document
 * @param source where it came from, for messages (a file path, `--file`)
 * @throws TaskgraphError CONFIG_INVALID naming the problems
 */
export function toLibraryItem(doc: unknown, source: string): LibraryItemInput {
  const parsed = ItemDocumentSchema.safeParse(doc);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(document)'}: ${i.message}`).join('; ');
    throw new TaskgraphError('CONFIG_INVALID', `${source}: not a library item (${problems})`, {
      details: { source, problems: parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })) },
      hint: 'a library item has kind (prompt|template), name, version (a positive integer), a one-line description and tags',
    });
  }
  const body = doc as Json;
  validators.get(parsed.data.kind)?.(body);
  return { kind: parsed.data.kind, name: parsed.data.name, version: parsed.data.version, description: parsed.data.description, tags: parsed.data.tags, body };
}
