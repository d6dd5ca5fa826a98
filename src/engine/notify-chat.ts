import type { ProjectConfig } from '../core/config.js';
import { chatUrl, postChat, type ChatMessage } from '../notify/chat-webhook.js';
import type { Store } from '../store/store.js';
import type { EngineEvent, EngineObserver } from './events.js';

/**
 * Chat messages of a run's session (issue 16): an engine observer that tells the `notify.chat`
 * targets of taskgraph.yaml when the run finishes (`run_finished`) or a budget limit is reached
 * (`budget_reached`). Approvals (`approval_requested`) go through `notify-person.ts`, which
 * tells each waiting node once per run. Deliveries are never awaited by the run loop; the engine
 * waits for {@link ChatNotices.settled} after the run's last event. A failed delivery is audited
 * (`notify-failed`, details `{ event, problems }`) and never fails the run.
 */
export class ChatNotices {
  private readonly pending: Promise<unknown>[] = [];

  /**
   * @param deps the store (audit), the config (`notify.chat`), and for tests the HTTP client, the environment and the backoff base (ms)
   */
  constructor(private readonly deps: { store: Pick<Store, 'appendAudit'>; config: ProjectConfig; fetch?: typeof fetch; env?: NodeJS.ProcessEnv; retryBaseMs?: number }) {}

  /** Whether any chat target listens to run events at all (else the engine installs nothing). */
  static wanted(config: ProjectConfig): boolean {
    return (config.notify?.chat ?? []).some((t) => t.events.includes('run_finished') || t.events.includes('budget_reached'));
  }

  /** The engine observer (never throws, never waits). */
  readonly observer: EngineObserver = (event) => {
    const message = chatMessageOf(event);
    if (message) this.pending.push(this.send(event.runId, message));
  };

  /** Resolves when every message started was delivered or given up (each bounded by notify.timeoutMs and its retries). */
  async settled(): Promise<void> {
    await Promise.allSettled(this.pending);
  }

  private async send(runId: string, message: ChatMessage & { event: 'run_finished' | 'budget_reached' }): Promise<void> {
    const notify = this.deps.config.notify;
    if (!notify) return;
    const problems: string[] = [];
    const sent: string[] = [];
    for (const target of notify.chat.filter((t) => t.events.includes(message.event))) {
      try {
        await postChat(target.service, chatUrl(target.urlEnv, this.deps.env), message, {
          timeoutMs: notify.timeoutMs,
          ...(this.deps.fetch ? { fetch: this.deps.fetch } : {}),
          ...(this.deps.retryBaseMs !== undefined ? { baseMs: this.deps.retryBaseMs } : {}),
        });
        sent.push(target.service);
      } catch (error) {
        problems.push(`notify.chat ${target.service} (${target.urlEnv}): ${(error as Error).message}`);
      }
    }
    const base = { runId, who: 'taskgraph', subject: runId, at: Date.now() };
    try {
      if (sent.length > 0) await this.deps.store.appendAudit({ ...base, kind: 'notified', reason: `${message.event} sent to ${sent.join(' and ')}`, details: { event: message.event, channels: sent } });
      if (problems.length > 0) await this.deps.store.appendAudit({ ...base, kind: 'notify-failed', reason: problems.join('; '), details: { event: message.event, problems } });
    } catch {
      // an audit write failing must not fail the run
    }
  }
}

/** The chat message an engine event stands for: `run-finish` and `budget-reached`, nothing else. */
export function chatMessageOf(event: EngineEvent): (ChatMessage & { event: 'run_finished' | 'budget_reached' }) | undefined {
  if (event.type === 'run-finish') {
    return {
      event: 'run_finished',
      title: `taskgraph: run ${event.runId} ${event.status}`,
      text: event.reason ?? `run ${event.runId} ended with status ${event.status}`,
      data: { run: event.runId, status: event.status, ...(event.reason ? { reason: event.reason } : {}) },
    };
  }
  if (event.type === 'budget-reached') {
    return {
      event: 'budget_reached',
      title: `taskgraph: run ${event.runId} reached a budget limit${event.task ? ` (task ${event.task})` : ''}`,
      text: `${event.reason}\nRaise the limit and \`taskgraph resume ${event.runId}\`.`,
      data: { run: event.runId, scope: event.scope, reason: event.reason, ...(event.task ? { task: event.task } : {}) },
    };
  }
  return undefined;
}
