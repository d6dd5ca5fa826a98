import { secretRedactor } from '../security/redact.js';
import { runGit } from '../workspace/git-run.js';
import { LOCK_FILE, MINIFIED_NAME } from './file-filter.js';
import { countTokens, type TokenizerFamily } from './tokenizer.js';
import { trimDiff } from './diff-trim.js';
import { MIN_TRIM_TOKENS } from './trim.js';

/**
 * What a `requires` dependency changed (tier 3, issue 9 item 5): the diff of the commit its
 * `<id>/commit` node made, read with git, with a summary line (title, commit subject, files
 * changed, +/− line counts). The diff is trimmed to the item's share file by file
 * ({@link fitDependencyDiff}), each file's part by its hunks, the ones most relevant to the
 * dependent task kept whole (`diff-trim.ts`).
 */

/** A file the dependency's commit changed. */
export interface ChangedFile {
  /** repository-relative path after the commit (`old => new` is not used: the new path) */
  path: string;
  /** lines added; 0 for binary files */
  added: number;
  /** lines removed; 0 for binary files */
  removed: number;
  binary: boolean;
  /** this file's part of the unified diff (`diff --git` header through its last hunk); '' for a lock or minified file (`file-filter.ts`) */
  diff: string;
}

/** The change a dependency's commit made. */
export interface DependencyChange {
  /** 40 hex */
  commit: string;
  /** the commit message's first line */
  subject: string;
  files: ChangedFile[];
}

/** Git options that keep output stable whatever the user's configuration says. */
const PLAIN = ['-c', 'core.quotePath=false', '-c', 'diff.noprefix=false', '-c', 'diff.mnemonicPrefix=false', '-c', 'color.ui=false'];

/**
 * Reads the change of a dependency's commit.
 * @param repoDir a directory inside the repository that holds the commit (the run's worktree)
 * @param commit the sha the dependency's `commit` node returned
 * @param message the message it committed with: when the commit's message is a different one,
 *   the dependency changed nothing (its commit node returned the HEAD it found), and the result
 *   has no files
 * @returns undefined when the repository does not have the commit; never throws for git errors
 */
export async function dependencyChange(repoDir: string, commit: string, message?: string): Promise<DependencyChange | undefined> {
  try {
    if (!/^[0-9a-f]{7,64}$/i.test(commit)) return undefined;
    const exists = await runGit(repoDir, ['cat-file', '-e', `${commit}^{commit}`], { okCodes: [0, 1, 128] });
    if (exists.code !== 0) return undefined;
    const body = (await runGit(repoDir, ['log', '-1', '--format=%B', commit])).stdout.trim();
    const subject = body.split('\n')[0] ?? '';
    if (message !== undefined && body !== message.trim() && body !== secretRedactor().redact(message).trim()) return { commit, subject, files: [] };
    const numstat = (await runGit(repoDir, [...PLAIN, 'show', '--format=', '--numstat', '-z', '--no-renames', commit])).stdout;
    const patch = (await runGit(repoDir, [...PLAIN, 'show', '--format=', '--patch', '--no-renames', '--no-ext-diff', commit])).stdout;
    const parts = splitPatch(patch);
    const files: ChangedFile[] = [];
    for (const rec of numstat.split('\0')) {
      const m = /^\s*(-|\d+)\t(-|\d+)\t(.+)$/s.exec(rec.replace(/^\n/, ''));
      if (!m) continue;
      const path = m[3]!;
      const binary = m[1] === '-';
      // a lock or minified file's diff is noise: the summary line still counts it
      const noise = LOCK_FILE.test(path) || MINIFIED_NAME.test(path);
      files.push({ path, added: binary ? 0 : Number(m[1]), removed: binary ? 0 : Number(m[2]), binary, diff: noise ? '' : (parts.get(path) ?? '') });
    }
    return { commit, subject, files };
  } catch {
    return undefined;
  }
}

/** Splits `git show --patch` output into each file's part, by its `+++ b/path` (or `--- a/path` for a deletion). */
function splitPatch(patch: string): Map<string, string> {
  const out = new Map<string, string>();
  const chunks = patch.split(/^(?=diff --git )/m).filter((c) => c.startsWith('diff --git '));
  for (const chunk of chunks) {
    const plus = /^\+\+\+ b\/(.+)$/m.exec(chunk)?.[1];
    const minus = /^--- a\/(.+)$/m.exec(chunk)?.[1];
    const header = /^diff --git a\/.+ b\/(.+)$/m.exec(chunk)?.[1];
    const path = plus ?? minus ?? header;
    if (path) out.set(path, chunk.trimEnd());
  }
  return out;
}

/**
 * The summary line: `<title>: "<subject>"; N files changed, +A −R (a.ts +3 −1, b.ts +2 −0)`.
 * When the commit changed nothing: `<title>: no changes committed`.
 */
export function dependencySummary(title: string, change: DependencyChange): string {
  if (change.files.length === 0) return `${title}: no changes committed`;
  const added = change.files.reduce((n, f) => n + f.added, 0);
  const removed = change.files.reduce((n, f) => n + f.removed, 0);
  const each = change.files.map((f) => (f.binary ? `${f.path} binary` : `${f.path} +${f.added} −${f.removed}`));
  return `${title}: "${change.subject}"; ${change.files.length} file${change.files.length === 1 ? '' : 's'} changed, +${added} −${removed} (${each.join(', ')})`;
}

/** Wraps a diff in a code fence longer than any backtick run inside it. */
function fenced(diff: string): string {
  const longest = Math.max(2, ...Array.from(diff.matchAll(/`+/g), (m) => m[0].length));
  const ticks = '`'.repeat(longest + 1);
  return `${ticks}diff\n${diff}\n${ticks}`;
}

/**
 * The item body: the summary line, then the diff in a ```diff fence.
 * @param summary {@link dependencySummary}
 */
export function renderDependency(summary: string, change: DependencyChange): string {
  const diff = change.files.map((f) => f.diff).filter(Boolean).join('\n');
  return diff ? `${summary}\n\n${fenced(diff)}` : summary;
}

/**
 * The body for at most `maxTokens` tokens: the summary line, then each file's diff trimmed to
 * its share. Files are served smallest first; each gets an equal share of what is left (so what
 * a small file does not need goes to the larger ones), trimmed by hunks ranked by relevance to
 * `query` (`trimDiff`: whole hunks, `@@ … @@ (N lines elided)` for the rest); a file whose
 * share is under {@link MIN_TRIM_TOKENS}, or too small for its markers, is listed by its header
 * line only.
 * @param query the dependent task's text (`taskQuery`); '' ranks hunks in file order
 * @returns '' when not even the summary line fits
 */
export function fitDependencyDiff(summary: string, change: DependencyChange, maxTokens: number, family: TokenizerFamily, query = ''): string {
  const whole = renderDependency(summary, change);
  if (countTokens(whole, family) <= maxTokens) return whole;
  const head = `${summary}\n\n`;
  let left = maxTokens - countTokens(head + fenced('x'), family) - 4;
  if (left < 0) return countTokens(summary, family) <= maxTokens ? summary : '';
  const files = change.files.filter((f) => f.diff);
  const order = files.map((f, i) => ({ i, tokens: countTokens(f.diff, family) })).sort((a, b) => a.tokens - b.tokens);
  const parts = new Array<string>(files.length).fill('');
  order.forEach(({ i, tokens }, k) => {
    const share = Math.floor(left / (order.length - k));
    const f = files[i]!;
    let part = tokens <= share ? f.diff : share >= MIN_TRIM_TOKENS ? (trimDiff(f.diff, query, share, family) ?? '') : '';
    if (!part) part = f.diff.split('\n')[0] ?? '';
    parts[i] = part;
    left -= countTokens(part, family) + 1;
  });
  for (let n = parts.length; n >= 0; n--) {
    const body = n > 0 ? `${head}${fenced(parts.slice(0, n).join('\n'))}` : summary;
    if (countTokens(body, family) <= maxTokens) return body;
  }
  return '';
}
