import type { ProjectConfig } from '../core/config.js';
import { chatUrl, postChat } from '../notify/chat-webhook.js';
import { runGated } from '../sandbox/gate.js';
import { secretRedactor } from '../security/redact.js';
import type { Store } from '../store/store.js';

/**
 * Telling a person that a run waits for them (issue 11 "Notifications"; `notify:` in
 * taskgraph.yaml, {@link import('../core/config.js').NotifySchema}). Called by the engine when a
 * node suspends for a decision (`approval`, `human`) or a task is held for a person. Once per
 * waiting node and run: a `notified` or `notify-failed` audit entry for it means it was done.
 * Never throws and never fails the run: a failed delivery is logged and audited.
 */

/** What the person is waited for. */
export interface WaitingFor {
  runId: string;
  /** the node id, or the task id of a held task */
  nodeId: string;
  kind: 'approval' | 'human' | 'task';
  /** the question (or the reason the task is held); redacted before it leaves */
  question: string;
}

/**
 * What a node suspended for a person waits for: its kind and question; undefined for a node of
 * another kind (e.g. suspended by a budget limit).
 * @param node the node's kind and config as in the graph
 */
export function waitingOf(runId: string, node: { id: string; kind: string; config: unknown }): WaitingFor | undefined {
  if (node.kind !== 'approval' && node.kind !== 'human') return undefined;
  const config = (node.config ?? {}) as { question?: unknown; choices?: unknown };
  const question = typeof config.question === 'string' ? config.question : 'Approve to continue?';
  const choices = Array.isArray(config.choices) ? ` (choices: ${config.choices.join(' | ')})` : '';
  return { runId, nodeId: node.id, kind: node.kind, question: `${question}${choices}` };
}

/**
 * The notifications of one session: started as people are waited for (never awaited by the
 * loop), settled before the session ends. Does nothing without `notify:` in the config.
 */
export class Notices {
  private readonly pending: Promise<unknown>[] = [];

  /** @param log the run's log line for a node (or task) id */
  constructor(
    private readonly deps: Omit<NotifyDeps, 'log'>,
    private readonly log: (nodeId: string, message: string) => void,
  ) {}

  /** A node suspended: notifies when it is an `approval` or `human` node. */
  node(runId: string, node: { id: string; kind: string; config: unknown }): void {
    this.send(waitingOf(runId, node));
  }

  /** A task held for a person, with the reason. */
  task(runId: string, taskId: string, reason: string): void {
    this.send({ runId, nodeId: taskId, kind: 'task', question: reason });
  }

  /** Resolves when every notification started has been delivered or given up (bounded by notify.timeoutMs). */
  async settled(): Promise<void> {
    await Promise.allSettled(this.pending);
  }

  private send(waiting: WaitingFor | undefined): void {
    if (!waiting || !this.deps.config.notify) return;
    this.pending.push(notifyPerson(waiting, { ...this.deps, log: (message) => this.log(waiting.nodeId, message) }));
  }
}

/** Where {@link notifyPerson} works. */
export interface NotifyDeps {
  store: Pick<Store, 'appendAudit' | 'listAudit'>;
  config: ProjectConfig;
  /** the checkout: the notify command runs here */
  projectDir: string;
  /** progress line (the run's log) */
  log: (message: string) => void;
  /** the HTTP client; default the global `fetch` */
  fetch?: typeof fetch;
  /** where `notify.chat` URLs are read (their `urlEnv`); default `process.env` */
  env?: NodeJS.ProcessEnv;
  /** backoff ceiling (ms) after a chat delivery's first failure; default 500 (`notify/chat-webhook.ts`) */
  retryBaseMs?: number;
}

/**
 * Delivers `waiting` to `config.notify` (command, webhook, and the `chat` targets that list
 * `approval_requested`: `notify/chat-webhook.ts`, retried with backoff) unless it was delivered (or
 * tried) for this run and node before. Both channels are tried; each is bounded by
 * `notify.timeoutMs`. Audits `notified` (channels that worked) and `notify-failed` (with the
 * reasons) as `who: taskgraph`.
 * @returns the delivery problems, one line each (empty: delivered, or nothing configured or due)
 */
export async function notifyPerson(waiting: WaitingFor, deps: NotifyDeps): Promise<string[]> {
  const notify = deps.config.notify;
  if (!notify) return [];
  try {
    const prior = await deps.store.listAudit(waiting.runId);
    if (prior.some((e) => (e.kind === 'notified' || e.kind === 'notify-failed') && e.details['node'] === waiting.nodeId)) return [];
  } catch {
    return []; // the store failing here is the run's problem, reported elsewhere
  }
  const question = secretRedactor().redact(waiting.question);
  const problems: string[] = [];
  const sent: string[] = [];
  if (notify.command) {
    try {
      const result = await runGated(notify.command, {
        kind: 'command',
        cwd: deps.projectDir,
        config: deps.config,
        projectDir: deps.projectDir,
        timeoutMs: notify.timeoutMs,
        env: { TASKGRAPH_RUN: waiting.runId, TASKGRAPH_NODE: waiting.nodeId, TASKGRAPH_KIND: waiting.kind, TASKGRAPH_QUESTION: question },
        audit: { store: deps.store, runId: waiting.runId },
      });
      if (result.exitCode === 0 && !result.timedOut) sent.push('command');
      else problems.push(`notify.command ${result.timedOut ? `timed out after ${notify.timeoutMs} ms` : `exited ${result.exitCode}`}${result.stderr ? `: ${result.stderr.trim().slice(0, 200)}` : ''}`);
    } catch (error) {
      problems.push(`notify.command: ${(error as Error).message}`);
    }
  }
  if (notify.webhook) {
    try {
      const response = await (deps.fetch ?? fetch)(notify.webhook, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ run: waiting.runId, node: waiting.nodeId, kind: waiting.kind, question }),
        signal: AbortSignal.timeout(notify.timeoutMs),
      });
      await response.body?.cancel();
      if (response.ok) sent.push('webhook');
      else problems.push(`notify.webhook answered HTTP ${response.status}`);
    } catch (error) {
      const e = error as Error;
      problems.push(`notify.webhook: ${e.name === 'TimeoutError' ? `no answer within ${notify.timeoutMs} ms` : e.message}`);
    }
  }
  // chat targets that want approvals (notify.chat, `notify/chat-webhook.ts`): one message each, retried
  for (const target of notify.chat.filter((t) => t.events.includes('approval_requested'))) {
    const label = `notify.chat ${target.service} (${target.urlEnv})`;
    try {
      const title = waiting.kind === 'task' ? `taskgraph: task ${waiting.nodeId} of run ${waiting.runId} is held for you` : `taskgraph: run ${waiting.runId} waits for your ${waiting.kind === 'approval' ? 'approval' : 'answer'} at ${waiting.nodeId}`;
      await postChat(target.service, chatUrl(target.urlEnv, deps.env), { title, text: question, event: 'approval_requested', data: { run: waiting.runId, node: waiting.nodeId, kind: waiting.kind } }, {
        timeoutMs: notify.timeoutMs,
        ...(deps.fetch ? { fetch: deps.fetch } : {}),
        ...(deps.retryBaseMs !== undefined ? { baseMs: deps.retryBaseMs } : {}),
      });
      sent.push(target.service);
    } catch (error) {
      problems.push(`${label}: ${(error as Error).message}`);
    }
  }
  const at = Date.now();
  const base = { runId: waiting.runId, who: 'taskgraph', subject: waiting.nodeId };
  try {
    if (sent.length > 0) await deps.store.appendAudit({ ...base, at, kind: 'notified', reason: `sent by ${sent.join(' and ')}`, details: { node: waiting.nodeId, kind: waiting.kind, channels: sent } });
    if (problems.length > 0) {
      for (const p of problems) deps.log(`notification not delivered: ${p}`);
      await deps.store.appendAudit({ ...base, at, kind: 'notify-failed', reason: problems.join('; '), details: { node: waiting.nodeId, kind: waiting.kind, problems } });
    }
  } catch {
    // an audit write failing must not fail the run either
  }
  return problems;
}
