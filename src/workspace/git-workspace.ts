import { copyFile, mkdir, mkdtemp, readFile, rm, rmdir, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { TaskgraphError } from '../core/errors.js';
import { secretRedactor } from '../security/redact.js';
import type { WorkspaceSnapshot } from '../store/store.js';
import { computeEdit, type FileChange } from './edit-apply.js';
import { editPaths, mapEditPaths, parseEdit } from './edit-format.js';
import { assertRevision, gitText, runGit } from './git-run.js';
import { normalizeRepoPath, resolveInside } from './safe-path.js';
import { addRunWorktree, attachRunWorktree, type AttachRunWorkspaceOptions, type CreateRunWorkspaceOptions } from './run-worktree.js';
import { commandFiles, protectedChanges, protectedError } from './protected-files.js';
import type { ApplyEditOptions, ApplyResult, Workspace } from './workspace.js';
import { Serial } from '../core/serial.js';

export {
  removeRunWorkspace,
  runBranchName,
  type AttachRunWorkspaceOptions,
  type CreateRunWorkspaceOptions,
  type RemoveRunWorkspaceOptions,
  type RunWorkspaceOptions,
} from './run-worktree.js';
export { runWorktreeDir } from './worktree-location.js';

/** Identity used for commits when git has no `user.name` / `user.email` configured. */
export const FALLBACK_IDENTITY = { name: 'taskgraph', email: 'taskgraph@localhost' } as const;

/**
 * `-c` options for commands that could run hooks or sign: taskgraph's checkpoint commits on a run
 * branch must not run the user's hooks (a `pre-commit` that rewrites files would change the
 * snapshot) nor wait for a GPG pass phrase.
 */
export const QUIET_GIT_CONFIG = ['-c', 'core.hooksPath=/dev/null', '-c', 'commit.gpgsign=false'] as const;

const OBJECT_ID = /^[0-9a-f]{40}([0-9a-f]{24})?$/;

function fileError(relPath: string, action: string, error: unknown): TaskgraphError {
  const reason = `cannot ${action} the file (${(error as Error).message})`;
  return new TaskgraphError('EDIT_REJECTED', `edit to ${relPath} does not apply: ${reason}`, {
    cause: error,
    details: { path: relPath, reason },
  });
}

/**
 * Refuses a change whose resulting file is larger than `limit` bytes (UTF-8), before anything is
 * written (issue 8 item 17: a 100 MB file was committed).
 * @throws TaskgraphError EDIT_REJECTED naming the file, its size and the limit
 */
export function checkSizes(changes: readonly FileChange[], limit: number): void {
  for (const change of changes) {
    if (change.after === null) continue;
    const bytes = Buffer.byteLength(change.after, 'utf8');
    if (bytes <= limit) continue;
    const reason = `the file would be ${bytes.toLocaleString('en-US')} bytes, over the limit of ${limit.toLocaleString('en-US')} bytes (policy.maxEditBytes)`;
    throw new TaskgraphError('EDIT_REJECTED', `edit to ${change.path} does not apply: ${reason}`, {
      details: { path: change.path, reason, bytes, limit },
      hint: 'keep generated or large files out of edits, or raise policy.maxEditBytes in taskgraph.yaml',
    });
  }
}

/**
 * A run's git worktree (DESIGN.md §2 step 3, §4 `apply`, §9). Create one with
 * `createRunWorkspace` / `openRunWorkspace`. Calls on one instance are serialised (each waits for
 * the previous one), so concurrent callers cannot race on the worktree's index.
 * Errors: TaskgraphError `GIT_ERROR` (message holds git's stderr), `EDIT_INVALID`,
 * `EDIT_REJECTED`, `PATH_OUTSIDE_WORKTREE`, `NOT_FOUND` (readFile of a missing file).
 */
export class GitWorkspace implements Workspace {
  readonly #jobs = new Serial();

  /**
   * @param dir absolute path of an existing git worktree
   * @param branch the branch checked out there, e.g. `taskgraph/r-20250101120000-a1b2c3`
   */
  constructor(
    readonly dir: string,
    readonly branch: string,
  ) {}

  #serial<T>(task: () => Promise<T>): Promise<T> {
    return this.#jobs.run(task);
  }

  /**
   * HEAD plus the tree of the working state: tracked files as they are on disk and untracked
   * files that are not ignored. Computed in a temporary index (`GIT_INDEX_FILE`): seeded with a
   * copy of the worktree's index (for its stat cache; the copy's mtime is set 1 s earlier so git's
   * racy-entry check re-hashes anything recently touched), `read-tree -m HEAD`, `add -A`,
   * `write-tree`. The worktree's own index and files are not modified; new blob/tree objects are
   * written to the object database so the snapshot can be restored later.
   * @throws TaskgraphError GIT_ERROR
   */
  snapshot(): Promise<WorkspaceSnapshot> {
    return this.#serial(() => this.#snapshot());
  }

  async #snapshot(): Promise<WorkspaceSnapshot> {
    // one git call for both: the index's path and HEAD (each call is a process)
    const [gitPath, head] = (await gitText(this.dir, ['rev-parse', '--git-path', 'index', '--verify', 'HEAD^{commit}'])).split('\n') as [string, string];
    const temp = await mkdtemp(path.join(tmpdir(), 'taskgraph-index-'));
    const index = path.join(temp, 'index');
    const env = { GIT_INDEX_FILE: index };
    try {
      let seeded = false;
      try {
        const real = path.resolve(this.dir, gitPath);
        const info = await stat(real);
        await copyFile(real, index);
        await utimes(index, info.atime, new Date(info.mtimeMs - 1000));
        seeded = true;
      } catch {
        seeded = false; // no index yet: start empty
      }
      try {
        await runGit(this.dir, ['read-tree', ...(seeded ? ['-m'] : []), 'HEAD'], { env });
      } catch (error) {
        if (!seeded) throw error;
        await rm(index, { force: true });
        await runGit(this.dir, ['read-tree', 'HEAD'], { env });
      }
      await runGit(this.dir, ['add', '-A'], { env });
      const tree = await gitText(this.dir, ['write-tree'], { env });
      return { head, tree };
    } finally {
      await rm(temp, { recursive: true, force: true });
    }
  }

  /**
   * Makes the worktree equal a snapshot. First checks that the commit and every object of the
   * tree exist (so a pruned snapshot fails before anything changes), then: `reset --hard <head>`
   * (moves this branch), `clean -fd` (drops untracked, non-ignored files), `read-tree --reset -u
   * <tree>` (writes the snapshot's files, removes files not in it), `reset -q` (index back to
   * HEAD, files kept, so the snapshot's changes show as uncommitted). Ignored files (e.g.
   * node_modules) are left alone. Afterwards `snapshot()` returns an equal snapshot.
   * @throws TaskgraphError GIT_ERROR for a malformed or missing commit/tree, or a failing git call
   */
  restore(snapshot: WorkspaceSnapshot): Promise<void> {
    return this.#serial(async () => {
      const { head, tree } = snapshot;
      if (!OBJECT_ID.test(head) || !OBJECT_ID.test(tree)) {
        throw new TaskgraphError('GIT_ERROR', `cannot restore snapshot: head "${head}" / tree "${tree}" are not object ids`, {
          details: { head, tree },
        });
      }
      const commit = await runGit(this.dir, ['cat-file', '-e', `${head}^{commit}`], { okCodes: [0, 1, 128] });
      if (commit.code !== 0) {
        throw new TaskgraphError('GIT_ERROR', `cannot restore snapshot: commit ${head} is not in the repository`, {
          details: { head, tree },
          hint: 'the commit was probably garbage-collected; run the node again instead of restoring it',
        });
      }
      const listed = await runGit(this.dir, ['rev-list', '--objects', '--missing=print', tree], { okCodes: [0, 128] });
      const missing = listed.stdout.split('\n').filter((line) => line.startsWith('?'));
      if (listed.code !== 0 || missing.length > 0) {
        throw new TaskgraphError('GIT_ERROR', `cannot restore snapshot: tree ${tree} is not complete in the repository`, {
          details: { head, tree, missing: missing.slice(0, 10), stderr: listed.stderr.trim() },
          hint: 'the objects were probably garbage-collected; run the node again instead of restoring it',
        });
      }
      await runGit(this.dir, ['reset', '-q', '--hard', head]);
      await runGit(this.dir, ['clean', '-q', '-fd']);
      await runGit(this.dir, ['read-tree', '--reset', '-u', tree]);
      await runGit(this.dir, ['reset', '-q']);
    });
  }

  /**
   * `git reset --hard <commit>` then `git clean -fd`: tracked files as in `commit`, untracked
   * non-ignored files removed, ignored files kept.
   * @param commit any revision naming a commit (sha, branch, tag)
   * @throws TaskgraphError GIT_ERROR when `commit` does not name a commit
   */
  resetTo(commit: string): Promise<void> {
    return this.#serial(async () => {
      assertRevision(commit, 'commit');
      const sha = await gitText(this.dir, ['rev-parse', '--verify', `${commit}^{commit}`]);
      await runGit(this.dir, ['reset', '-q', '--hard', sha]);
      await runGit(this.dir, ['clean', '-q', '-fd']);
    });
  }

  /**
   * The snapshot of a clean checkout of `commit`: `{ head: commit sha, tree: its tree }`. Lets a
   * caller record the state it is about to reset to *before* resetting (write, then act).
   * @throws TaskgraphError GIT_ERROR when `commit` does not name a commit
   */
  commitSnapshot(commit: string): Promise<WorkspaceSnapshot> {
    return this.#serial(async () => {
      assertRevision(commit, 'commit');
      const head = await gitText(this.dir, ['rev-parse', '--verify', `${commit}^{commit}`]);
      const tree = await gitText(this.dir, ['rev-parse', '--verify', `${head}^{tree}`]);
      return { head, tree };
    });
  }

  /**
   * Whether `ancestor` is `descendant` or one of its ancestors (`git merge-base --is-ancestor`).
   * A commit the repository does not have (a deleted and pruned branch) is no ancestor.
   * @param ancestor a commit sha (or another revision)
   * @param descendant a commit sha (or another revision)
   * @throws TaskgraphError GIT_ERROR for a revision that is not one (empty, option-like), or when git fails otherwise
   */
  async isAncestor(ancestor: string, descendant: string): Promise<boolean> {
    assertRevision(ancestor, 'commit');
    assertRevision(descendant, 'commit');
    // exit 0: yes; 1: no; 128: an unknown commit (nothing to build on either)
    return runGit(this.dir, ['merge-base', '--is-ancestor', ancestor, descendant], { okCodes: [0, 1, 128] }).then((r) => r.code === 0);
  }

  /**
   * Parses a model answer (unified diff, SEARCH/REPLACE blocks or whole files), checks every path
   * with `resolveInside`, computes all new contents in memory, checks them against `options`
   * (size limit, protected configuration) and only then writes them; a write failure rolls back
   * the files already written.
   * @returns the format, the repository-relative paths whose content changed (sorted; both
   *   paths of a rename) and the snapshot after the edit
   * @throws TaskgraphError EDIT_INVALID (no/malformed edit), PATH_OUTSIDE_WORKTREE,
   *   EDIT_REJECTED (`edit to <path> does not apply: <reason>`, details `{ path, reason }`; also a
   *   path with a control character or an option-like part, and a file over
   *   `options.maxEditBytes`), EDIT_PROTECTED (a protected file; details `{ path, paths, reason }`),
   *   GIT_ERROR (snapshot); on every error the worktree is unchanged
   */
  applyEdit(edit: string, options: ApplyEditOptions = {}): Promise<ApplyResult> {
    return this.#serial(async () => {
      const parsed = mapEditPaths(parseEdit(edit), normalizeRepoPath);
      const absolute = new Map<string, string>();
      for (const relPath of editPaths(parsed)) absolute.set(relPath, await resolveInside(this.dir, relPath));
      const changes = await computeEdit(parsed, async (relPath) => this.#readOrNull(relPath, absolute.get(relPath)!));
      if (options.maxEditBytes !== undefined) checkSizes(changes, options.maxEditBytes);
      if (options.protectConfig) {
        const named = await commandFiles(options.protectConfig.commands, (relPath) => this.#peek(relPath));
        const refused = protectedChanges(changes, named);
        if (refused.length > 0) throw protectedError(refused, named);
      }
      if (options.review) await options.review(changes);
      await this.#write(changes, absolute);
      return { format: parsed.format, files: changes.map((change) => change.path), snapshot: await this.#snapshot() };
    });
  }

  /** A regular file's text, or `null` when the path is absent, not a regular file, or not a safe path inside the worktree. */
  async #peek(relPath: string): Promise<string | null> {
    try {
      const file = await resolveInside(this.dir, relPath);
      if (!(await stat(file)).isFile()) return null;
      return await readFile(file, 'utf8');
    } catch {
      return null;
    }
  }

  async #readOrNull(relPath: string, file: string): Promise<string | null> {
    let content: string;
    try {
      content = await readFile(file, 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return null;
      throw fileError(relPath, 'read', error);
    }
    if (content.includes('\0')) {
      const reason = 'it is a binary file, which text edits cannot change';
      throw new TaskgraphError('EDIT_REJECTED', `edit to ${relPath} does not apply: ${reason}`, { details: { path: relPath, reason } });
    }
    return content;
  }

  async #write(changes: FileChange[], absolute: Map<string, string>): Promise<void> {
    const done: FileChange[] = [];
    const put = async (file: string, content: string | null): Promise<void> => {
      if (content === null) {
        await rm(file, { force: true });
        for (let dir = path.dirname(file); dir.startsWith(this.dir + path.sep); dir = path.dirname(dir)) {
          try {
            await rmdir(dir); // only succeeds when empty, like git removing a file's last sibling
          } catch {
            break;
          }
        }
      } else {
        await mkdir(path.dirname(file), { recursive: true });
        await writeFile(file, content, 'utf8');
      }
    };
    for (const change of changes) {
      const file = absolute.get(change.path)!;
      try {
        await put(file, change.after);
        done.push(change);
      } catch (error) {
        for (const undo of done.reverse()) await put(absolute.get(undo.path)!, undo.before).catch(() => undefined);
        throw fileError(change.path, change.after === null ? 'delete' : 'write', error);
      }
    }
  }

  /**
   * `git add -A` and `git commit` on the run branch, without hooks or signing. The identity is
   * git's usual one (`GIT_AUTHOR_*`/`GIT_COMMITTER_*` env, then config); when `user.name` or
   * `user.email` is not configured, {@link FALLBACK_IDENTITY} fills in via `-c`.
   * The message is kept verbatim apart from surrounding whitespace (`--cleanup=whitespace`, so a
   * line starting with `#` survives) and secrets (`security/redact.ts`: task text becomes commit
   * messages, and a branch is pushed and shared). It is passed on stdin (`git commit -F -`), so
   * its size is not bounded by the argument limit of the OS.
   * @returns the new commit sha (40 hex), or the current HEAD when nothing changed
   * @throws TaskgraphError GIT_ERROR for an empty message or a failing git call
   */
  commit(message: string): Promise<string> {
    message = secretRedactor().redact(message);
    return this.#serial(async () => {
      if (message.trim() === '') {
        throw new TaskgraphError('GIT_ERROR', 'cannot commit with an empty message', { hint: 'pass a one-line commit message' });
      }
      await runGit(this.dir, ['add', '-A']);
      const staged = await runGit(this.dir, ['diff', '--cached', '--quiet'], { okCodes: [0, 1] });
      if (staged.code === 0) return gitText(this.dir, ['rev-parse', 'HEAD']);
      const identity: string[] = [];
      for (const [key, value] of [
        ['user.name', FALLBACK_IDENTITY.name],
        ['user.email', FALLBACK_IDENTITY.email],
      ] as const) {
        const configured = await runGit(this.dir, ['config', '--get', key], { okCodes: [0, 1] });
        if (configured.code !== 0 || configured.stdout.trim() === '') identity.push('-c', `${key}=${value}`);
      }
      // the message goes through stdin, never argv: a long description would hit the per-argument
      // limit of execve (E2BIG), and argv is visible to every process on the machine
      await runGit(this.dir, [...identity, ...QUIET_GIT_CONFIG, 'commit', '-q', '--no-verify', '--cleanup=whitespace', '-F', '-'], { input: message });
      return gitText(this.dir, ['rev-parse', 'HEAD']);
    });
  }

  /**
   * Tracked files still on disk plus untracked files that are not ignored, repository-relative
   * with `/`, sorted by UTF-16 code unit.
   * @throws TaskgraphError GIT_ERROR
   */
  listFiles(): Promise<string[]> {
    return this.#serial(async () => {
      const split = (text: string): string[] => text.split('\0').filter((name) => name !== '');
      const all = split((await runGit(this.dir, ['ls-files', '-z', '--cached', '--others', '--exclude-standard'])).stdout);
      const deleted = new Set(split((await runGit(this.dir, ['ls-files', '-z', '--deleted'])).stdout));
      return [...new Set(all.filter((name) => !deleted.has(name)))].sort();
    });
  }

  /**
   * Writes a repository-relative file as UTF-8, creating missing directories. Serialized with the
   * worktree's other git work.
   * @throws TaskgraphError PATH_OUTSIDE_WORKTREE (absolute, `..`, `.git`, a symlink leading out)
   */
  writeFile(relPath: string, text: string): Promise<void> {
    return this.#serial(async () => {
      const file = await resolveInside(this.dir, relPath);
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(file, text, 'utf8');
    });
  }

  /**
   * Reads a repository-relative file as UTF-8.
   * @throws TaskgraphError PATH_OUTSIDE_WORKTREE, NOT_FOUND when the file does not exist
   */
  async readFile(relPath: string): Promise<string> {
    const file = await resolveInside(this.dir, relPath);
    try {
      return await readFile(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new TaskgraphError('NOT_FOUND', `no file ${normalizeRepoPath(relPath)} in the worktree ${this.dir}`, {
          cause: error,
          details: { path: relPath },
          hint: 'list the worktree files first (listFiles) and read one of them',
        });
      }
      throw new TaskgraphError('INTERNAL', `cannot read ${relPath}: ${(error as Error).message}`, { cause: error });
    }
  }
}

/**
 * Creates a run's branch `taskgraph/<runId>` at `baseRef` and its worktree outside the project,
 * at `runWorktreeDir` (`worktree-location.ts`: `<user cache dir>/worktrees/<project key>/<runId>`,
 * or under `options.worktreeDir`; see `addRunWorktree`). The user's checkout (HEAD, index,
 * files) is not modified.
 * @throws TaskgraphError GIT_ERROR (not a git repository, no commits, bad baseRef, branch or
 *   directory already exists, invalid runId)
 */
export async function createRunWorkspace(options: CreateRunWorkspaceOptions): Promise<GitWorkspace> {
  const { dir, branch } = await addRunWorktree(options);
  return new GitWorkspace(dir, branch);
}

/**
 * Re-attaches to a run's worktree on resume, at the path and branch stored with the run;
 * re-creates the worktree from the branch when its directory vanished (see `attachRunWorktree`).
 * @throws TaskgraphError GIT_ERROR (no such branch, directory is not that branch's worktree)
 */
export async function openRunWorkspace(options: AttachRunWorkspaceOptions): Promise<GitWorkspace> {
  const { dir, branch } = await attachRunWorktree(options);
  return new GitWorkspace(dir, branch);
}
