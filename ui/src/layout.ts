import dagre from '@dagrejs/dagre';
import type { RunGraph } from './api';

/** Size of a node box (px). */
export const NODE_W = 172;
export const NODE_H = 46;
const PAD = 10;
const HEAD = 24;
const COLLAPSED_W = NODE_W + 18;
const COLLAPSED_H = NODE_H + 6;

/** A positioned box: a node, an expanded task group (holding nodes) or a collapsed task. */
export interface LaidOutBox {
  id: string;
  type: 'node' | 'group' | 'collapsed';
  /** absolute for top-level boxes; relative to the group for a node inside an expanded group */
  x: number;
  y: number;
  width: number;
  height: number;
  parent?: string;
  /** the graph node ids the box stands for (one for a node; the task's nodes for a group) */
  members: string[];
  task?: string;
}

/** What {@link layoutGraph} returns: boxes (groups before their nodes) and edges between visible boxes. */
export interface Layout {
  boxes: LaidOutBox[];
  edges: { id: string; source: string; target: string; members: [string, string][] }[];
  /** graph node id -> the id of the box it is drawn in */
  boxOf: Map<string, string>;
}

/** The box id of a task group. */
export const groupId = (task: string) => `task:${task}`;

/** dagre, layered left to right, on boxes of the given sizes; returns centres and the drawing's size. */
function layered(sizes: Map<string, { width: number; height: number }>, edges: Iterable<[string, string]>, ranksep: number) {
  const g = new dagre.graphlib.Graph({ multigraph: false });
  g.setGraph({ rankdir: 'LR', nodesep: 10, ranksep, marginx: 0, marginy: 0 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const [id, size] of sizes) g.setNode(id, { ...size });
  for (const [s, t] of edges) if (s !== t && sizes.has(s) && sizes.has(t)) g.setEdge(s, t);
  dagre.layout(g);
  const centre = new Map<string, { x: number; y: number }>();
  for (const id of sizes.keys()) {
    const n = g.node(id) as { x: number; y: number };
    centre.set(id, { x: n.x, y: n.y });
  }
  const label = g.graph() as { width?: number; height?: number };
  return { centre, width: label.width ?? 0, height: label.height ?? 0 };
}

/**
 * Lays a run's graph out in layers, left to right, in two levels (dagre): inside each expanded
 * task its nodes, then the tasks (as boxes of their drawn size), collapsed tasks and task-less
 * nodes together. Edges go between the visible boxes (duplicates merged, edges inside a
 * collapsed task dropped). Two levels keep dagre's graphs small: a 500-node run in 25 tasks is
 * 26 small layouts, not one compound layout (which took seconds).
 */
export function layoutGraph(graph: RunGraph, collapsed: ReadonlySet<string>): Layout {
  const boxOf = new Map<string, string>();
  const unitOf = new Map<string, string>();
  const byTask = new Map<string, string[]>();
  for (const n of graph.nodes) {
    const unit = n.task !== undefined ? groupId(n.task) : n.id;
    unitOf.set(n.id, unit);
    boxOf.set(n.id, n.task !== undefined && collapsed.has(n.task) ? groupId(n.task) : n.id);
    if (n.task !== undefined) byTask.set(n.task, [...(byTask.get(n.task) ?? []), n.id]);
  }
  // inner layouts
  const inner = new Map<string, ReturnType<typeof layered>>();
  const unitSize = new Map<string, { width: number; height: number }>();
  for (const [task, ids] of byTask) {
    if (collapsed.has(task)) {
      unitSize.set(groupId(task), { width: COLLAPSED_W, height: COLLAPSED_H });
      continue;
    }
    const members = new Set(ids);
    const l = layered(new Map(ids.map((id) => [id, { width: NODE_W, height: NODE_H }])), graph.edges.filter((e) => members.has(e.from) && members.has(e.to)).map((e) => [e.from, e.to] as [string, string]), 36);
    inner.set(task, l);
    unitSize.set(groupId(task), { width: l.width + 2 * PAD, height: l.height + HEAD + PAD });
  }
  for (const n of graph.nodes) if (n.task === undefined) unitSize.set(n.id, { width: NODE_W, height: NODE_H });
  // outer layout
  const outer = layered(unitSize, graph.edges.map((e) => [unitOf.get(e.from)!, unitOf.get(e.to)!] as [string, string]), 56);

  const groups = new Map([...byTask.keys()].map((task) => [groupId(task), task]));
  const boxes: LaidOutBox[] = [];
  for (const [unit, size] of unitSize) {
    const c = outer.centre.get(unit)!;
    const x = c.x - size.width / 2;
    const y = c.y - size.height / 2;
    const task = groups.get(unit);
    if (task === undefined) {
      boxes.push({ id: unit, type: 'node', x, y, width: NODE_W, height: NODE_H, members: [unit] });
      continue;
    }
    const ids = byTask.get(task)!;
    if (collapsed.has(task)) {
      boxes.push({ id: unit, type: 'collapsed', x, y, width: size.width, height: size.height, members: ids, task });
      continue;
    }
    boxes.push({ id: unit, type: 'group', x, y, width: size.width, height: size.height, members: ids, task });
    const l = inner.get(task)!;
    for (const id of ids) {
      const p = l.centre.get(id)!;
      boxes.push({ id, type: 'node', x: p.x - NODE_W / 2 + PAD, y: p.y - NODE_H / 2 + HEAD, width: NODE_W, height: NODE_H, parent: unit, members: [id], task });
    }
  }
  const edgeMembers = new Map<string, [string, string][]>();
  for (const e of graph.edges) {
    const s = boxOf.get(e.from);
    const t = boxOf.get(e.to);
    if (!s || !t || s === t) continue;
    const key = `${s}\u0000${t}`;
    if (!edgeMembers.has(key)) edgeMembers.set(key, []);
    edgeMembers.get(key)!.push([e.from, e.to]);
  }
  const edges = [...edgeMembers].map(([key, m]) => {
    const [source, target] = key.split('\u0000') as [string, string];
    return { id: `e:${key}`, source, target, members: m };
  });
  return { boxes, edges, boxOf };
}
