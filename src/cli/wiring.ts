import { resolve } from 'node:path';
import type { Budget, ProjectConfig } from '../core/config.js';
import { Engine } from '../engine/engine.js';
import type { EngineObserver } from '../engine/events.js';
import type { ExecutorRegistry, ScriptRegistry } from '../engine/node-executor.js';
import { AiSdkModelClient } from '../llm/ai-sdk-client.js';
import type { ModelClient } from '../llm/model-client.js';
import { defaultRegistry } from '../nodes/index.js';
import { sandboxNotice } from '../sandbox/gate.js';
import { loadProjectConfig } from '../project/load-config.js';
import { trackerSecretEnvNames } from '../core/tracker-config.js';
import { addSecretEnvNames } from '../security/redact.js';
import { interruptSignal } from './interrupt.js';
import { sessionTaggedStore } from '../store/session-tagged-store.js';
import { openStore } from '../store/open-store.js';
import type { Library } from '../library/library.js';
import { openProjectLibrary } from '../library/open-library.js';
import { libraryPromptSource, type PromptSource } from '../library/prompt-source.js';
import type { Store } from '../store/store.js';
import { Webhooks } from '../webhooks/webhooks.js';
import { runLogFor } from './telemetry.js';

/**
 * The one place where a project's pieces are wired together (like Kysely's `src/kysely.ts`):
 * config, store, model client (live, recording or replaying), node executors and the engine.
 */
export interface ProjectHandle {
  dir: string;
  config: ProjectConfig;
  store: Store;
  models: ModelClient;
  executors: ExecutorRegistry;
  scripts: ScriptRegistry;
  /** the project's library (prompts and templates, in the store's database; `library/sqlite-library.ts`) */
  library: Library;
  /** the project's prompts, resolved through {@link library} (what its nodes use) */
  prompts: PromptSource;
  /** the webhook outbox and its delivery worker (started), when taskgraph.yaml has `webhooks:` */
  webhooks?: Webhooks;
  /** `--session NAME` the handle was opened with: its store tags what it writes; a server passes it on to the projects it opens for runs */
  session?: string;
  engine(options?: { observers?: EngineObserver[]; concurrency?: number; taskConcurrency?: number; force?: string[]; budget?: Budget; signal?: AbortSignal; planOnly?: boolean }): Engine;
  close(): Promise<void>;
}

/** Options for {@link openProject}. */
export interface OpenProjectOptions {
  /** cassette file to record model exchanges into */
  record?: string;
  /** cassette file to replay model exchanges from (no network, no API key) */
  replay?: string;
  env?: NodeJS.ProcessEnv;
  /** `--yes-commands`: unlisted commands run this session, each one audited (`policy.safety.commands.yes`) */
  yesCommands?: boolean;
  /** `--by`: who the audit log names for this session's decisions (`policy.safety.commands.by`) */
  by?: string;
  /** `--session NAME` (issue 13): every record written through the handle's store is tagged (`store/session-tagged-store.ts`) */
  session?: string;
}

/**
 * Opens a project directory: loads and validates taskgraph.yaml, opens (and migrates) the store
 * (`.taskgraph/taskgraph.db`, or the PostgreSQL database of `TASKGRAPH_DATABASE_URL` / `store:`:
 * `store/open-store.ts`), builds the model client.
 * @throws TaskgraphError CONFIG_INVALID (config), STORE_ERROR (database), NOT_FOUND (cassette)
 */
export async function openProject(dir: string, options: OpenProjectOptions = {}): Promise<ProjectHandle> {
  const projectDir = resolve(dir);
  const { config } = await loadProjectConfig(projectDir);
  const commands = config.policy.safety.commands;
  if (options.yesCommands) commands.yes = true;
  if (options.by) commands.by = options.by;
  // the variables the profiles read their API keys from are secrets whatever their names
  addSecretEnvNames(Object.values(config.models).map((profile) => profile.apiKeyEnv));
  // and so are those an agent profile passes to its CLI (its API key)
  addSecretEnvNames(Object.values(config.agents).flatMap((profile) => profile.env));
  // and the tracker tokens of `trackers:` (issue 16)
  addSecretEnvNames(trackerSecretEnvNames(config.trackers));
  const opened = await openStore(projectDir, config.store !== undefined ? { store: config.store } : {});
  const store = options.session !== undefined ? sessionTaggedStore(opened, options.session) : opened;
  let library: Library | undefined;
  try {
    library = openProjectLibrary(projectDir, config.store);
    const prompts = libraryPromptSource(library);
    const models = new AiSdkModelClient({
      profiles: config.models,
      ...(options.env ? { env: options.env } : {}),
      ...(options.record ? { record: resolve(options.record) } : {}),
      ...(options.replay ? { replay: resolve(options.replay) } : {}),
    });
    const { executors, scripts } = defaultRegistry();
    // every start resumes the deliveries an earlier process left pending (webhooks/delivery-worker.ts)
    const webhooks = config.webhooks.length > 0 ? new Webhooks(store, config.webhooks, options.env ? { env: options.env } : {}).start() : undefined;
    return {
      ...(webhooks ? { webhooks } : {}),
      ...(options.session !== undefined ? { session: options.session } : {}),
      executors,
      scripts,
      library,
      prompts,
      dir: projectDir,
      config,
      store,
      models,
      engine: (o = {}) => {
        warnIfUnconfined(config); // once per run session: do, run, resume create one engine each
        const log = runLogFor(projectDir); // .taskgraph/logs/<run>.log and stderr at --log-level
        return new Engine({
          store,
          executors,
          scripts,
          prompts,
          projectDir,
          config,
          models,
          ...(webhooks ? { webhooks: webhooks.outbox } : {}),
          observers: [...(o.observers ?? []), log.observer],
          ...(o.concurrency ? { concurrency: o.concurrency } : {}),
          ...(o.taskConcurrency ? { taskConcurrency: o.taskConcurrency } : {}),
          ...(o.force ? { force: o.force } : {}),
          ...(o.budget ? { budget: o.budget } : {}),
          signal: o.signal ?? interruptSignal, // SIGINT/SIGTERM stop the run (src/cli/interrupt.ts)
          ...(o.planOnly ? { planOnly: true } : {}),
        });
      },
      close: async () => {
        await webhooks?.close(); // what is not delivered in its grace stays pending for the next start
        await library?.close();
        await store.close();
      },
    };
  } catch (error) {
    await library?.close();
    await store.close();
    throw error;
  }
}

/** Prints {@link sandboxNotice}'s line to stderr when this run's commands will run unconfined. */
function warnIfUnconfined(config: ProjectConfig): void {
  const notice = sandboxNotice(config);
  if (notice) process.stderr.write(`${notice}\n`);
}

/**
 * Opens the project named by `opts.project` (with the cassette options and `--yes-commands`/`--by`, if any), runs `fn`, and
 * closes the store whatever happens. The one way CLI commands get at a project.
 */
export async function withProject<T>(
  opts: { project: string; record?: string | undefined; replay?: string | undefined; yesCommands?: boolean | undefined; by?: string | undefined; session?: string | undefined },
  fn: (project: ProjectHandle) => Promise<T>,
): Promise<T> {
  const project = await openProject(opts.project, {
    ...(opts.record ? { record: opts.record } : {}),
    ...(opts.replay ? { replay: opts.replay } : {}),
    ...(opts.yesCommands ? { yesCommands: true } : {}),
    ...(opts.by ? { by: opts.by } : {}),
    ...(opts.session !== undefined ? { session: opts.session } : {}),
  });
  try {
    return await fn(project);
  } finally {
    await project.close();
  }
}
