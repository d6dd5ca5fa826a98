import { z } from 'zod';
import type { Json } from './json.js';

/**
 * The graph model (DESIGN.md §1, §4): a graph is a DAG of nodes; each node has a kind, a config,
 * inputs (JSON literals or references to upstream outputs) and one output. Edges come from input
 * references and from explicit ordering edges (`needs` on a node, or `edges` on the graph).
 * Everything here is plain immutable data; validation lives in `validate.ts`.
 */

/** The node kinds of DESIGN.md §4. */
export const NODE_KINDS = [
  'llm',
  'command',
  'script',
  'context',
  'human',
  'decompose',
  'verify',
  'apply',
  'approval',
  'subgraph',
  'setup',
  'review',
  /** the gate before a plan's tasks run (`nodes/plan-approval.ts`) */
  'plan-approval',
  /** an external coding-agent CLI as a task's editor (`nodes/agent.ts`) */
  'agent',
  /** Python code with JSON in and out (`nodes/python.ts`) */
  'python',
  /** a web page as Markdown, a context source (`nodes/web.ts`) */
  'web',
  /** a rendered page as a PNG, a context source for vision models (`nodes/screenshot.ts`) */
  'screenshot',
  /** a chat message to Slack, Discord or a generic webhook (`nodes/notify.ts`) */
  'notify',
] as const;

/** One of {@link NODE_KINDS}. */
export type NodeKind = (typeof NODE_KINDS)[number];

/** Node ids: letters, digits and `_ . - / :` (so `T1/edit` and `plan:T2` are fine), 1-200 chars. */
export const NODE_ID_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_.\-/:]{0,199}$/;

/** A reference to an upstream node's output; `path` picks a field with dots (`result.files.0`). */
export const InputRefSchema = z
  .object({
    $ref: z.string().regex(NODE_ID_PATTERN, 'a $ref names a node id'),
    path: z.string().min(1).optional(),
  })
  .strict();

/** {@link InputRefSchema} as a type. */
export type InputRef = z.infer<typeof InputRefSchema>;

const JsonSchema: z.ZodType<Json> = z.lazy(() =>
  z.union([z.null(), z.boolean(), z.number(), z.string(), z.array(JsonSchema), z.record(z.string(), JsonSchema)]),
);

/** An input: a reference to an upstream output, or any JSON literal. */
export const InputValueSchema = z.union([InputRefSchema, JsonSchema]);

/** {@link InputValueSchema} as a type. */
export type InputValue = InputRef | Json;

/** An explicit ordering edge: `to` runs after `from` succeeds. */
export const EdgeSchema = z.object({ from: z.string(), to: z.string() }).strict();

/** {@link EdgeSchema} as a type. */
export type Edge = z.infer<typeof EdgeSchema>;

/**
 * A node's retry policy for transient failures: up to `attempts` more tries, waiting exponential
 * backoff with full jitter between `baseMs` and `maxMs` (ms), or the `retryAfterMs` the error
 * carries (the provider's Retry-After).
 */
export const RetryPolicySchema = z
  .object({
    attempts: z.number().int().min(0).max(20).default(2),
    baseMs: z.number().int().min(0).default(1000),
    maxMs: z.number().int().min(0).default(30_000),
  })
  .strict();

/** {@link RetryPolicySchema} as a type. */
export type RetryPolicy = z.infer<typeof RetryPolicySchema>;

/** A node as written in a graph file. */
export const NodeSpecSchema = z
  .object({
    id: z.string().regex(NODE_ID_PATTERN, 'node ids use letters, digits and _ . - / : (max 200 chars)'),
    kind: z.enum(NODE_KINDS),
    title: z.string().optional(),
    config: z.record(z.string(), JsonSchema).default({}),
    inputs: z.record(z.string(), InputValueSchema).default({}),
    /** Ordering-only dependencies (no data). */
    needs: z.array(z.string()).default([]),
    /** Higher runs first among ready nodes; ties break by id. */
    priority: z.number().int().default(0),
    /** The task this node belongs to; a task's nodes are retried together on refinement. */
    task: z.string().optional(),
    /** Retries of this node after a *transient* failure (error marked retryable: HTTP 429/5xx, timeouts). Not part of the cache key. */
    retry: RetryPolicySchema.optional(),
  })
  .strict();

/** A node as written (before defaults). */
export type NodeSpecInput = z.input<typeof NodeSpecSchema>;
/** A node after defaults. */
export type NodeSpec = z.infer<typeof NodeSpecSchema>;

/** A graph file (YAML or JSON) as written. */
export const GraphSpecSchema = z
  .object({
    id: z.string().regex(NODE_ID_PATTERN).optional(),
    title: z.string().optional(),
    /** Maximum nodes running at once (default: the CLI's `--concurrency`, else 4). */
    concurrency: z.number().int().positive().optional(),
    nodes: z.array(NodeSpecSchema).min(1, 'a graph needs at least one node'),
    edges: z.array(EdgeSchema).default([]),
  })
  .strict();

/** A graph spec as written (before defaults). */
export type GraphSpecInput = z.input<typeof GraphSpecSchema>;
/** A graph spec after defaults. */
export type GraphSpec = z.infer<typeof GraphSpecSchema>;

/**
 * A validated, immutable graph: nodes by id, all edges (data + ordering), predecessor and
 * successor lists, and one deterministic topological order (priority desc, then id).
 */
export interface Graph {
  readonly id: string;
  readonly title?: string;
  readonly concurrency?: number;
  readonly nodes: ReadonlyMap<string, Readonly<NodeSpec>>;
  readonly edges: readonly Edge[];
  /** Node ids each node waits for. */
  readonly preds: ReadonlyMap<string, readonly string[]>;
  /** Node ids that wait for each node. */
  readonly succs: ReadonlyMap<string, readonly string[]>;
  /** A topological order, ties broken by priority (higher first) then id. */
  readonly order: readonly string[];
}

/**
 * Returns true when an input value is a reference to an upstream output.
 * @param value an input value from a node spec
 */
export function isInputRef(value: unknown): value is InputRef {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    typeof (value as { $ref?: unknown }).$ref === 'string' &&
    Object.keys(value).every((k) => k === '$ref' || k === 'path')
  );
}

/**
 * The ids a node depends on: `$ref` inputs (data) plus `needs` (ordering), deduplicated, in
 * first-seen order.
 * @param node a node spec
 */
export function nodeDependencies(node: Pick<NodeSpec, 'inputs' | 'needs'>): string[] {
  const deps = new Set<string>();
  for (const value of Object.values(node.inputs)) if (isInputRef(value)) deps.add(value.$ref);
  for (const id of node.needs) deps.add(id);
  return [...deps];
}

/**
 * Picks `path` (dot-separated keys or array indexes) out of a JSON value.
 * @returns the value, or `undefined` when a step is missing
 */
export function pickPath(value: Json, path: string | undefined): Json | undefined {
  if (!path) return value;
  let current: Json | undefined = value;
  for (const step of path.split('.')) {
    if (current === null || typeof current !== 'object') return undefined;
    current = Array.isArray(current) ? current[Number(step)] : current[step];
    if (current === undefined) return undefined;
  }
  return current;
}
