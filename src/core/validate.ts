import type { z } from 'zod';
import { TaskgraphError } from './errors.js';
import {
  type Edge,
  type Graph,
  type GraphSpec,
  GraphSpecSchema,
  type NodeSpec,
  isInputRef,
} from './graph.js';
import { BinaryHeap } from './heap.js';

/** One problem found in a graph, with a path into the document (`nodes[3].inputs.edit`). */
export interface GraphIssue {
  path: string;
  message: string;
}

/**
 * Formats zod issues as `path: message` lines.
 * @param error a ZodError
 */
export function zodIssues(error: z.ZodError): GraphIssue[] {
  return error.issues.map((issue) => ({
    path: issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '') || '(root)',
    message: issue.message,
  }));
}

/**
 * Finds one cycle in a directed graph given as successor lists, iteratively (no recursion, so
 * 100,000-node graphs are fine). Three-colour depth-first search (Cormen et al., "Introduction to
 * Algorithms", §22.3: a back edge means a cycle).
 * @returns the cycle as ids with the first repeated at the end (`['a','b','c','a']`), or null
 */
export function findCycle(ids: readonly string[], succs: ReadonlyMap<string, readonly string[]>): string[] | null {
  const WHITE = 0;
  const GREY = 1;
  const BLACK = 2;
  const colour = new Map<string, number>();
  const parent = new Map<string, string>();
  for (const root of ids) {
    if ((colour.get(root) ?? WHITE) !== WHITE) continue;
    const stack: Array<{ id: string; next: number }> = [{ id: root, next: 0 }];
    colour.set(root, GREY);
    while (stack.length > 0) {
      const frame = stack[stack.length - 1]!;
      const out = succs.get(frame.id) ?? [];
      if (frame.next < out.length) {
        const to = out[frame.next++]!;
        const c = colour.get(to) ?? WHITE;
        if (c === WHITE) {
          colour.set(to, GREY);
          parent.set(to, frame.id);
          stack.push({ id: to, next: 0 });
        } else if (c === GREY) {
          const cycle = [to];
          for (let at = frame.id; at !== to; at = parent.get(at)!) cycle.push(at);
          cycle.push(to);
          return cycle.reverse();
        }
      } else {
        colour.set(frame.id, BLACK);
        stack.pop();
      }
    }
  }
  return null;
}

/**
 * Kahn's topological sort (Kahn 1962, "Topological sorting of large networks") with a heap so
 * ties break deterministically: higher `priority` first, then id in code-unit order.
 * @returns the order; shorter than `ids` when there is a cycle
 */
export function topologicalOrder(
  ids: readonly string[],
  preds: ReadonlyMap<string, readonly string[]>,
  succs: ReadonlyMap<string, readonly string[]>,
  priority: (id: string) => number,
): string[] {
  const indegree = new Map<string, number>();
  const ready = new BinaryHeap<string>((a, b) => {
    const pa = priority(a);
    const pb = priority(b);
    return pa !== pb ? pa > pb : a < b;
  });
  for (const id of ids) {
    const n = preds.get(id)?.length ?? 0;
    indegree.set(id, n);
    if (n === 0) ready.push(id);
  }
  const order: string[] = [];
  for (let id = ready.pop(); id !== undefined; id = ready.pop()) {
    order.push(id);
    for (const next of succs.get(id) ?? []) {
      const left = indegree.get(next)! - 1;
      indegree.set(next, left);
      if (left === 0) ready.push(next);
    }
  }
  return order;
}

/** Options for {@link buildGraph}. */
export interface BuildGraphOptions {
  /** Graph id when the spec has none. */
  defaultId?: string;
  /** Per-kind check of a node (config schema, required inputs); returns problems. */
  checkNode?: (node: NodeSpec) => string[];
}

/**
 * Validates a parsed graph document and builds the immutable {@link Graph}.
 * Checks: schema, duplicate ids, unknown references (`$ref`, `needs`, `edges`), self-edges,
 * per-kind checks, and cycles (reported as a path `a -> b -> c -> a`).
 * @param document the parsed YAML/JSON value
 * @throws TaskgraphError `GRAPH_INVALID` with `details.issues` (every problem found, not only the first)
 */
export function buildGraph(document: unknown, options: BuildGraphOptions = {}): Graph {
  const parsed = GraphSpecSchema.safeParse(document);
  if (!parsed.success) throw graphInvalid(zodIssues(parsed.error));
  return graphFromSpec(parsed.data, options);
}

/**
 * Like {@link buildGraph} for an already-parsed {@link GraphSpec}.
 * @throws TaskgraphError `GRAPH_INVALID`
 */
export function graphFromSpec(spec: GraphSpec, options: BuildGraphOptions = {}): Graph {
  const issues: GraphIssue[] = [];
  const nodes = new Map<string, NodeSpec>();
  spec.nodes.forEach((node, i) => {
    if (nodes.has(node.id)) issues.push({ path: `nodes[${i}].id`, message: `duplicate node id "${node.id}"` });
    else nodes.set(node.id, node);
  });
  const edges: Edge[] = [];
  const seen = new Set<string>();
  const addEdge = (from: string, to: string, path: string) => {
    if (!nodes.has(from)) {
      issues.push({ path, message: `unknown node "${from}" (known: ${[...nodes.keys()].slice(0, 8).join(', ')}${nodes.size > 8 ? ', ...' : ''})` });
      return;
    }
    if (from === to) {
      issues.push({ path, message: `node "${to}" depends on itself` });
      return;
    }
    const key = `${from}\u0000${to}`;
    if (seen.has(key)) return;
    seen.add(key);
    edges.push({ from, to });
  };
  spec.nodes.forEach((node, i) => {
    if (nodes.get(node.id) !== node) return;
    for (const [name, value] of Object.entries(node.inputs)) {
      if (isInputRef(value)) addEdge(value.$ref, node.id, `nodes[${i}].inputs.${name}`);
    }
    node.needs.forEach((dep, j) => addEdge(dep, node.id, `nodes[${i}].needs[${j}]`));
    for (const problem of options.checkNode?.(node) ?? []) issues.push({ path: `nodes[${i}] (${node.id})`, message: problem });
  });
  spec.edges.forEach((edge, i) => {
    if (!nodes.has(edge.to)) issues.push({ path: `edges[${i}].to`, message: `unknown node "${edge.to}"` });
    else addEdge(edge.from, edge.to, `edges[${i}].from`);
  });
  const preds = new Map<string, string[]>();
  const succs = new Map<string, string[]>();
  for (const id of nodes.keys()) {
    preds.set(id, []);
    succs.set(id, []);
  }
  for (const { from, to } of edges) {
    preds.get(to)!.push(from);
    succs.get(from)!.push(to);
  }
  const ids = [...nodes.keys()];
  const order = topologicalOrder(ids, preds, succs, (id) => nodes.get(id)!.priority);
  if (order.length < ids.length) {
    const cycle = findCycle(ids, succs) ?? [];
    issues.push({ path: 'nodes', message: `cycle: ${cycle.join(' -> ')}` });
  }
  if (issues.length > 0) throw graphInvalid(issues);
  return {
    id: spec.id ?? options.defaultId ?? 'graph',
    ...(spec.title !== undefined ? { title: spec.title } : {}),
    ...(spec.concurrency !== undefined ? { concurrency: spec.concurrency } : {}),
    nodes,
    edges,
    preds,
    succs,
    order,
  };
}

/**
 * Turns a {@link Graph} back into a plain spec (for persisting a run's graph).
 */
export function graphToSpec(graph: Graph): GraphSpec {
  return {
    id: graph.id,
    ...(graph.title !== undefined ? { title: graph.title } : {}),
    ...(graph.concurrency !== undefined ? { concurrency: graph.concurrency } : {}),
    nodes: graph.order.map((id) => graph.nodes.get(id)!),
    edges: [],
  };
}

function graphInvalid(issues: GraphIssue[]): TaskgraphError {
  const lines = issues.map((i) => `  ${i.path}: ${i.message}`).join('\n');
  return new TaskgraphError('GRAPH_INVALID', `invalid graph (${issues.length} problem${issues.length === 1 ? '' : 's'}):\n${lines}`, {
    details: { issues },
    hint: 'fix the graph file; `taskgraph schema` prints the JSON Schema for editor completion',
  });
}

