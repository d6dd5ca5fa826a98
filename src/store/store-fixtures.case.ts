import { afterEach, beforeEach, expect } from 'vitest';
import { TaskgraphError, type ErrorCode } from '../core/errors.js';
import type { GraphSpec, NodeSpec } from '../core/graph.js';
import { keyIngredients, cacheKey, type KeyIngredients } from '../core/hash.js';
import type { PlanRecord, Task } from '../core/task.js';
import type { Json } from '../core/json.js';
import { BLOB_THRESHOLD_BYTES, type AttemptRecord, type CacheEntry, type RunNodeRecord, type RunRecord, type Store, type Usage } from './store.js';

/**
 * Record builders and helpers for the Store conformance suite (`store.case.ts`). Only the
 * suite's files import this (it is excluded from the build like every `*.case.ts`).
 */

/** Holds the store of the current test; `store` is fresh for every test. */
export interface StoreHolder {
  readonly store: Store;
}

/**
 * Registers beforeEach/afterEach hooks that make a fresh store per test and close it after.
 * @param make returns a new, empty, migrated store
 */
export function useStore(make: () => Promise<Store>): StoreHolder {
  let current: Store | undefined;
  beforeEach(async () => {
    current = await make();
  });
  afterEach(async () => {
    await current?.close();
    current = undefined;
  });
  return {
    get store(): Store {
      if (!current) throw new Error('store used outside a test');
      return current;
    },
  };
}

/** A task with every field set (parent only when given). */
export function task(planId: string, id: string, over: Partial<Task> = {}): Task {
  return {
    planId,
    id,
    title: `Task ${id}`,
    description: `Do ${id} "carefully" — ünïcode ✓\nsecond line`,
    acceptance: [`${id} builds`, `${id} tests pass`],
    dependencies: [],
    files: [`src/${id}.ts`, 'docs/**/*.md'],
    atomic: true,
    depth: 0,
    tags: ['backend'],
    notes: [],
    status: 'pending',
    ...over,
  };
}

/** A plan: T1 (parent, non-atomic) with children T1.1, T1.2 (requires T1.1), and T2 (requires T1.2). */
export function plan(id = 'p1', createdAt = '2025-01-01T00:00:00.000Z'): PlanRecord {
  return {
    id,
    goal: `goal of ${id}`,
    createdAt,
    tasks: [
      task(id, 'T1', { atomic: false, description: '', acceptance: [], files: [], tags: [] }),
      task(id, 'T1.1', { parent: 'T1', depth: 1 }),
      task(id, 'T1.2', { parent: 'T1', depth: 1, dependencies: ['T1.1'], notes: ['earlier note'] }),
      task(id, 'T2', { dependencies: ['T1.2'], status: 'done' }),
    ],
    meta: { model: 'openai:gpt-x', tokens: { input: 10, output: 20 }, costUsd: 0.25, nested: [1, null, 'x'] },
  };
}

/** A graph node. */
export function node(id: string, over: Partial<NodeSpec> = {}): NodeSpec {
  return { id, kind: 'command', config: { run: `echo ${id}` }, inputs: {}, needs: [], priority: 0, ...over };
}

/** A graph a -> b -> c where a and b belong to task T1. */
export function graph(): GraphSpec {
  return {
    id: 'g',
    title: 'a graph',
    nodes: [
      node('a', { task: 'T1' }),
      node('b', { task: 'T1', inputs: { prev: { $ref: 'a', path: 'stdout' }, n: 3 } }),
      node('c', { needs: ['b'], priority: 2 }),
    ],
    edges: [{ from: 'a', to: 'c' }],
  };
}

/** A run with only the required fields. */
export function run(id: string, createdAt = '2025-02-01T00:00:00.000Z', over: Partial<RunRecord> = {}): RunRecord {
  return {
    id,
    status: 'running',
    graph: graph(),
    command: 'run',
    options: { file: 'graph.yaml', force: ['b'], dry: false, concurrency: 2, nothing: null },
    projectDir: '/work/project',
    createdAt,
    updatedAt: createdAt,
    ...over,
  };
}

/** Usage with a model. */
export function usage(over: Partial<Usage> = {}): Usage {
  return { inputTokens: 120, outputTokens: 45, costUsd: 0.00123, model: 'openai:gpt-x', calls: 1, ...over };
}

/** Ingredients distinct per `salt`. */
export function ingredients(salt: string): KeyIngredients {
  return keyIngredients('command', 1, { run: salt }, { prev: salt }, { tree: salt });
}

/** The fields startAttempt takes, for (run, node, number). */
export function attemptStart(runId: string, nodeId: string, number = 1): Omit<AttemptRecord, 'seq' | 'status'> {
  const ing = ingredients(`${runId}/${nodeId}/${number}`);
  return {
    runId,
    nodeId,
    number,
    cacheKey: cacheKey(ing),
    ingredients: ing,
    usage: { inputTokens: 0, outputTokens: 0, costUsd: 0, calls: 0 },
    startedAt: '2025-02-01T00:00:01.000Z',
  };
}

/** A cache entry for an attempt's key. */
export function cacheEntry(a: Pick<AttemptRecord, 'cacheKey' | 'ingredients' | 'nodeId'>, output: CacheEntry['output']): CacheEntry {
  return {
    key: a.cacheKey,
    kind: 'command',
    nodeId: a.nodeId,
    ingredients: a.ingredients,
    output,
    outputHash: `hash-of-${a.cacheKey.slice(0, 8)}`,
    usage: usage(),
    workspaceAfter: { head: 'a'.repeat(40), tree: 'b'.repeat(40) },
    createdAt: '2025-02-01T00:00:02.000Z',
  };
}

/**
 * A finished attempt of (run, node, number) with `status` and optional output: what
 * recordFinishedAttempt takes.
 */
export function finishedAttempt(
  runId: string,
  nodeId: string,
  status: AttemptRecord['status'],
  over: Partial<Omit<AttemptRecord, 'seq'>> = {},
): Omit<AttemptRecord, 'seq'> {
  return {
    ...attemptStart(runId, nodeId, over.number ?? 1),
    status,
    usage: usage(),
    finishedAt: '2025-02-01T00:00:03.000Z',
    durationMs: 12.25,
    ...over,
  };
}

/** The node state that goes with {@link finishedAttempt}. */
export function nodeState(runId: string, nodeId: string, status: RunNodeRecord['status'], attempts = 1): RunNodeRecord {
  return { runId, nodeId, status, attempts };
}

/**
 * An output whose JSON text is well over {@link BLOB_THRESHOLD_BYTES} (~100 KiB + `extraKiB`),
 * with nested values, multi-byte characters (2-, 3- and 4-byte UTF-8), escapes, numbers that
 * JSON formats specially, and keys in non-sorted order, so a store that stores it elsewhere must
 * give back exactly the same JSON value.
 * @param seed makes outputs with different seeds differ
 */
export function largeOutput(seed: string, extraKiB = 0): Json {
  return {
    zeta: seed,
    text: `${seed}:` + 'lorem ipsum dolor sit amet '.repeat(3_800 + extraKiB * 38),
    unicode: 'é ü ✓ 日本 😀 \u0000 "quoted" \\ back\nslash\ttab'.repeat(50),
    numbers: [0, -1, 1.5, 1e21, 1e-7, -0.000001, 2 ** 53, Number.MAX_VALUE],
    nested: { b: [true, false, null], a: { y: [], x: {} } },
    alpha: null,
  };
}

/** The UTF-8 size in bytes of `value`'s JSON text (what BLOB_THRESHOLD_BYTES is compared with). */
export function jsonBytes(value: Json): number {
  return Buffer.byteLength(JSON.stringify(value), 'utf8');
}

/**
 * String outputs around the threshold: exactly BLOB_THRESHOLD_BYTES bytes of JSON text and one
 * byte over, in ASCII and in 2-byte characters (whose JSON text has fewer UTF-16 units than bytes).
 */
export function boundaryOutputs(): { atLimit: Json[]; overLimit: Json[] } {
  const ascii = (bytes: number): string => 'a'.repeat(bytes - 2); // JSON adds two quotes
  const twoByte = (bytes: number): string => 'é'.repeat((bytes - 2) / 2);
  return {
    atLimit: [ascii(BLOB_THRESHOLD_BYTES), twoByte(BLOB_THRESHOLD_BYTES)],
    overLimit: [ascii(BLOB_THRESHOLD_BYTES + 1), `${twoByte(BLOB_THRESHOLD_BYTES)}b`, `😀${'a'.repeat(BLOB_THRESHOLD_BYTES - 5)}`],
  };
}

/** Asserts that `promise` rejects with a TaskgraphError of `code`. */
export async function expectCode(promise: Promise<unknown>, code: ErrorCode): Promise<TaskgraphError> {
  const error = await promise.then(
    () => {
      throw new Error(`expected a rejection with ${code}, but it resolved`);
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TaskgraphError);
  expect((error as TaskgraphError).code).toBe(code);
  return error as TaskgraphError;
}
