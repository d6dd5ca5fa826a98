// Context quality on real history (issue 9 item 9): `taskgraph context eval` on one git
// repository, as the library runs it (dist/context/eval/evaluate.js): the newest N non-merge
// commits that change source files are replayed at their parents; taskgraph's bundle and the
// plain BM25-over-whole-files baseline are compared with what each commit changed.
// The repository needs no taskgraph.yaml: the bundles show a project named after the directory.
// Prints ONE JSON object on stdout (per-commit rows left out); progress goes to stderr.
// Needs a build (`npm run build`).
//
//   node bench/context-eval.mjs DIR [COMMITS=20] [BUDGET=24000]
import { basename, resolve } from 'node:path';
import { ProjectConfigSchema } from '../dist/core/config.js';
import { evaluateContext } from '../dist/context/eval/evaluate.js';

const [dirArg, commitsArg = '20', budgetArg = '24000'] = process.argv.slice(2);
if (!dirArg) {
  process.stderr.write('usage: node bench/context-eval.mjs DIR [COMMITS] [BUDGET]\n');
  process.exit(2);
}
const dir = resolve(dirArg);
const t0 = performance.now();
const report = await evaluateContext({
  repoDir: dir,
  commits: Number(commitsArg),
  budget: Number(budgetArg),
  // the tokenizer taskgraph counts with when no coder profile says otherwise
  family: 'cl100k_base',
  config: ProjectConfigSchema.parse({ name: basename(dir) }),
  onCommit: (done, total, c) =>
    process.stderr.write(`context eval ${basename(dir)}: ${done}/${total} ${c.sha.slice(0, 10)} files ${c.taskgraph.filesFound}/${c.taskgraph.files} (baseline ${c.baseline.filesFound}), hunks ${c.taskgraph.hunksFound}/${c.taskgraph.hunks} (baseline ${c.baseline.hunksFound})\n`),
});
const { per_commit: perCommit, ...figures } = report;
const round = (x) => (x === null ? null : Math.round(x * 1000) / 1000);
const rounded = (f) => ({ file_recall: round(f.file_recall), hunk_recall: round(f.hunk_recall), precision: round(f.precision), median_tokens: f.median_tokens });
process.stdout.write(
  `${JSON.stringify({
    repo: basename(dir),
    commits: figures.commits,
    budget: figures.budget,
    ...rounded(figures),
    baseline: rounded(figures.baseline),
    changed_files: perCommit.reduce((n, c) => n + c.taskgraph.files, 0),
    changed_hunks: perCommit.reduce((n, c) => n + c.taskgraph.hunks, 0),
    seconds: Math.round((performance.now() - t0) / 100) / 10,
  })}\n`,
);
