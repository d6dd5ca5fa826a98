import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, expect } from 'vitest';
import { startFakeOpenAIServer, type FakeOpenAIServer } from '../../src/testing/fake-openai-server.js';
import { ensureBuilt } from './build.js';
import { describeResult, runCli } from './cli.js';
import { createSampleRepo, git, type SampleRepoOptions, type TempProject } from './project.js';
import { calc, scriptedModel, seen, type Script, type ScriptedModel, type SeenRequest } from './scripted-model.js';
import { queryStore } from './store-db.js';

/**
 * The fixture of the parallel-task tests (issue 10): the sample project with a base commit whose
 * tests pass (the multiply check comes with a task), and a scripted model behind the loopback
 * fake server that answers after a delay, so tasks that run at once are seen to overlap.
 * @param delayMs the delay before each answer (ms), by request
 */
export function useParallelProject(
  script: Script,
  delayMs: (req: Omit<SeenRequest, 'attempt'>) => number,
  repo: Pick<SampleRepoOptions, 'config' | 'files'> = {},
): { model: ScriptedModel; readonly project: TempProject } {
  const model = scriptedModel(script);
  let server: FakeOpenAIServer | undefined;
  let project: TempProject | undefined;
  beforeAll(async () => {
    await ensureBuilt();
    server = await startFakeOpenAIServer({
      respond: async (req) => {
        await sleep(delayMs(seen(req)));
        return model.respond(req);
      },
    });
    project = await createSampleRepo({ ...repo, baseURL: server.url, files: { 'test/calc.test.mjs': calc.testWithoutMultiply, ...(repo.files ?? {}) } });
  });
  afterAll(async () => {
    await server?.close();
    await project?.cleanup();
  });
  return {
    model,
    get project() {
      return project!;
    },
  };
}

/** What `do --json` prints, as the parallel tests read it. */
export interface ParallelSummary {
  runId: string;
  status: string;
  branch: string;
  worktree: string;
  report: string;
  /** the live progress the command wrote (plain lines: stderr is not a terminal) */
  stderr: string;
}

/**
 * `taskgraph do GOAL --task-concurrency N --json` in `dir`; expects it to succeed.
 * @returns the run summary, with the progress lines it wrote to stderr
 */
export async function runParallelDo(dir: string, goal: string, taskConcurrency: number): Promise<ParallelSummary> {
  const r = await runCli(['-C', dir, 'do', goal, '--task-concurrency', String(taskConcurrency), '--json'], { timeoutMs: 120_000 });
  expect(r.code, describeResult(r)).toBe(0);
  const summary = { ...(JSON.parse(r.stdout) as Omit<ParallelSummary, 'stderr'>), stderr: r.stderr };
  expect(summary.status).toBe('succeeded');
  return summary;
}

/** A run's task row as the store keeps it (`run_tasks`). */
export interface TaskRow {
  task_id: string;
  status: string;
  attempt: number;
  start_commit: string | null;
  worktree: string | null;
  branch: string | null;
  integrated_commit: string | null;
}

/** The run's task rows, by task id, read from the project's store. */
export function taskRows(dir: string, runId: string): Map<string, TaskRow> {
  const rows = queryStore<TaskRow>(dir, 'SELECT task_id, status, attempt, start_commit, worktree, branch, integrated_commit FROM run_tasks WHERE run_id = ?', runId);
  return new Map(rows.map((r) => [r.task_id, r]));
}

/** The subjects of the commits on `branch` since `main`, oldest first. */
export async function branchSubjects(dir: string, branch: string): Promise<string[]> {
  return (await git(dir, 'log', '--reverse', '--format=%s', `main..${branch}`)).split('\n').filter(Boolean);
}
