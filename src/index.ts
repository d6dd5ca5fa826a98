/**
 * taskgraph as a library: the graph model and validation, the engine with its node kinds, the
 * SQLite store, the model client, the planner and the git workspace. The CLI (`src/cli`) is one
 * user of this API.
 */
export { ProjectConfigSchema, type ModelProfile, type ProjectConfig } from './core/config.js';
export { TaskgraphError, toErrorRecord, type ErrorCode, type ErrorRecord } from './core/errors.js';
export { GraphSpecSchema, NODE_KINDS, type Graph, type GraphSpec, type GraphSpecInput, type NodeKind, type NodeSpec } from './core/graph.js';
export { cacheKey, canonicalJson, diffIngredients, hashJson, keyIngredients, type KeyIngredients } from './core/hash.js';
export type { Json } from './core/json.js';
export { TaskSchema, type PlanRecord, type Task, type TaskLink } from './core/task.js';
export { buildGraph, findCycle, graphFromSpec, topologicalOrder } from './core/validate.js';
export { Engine, newRunId, type EngineOptions, type RunStart, type RunSummary } from './engine/engine.js';
export type { EngineEvent, EngineObserver } from './engine/events.js';
export {
  effectiveRunStatus, HEARTBEAT_INTERVAL_MS, isProcessAlive, LEASE_TTL_MS, RunLeaseHolder, RunSessionScope, type LeaseOptions,
} from './engine/run-lease.js';
export type { ExecutorRegistry, NodeContext, NodeExecutor, NodeOutcome, ScriptFunction, ScriptRegistry } from './engine/node-executor.js';
export { Scheduler } from './engine/scheduler.js';
export { AiSdkModelClient, type AiSdkModelClientOptions } from './llm/ai-sdk-client.js';
export type { ModelClient, ModelRequest, ModelResponse } from './llm/model-client.js';
export { defaultRegistry } from './nodes/index.js';
export { planGoal, type PlanGoalOptions, type PlanResult } from './planning/planner.js';
export { planIdFor, planToNodes } from './planning/plan-graph.js';
export { loadProjectConfig } from './project/load-config.js';
export { openStore, type OpenStoreOptions } from './store/open-store.js';
export { PostgresStore, type PostgresStoreOptions } from './store/postgres-store.js';
export { resolveStoreLocation, redactDatabaseUrl, DATABASE_URL_ENV } from './store/store-location.js';
export { SqliteStore } from './store/sqlite-store.js';
export type { AttemptRecord, CacheEntry, RunLease, RunRecord, RunSession, Store, Usage } from './store/store.js';
export { createRunWorkspace, GitWorkspace, openRunWorkspace } from './workspace/git-workspace.js';
export type { Workspace } from './workspace/workspace.js';
