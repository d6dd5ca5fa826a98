import { evaluateContext, type EvalFigures, type EvalReport } from '../context/eval/evaluate.js';
import { tokenizerFamily } from '../context/tokenizer.js';
import type { CommonOptions } from './commands.js';
import { safeJson, safeText } from './safe-text.js';
import { withProject } from './wiring.js';

/**
 * `taskgraph context eval [--commits N] [--budget T] [--json]` (issue 9 item 9): how well
 * taskgraph's bundles would have served the repository's own last N commits, next to plain
 * BM25 over whole files at the same budget (`context/eval/`).
 */

/** Options of `context eval`. */
export type ContextEvalOptions = CommonOptions & { commits?: number; budget?: number };

const pct = (x: number | null) => (x === null ? '—' : `${(x * 100).toFixed(1)}%`);
const num = (x: number | null) => (x === null ? '—' : String(Math.round(x)));

/**
 * The human table: one row per retrieval (file recall, hunk recall, precision, median tokens),
 * then the commits replayed, one line each (files and hunks found by each retrieval).
 * @param report the evaluation (see `evaluateContext`)
 */
export function formatEval(report: EvalReport): string {
  const rows: Array<[string, EvalFigures]> = [['taskgraph', report], ['BM25 whole files', report.baseline]];
  const head = ['', 'file recall', 'hunk recall', 'precision', 'median tokens'];
  const cells = rows.map(([name, f]) => [name, pct(f.file_recall), pct(f.hunk_recall), pct(f.precision), num(f.median_tokens)]);
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) => c.map((v, i) => (i === 0 ? v.padEnd(widths[i]!) : v.padStart(widths[i]!))).join('  ');
  const out = [`context eval: ${report.commits} commit${report.commits === 1 ? '' : 's'}, budget ${report.budget} tokens`, line(head), ...cells.map(line), '', 'per commit (files found / changed, hunks held / changed: taskgraph | baseline):'];
  for (const c of report.per_commit) {
    const t = c.taskgraph;
    const b = c.baseline;
    out.push(`  ${c.sha.slice(0, 10)}  ${t.filesFound}/${t.files} ${t.hunksFound}/${t.hunks} | ${b.filesFound}/${b.files} ${b.hunksFound}/${b.hunks}  ${c.subject.slice(0, 60)}`);
  }
  return out.join('\n');
}

/**
 * Runs the evaluation on the project's repository. Progress goes to stderr, one line a commit.
 * `--json` prints `{ commits, budget, file_recall, hunk_recall, precision, median_tokens,
 * baseline: {...}, per_commit: [...] }`.
 * @returns exit code 0
 * @throws TaskgraphError NOT_FOUND (no commit to replay), CONFIG_INVALID (bad --commits/--budget), GIT_ERROR
 */
export async function contextEvalCommand(opts: ContextEvalOptions): Promise<number> {
  return withProject(opts, async (project) => {
    const c = project.config;
    const coder = c.models[c.roles.coder];
    const report = await evaluateContext({
      repoDir: project.dir,
      commits: opts.commits ?? 20,
      budget: opts.budget ?? c.contextBudget,
      family: tokenizerFamily(coder ? { provider: coder.provider, model: coder.model } : undefined),
      config: c,
      ...(c.worktreeDir ? { worktreeDir: c.worktreeDir } : {}),
      onCommit: (done, total, r) => process.stderr.write(`${safeText(`context eval: ${done}/${total} ${r.sha.slice(0, 10)} ${r.subject.slice(0, 60)}`)}\n`),
    });
    process.stdout.write(`${opts.json ? safeJson(report) : safeText(formatEval(report))}\n`);
    return 0;
  });
}
