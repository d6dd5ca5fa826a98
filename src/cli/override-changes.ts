import { posix } from 'node:path';
import { TaskgraphError } from '../core/errors.js';
import type { ContextOverrides } from '../store/store.js';

/**
 * How `taskgraph context preview --pin/--exclude/--unpin/--unexclude` change a task's stored
 * context overrides (DESIGN.md §7 "manual pins"). Pure.
 */

/** The flags of one `context preview` call. */
export interface OverrideChanges {
  /** paths, globs or task ids to pin (each also leaves `excludes`) */
  pin?: readonly string[];
  /** paths, globs or task ids to exclude (each also leaves `pins`) */
  exclude?: readonly string[];
  /** entries to drop from `pins` */
  unpin?: readonly string[];
  /** entries to drop from `excludes` */
  unexclude?: readonly string[];
}

/** Whether any change is requested. */
export function hasOverrideChanges(changes: OverrideChanges): boolean {
  return [changes.pin, changes.exclude, changes.unpin, changes.unexclude].some((list) => (list?.length ?? 0) > 0);
}

/**
 * Normalises one entry: task ids of the plan are kept as they are; anything else is taken as a
 * repository-relative path or glob (`./a/../b.md` becomes `b.md`).
 * @param taskIds the plan's task ids
 * @throws TaskgraphError CONFIG_INVALID for an empty entry, an absolute path or one leaving the
 *   repository (`..`): the bundle only reads files inside the project
 */
export function normaliseEntry(entry: string, taskIds: ReadonlySet<string>): string {
  const text = entry.trim();
  if (taskIds.has(text)) return text;
  const path = posix.normalize(text.replaceAll('\\', '/'));
  if (text === '' || path === '.' || path.startsWith('/') || /^[A-Za-z]:\//.test(path) || path === '..' || path.startsWith('../')) {
    throw new TaskgraphError('CONFIG_INVALID', `"${entry}" is not a task id of the plan nor a path inside the project`, {
      hint: 'pin or exclude a task id, or a repository-relative path or glob such as README.md or docs/**/*.md',
    });
  }
  return path;
}

/**
 * Applies `changes` to `current`: first `--unpin`/`--unexclude`, then each pin (added to `pins`
 * if absent, removed from `excludes`), then each exclude (the reverse). Order of first mention is
 * kept; nothing is duplicated.
 * @param current the stored overrides
 * @param changes the flags
 * @param taskIds the plan's task ids (entries equal to one are kept verbatim)
 * @returns the new overrides and the unpin/unexclude entries that were not there (to warn about)
 * @throws TaskgraphError CONFIG_INVALID when one entry is both pinned and excluded in the same
 *   call, or an entry is not a task id nor a project-relative path ({@link normaliseEntry})
 */
export function applyOverrideChanges(
  current: ContextOverrides,
  changes: OverrideChanges,
  taskIds: ReadonlySet<string>,
): { overrides: ContextOverrides; notPresent: string[] } {
  const norm = (list: readonly string[] | undefined) => (list ?? []).map((e) => normaliseEntry(e, taskIds));
  const pin = norm(changes.pin);
  const exclude = norm(changes.exclude);
  const both = pin.filter((p) => exclude.includes(p));
  if (both.length > 0) {
    throw new TaskgraphError('CONFIG_INVALID', `${both.join(', ')} cannot be pinned and excluded at once`, {
      hint: 'pass each entry to either --pin or --exclude',
    });
  }
  const pins = [...current.pins];
  const excludes = [...current.excludes];
  const notPresent: string[] = [];
  const drop = (list: string[], entry: string): boolean => {
    const i = list.indexOf(entry);
    if (i >= 0) list.splice(i, 1);
    return i >= 0;
  };
  for (const e of norm(changes.unpin)) if (!drop(pins, e)) notPresent.push(`${e} (not pinned)`);
  for (const e of norm(changes.unexclude)) if (!drop(excludes, e)) notPresent.push(`${e} (not excluded)`);
  for (const e of pin) {
    drop(excludes, e);
    if (!pins.includes(e)) pins.push(e);
  }
  for (const e of exclude) {
    drop(pins, e);
    if (!excludes.includes(e)) excludes.push(e);
  }
  return { overrides: { pins, excludes }, notPresent };
}
