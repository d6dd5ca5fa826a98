/**
 * The UI's calls to the taskgraph HTTP API (same origin as the page). The bearer token comes
 * from the page's `#token=` fragment (the link `taskgraph serve` prints), is kept in
 * sessionStorage (per tab, gone when the tab closes) and removed from the address bar.
 */

const KEY = 'taskgraph-token';

/** Takes `#token=...` out of the address bar into sessionStorage; returns the token in use, if any. */
export function takeToken(): string | undefined {
  const match = /(?:^#|[#&])token=([^&]+)/.exec(location.hash);
  if (match) {
    sessionStorage.setItem(KEY, decodeURIComponent(match[1]!));
    history.replaceState(null, '', `${location.pathname}${location.search}#/`);
  }
  return sessionStorage.getItem(KEY) ?? undefined;
}

/** Stores a token typed by hand. */
export function setToken(token: string): void {
  sessionStorage.setItem(KEY, token.trim());
}

/** The stored token, or '' when none. */
export function token(): string {
  return sessionStorage.getItem(KEY) ?? '';
}

/** An API error: the server's `{ code, message, hint }` body and the HTTP status. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly hint?: string,
  ) {
    super(message);
  }
}

/** Calls the API; JSON in, JSON out. Throws {@link ApiError} for a non-2xx answer. */
export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(path, {
    method,
    headers: { authorization: `Bearer ${token()}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  const parsed = text ? (JSON.parse(text) as unknown) : undefined;
  if (!res.ok) {
    const e = (parsed ?? {}) as { code?: string; message?: string; hint?: string };
    throw new ApiError(res.status, e.code ?? 'HTTP_ERROR', e.message ?? `${method} ${path}: HTTP ${res.status}`, e.hint);
  }
  return parsed as T;
}

/** Usage of attempts (tokens, USD). */
export interface Usage {
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
  model?: string;
  calls: number;
}

/** A run as `GET /runs` lists it. */
export interface RunItem {
  id: string;
  status: string;
  command: string;
  options: Record<string, unknown>;
  planId?: string;
  reason?: string;
  branch?: string;
  createdAt: string;
  updatedAt: string;
  spent: { tokens: number; costUsd: number; activeMs: number };
}

/** A node of a run (`GET /runs/{id}` nodes). */
export interface RunNode {
  nodeId: string;
  status: string;
  attempts: number;
  task?: string;
  startedAt?: string;
  elapsedMs?: number;
  tokens: number;
  costUsd: number;
}

/** An attempt without its payload. */
export interface AttemptSummary {
  seq: number;
  nodeId: string;
  number: number;
  status: string;
  error?: { code: string; message: string; hint?: string };
  suspendReason?: string;
  usage: Usage;
  startedAt: string;
  finishedAt?: string;
  durationMs?: number;
}

/** A task of a plan. */
export interface PlanTask {
  id: string;
  title: string;
  description?: string;
  acceptance?: string[];
  /** ids of the tasks of the same plan it requires */
  dependencies?: string[];
  files?: string[];
  status?: string;
}

/** `GET /runs/{id}`. */
export interface RunDetail {
  run: Omit<RunItem, 'spent'> & { storedStatus?: string };
  nodes: RunNode[];
  tasks: { taskId: string; attempt: number; status: string }[];
  plan: { id: string; goal: string; tasks: PlanTask[] } | null;
  attempts: AttemptSummary[];
  usage: { total: Usage; activeMs: number };
  report: string;
}

/** `GET /runs/{id}/graph`. */
export interface RunGraph {
  runId: string;
  nodes: { id: string; kind: string; title?: string; task?: string; deps: string[] }[];
  edges: { from: string; to: string }[];
}

/** `GET /runs/{id}/node?node=`. */
export interface NodeDetail {
  runId: string;
  node: { id: string; kind: string; title?: string; task?: string; config: Record<string, unknown>; inputs: Record<string, unknown>; needs: string[] };
  status: string;
  resolvedInputs: Record<string, unknown>;
  attempts: (AttemptSummary & { output?: unknown; cacheKey: string })[];
}

/** `GET /approvals?status=pending`. */
export interface PendingApproval {
  runId: string;
  nodeId: string;
  subject: string;
  command?: string;
  risk: number;
  reasons: string[];
  stat: { files: number; added: number; deleted: number };
  diff: string;
  at: number;
}

/** `GET /runs/{id}/why?node=`: a node's forecast in a new run, and `taskgraph why`'s lines. */
export interface NodeWhy {
  runId: string;
  label: string;
  base?: string;
  forecast: { nodeId: string; kind: string; willRun: boolean; certain: boolean; reason: string; changed: string[]; key?: string };
  lines: string[];
}
