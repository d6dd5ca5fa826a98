import picomatch from 'picomatch';

/**
 * Pins and excludes (`taskgraph context preview TASK --pin X --exclude Y`): strings that name a
 * task id, a repository path, a directory or a glob. `task:ID` and `path:GLOB` force one reading;
 * without a prefix a string equal to a known task id is that task, anything else a path/glob.
 */

/** A parsed override string. */
export interface OverrideSpec {
  /** the string as given */
  raw: string;
  kind: 'task' | 'path' | 'any';
  value: string;
}

/** Parses `task:ID`, `path:GLOB` or a bare string. */
export function parseOverride(raw: string): OverrideSpec {
  const m = /^(task|path):(.+)$/.exec(raw.trim());
  if (m) return { raw, kind: m[1] as 'task' | 'path', value: (m[2] ?? '').trim() };
  return { raw, kind: 'any', value: raw.trim().replace(/^\.\//, '') };
}

/**
 * A path matcher for a path, directory or glob: `src/a.ts` matches itself, `src/legacy` (or
 * `src/legacy/`) matches everything under it, `src/**\/*.test.ts` matches as a glob (dot files too).
 */
export function pathMatcher(pattern: string): (path: string) => boolean {
  const p = pattern.replace(/\/+$/, '');
  if (picomatch.scan(p).isGlob) {
    const isMatch = picomatch(p, { dot: true });
    // unary on purpose: picomatch's matcher reads a 2nd argument (returnObject), which
    // Array.prototype.filter would fill with the index
    return (path) => isMatch(path);
  }
  return (path) => path === p || path.startsWith(`${p}/`);
}

/** Answers "is this excluded, and by which override?". */
export interface ExcludeMatcher {
  /** the override string that excludes `path`, if any */
  path(path: string): string | undefined;
  /** the override string that excludes task `id`, if any */
  task(id: string): string | undefined;
}

/** Builds the matcher of a list of exclude strings. */
export function excludeMatcher(excludes: string[]): ExcludeMatcher {
  const specs = excludes.filter((e) => e.trim()).map(parseOverride);
  const paths = specs.filter((s) => s.kind !== 'task').map((s) => ({ raw: s.raw, test: pathMatcher(s.value) }));
  const tasks = specs.filter((s) => s.kind !== 'path');
  return {
    path: (path) => paths.find((p) => p.test(path))?.raw,
    task: (id) => tasks.find((t) => t.value === id)?.raw,
  };
}

/** What one pin resolved to. */
export type ResolvedPin =
  | { pin: string; kind: 'files'; paths: string[] }
  | { pin: string; kind: 'task'; taskId: string }
  | { pin: string; kind: 'missing' };

/**
 * Resolves pins against the repository's files and the known task ids. A bare string equal to a
 * known task id is a task pin (as `taskgraph context preview --pin` stores it); else one that
 * matches files is a file pin; else it is missing. A non-glob path that is not in the repository
 * is also missing (it cannot be read).
 * @param repoFiles repository-relative paths
 * @param taskIds ids of tasks that can be pinned
 */
export function resolvePins(pins: string[], repoFiles: string[], taskIds: ReadonlySet<string>): ResolvedPin[] {
  const out: ResolvedPin[] = [];
  for (const raw of pins) {
    if (!raw.trim()) continue;
    const spec = parseOverride(raw);
    if (spec.kind === 'any' && taskIds.has(spec.value)) {
      out.push({ pin: raw, kind: 'task', taskId: spec.value });
      continue;
    }
    if (spec.kind !== 'task') {
      const test = pathMatcher(spec.value);
      const paths = repoFiles.filter(test).sort();
      if (paths.length > 0) {
        out.push({ pin: raw, kind: 'files', paths });
        continue;
      }
    }
    if (spec.kind !== 'path' && taskIds.has(spec.value)) out.push({ pin: raw, kind: 'task', taskId: spec.value });
    else out.push({ pin: raw, kind: 'missing' });
  }
  return out;
}
