import { createHash } from 'node:crypto';
import { runGit } from '../workspace/git-run.js';

/**
 * Noise left out of a bundle's repository map and retrieval (issue 9 item 5). A file is noise
 * when it is:
 * - marked `linguist-generated` or `linguist-vendored` by `.gitattributes` (asked of git with one
 *   `git check-attr --stdin` call: {@link markedGenerated});
 * - a lock file ({@link LOCK_FILE});
 * - taskgraph's own configuration ({@link TOOL_CONFIG}): its vision, rules and commands are the
 *   bundle's project index already, the rest (model profiles, policy) is not the project's code,
 *   and the file is protected from edits;
 * - minified ({@link isMinified}): named `*.min.js`/`*.min.css`, or a `.js`/`.mjs`/`.cjs`/`.css`
 *   file whose average line is longer than {@link MINIFIED_AVG_LINE} characters or with any line
 *   longer than {@link MINIFIED_MAX_LINE};
 * - a copy of another file ({@link duplicateFiles}): the same content after normalizing line
 *   ends and trailing spaces (SHA-256), or near-identical: the Jaccard similarity of the sets of
 *   their normalized (trimmed, non-blank) lines is at least {@link NEAR_DUPLICATE_JACCARD}. Only
 *   one copy of each group is kept, the one that ranks first by {@link copyRank}.
 * A task or pin that names such a file still gets it; only the map and retrieval leave it out.
 * The lists here are shared with `eval/source-files.ts` (what `context eval` counts as source).
 */

/** Lock files of package managers, by file name. */
export const LOCK_FILE =
  /(^|\/)(package-lock\.json|npm-shrinkwrap\.json|yarn\.lock|pnpm-lock\.yaml|bun\.lockb?|Cargo\.lock|go\.sum|poetry\.lock|uv\.lock|pdm\.lock|Pipfile\.lock|Gemfile\.lock|composer\.lock|mix\.lock|pubspec\.lock|flake\.lock|Podfile\.lock|packages\.lock\.json|gradle\.lockfile)$/;

/** taskgraph's configuration file at the repository root (`load-config.ts` CONFIG_FILE_NAMES). */
export const TOOL_CONFIG = /^taskgraph\.ya?ml$/;

/** Minified files by name. */
export const MINIFIED_NAME = /\.min\.(js|mjs|cjs|css)$/i;

/** Directories whose files are build output or vendored code, by name (any depth). */
export const GENERATED_DIR = /(^|\/)(dist|build|out|vendor|node_modules|__snapshots__)\//i;

/** Generated files by name: source maps, snapshots, protobuf output, `.generated.`/`_generated.` names. */
export const GENERATED_NAME = /\.map$|\.snap$|\.pb\.go$|_pb2\.py$|[._]generated\./i;

/** Binary formats by extension. */
export const BINARY_FILE =
  /\.(png|jpe?g|gif|webp|ico|bmp|svgz|pdf|zip|gz|tgz|bz2|xz|7z|jar|war|woff2?|ttf|otf|eot|mp[34]|mov|avi|wasm|so|dylib|dll|exe|bin|o|a|class|pyc|sqlite|db|lockb)$/i;

/** A `.js`/`.css` file whose average line is longer than this (characters) is minified. */
export const MINIFIED_AVG_LINE = 300;
/** A `.js`/`.css` file with a line longer than this (characters) is minified. */
export const MINIFIED_MAX_LINE = 2000;
/** Jaccard similarity of normalized line sets at or above which two files are copies. */
export const NEAR_DUPLICATE_JACCARD = 0.9;
/** Files with fewer distinct normalized lines than this are only compared by exact hash (tiny files look alike). */
export const NEAR_DUPLICATE_MIN_LINES = 8;

/** Path segments that look like a mirrored or vendored copy of the source. */
const MIRROR_DIR = /^(deno|mirror|mirrors|copy|copies|vendor|vendored|third[_-]?party|external|dist|build|out|lib-cjs|lib-esm|cjs|esm|umd|generated|gen|fixtures?|__fixtures__|testdata|examples?|backup|old)$/i;

/**
 * Whether a file is minified (see the module doc for the rule).
 * @param path repository-relative path
 * @param text the file's text
 */
export function isMinified(path: string, text: string): boolean {
  if (MINIFIED_NAME.test(path)) return true;
  if (!/\.(js|mjs|cjs|css)$/i.test(path) || text.length === 0) return false;
  const lines = text.split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  if (lines.length === 0) return false;
  if (text.length / lines.length > MINIFIED_AVG_LINE) return true;
  return lines.some((l) => l.length > MINIFIED_MAX_LINE);
}

/**
 * Paths that `.gitattributes` marks `linguist-generated` or `linguist-vendored` (set or `true`),
 * as the checkout in `repoDir` says: one `git check-attr -z --stdin` call for all paths.
 * @param repoDir a directory inside a git work tree
 * @param paths repository-relative paths
 * @throws TaskgraphError GIT_ERROR when git fails (e.g. `repoDir` is not a repository)
 */
export async function markedGenerated(repoDir: string, paths: readonly string[]): Promise<Set<string>> {
  const out = new Set<string>();
  if (paths.length === 0) return out;
  const raw = (await runGit(repoDir, ['check-attr', '-z', '--stdin', 'linguist-generated', 'linguist-vendored'], { input: `${paths.join('\0')}\0` })).stdout.split('\0');
  for (let i = 0; i + 2 < raw.length; i += 3) {
    const value = raw[i + 2];
    if (value === 'set' || value === 'true') out.add(raw[i]!);
  }
  return out;
}

/**
 * The order in which copies are kept: the first of a group stays. A path with no
 * mirror-looking directory (`deno/`, `vendor/`, `dist/`, `fixtures/`, `examples/`, …) comes
 * first; then fewer directories; then the shorter path; then code-unit order.
 * @returns negative when `a` is kept before `b`
 */
export function copyRank(a: string, b: string): number {
  const mirrored = (p: string) => (p.split('/').slice(0, -1).some((s) => MIRROR_DIR.test(s)) ? 1 : 0);
  const depth = (p: string) => p.split('/').length;
  return mirrored(a) - mirrored(b) || depth(a) - depth(b) || a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
}

/** Trimmed non-blank lines, and the text they make (line ends and indentation-trailing spaces normalized). */
function normalize(text: string): { lines: Set<string>; key: string } {
  const all = text.split(/\r?\n/).map((l) => l.trimEnd());
  while (all.length > 0 && all[all.length - 1] === '') all.pop();
  const lines = new Set(all.map((l) => l.trim()).filter((l) => l.length > 0));
  return { lines, key: createHash('sha256').update(all.join('\n')).digest('hex') };
}

/** MinHash rows per band and bands (32 hashes): pairs at Jaccard 0.9 share a band with p ≈ 0.999. */
const ROWS = 4;
const BANDS = 8;

/** 32-bit FNV-1a of a string. */
function fnv(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** Hash number `k` of a line hash: the salted MurmurHash3 finalizer (each line is read once, not once per hash). */
function mix(h: number, k: number): number {
  let x = (h ^ Math.imul(k + 1, 0x9e3779b1)) >>> 0;
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

/** The MinHash signature of a set of lines: for each of ROWS×BANDS hash functions, the least hash. */
function signature(lines: Set<string>): number[] {
  const sig = new Array<number>(ROWS * BANDS).fill(0xffffffff);
  for (const l of lines) {
    const base = fnv(l);
    for (let k = 0; k < sig.length; k++) {
      const h = mix(base, k);
      if (h < sig[k]!) sig[k] = h;
    }
  }
  return sig;
}

function jaccard(a: Set<string>, b: Set<string>): number {
  const [small, large] = a.size <= b.size ? [a, b] : [b, a];
  let both = 0;
  for (const x of small) if (large.has(x)) both++;
  return both / (a.size + b.size - both);
}

/**
 * The files that copy another: exact copies by content hash (after normalizing line ends and
 * trailing spaces), near copies by Jaccard ≥ {@link NEAR_DUPLICATE_JACCARD} of their normalized
 * line sets (files with ≥ {@link NEAR_DUPLICATE_MIN_LINES} distinct lines whose set sizes are
 * within that ratio). Empty and blank files are never copies. Candidate pairs come from MinHash with banding (32 hashes, 8 bands of 4)
 * and are confirmed by computing the exact Jaccard. Of each group the file first by
 * {@link copyRank} is kept.
 * @param files repository files with their text
 * @returns copy path → the kept path it copies
 */
export function duplicateFiles(files: ReadonlyArray<{ path: string; text: string }>): Map<string, string> {
  const order = [...files].sort((a, b) => copyRank(a.path, b.path));
  const copies = new Map<string, string>();
  const byHash = new Map<string, string>();
  const kept: Array<{ path: string; lines: Set<string> }> = [];
  const buckets = new Map<string, number[]>(); // band key → indexes into `kept`
  for (const f of order) {
    const { lines, key } = normalize(f.text);
    if (lines.size === 0) continue; // empty or blank files say nothing: never copies
    const same = byHash.get(key);
    if (same !== undefined) {
      copies.set(f.path, same);
      continue;
    }
    byHash.set(key, f.path);
    if (lines.size < NEAR_DUPLICATE_MIN_LINES) continue;
    const sig = signature(lines);
    const bandKeys = Array.from({ length: BANDS }, (_, b) => `${b}:${sig.slice(b * ROWS, b * ROWS + ROWS).join(',')}`);
    const seen = new Set<number>();
    let match: string | undefined;
    for (const bk of bandKeys) {
      for (const i of buckets.get(bk) ?? []) {
        if (seen.has(i)) continue;
        seen.add(i);
        const other = kept[i]!;
        const ratio = Math.min(other.lines.size, lines.size) / Math.max(other.lines.size, lines.size);
        if (ratio >= NEAR_DUPLICATE_JACCARD && jaccard(other.lines, lines) >= NEAR_DUPLICATE_JACCARD) {
          match = other.path;
          break;
        }
      }
      if (match) break;
    }
    if (match) {
      copies.set(f.path, match);
      continue;
    }
    const at = kept.push({ path: f.path, lines }) - 1;
    for (const bk of bandKeys) {
      const list = buckets.get(bk);
      if (list) list.push(at);
      else buckets.set(bk, [at]);
    }
  }
  return copies;
}

/**
 * Why each noisy file is left out of the map and retrieval (see the module doc).
 * @param files readable repository files with their text
 * @param marked paths `.gitattributes` marks generated or vendored ({@link markedGenerated})
 * @returns path → reason, e.g. `"lock file"`, `"minified"`, `"copy of src/a.ts"`
 */
export function noiseFiles(files: ReadonlyArray<{ path: string; text: string }>, marked: ReadonlySet<string> = new Set()): Map<string, string> {
  const out = new Map<string, string>();
  const rest: Array<{ path: string; text: string }> = [];
  for (const f of files) {
    if (marked.has(f.path)) out.set(f.path, '.gitattributes marks it linguist-generated or linguist-vendored');
    else if (LOCK_FILE.test(f.path)) out.set(f.path, 'lock file');
    else if (TOOL_CONFIG.test(f.path)) out.set(f.path, "taskgraph's own configuration (its vision, rules and commands are the project index)");
    else if (isMinified(f.path, f.text)) out.set(f.path, 'minified');
    else rest.push(f);
  }
  for (const [copy, of] of duplicateFiles(rest)) out.set(copy, `copy of ${of}`);
  return out;
}
