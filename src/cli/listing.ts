import { basename, resolve } from 'node:path';
import { TaskgraphError } from '../core/errors.js';
import { effectiveRunStatus, holderState, type SessionView, sessionViews } from '../engine/run-lease.js';
import type { PlanRecord } from '../core/task.js';
import { renderTree } from '../planning/render.js';
import { initProject } from '../project/init.js';
import { formatDuration, usd } from '../report/markdown.js';
import { buildRunReport, writeRunReport } from '../report/report.js';
import { placeLine, type RunPlace, runPlace } from '../report/run-place.js';
import type { AttemptSummary, RunLease, RunNodeRecord, RunRecord, RunSession, RunStatus, RunTaskRecord, Store } from '../store/store.js';
import type { CommonOptions } from './commands.js';
import { withProject } from './wiring.js';
import { commitConfigCommand, type ConfigCommitState, configCommitState } from './config-tracked.js';
import { safeJson, safeText } from './safe-text.js';

/** Prints a line of output; text from a model or a repository is made terminal-safe here. */
const out = (text: string) => process.stdout.write(`${safeText(text)}\n`);

/** `taskgraph runs`: newest first, each with its status as it is now (a `running` run whose process is gone shows `interrupted`). */
export async function runsCommand(opts: CommonOptions & { limit?: number }): Promise<number> {
  return withProject(opts, async (project) => {
    const views = await runViews(project.store, opts.limit ?? 20);
    if (opts.json) {
      out(safeJson(views));
      return 0;
    }
    const lines = views.map((r) => {
      const status = r.status;
      const why = status === 'interrupted' && r.storedStatus === 'running' ? 'its process is gone' : r.reason;
      const next = status === 'interrupted' ? `  resume: taskgraph resume ${r.id}` : '';
      return safeText(`${r.id}  ${status.padEnd(11)}  ${r.command.padEnd(6)}  ${r.createdAt}  ${r.branch ?? ''}${why ? `  (${why})` : ''}${next}`);
    });
    out(views.length === 0 ? 'no runs yet: try `taskgraph do "<goal>"`' : lines.join('\n'));
    return 0;
  });
}

/** Tokens (in + out), cost (USD) and the latest attempt of one node, gathered in one pass over the run's attempts. */
interface NodeTally {
  tokens: number;
  costUsd: number;
  last?: AttemptSummary;
}

/** Groups a run's attempts by node once (linear: `status` on a 100,000-node run must not filter all attempts per node). */
function tallyAttempts(attempts: readonly AttemptSummary[]): Map<string, NodeTally> {
  const byNode = new Map<string, NodeTally>();
  for (const a of attempts) {
    let tally = byNode.get(a.nodeId);
    if (!tally) byNode.set(a.nodeId, (tally = { tokens: 0, costUsd: 0 }));
    tally.tokens += a.usage.inputTokens + a.usage.outputTokens;
    tally.costUsd += a.usage.costUsd;
    tally.last = a;
  }
  return byNode;
}

/** `12.3 s`, `4m 05s`: how long a running node has been at it. */
function elapsed(fromIso: string | undefined, now: number): string | undefined {
  const ms = fromIso === undefined ? Number.NaN : now - Date.parse(fromIso);
  return Number.isFinite(ms) ? formatDuration(Math.max(0, ms)) : undefined;
}

/** One line about who holds a run's lease. */
function leaseLine(lease: RunLease, now: number): string {
  const age = Math.max(0, Math.round((now - Date.parse(lease.heartbeatAt)) / 1000));
  return `held by process ${lease.pid} on ${lease.host} since ${lease.acquiredAt}, last heartbeat ${age} s ago`;
}

/** A run's state as `status` shows it, read once from the store (see {@link loadRunStatus}). */
export interface LoadedRunStatus {
  run: RunRecord;
  nodes: RunNodeRecord[];
  tasks: RunTaskRecord[];
  attempts: AttemptSummary[];
  lease: RunLease | undefined;
  sessions: RunSession[];
  plan: PlanRecord | undefined;
  place: RunPlace;
  /** ms since the epoch the state was read at */
  now: number;
  /** the run's status as it is now: a `running` run whose lease holder is gone is `interrupted` */
  status: RunStatus;
  live: boolean;
  views: SessionView[];
  tally: Map<string, NodeTally>;
  /** a node's status as shown: `running` under a gone process is `interrupted` */
  nodeStatus: (n: RunNodeRecord) => string;
}

/**
 * Reads what `taskgraph status RUN` (and the HTTP API's `GET /runs/:id`) shows of a run: its
 * nodes, tasks, attempt summaries, lease, sessions, plan and place, with the status as it is now.
 * Linear in nodes + attempts.
 */
export async function loadRunStatus(store: Store, run: RunRecord, now: number): Promise<LoadedRunStatus> {
  const [nodes, tasks, attempts, lease, sessions] = await Promise.all([
    store.listRunNodes(run.id),
    store.listRunTasks(run.id),
    store.listAttemptSummaries(run.id),
    store.getRunLease(run.id),
    store.listRunSessions(run.id),
  ]);
  const plan = run.planId ? await store.getPlan(run.planId) : undefined;
  const place = await runPlace(run);
  const status = effectiveRunStatus(run, lease, now);
  const live = lease !== undefined && holderState(lease, now) === 'live';
  const views = sessionViews(sessions, live);
  const tally = tallyAttempts(attempts);
  const nodeStatus = (n: RunNodeRecord): string => (n.status === 'running' && status === 'interrupted' ? 'interrupted' : n.status);
  return { run, nodes, tasks, attempts, lease, sessions, plan, place, now, status, live, views, tally, nodeStatus };
}

/**
 * The JSON of `taskgraph status RUN --json`: the run (without its graph) with its status as it is
 * now (`storedStatus` when that differs), place, lease (no token), sessions, tasks, nodes with
 * tokens and cost (USD), and the plan.
 */
export function runStatusJson(loaded: LoadedRunStatus) {
  const { run, nodes, tasks, lease, sessions, plan, place, now, status, live, views, tally, nodeStatus } = loaded;
  const { graph: _g, ...rest } = run;
  return {
    run: { ...rest, status, ...(status !== run.status ? { storedStatus: run.status } : {}) },
    place: { branchExists: place.branchExists ?? null, worktreeExists: place.worktreeExists ?? null, fullyCachedAs: place.reused?.runId ?? null },
    lease: lease ? { pid: lease.pid, host: lease.host, acquiredAt: lease.acquiredAt, heartbeatAt: lease.heartbeatAt, live } : null,
    sessions: sessions.map((s, i) => ({ ...s, view: views[i]! })),
    tasks,
    nodes: nodes.map((n) => {
      const t = tally.get(n.nodeId);
      const running = n.status === 'running' && status === 'running' && n.startedAt ? { elapsedMs: Math.max(0, now - Date.parse(n.startedAt)) } : {};
      return { ...n, status: nodeStatus(n), tokens: t?.tokens ?? 0, costUsd: t?.costUsd ?? 0, ...running };
    }),
    plan: plan ? { id: plan.id, goal: plan.goal, tasks: plan.tasks } : null,
  };
}

/** `taskgraph runs --json` and `GET /runs`: the newest runs (without their graphs), each with its status as it is now (`storedStatus` when that differs). */
export async function runViews(store: Store, limit: number) {
  const runs = await store.listRuns(limit);
  const now = Date.now();
  return Promise.all(
    runs.map(async ({ graph: _g, ...r }) => {
      const status = effectiveRunStatus(r, await store.getRunLease(r.id), now);
      return { ...r, status, ...(status !== r.status ? { storedStatus: r.status } : {}) };
    }),
  );
}

/**
 * `taskgraph status [RUN]`: a run's status as it is now, its tasks, and every node with its
 * status, attempts, tokens and cost (USD); a running node shows how long it has run; a `running`
 * run whose process is gone shows `interrupted` and how to resume it; the branch and worktree
 * stored with the run, and whether they still exist (`report/run-place.ts`); with tasks in parallel,
 * the worktrees of tasks not yet on the run branch. Default: the newest run.
 * Linear in nodes + attempts; printed with one write.
 */
export async function statusCommand(runArg: string | undefined, opts: CommonOptions): Promise<number> {
  return withProject(opts, async (project) => {
    const store = project.store;
    const run = runArg ? await store.getRun(runArg) : (await store.listRuns(1))[0];
    if (!run) throw new TaskgraphError('NOT_FOUND', runArg ? `no run "${runArg}"` : 'no runs yet', { hint: 'list runs with `taskgraph runs`' });
    const loaded = await loadRunStatus(store, run, Date.now());
    const { nodes, tasks, lease, plan, place, now, status, tally, nodeStatus } = loaded;
    if (opts.json) {
      out(safeJson(runStatusJson(loaded)));
      return 0;
    }
    const lines: string[] = [];
    if (status === 'interrupted' && run.status === 'running') {
      lines.push(`run ${run.id}: interrupted (its process is gone: killed, or its lease expired)`, `  resume: taskgraph resume ${run.id}`);
    } else {
      lines.push(`run ${run.id}: ${status}${run.reason && status !== 'running' ? ` (${run.reason})` : ''}`);
      if (status === 'interrupted') lines.push(`  resume: taskgraph resume ${run.id}`);
      if (status === 'running' && lease) lines.push(`  ${leaseLine(lease, now)}`);
    }
    const where = placeLine(run, place);
    if (where) lines.push(where);
    if (plan) {
      const statuses = new Map(tasks.map((t) => [t.taskId, `${t.status}${t.attempt > 1 ? ` x${t.attempt}` : ''}`]));
      lines.push('', `plan ${plan.id}: ${plan.goal.split('\n')[0]}`, renderTree(plan.tasks, { statuses }));
    }
    // tasks in parallel (issue 10): the tasks not on the run branch yet, each in its own worktree
    const open = tasks.filter((t) => t.worktree && !t.integratedCommit);
    if (open.length > 0) {
      lines.push('', 'task worktrees:');
      for (const t of open) lines.push(`  ${t.taskId} ${t.status === 'done' ? 'done, waiting to be integrated' : t.status}: ${t.worktree} (branch ${t.branch ?? '?'})`);
    }
    lines.push('', 'nodes:');
    for (const n of nodes) {
      const t = tally.get(n.nodeId);
      const last = t?.last;
      const usage = t && (t.tokens > 0 || t.costUsd > 0) ? `, ${t.tokens} tokens, $${usd(t.costUsd)}` : '';
      const since = n.status === 'running' && status === 'running' ? elapsed(n.startedAt, now) : undefined;
      const why = last?.status === 'interrupted'
        ? `  interrupted${last.error ? `: ${last.error.message.split('\n')[0]}` : ' (its process died)'}`
        : last?.error ? `  ${last.error.message.split('\n')[0]}` : last?.suspendReason ? `  ${last.suspendReason}` : '';
      lines.push(`  ${nodeStatus(n).padEnd(11)} ${n.nodeId}  attempts ${n.attempts}${usage}${since ? `, running for ${since}` : ''}${why}`);
    }
    out(safeText(lines.join('\n')));
    return 0;
  });
}

/**
 * `taskgraph report RUN`: writes the Markdown report (rebuilt from the store and the branch) and
 * prints its path; `--print` prints the very same text instead.
 */
export async function reportCommand(runId: string, opts: CommonOptions & { print?: boolean }): Promise<number> {
  return withProject(opts, async (project) => {
    if (opts.print) process.stdout.write(await buildRunReport(project.store, runId));
    else out(await writeRunReport(project.store, runId, project.dir));
    return 0;
  });
}

/** What `init` says about committing the configuration: runs check out HEAD, so it must be in git. */
function commitAdvice(state: ConfigCommitState, file: string): string {
  const why = `commit ${file}: runs work in a worktree checked out from HEAD, which has only committed files`;
  if (state === 'committed') return `${file} is committed as written: runs (worktrees checked out from HEAD) see it`;
  if (state === 'no-repository') return `${why}; this is not a git repository with a commit yet: git init && git add -A && git commit -m init`;
  return `${why}: ${commitConfigCommand(file)}`;
}

/**
 * `taskgraph init`: writes taskgraph.yaml, says plainly that it must be committed (with the
 * command), and what the check of the detected commands found (`--no-check` skips it). Command
 * output is repository text: every line goes through safeText. JSON: `commit` holds the command.
 */
export async function initCommand(opts: { project: string; force?: boolean; check?: boolean; json?: boolean }): Promise<number> {
  const log = opts.json ? undefined : (m: string) => process.stderr.write(`checking ${safeText(m)}\n`);
  const result = await initProject(opts.project, { ...(opts.force ? { force: true } : {}), check: opts.check !== false, checkOptions: log ? { log } : {} });
  const file = basename(result.path);
  const commitState = await configCommitState(resolve(opts.project), file);
  if (opts.json) {
    out(safeJson({ path: result.path, created: result.created, detected: result.detected, check: result.check ?? null, config: result.config, commit: commitConfigCommand(file) }));
    return 0;
  }
  const c = result.config.commands;
  out(`wrote ${result.path}`);
  out(commitAdvice(commitState, file));
  out(`language: ${result.config.language || 'unknown'}`);
  out(`commands: setup ${c.setup ?? '(none)'}; build ${c.build ?? '(none)'}; test ${c.test ?? '(none found: set commands.test)'}`);
  if (result.check) {
    out('\ncheck (each detected command, once, in the project directory):');
    for (const k of result.check.checks) {
      const how = k.status === 'green' ? 'green' : k.status === 'missing' ? `missing tool: ${k.tool}` : k.status === 'timeout' ? 'timed out' : `red, exit ${k.exitCode}`;
      out(`  ${k.step.padEnd(5)}  ${k.command}${k.note ? ` (${k.note})` : ''}: ${how} (${(k.durationMs / 1000).toFixed(1)} s)`);
      for (const line of k.firstLines.slice(0, 8)) out(`      | ${line}`);
    }
    for (const p of result.check.proposals) out(`${p.applied ? 'applied' : 'proposal'}: ${p.key} = ${p.value}\n  ${p.reason}`);
    const test = result.check.checks.filter((k) => k.step === 'test').at(-1);
    if (test && test.status !== 'green') out('\nthe tests are not green here: `taskgraph do` stops at a red base commit until they pass (or use --baseline known-failures)');
  } else if (opts.check === false) out('check skipped (--no-check)');
  out('next: edit the model profiles, then `taskgraph do "<goal>"`');
  return 0;
}
