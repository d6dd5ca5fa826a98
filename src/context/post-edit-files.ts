import { applyPatch, parsePatch } from 'diff';

/**
 * The files as a failed attempt left them (issue 9 item 3). A retry's worktree is back at the
 * task's start, but the failure it follows happened after the attempt's edit was applied: its
 * `file:line` references and failing test names point into the edited files, and a test the
 * attempt added exists only there. Failure pins are therefore located in these texts: the
 * task-start text with the attempt's recorded diff (`git diff` of the worktree against the task's
 * start, see `attempt-edit.ts`) applied in memory with jsdiff's `applyPatch`.
 */

/** How a failed attempt's edit changed the files, as a reader over them. */
export interface PostEditFiles {
  /** repository-relative paths the edit changed or created (deleted files are left out) */
  readonly edited: ReadonlySet<string>;
  /** paths the edit created (absent at the task's start) */
  readonly created: readonly string[];
  /**
   * Reads a file as the attempt left it: the edited text for an edited path, else `read(path)`.
   * @throws Error when the file cannot be read, or was deleted by the edit
   */
  read(path: string): Promise<string>;
}

/** `a/x` / `b/x` as git writes them → `x`; `/dev/null` → undefined. */
function stripPrefix(name: string | undefined): string | undefined {
  if (!name || name === '/dev/null') return undefined;
  return name.replace(/^[ab]\//, '');
}

/**
 * The post-edit view of an applied attempt's diff over the task-start files.
 * A file whose patch does not apply (the diff was trimmed for the note, or the file changed since)
 * is read as it is now, so a pin can only fall back to today's text, never fail.
 * @param diff the recorded unified diff (multi-file, git format); unparsable text edits nothing
 * @param read reads a repository file at the task's start
 */
export function postEditFiles(diff: string, read: (path: string) => Promise<string>): PostEditFiles {
  const patches = (() => {
    try {
      return parsePatch(diff);
    } catch {
      return [];
    }
  })();
  const byPath = new Map<string, (typeof patches)[number]>();
  const deleted = new Set<string>();
  const created: string[] = [];
  for (const p of patches) {
    const after = stripPrefix(p.newFileName);
    const before = stripPrefix(p.oldFileName);
    if (!after) {
      if (before) deleted.add(before);
      continue;
    }
    if (p.hunks.length === 0) continue;
    byPath.set(after, p);
    if (!before) created.push(after);
  }
  const cache = new Map<string, Promise<string>>();
  return {
    edited: new Set(byPath.keys()),
    created,
    read(path: string): Promise<string> {
      if (deleted.has(path) && !byPath.has(path)) return Promise.reject(new Error(`${path} was deleted by the attempt`));
      const patch = byPath.get(path);
      if (!patch) return read(path);
      let text = cache.get(path);
      if (!text) {
        const isNew = created.includes(path);
        text = (isNew ? Promise.resolve('') : read(path)).then((before) => {
          const after = applyPatch(before, patch);
          return after === false ? (isNew ? Promise.reject(new Error(`${path}: the recorded diff does not apply`)) : before) : after;
        });
        cache.set(path, text);
      }
      return text;
    },
  };
}
