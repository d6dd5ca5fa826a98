import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FakeReply, FakeRequest } from '../../src/testing/fake-openai-server.js';

/**
 * A seeded random DAG of `command`, `script` and `llm` nodes whose outputs are fully determined by
 * the graph (no clock, no pid): for the durability tests that compare a killed-and-resumed run
 * with an uninterrupted one. The `llm` nodes call profile {@link FIRE_PROFILE}, answered by
 * {@link fireResponder} on the loopback fake OpenAI server.
 */

/** The model profile the llm nodes use; the test's taskgraph.yaml maps it to the fake server. */
export const FIRE_PROFILE = 'fire';

/** The node kinds a {@link RandomDag} mixes. `concat` and `sleep` are built-in `script` functions. */
export type DagNodeKind = 'command' | 'concat' | 'sleep' | 'llm';

/** One node of the graph file (the subset of the graph schema these tests write). */
export interface DagNode {
  id: string;
  kind: 'command' | 'script' | 'llm';
  config: Record<string, unknown>;
  inputs?: Record<string, { $ref: string; path?: string }>;
  needs?: string[];
}

/** A generated graph and what the test needs to know about its nodes. */
export interface RandomDag {
  /** the graph file's content (serialise with JSON.stringify) */
  spec: { id: string; title: string; concurrency: number; nodes: DagNode[] };
  /** node id -> what it does */
  kinds: Map<string, DagNodeKind>;
  /** ids of the `llm` nodes */
  llmNodes: string[];
}

/** Options of {@link randomDag}. */
export interface RandomDagOptions {
  /** number of nodes (default 200) */
  size?: number;
  /** `concurrency` written into the graph (default 4) */
  concurrency?: number;
  /** a node picks its upstreams among this many nodes before it (default 24): smaller = deeper graph */
  window?: number;
}

/** The field of each kind's output a downstream `$ref` reads (command outputs also hold a varying `durationMs`). */
const REF_PATH: Record<DagNodeKind, string | undefined> = { command: 'stdout', llm: 'text', concat: undefined, sleep: 'slept' };

/**
 * Builds a random DAG: nodes `n000`… in topological order, each kind with probability ~1/3
 * (`script` split evenly between `concat` and `sleep`); each node depends on 0-3 nodes among the
 * `window` before it. `command` nodes (`sleep 0.0X && echo ID`) get ordering edges (`needs`) only,
 * since commands take no inputs; `concat` and `llm` nodes read upstream outputs through `$ref`
 * inputs (command `stdout`, llm `text`, sleep `slept`, concat's whole string); `sleep` nodes wait
 * 5-40 ms. Every config names its node, so no two nodes share a cache key.
 * @param random a seeded PRNG returning [0, 1) (see `seededRandom` in store-db.ts)
 */
export function randomDag(random: () => number, options: RandomDagOptions = {}): RandomDag {
  const size = options.size ?? 200;
  const window = options.window ?? 24;
  const int = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
  const nodes: DagNode[] = [];
  const kinds = new Map<string, DagNodeKind>();
  for (let i = 0; i < size; i++) {
    const id = `n${String(i).padStart(3, '0')}`;
    const r = random();
    const kind: DagNodeKind = r < 1 / 3 ? 'command' : r < 1 / 2 ? 'concat' : r < 2 / 3 ? 'sleep' : 'llm';
    const ups = new Set<string>();
    const want = i === 0 ? 0 : int(kind === 'llm' || kind === 'concat' ? 1 : 0, 3);
    for (let k = 0; k < want; k++) ups.add(nodes[Math.max(0, i - 1 - Math.floor(random() * Math.min(i, window)))]!.id);
    const refs = Object.fromEntries(
      [...ups].map((up, k) => {
        const path = REF_PATH[kinds.get(up)!];
        return [String.fromCharCode(97 + k), path === undefined ? { $ref: up } : { $ref: up, path }];
      }),
    );
    const needs = [...ups];
    switch (kind) {
      case 'command':
        nodes.push({ id, kind: 'command', config: { run: `sleep 0.0${int(1, 4)} && echo ${id}` }, ...(needs.length ? { needs } : {}) });
        break;
      case 'sleep':
        nodes.push({ id, kind: 'script', config: { fn: 'sleep', args: { ms: int(5, 40), node: id } }, ...(needs.length ? { needs } : {}) });
        break;
      case 'concat':
        nodes.push({ id, kind: 'script', config: { fn: 'concat', args: { separator: ` |${id}| ` } }, inputs: refs });
        break;
      case 'llm': {
        const slots = Object.keys(refs).map((k) => `{{${k}}}`).join(' ');
        nodes.push({ id, kind: 'llm', config: { profile: FIRE_PROFILE, prompt: `node ${id}: ${slots}` }, inputs: refs });
        break;
      }
    }
    kinds.set(id, kind);
  }
  return {
    spec: { id: 'fire', title: `random DAG of ${size} nodes`, concurrency: options.concurrency ?? 4, nodes },
    kinds,
    llmNodes: [...kinds].filter(([, k]) => k === 'llm').map(([id]) => id),
  };
}

/** The node id an llm prompt of a {@link RandomDag} names (`node ID: ...`), or undefined. */
export function promptNode(prompt: string): string | undefined {
  return /^node (\S+):/.exec(prompt)?.[1];
}

/** The fake model's answer to a prompt: the node id and 16 hex chars of SHA-256 of the prompt. */
export function fireAnswer(prompt: string): string {
  return `${promptNode(prompt) ?? '?'}:${createHash('sha256').update(prompt).digest('hex').slice(0, 16)}`;
}

/** The prompt of a fake-server request body (its user messages, joined). */
export function promptOf(body: { messages?: Array<{ role?: string; content?: unknown }> }): string {
  return (body.messages ?? [])
    .filter((m) => m.role === 'user')
    .map((m) => (typeof m.content === 'string' ? m.content : JSON.stringify(m.content)))
    .join('\n');
}

/**
 * A `respond` function for `startFakeOpenAIServer`: answers {@link fireAnswer} of the user
 * prompt after 5-20 ms (derived from the prompt's hash, so also deterministic).
 */
export function fireResponder(): (req: FakeRequest) => Promise<FakeReply> {
  return async (req) => {
    const prompt = req.messages.filter((m) => m.role === 'user').map((m) => m.content).join('\n');
    const answer = fireAnswer(prompt);
    await sleep(5 + (Number.parseInt(answer.slice(-2), 16) % 16));
    return { content: answer };
  };
}

/**
 * A node output as it is compared between runs: a `command` output without its `durationMs`
 * (wall time, the only field that legitimately varies); everything else as it is.
 */
export function comparableOutput(kind: DagNodeKind, output: unknown): unknown {
  if (kind !== 'command' || typeof output !== 'object' || output === null) return output;
  const { durationMs: _durationMs, ...rest } = output as Record<string, unknown>;
  return rest;
}
