/**
 * Formatting of bench results: the readable table (stdout without --json) and
 * `bench/results/latest.md`.
 */
import { execFileSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';

/** Targets from the benchmark issue. */
export const TARGETS = {
  usPerNode: 50,
  makespanOverCriticalPath: 1.05,
  incrementalOverCone: 1.0,
  unchangedModelCalls: 0,
};

/** The commit measured (short sha), with "+ uncommitted src/ changes" when src/ differs; null outside git. */
function commitMeasured() {
  try {
    const git = (...args) => execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const sha = git('rev-parse', '--short', 'HEAD');
    return git('status', '--porcelain', '--', 'src') === '' ? sha : `${sha} + uncommitted src/ changes`;
  } catch {
    return null;
  }
}

/** The machine the bench ran on, and the commit measured. */
export function machineInfo() {
  const list = cpus();
  return {
    cores: list.length,
    cpu: list[0]?.model?.trim() ?? 'unknown',
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    date: new Date().toISOString(),
    loadavg1m: Number(loadavg()[0].toFixed(2)),
    commit: commitMeasured(),
  };
}

const CHECK_NAMES = {
  previousDiff: 'previous diff',
  failingRegion: 'failing region pinned',
  errorLine: 'error line',
  withinBudget: 'within budget',
  promptsMatchStore: 'prompts match the store',
};
const yesNo = (b) => (b ? 'yes' : 'NO');

/**
 * The misses of the retry-prompt section (`retry-prompt.mjs`'s JSON): one line per scenario
 * check that failed, e.g. `shop: within budget`; none when every check held.
 * @param {{ scenarios: Array<{ name: string, checks: Record<string, boolean> }> } | null} retryPrompt
 * @returns {string[]} empty when there is nothing to flag (or the section did not run)
 */
export function retryPromptMisses(retryPrompt) {
  return (retryPrompt?.scenarios ?? []).flatMap((s) =>
    Object.entries(s.checks)
      .filter(([, ok]) => !ok)
      .map(([k]) => `${s.name}: ${CHECK_NAMES[k] ?? k}`),
  );
}

/** One summary line per retry-prompt scenario: tokens, ratio, budget and the checks as yes/NO. */
function retryPromptLines(retryPrompt) {
  return (retryPrompt?.scenarios ?? []).map(
    (s) =>
      `retry prompt, ${s.name} (${fmt(s.files)} files, task ${s.task}): first try ${fmt(s.first.promptTokens)} tokens, retry ${fmt(s.retry.promptTokens)} ` +
      `(ratio ${fmt(s.ratio, 3)}; bundles ${fmt(s.first.bundleTokens)} → ${fmt(s.retry.bundleTokens)} of the ${fmt(s.budget)}-token budget, ${s.family}); ` +
      Object.entries(CHECK_NAMES)
        .map(([k, label]) => `${label}: ${yesNo(s.checks[k])}`)
        .join(', '),
  );
}

const fmt = (x, digits = 0) => (x === null || x === undefined ? '—' : Number(x).toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }));

function rows(result) {
  return Object.keys(result.overhead_us_per_node).map((shape) => [
    shape,
    fmt(result.shape_sizes[shape]?.nodes),
    fmt(result.shape_sizes[shape]?.edges),
    fmt(result.overhead_us_per_node[shape], 1),
    fmt(result.overhead_us_per_node_plus_edge[shape], 2),
    fmt(result.peak_rss_mb[shape]),
    fmt(result.langgraph_us_per_node[shape], 1),
    fmt(result.langgraph_peak_rss_mb[shape]),
    fmt(result.ratio_vs_langgraph[shape], 3),
  ]);
}

const HEAD = ['shape', 'nodes', 'edges', 'taskgraph µs/node', 'µs/(node+edge)', 'taskgraph RSS MB', 'LangGraph µs/node', 'LangGraph RSS MB', 'ratio tg/LG'];

function summaryLines(result) {
  const inc = result.incremental;
  return [
    `makespan / critical path: ${fmt(result.makespan_over_critical_path, 3)} (target ≤ ${TARGETS.makespanOverCriticalPath}; ` +
      `${result.makespan ? `${fmt(result.makespan.makespanMs)} ms vs ideal ${fmt(result.makespan.idealMs)} ms = ${result.makespan.criticalPath} nodes × ${result.makespan.latencyMs} ms, ${result.makespan.nodes} nodes, concurrency ${result.makespan.concurrency}` : 'not run'})`,
    `incremental re-executed / downstream cone: ${fmt(result.incremental_reexecuted_over_cone, 3)} (target ${fmt(TARGETS.incrementalOverCone, 2)}` +
      `${inc ? `; ${inc.changes.map((c) => `${c.node}: ${c.reexecuted}/${c.cone}`).join(', ')}` : ''})`,
    `unchanged re-run: ${fmt(result.unchanged_rerun_model_calls)} model calls (target 0), ${fmt(result.unchanged_rerun_wall_ms)} ms wall` +
      `${inc ? ` (cold run of the same ${inc.nodes} llm nodes: ${inc.coldModelCalls} calls, ${fmt(inc.coldMs)} ms)` : ''}`,
    ...(result.edit_tokens
      ? [
          `edit output tokens (mean over 25 edits of files of 243-320 lines, o200k_base): udiff ${fmt(result.edit_tokens.udiff, 1)}, search-replace ${fmt(result.edit_tokens.search_replace, 1)}, whole ${fmt(result.edit_tokens.whole, 1)}; ` +
            `ratio to whole: udiff ${fmt(result.edit_tokens_ratio_vs_whole?.udiff, 3)}, search-replace ${fmt(result.edit_tokens_ratio_vs_whole?.search_replace, 3)} (target ≤ 0.2)`,
        ]
      : []),
    ...(result.context_assembly_ms_2000_files != null ? [`context bundle assembly on a 2,000-file repository: ${fmt(result.context_assembly_ms_2000_files, 1)} ms`] : []),
    ...[...(result.context_eval ? [result.context_eval] : []), ...(result.context_eval_repos ?? [])].map(
      (e) =>
        `context eval of ${e.repo} (${e.commits} commits, ${e.changed_files} files, ${e.changed_hunks} hunks, budget ${fmt(e.budget)}): ` +
        `taskgraph file recall ${fmt(e.file_recall, 3)}, hunk recall ${fmt(e.hunk_recall, 3)}, precision ${fmt(e.precision, 3)}, median ${fmt(e.median_tokens)} tokens; ` +
        `BM25 whole files ${fmt(e.baseline.file_recall, 3)}, ${fmt(e.baseline.hunk_recall, 3)}, ${fmt(e.baseline.precision, 3)}, ${fmt(e.baseline.median_tokens)} tokens`,
    ),
    ...retryPromptLines(result.retry_prompt),
    ...(result.listings_100k
      ? [
          `listings of a ${fmt(result.listings_100k.nodes)}-node run (whole CLI process, ms; Node start-up alone ${fmt(result.listings_100k.cli_startup_ms)}): ` +
            `status ${fmt(result.listings_100k.status_ms)}, status --json ${fmt(result.listings_100k.status_json_ms)}, runs ${fmt(result.listings_100k.runs_ms)}, report --print ${fmt(result.listings_100k.report_print_ms)}`,
        ]
      : []),
    ...(result.ui_render
      ? [
          `web UI, run page of a ${fmt(result.ui_render.nodes)}-node run: first render ${fmt(result.ui_render.ui_first_render_ms)} ms (layout ${fmt(result.ui_render.ui_layout_ms)} ms), ` +
            `frame time while panning median ${fmt(result.ui_render.ui_pan_frame_ms_median, 1)} ms, p95 ${fmt(result.ui_render.ui_pan_frame_ms_p95, 1)} ms`,
        ]
      : []),
    ...(result.mcp
      ? [
          `MCP tool list (listTools JSON, o200k_base): ${fmt(result.mcp.mcp_tools)} tools ${fmt(result.mcp.mcp_tool_list_tokens)} tokens, --tools core ${fmt(result.mcp.mcp_tools_core)} tools ${fmt(result.mcp.mcp_tool_list_tokens_core)} tokens` +
            (result.mcp.taskmaster
              ? `; Task Master ${result.mcp.taskmaster.version} in the same run: core ${fmt(result.mcp.taskmaster.core.tools)} tools ${fmt(result.mcp.taskmaster.core.tokens)} tokens, standard ${fmt(result.mcp.taskmaster.standard.tools)} tools ${fmt(result.mcp.taskmaster.standard.tokens)}, all ${fmt(result.mcp.taskmaster.all.tools)} tools ${fmt(result.mcp.taskmaster.all.tokens)} (${result.mcp.taskmaster_over_taskgraph_all}× ours)`
              : ''),
        ]
      : []),
    ...(result.postgres_store
      ? [
          `PostgreSQL store, ${fmt(result.postgres_store.nodes)} no-op nodes: ${fmt(result.postgres_store.postgres_us_per_node)} µs/node against SQLite's ${fmt(result.postgres_store.sqlite_us_per_node)} (${result.postgres_store.postgres_over_sqlite}×)`,
        ]
      : []),
    ...(result.tracing_overhead
      ? [
          `tracing overhead without an OTLP endpoint, ${fmt(result.tracing_overhead.nodes)} no-op nodes: ${result.tracing_overhead.differenceMs} ms (${result.tracing_overhead.differencePct} %, ${result.tracing_overhead.perNodeUs} µs/node; ${fmt(result.tracing_overhead.withObserverMs)} ms with the trace observer, ${fmt(result.tracing_overhead.withoutObserverMs)} ms without)`,
        ]
      : []),
  ];
}

/** Plain-text table for a terminal. */
export function textReport(result) {
  const all = [HEAD, ...rows(result)];
  const widths = HEAD.map((_, c) => Math.max(...all.map((r) => String(r[c]).length)));
  const line = (r) => r.map((cell, c) => (c === 0 ? String(cell).padEnd(widths[c]) : String(cell).padStart(widths[c]))).join('  ');
  return [
    `Overhead (no-op nodes; taskgraph on a durable SQLite file, LangGraph.js in memory; target ≤ ${TARGETS.usPerNode} µs/node)`,
    line(HEAD),
    line(widths.map((w) => '-'.repeat(w))),
    ...rows(result).map(line),
    '',
    ...summaryLines(result),
    '',
    ...result.notes.map((n) => `note: ${n}`),
    '',
    `machine: ${result.machine.cores} cores, ${result.machine.cpu}, Node ${result.machine.node}, load ${result.machine.loadavg1m} → ${result.machine.loadavg1mEnd ?? '—'}; bench took ${fmt(result.bench_seconds)} s`,
  ].join('\n');
}

/** `bench/results/latest.md`. */
export function markdownReport(result) {
  const m = result.machine;
  return [
    '# taskgraph bench: latest results',
    '',
    `Written by \`npm run bench\` on ${m.date}. See \`bench/README.md\` for what is measured and how.`,
    '',
    '## Machine',
    '',
    `- cores: ${m.cores}`,
    `- CPU: ${m.cpu}`,
    `- Node: ${m.node} (${m.platform})`,
    `- date: ${m.date}`,
    `- commit measured: ${m.commit ?? 'unknown'}`,
    `- load average (1 min): ${m.loadavg1m} at start, ${m.loadavg1mEnd ?? '—'} at the end`,
    `- whole bench: ${fmt(result.bench_seconds)} s`,
    '',
    `## Overhead (no-op nodes, target ≤ ${TARGETS.usPerNode} µs/node)`,
    '',
    `| ${HEAD.join(' | ')} |`,
    `| ${HEAD.map((_, i) => (i === 0 ? '---' : '---:')).join(' | ')} |`,
    ...rows(result).map((r) => `| ${r.join(' | ')} |`),
    '',
    '## Makespan and incremental runs',
    '',
    ...summaryLines(result).map((l) => `- ${l}`),
    '',
    '## Notes',
    '',
    ...result.notes.map((n) => `- ${n}`),
    '',
    '## Raw JSON',
    '',
    '```json',
    JSON.stringify(result, null, 2),
    '```',
    '',
  ].join('\n');
}
