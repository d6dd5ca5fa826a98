import { posix } from 'node:path';

/**
 * Test ↔ source pairing for retrieval (issue 9, item 4): a change to `foo.go` usually comes with
 * one to `foo_test.go`, a change to `src/pkg/signer.py` with one to `tests/test_signer.py`, and
 * the other way round. A file's companion is found by name alone: both share their stem (the file
 * name without its extension and without the test marker) and their extension, and exactly one of
 * them is a test. The conventions recognised are the common ones of the major test runners:
 * `test_x.py` / `x_test.py` (pytest), `x_test.go` (go test), `x.test.ts` / `x.spec.ts` (Jest,
 * Vitest, Mocha), `XTest.java` / `XTests.cs` (JUnit, xUnit), `x_spec.rb` (RSpec), and any file
 * under a `test/`, `tests/`, `spec/` or `__tests__/` directory.
 */

/** Test-file name markers, tried in order on the file name without its extension. */
const NAME_MARKERS: ReadonlyArray<RegExp> = [/^test_(.+)$/, /^(.+)_test$/, /^(.+)[.-](?:test|spec)$/, /^(.+)_spec$/, /^(.+?)Tests?$/];
/** Directories that hold tests. */
const TEST_DIR = /(^|\/)(tests?|spec|__tests__)\//;

/** How a path pairs: its stem, its extension, and whether it is a test. */
export interface PairKey {
  /** file name without extension and test marker, e.g. `signer` for `tests/test_signer.py` */
  stem: string;
  /** the last extension with its dot (`.py`), '' when none */
  ext: string;
  test: boolean;
}

/**
 * The pairing key of a repository path.
 * @param path repository-relative, `/`-separated
 */
export function pairKey(path: string): PairKey {
  const ext = posix.extname(path);
  const name = posix.basename(path, ext);
  for (const m of NAME_MARKERS) {
    const hit = m.exec(name);
    if (hit?.[1]) return { stem: hit[1], ext, test: true };
  }
  return { stem: name, ext, test: TEST_DIR.test(path) };
}

/** Length of the common leading directories of two paths. */
function sharedDirs(a: string, b: string): number {
  const x = a.split('/').slice(0, -1);
  const y = b.split('/').slice(0, -1);
  let n = 0;
  while (n < x.length && n < y.length && x[n] === y[n]) n++;
  return n;
}

/**
 * A lookup of companions over a set of paths.
 * @returns a function giving the companion of a path (a test for a source file, a source file
 *   for a test), or undefined when there is none. When several qualify the nearest wins: the most
 *   shared leading directories, then the shorter path, then code-unit order. Stems shorter than
 *   2 characters and module markers such as `__init__` or `index` never pair (too generic).
 */
export function companionLookup(paths: Iterable<string>): (path: string) => string | undefined {
  const byKey = new Map<string, { tests: string[]; sources: string[] }>();
  for (const p of paths) {
    const k = pairKey(p);
    if (!pairable(k)) continue;
    const id = `${k.stem}\u0000${k.ext}`;
    const e = byKey.get(id) ?? { tests: [], sources: [] };
    (k.test ? e.tests : e.sources).push(p);
    byKey.set(id, e);
  }
  return (path) => {
    const k = pairKey(path);
    if (!pairable(k)) return undefined;
    const e = byKey.get(`${k.stem}\u0000${k.ext}`);
    const pool = (k.test ? e?.sources : e?.tests)?.filter((p) => p !== path) ?? [];
    return pool.sort((a, b) => sharedDirs(b, path) - sharedDirs(a, path) || a.length - b.length || (a < b ? -1 : a > b ? 1 : 0))[0];
  };
}

function pairable(k: PairKey): boolean {
  return k.ext !== '' && k.stem.length >= 2 && !/^(__init__|__main__|index|main|mod|lib|conftest|setup)$/i.test(k.stem);
}
