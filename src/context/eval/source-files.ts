import { BINARY_FILE, GENERATED_DIR, GENERATED_NAME, LOCK_FILE, MINIFIED_NAME } from '../file-filter.js';

/**
 * Which changed files `taskgraph context eval` measures: source files. The rule, on the
 * repository-relative path alone:
 * - docs are not source: `*.md`, `*.markdown`, `*.rst`, `*.txt`, `*.adoc`, anything under a
 *   `docs/` or `doc/` directory, and `LICENSE*`, `CHANGELOG*`, `CHANGES*`, `AUTHORS*`, `NOTICE*`;
 * - lock files are not source (`LOCK_FILE` in `../file-filter.ts`: `package-lock.json`, `yarn.lock`,
 *   `pnpm-lock.yaml`, `Cargo.lock`, `go.sum`, `poetry.lock`, `uv.lock`, `Pipfile.lock`, … );
 * - generated files are not source: anything under `dist/`, `build/`, `out/`, `vendor/`,
 *   `node_modules/` or a `__snapshots__/` directory, `*.min.js`/`*.min.css`, `*.map`, `*.snap`,
 *   `*.pb.go`, `*_pb2.py`, and names with `.generated.` or `_generated.` in them (the lists
 *   are shared with the context's noise filter, `../file-filter.ts`);
 * - binary formats are not source (images, archives, fonts, media, compiled objects, databases).
 * Everything else is. Files that `.gitattributes` marks `linguist-generated` or
 * `linguist-vendored` are left out too (`history.ts`, read with git). Files the context index does not read at the parent commit (binary by
 * content, over 256 KiB) are left out as well, by the evaluation itself.
 */

const DOC = /(^|\/)(docs?)\/|\.(md|markdown|rst|txt|adoc)$|(^|\/)(LICEN[CS]E|CHANGELOG|CHANGES|AUTHORS|NOTICE)[^/]*$/i;

/**
 * Whether a changed path counts as a source file (see the module doc for the rule).
 * @param path repository-relative, `/`-separated
 */
export function isSourceFile(path: string): boolean {
  return !(DOC.test(path) || LOCK_FILE.test(path) || GENERATED_DIR.test(path) || MINIFIED_NAME.test(path) || GENERATED_NAME.test(path) || BINARY_FILE.test(path));
}
