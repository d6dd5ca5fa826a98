import type { EngineObserver } from '../engine/events.js';
import type { RunSummary } from '../engine/run-summary.js';
import type { RunLeaseHolder } from '../engine/run-lease.js';
import { workspaceOf } from '../cli/resume-command.js';
import { tryWriteReport } from '../cli/run-common.js';
import { safeText } from '../cli/safe-text.js';
import type { ProjectHandle } from '../cli/wiring.js';
import { writeRunReport } from '../report/report.js';
import type { RunRecord } from '../store/store.js';

/**
 * The run sessions `taskgraph serve` carries out in its own process (issue 12 "the run goes on in
 * the server process"): each one with its own AbortController, so `POST /runs/:id/cancel` stops
 * it cleanly (the engine records it `interrupted`, as SIGINT does for the CLI). A session's end
 * writes the run's report; its failure is one line on stderr, never a crash of the server.
 */
export class InProcessRuns {
  private readonly live = new Map<string, { controller: AbortController; done: Promise<void> }>();

  /** @param project the project the server serves (its store stays open while the server runs) */
  constructor(private readonly project: ProjectHandle) {}

  /** Whether this process is carrying out a session of `runId` now. */
  has(runId: string): boolean {
    return this.live.has(runId);
  }

  /**
   * Starts a session in the background and returns at once.
   * @param session runs the engine with the given signal (passed to `project.engine({ signal })`)
   */
  launch(runId: string, session: (signal: AbortSignal) => Promise<RunSummary>): void {
    const controller = new AbortController();
    const done = (async () => {
      try {
        await session(controller.signal);
        const report = await tryWriteReport(() => writeRunReport(this.project.store, runId, this.project.dir), runId);
        if (report.warning) process.stderr.write(`${report.warning}\n`);
      } catch (error) {
        process.stderr.write(`${safeText(`run ${runId}: ${(error instanceof Error ? error.message : String(error)).split('\n')[0]}`)}\n`);
      } finally {
        this.live.delete(runId);
      }
    })();
    this.live.set(runId, { controller, done });
  }

  /**
   * {@link launch}, then waits until the session has recorded its run (its `run-start` event), so
   * that a `GET /runs/{id}` right after the answer finds the run: `POST /run` and `POST /plans`.
   * @param session runs the engine with the given signal and observer (pass both to the engine)
   * @throws the session's error when it failed before recording the run (an invalid graph, git)
   */
  async launchRecorded(runId: string, session: (signal: AbortSignal, observer: EngineObserver) => Promise<RunSummary>): Promise<void> {
    let recorded!: () => void;
    const isRecorded = new Promise<void>((resolve) => (recorded = resolve));
    let failure: unknown;
    this.launch(runId, async (signal) => {
      try {
        return await session(signal, (e) => e.type === 'run-start' && recorded());
      } catch (error) {
        failure = error;
        throw error;
      }
    });
    await Promise.race([isRecorded, this.settled(runId)]);
    if (failure !== undefined && !(await this.project.store.getRun(runId))) throw failure;
  }

  /**
   * Continues `run` under a lease this process took (released when the session ends) in the
   * background: `POST /runs/:id/resume`, or an approval or answer that found the run free.
   * @param command recorded for the session: `resume`, `approve`, `reject`, `answer`
   */
  resume(run: RunRecord, holder: RunLeaseHolder, command: string): void {
    this.launch(run.id, async (signal) => {
      try {
        return await this.project
          .engine({ signal, ...(run.command === 'plan' ? { planOnly: true } : {}) })
          .resume(run.id, await workspaceOf(this.project, run), { lease: holder, command });
      } finally {
        await holder.release();
      }
    });
  }

  /**
   * Aborts this process's session of `runId` (the engine stops its nodes and records the run
   * `interrupted`).
   * @returns false when this process runs no session of it
   */
  cancel(runId: string): boolean {
    const entry = this.live.get(runId);
    if (!entry) return false;
    entry.controller.abort(new Error(`run ${runId} cancelled through the HTTP API`));
    return true;
  }

  /** Waits until the session of `runId` (if any) has ended. */
  async settled(runId: string): Promise<void> {
    await this.live.get(runId)?.done;
  }

  /** Aborts every session and waits for them to end (server shutdown). */
  async closeAll(): Promise<void> {
    const entries = [...this.live.values()];
    for (const e of entries) e.controller.abort(new Error('the server is shutting down'));
    await Promise.all(entries.map((e) => e.done));
  }
}
