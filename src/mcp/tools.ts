import { z } from 'zod';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { renderBundle } from '../context/render.js';
import type { ContextBundle } from '../context/types.js';
import { TaskgraphError } from '../core/errors.js';
import { TASK_STATUSES, type Task } from '../core/task.js';
import type { Store } from '../store/store.js';
import { type ApiBridge, query } from './api-bridge.js';
import { fitAnswer, pageOf } from './fit-answer.js';

/**
 * The MCP tools of `taskgraph mcp`. Each one is a thin call of the HTTP API's route
 * (`api-bridge.ts`), and each answer goes through {@link fitAnswer}, so none exceeds 8,000 tokens.
 * Descriptions are terse on purpose: the whole list stays under 2,000 tokens (o200k_base).
 */

/** Tool tiers of `--tools`: `core` (the task loop) or `all`. */
export const TOOL_TIERS = ['core', 'all'] as const;
/** One of {@link TOOL_TIERS}. */
export type ToolTier = (typeof TOOL_TIERS)[number];
/** The tools of the `core` tier; `all` adds decompose, run and decide. */
export const CORE_TOOLS = ['plan', 'tasks', 'next_task', 'task', 'update_task'] as const;

type Result = { content: { type: 'text'; text: string }[]; isError?: boolean };

/** Runs a tool body: its value as fitted JSON text, or a TaskgraphError as an error result with its hint. */
async function answer(body: () => Promise<unknown>): Promise<Result> {
  try {
    return { content: [{ type: 'text', text: fitAnswer(await body()) }] };
  } catch (error) {
    const e = error instanceof TaskgraphError ? { code: error.code, message: error.message, ...(error.hint ? { hint: error.hint } : {}) } : { code: 'ERROR', message: error instanceof Error ? error.message : String(error) };
    return { content: [{ type: 'text', text: fitAnswer(e) }], isError: true };
  }
}

/** A task as a list row: id, title (≤ 120 chars), status, dependencies, parent, whether it is a leaf. */
function row(t: Task) {
  return { id: t.id, title: t.title.length > 120 ? `${t.title.slice(0, 120)}…` : t.title, status: t.status, deps: t.dependencies, ...(t.parent ? { parent: t.parent } : {}), ...(t.atomic ? {} : { composite: true }) };
}

/**
 * The first task in plan order that is ready: a pending leaf whose dependencies are all done or
 * skipped. Undefined when none is.
 */
export function nextReady(tasks: readonly Task[]): Task | undefined {
  const state = new Map(tasks.map((t) => [t.id, t.status]));
  return tasks.find((t) => t.atomic && t.status === 'pending' && t.dependencies.every((d) => state.get(d) === 'done' || state.get(d) === 'skipped'));
}

const plan = z.string().optional().describe('plan id; default newest');
const page = { cursor: z.string().optional().describe('nextCursor of previous page'), limit: z.number().int().min(1).max(500).optional().describe('default 100') };
const tasksPath = (p: string | undefined) => `/tasks${query({ plan: p })}`;

/**
 * Registers the tools of `tier` on `server`.
 * @param api the bridge to the project's HTTP API operations
 * @param store the project's store (read only: the waiting nodes of runs)
 */
export function registerTools(server: McpServer, api: ApiBridge, store: Store, tier: ToolTier): void {
  const core = new Set<string>(CORE_TOOLS);
  const want = (name: string) => tier === 'all' || core.has(name);

  if (want('plan')) {
    server.registerTool(
      'plan',
      { description: 'Plan a goal or PRD into tasks (background run; poll run status).', inputSchema: { goal: z.string().optional(), prd: z.string().optional().describe('PRD text'), maxDepth: z.number().int().min(0).max(10).optional() } },
      (a) => answer(() => api.call('POST', '/plans', a)),
    );
  }

  if (want('tasks')) {
    server.registerTool(
      'tasks',
      { description: 'List tasks (id, title, status, deps), paged.', inputSchema: { plan, status: z.enum(TASK_STATUSES).optional(), tag: z.string().optional(), ...page } },
      (a) =>
        answer(async () => {
          const tasks = await api.call<Task[]>('GET', `/tasks${query({ plan: a.plan, status: a.status, tag: a.tag })}`);
          const { rows, ...rest } = pageOf(tasks.map(row), a.cursor, a.limit ?? 100, { plan: tasks[0]?.planId ?? null });
          return { ...rest, tasks: rows };
        }),
    );
  }

  if (want('next_task')) {
    server.registerTool(
      'next_task',
      { description: 'Next ready task (pending, deps done) with its context bundle.', inputSchema: { plan } },
      (a) =>
        answer(async () => {
          const tasks = await api.call<Task[]>('GET', tasksPath(a.plan));
          const next = nextReady(tasks);
          if (!next) return { task: null, pending: tasks.filter((t) => t.status === 'pending').length };
          const preview = await api.call<{ bundle: ContextBundle }>('POST', `/tasks/${encodeURIComponent(next.id)}/context/preview`, { plan: next.planId });
          return { task: next, context: renderBundle(preview.bundle), contextTokens: preview.bundle.tokens };
        }),
    );
  }

  if (want('task')) {
    server.registerTool(
      'task',
      { description: 'A task with its notes and links.', inputSchema: { id: z.string(), plan } },
      (a) =>
        answer(async () => {
          const task = await api.call<Task>('GET', `/tasks/${encodeURIComponent(a.id)}${query({ plan: a.plan })}`);
          const { links } = await api.call<{ links: unknown[] }>('GET', `/context/links/${encodeURIComponent(a.id)}${query({ plan: task.planId })}`);
          return { task, links };
        }),
    );
  }

  if (want('update_task')) {
    server.registerTool(
      'update_task',
      { description: "Set a task's status and/or append a note.", inputSchema: { id: z.string(), plan, status: z.enum(TASK_STATUSES).optional(), note: z.string().optional() } },
      ({ id, ...body }) => answer(async () => row((await api.call<{ task: Task }>('PUT', `/tasks/${encodeURIComponent(id)}`, body)).task)),
    );
  }

  if (want('decompose')) {
    const sub = z.object({ id: z.string().optional(), title: z.string(), description: z.string().optional(), acceptance: z.array(z.string()).min(1), files: z.array(z.string()).optional(), dependencies: z.array(z.string()).optional() });
    server.registerTool(
      'decompose',
      { description: 'Split a task into the given subtasks (in order).', inputSchema: { id: z.string(), plan, subtasks: z.array(sub).min(1).max(50) } },
      (a) =>
        answer(async () => {
          const added: ReturnType<typeof row>[] = [];
          for (const s of a.subtasks) added.push(row((await api.call<{ task: Task }>('POST', '/tasks', { ...s, parent: a.id, ...(a.plan ? { plan: a.plan } : {}) })).task));
          return { parent: a.id, added };
        }),
    );
  }

  if (want('run')) {
    server.registerTool(
      'run',
      {
        description: 'Start (goal or plan), resume, or get status of a run; status without runId lists recent runs.',
        inputSchema: { action: z.enum(['start', 'resume', 'status']), runId: z.string().optional(), goal: z.string().optional(), plan: z.string().optional(), ...page },
      },
      (a) => answer(() => runTool(api, a)),
    );
  }

  if (want('library')) {
    server.registerTool(
      'library',
      {
        description: 'Search prompts/templates by text and tags, or get one by ref (name@version).',
        inputSchema: { text: z.string().optional(), tags: z.array(z.string()).optional(), kind: z.enum(['prompt', 'template']).optional(), ref: z.string().optional() },
      },
      (a) => answer(() => libraryTool(api, a)),
    );
  }

  if (want('decide')) {
    server.registerTool(
      'decide',
      {
        description: 'List pending decisions, or approve/reject a waiting node, or answer a question.',
        inputSchema: { action: z.enum(['pending', 'approve', 'reject', 'answer']), runId: z.string().optional(), node: z.string().optional(), answer: z.string().optional(), comment: z.string().optional() },
      },
      (a) =>
        answer(async () => {
          if (a.action === 'pending') return pendingDecisions(api, store, a.runId);
          if (!a.runId || !a.node) throw new TaskgraphError('CONFIG_INVALID', `${a.action} needs runId and node`, { hint: 'find them with action "pending"' });
          if (a.action === 'answer') return api.call('POST', '/answers', { runId: a.runId, id: a.node, answer: a.answer ?? '' });
          return api.call('POST', '/approvals', { runId: a.runId, nodeId: a.node, decision: a.action, ...(a.comment ? { comment: a.comment } : {}) });
        }),
    );
  }
}

/** The `library` tool: GET /library (search or list) or GET /library/{kind}/{ref} (one item with its body). */
async function libraryTool(api: ApiBridge, a: { ref?: string | undefined; kind?: 'prompt' | 'template' | undefined; text?: string | undefined; tags?: string[] | undefined }): Promise<unknown> {
  if (a.ref) return api.call('GET', `/library/${a.kind ?? 'template'}/${encodeURIComponent(a.ref)}`);
  return api.call('GET', `/library${query({ kind: a.kind, text: a.text, tags: a.tags?.join(','), limit: '20' })}`);
}

/** The `run` tool: POST /run, POST /runs/{id}/resume, or a summary of GET /runs/{id} (GET /runs without an id). */
async function runTool(api: ApiBridge, a: { action: 'start' | 'resume' | 'status'; runId?: string | undefined; goal?: string | undefined; plan?: string | undefined; cursor?: string | undefined; limit?: number | undefined }): Promise<unknown> {
  if (a.action === 'start') return api.call('POST', '/run', { ...(a.goal ? { goal: a.goal } : {}), ...(a.plan ? { plan: a.plan } : {}) });
  if (a.action === 'resume') {
    if (!a.runId) throw new TaskgraphError('CONFIG_INVALID', 'resume needs runId', { hint: 'list runs with action "status" and no runId' });
    return api.call('POST', `/runs/${encodeURIComponent(a.runId)}/resume`);
  }
  if (!a.runId) {
    const runs = await api.call<{ id: string; status: string; command: string; planId?: string; createdAt: string }[]>('GET', '/runs?limit=200');
    const { rows, ...rest } = pageOf(runs.map((r) => ({ id: r.id, status: r.status, command: r.command, planId: r.planId, createdAt: r.createdAt })), a.cursor, a.limit ?? 50);
    return { ...rest, runs: rows };
  }
  const d = await api.call<{ run: { id: string; status: string; reason?: string; branch?: string; planId?: string }; nodes: { nodeId: string; status: string }[]; usage: { total: unknown }; report: string }>('GET', `/runs/${encodeURIComponent(a.runId)}`);
  const counts: Record<string, number> = {};
  for (const n of d.nodes) counts[n.status] = (counts[n.status] ?? 0) + 1;
  const open = d.nodes.filter((n) => n.status !== 'succeeded' && n.status !== 'cached' && n.status !== 'skipped');
  const { rows, ...rest } = pageOf(open, a.cursor, a.limit ?? 50);
  return { run: d.run, nodeCounts: counts, usage: d.usage.total, openNodes: { ...rest, rows }, report: d.report };
}

/** How many suspended runs `decide pending` looks at when no run is named. */
const PENDING_RUNS = 20;

/**
 * The `decide pending` answer: the approvals waiting (`GET /approvals`: edits and command lines
 * with their risk) and every suspended node of the run (or of the newest suspended runs) — an
 * approval node or a question waiting for a person — each list paged to 20.
 */
async function pendingDecisions(api: ApiBridge, store: Store, runId: string | undefined): Promise<unknown> {
  const approvals = await api.call<unknown[]>('GET', `/approvals${query({ run: runId })}`);
  const runIds = runId !== undefined ? [runId] : (await api.call<{ id: string; status: string }[]>('GET', `/runs?limit=${PENDING_RUNS}`)).filter((r) => r.status === 'suspended').map((r) => r.id);
  const waiting: { runId: string; node: string; kind?: string }[] = [];
  for (const id of runIds) {
    const kinds = new Map((await store.getRun(id))?.graph.nodes.map((n) => [n.id, n.kind]) ?? []);
    for (const n of await store.listRunNodes(id)) if (n.status === 'suspended') waiting.push({ runId: id, node: n.nodeId, ...(kinds.has(n.nodeId) ? { kind: kinds.get(n.nodeId)! } : {}) });
  }
  const { rows: a, ...aRest } = pageOf(approvals, undefined, 20);
  const { rows: w, ...wRest } = pageOf(waiting, undefined, 20);
  return { approvals: { ...aRest, rows: a }, waiting: { ...wRest, rows: w } };
}
