import type { RunGraph } from './api';

/**
 * The critical path of a run: the chain of dependent nodes with the largest total duration
 * (ms of the node's attempts; a node not run yet counts 0, so before any work the path is the
 * longest chain by count, ties by order). Returns the node ids in order and the edges on it as
 * `from\0to` keys. O(nodes + edges).
 */
export function criticalPath(graph: RunGraph, durationOf: (nodeId: string) => number): { nodes: string[]; edges: Set<string> } {
  const preds = new Map<string, string[]>();
  for (const n of graph.nodes) preds.set(n.id, []);
  for (const e of graph.edges) preds.get(e.to)?.push(e.from);
  const best = new Map<string, { total: number; len: number; prev?: string }>();
  const visiting = new Set<string>();
  const visit = (id: string): { total: number; len: number; prev?: string } => {
    const known = best.get(id);
    if (known) return known;
    if (visiting.has(id)) return { total: 0, len: 0 }; // a cycle cannot happen in a run graph; stay safe
    visiting.add(id);
    let top: { total: number; len: number; prev?: string } = { total: 0, len: 0 };
    for (const p of preds.get(id) ?? []) {
      if (!preds.has(p)) continue;
      const r = visit(p);
      if (r.total > top.total || (r.total === top.total && r.len > top.len)) top = { total: r.total, len: r.len, prev: p };
    }
    const mine = { total: top.total + Math.max(0, durationOf(id)), len: top.len + 1, ...(top.prev ? { prev: top.prev } : {}) };
    visiting.delete(id);
    best.set(id, mine);
    return mine;
  };
  let end: string | undefined;
  let endScore = { total: -1, len: -1 };
  for (const n of graph.nodes) {
    const r = visit(n.id);
    if (r.total > endScore.total || (r.total === endScore.total && r.len > endScore.len)) {
      end = n.id;
      endScore = r;
    }
  }
  const nodes: string[] = [];
  for (let id = end; id !== undefined; id = best.get(id)?.prev) nodes.unshift(id);
  const edges = new Set<string>();
  for (let i = 1; i < nodes.length; i++) edges.add(`${nodes[i - 1]}\u0000${nodes[i]}`);
  return { nodes, edges };
}
