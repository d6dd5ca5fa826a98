import { createLogUpdate } from 'log-update';
import pc from 'picocolors';
import type { EngineEvent, EngineObserver } from '../engine/events.js';
import type { NodeStatus } from '../store/store.js';
import { safeText } from './safe-text.js';

/**
 * Live progress in the terminal (DESIGN.md §11): on a TTY a redrawn tree of tasks and their nodes
 * with status, cache hits, attempts, tokens and cost; elsewhere (CI, pipes) one plain line per
 * event. Implemented as an engine observer: it never changes a run. Text from events (node and
 * task ids, error messages, failure notes, reasons) passes {@link safeText} before taskgraph adds
 * its colours, so a model or a repository cannot move the cursor, clear the screen or retitle the
 * window through it.
 */
export interface Progress {
  observer: EngineObserver;
  /** stops redrawing and leaves the final frame on screen */
  done(): void;
}

const ICON: Record<NodeStatus, string> = {
  pending: '·',
  running: '▶',
  succeeded: '✔',
  cached: '◆',
  failed: '✖',
  skipped: '↷',
  suspended: '⏸',
};

function colour(status: NodeStatus, text: string): string {
  switch (status) {
    case 'succeeded':
      return pc.green(text);
    case 'cached':
      return pc.cyan(text);
    case 'failed':
      return pc.red(text);
    case 'running':
      return pc.yellow(text);
    case 'suspended':
      return pc.magenta(text);
    default:
      return pc.dim(text);
  }
}

/**
 * @param stream where to write (default process.stderr, so `--json` stdout stays clean)
 * @param tty force TTY mode on or off (default: `stream.isTTY`)
 */
export function createProgress(stream: NodeJS.WriteStream = process.stderr, tty = Boolean(stream.isTTY) && !process.env['CI']): Progress {
  const nodes = new Map<string, { status: NodeStatus; attempt: number; task?: string; tokens: number; cost: number }>();
  const taskAttempts = new Map<string, number>();
  let tokens = 0;
  let cost = 0;
  let cached = 0;
  let executed = 0;
  const lines: string[] = [];
  const render = createLogUpdate(stream);

  const frame = () => {
    const byTask = new Map<string, string[]>();
    for (const [id, n] of nodes) {
      const key = n.task ?? '(graph)';
      if (!byTask.has(key)) byTask.set(key, []);
      byTask.get(key)!.push(id);
    }
    const out: string[] = [];
    for (const [task, ids] of byTask) {
      const attempt = taskAttempts.get(task);
      out.push(pc.bold(safeText(task)) + (attempt && attempt > 1 ? pc.yellow(` (attempt ${attempt})`) : ''));
      for (const id of ids) {
        const n = nodes.get(id)!;
        const extra = [n.attempt > 1 ? `try ${n.attempt}` : '', n.tokens > 0 ? `${n.tokens} tok` : '', n.cost > 0 ? `$${n.cost.toFixed(4)}` : '']
          .filter(Boolean)
          .join(', ');
        out.push(`  ${colour(n.status, `${ICON[n.status]} ${safeText(id)}`)}${extra ? pc.dim(`  ${extra}`) : ''}`);
      }
    }
    out.push(pc.dim(`executed ${executed}, cached ${cached}, tokens ${tokens}, cost $${cost.toFixed(4)}`));
    out.push(...lines.slice(-3));
    render(out.join('\n'));
  };

  // plain lines carry no colours of ours, so the whole line is cleaned: ids, errors and notes may
  // hold model or repository text
  const plain = (text: string) => stream.write(`${safeText(text)}\n`);

  const observer: EngineObserver = (event: EngineEvent) => {
    switch (event.type) {
      case 'run-start':
        if (!tty) plain(`run ${event.runId}${event.resumed ? ' (resumed)' : ''}: ${event.nodes} nodes`);
        break;
      case 'node-start':
        nodes.set(event.nodeId, { status: 'running', attempt: event.attempt, ...(event.task ? { task: event.task } : {}), tokens: 0, cost: 0 });
        break;
      case 'node-finish': {
        const n = nodes.get(event.nodeId) ?? { status: event.status, attempt: event.attempt, tokens: 0, cost: 0 };
        n.status = event.status;
        if (event.usage) {
          n.tokens += event.usage.inputTokens + event.usage.outputTokens;
          n.cost += event.usage.costUsd;
          tokens += event.usage.inputTokens + event.usage.outputTokens;
          cost += event.usage.costUsd;
        }
        nodes.set(event.nodeId, n);
        if (event.status === 'cached') cached++;
        else executed++;
        if (!tty) {
          const usage = event.usage && event.usage.calls > 0 ? `, ${event.usage.inputTokens}+${event.usage.outputTokens} tokens, $${event.usage.costUsd.toFixed(4)}` : '';
          const why = event.error ? `: ${event.error.message.split('\n')[0]}` : event.reason ? `: ${event.reason}` : '';
          plain(`  ${ICON[event.status]} ${event.nodeId} ${event.status}${event.attempt > 1 ? ` (attempt ${event.attempt})` : ''} ${event.durationMs} ms${usage}${why}`);
        }
        break;
      }
      case 'node-skip':
        for (const id of event.nodeIds) nodes.set(id, { ...(nodes.get(id) ?? { attempt: 0, tokens: 0, cost: 0 }), status: 'skipped' });
        if (!tty) plain(`  ${ICON.skipped} skipped ${event.nodeIds.length} node(s) after ${event.because} failed`);
        break;
      case 'graph-expand': {
        const plan = event.planId ? `plan ${event.planId}` : 'graph';
        const why = event.reason ? ` (${event.reason})` : '';
        if (!tty) plain(`${plan}: ${event.added.length} nodes added by ${event.by}${why}`);
        else lines.push(pc.dim(safeText(`${plan}: +${event.added.length} nodes${why}`)));
        break;
      }
      case 'task-retry': {
        taskAttempts.set(event.task, event.attempt);
        const first = event.note.split('\n')[0] ?? '';
        if (!tty) plain(`task ${event.task}: retry ${event.attempt}/${event.maxAttempts} with a failure note: ${first}`);
        else lines.push(pc.yellow(safeText(`${event.task}: retry ${event.attempt}/${event.maxAttempts}: ${first}`)));
        break;
      }
      case 'task-finish':
        if (!tty && event.awaitsIntegration) plain(`task ${event.task}: committed in its worktree after ${event.attempts} attempt(s); goes onto the run branch in plan order`);
        else if (event.status === 'needs-human') {
          const text = `task ${event.task}: held after ${event.attempts} attempt(s): ${event.reason ?? 'needs a person'}`;
          if (!tty) plain(text);
          else lines.push(pc.magenta(safeText(text)));
        } else if (!tty) plain(`task ${event.task}: ${event.status} after ${event.attempts} attempt(s)`);
        break;
      case 'task-integrate': {
        const batch = event.batch > 1 ? `, batch of ${event.batch}` : '';
        const text = `task ${event.task}: on ${event.branch} as ${event.commit.slice(0, 10)} (${event.how}${batch}, ${event.durationMs} ms)`;
        if (!tty) plain(text);
        else lines.push(pc.dim(safeText(text)));
        break;
      }
      case 'run-finish':
        break; // the command prints the run summary
      case 'log':
        break;
      case 'approval-requested':
        break; // the node's finish line says what it waits for
    }
    if (tty && !finished) frame();
  };

  let finished = false;
  return {
    observer,
    done: () => {
      if (tty && !finished) {
        finished = true;
        frame();
        render.done();
      }
    },
  };
}
