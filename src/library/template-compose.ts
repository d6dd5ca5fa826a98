import { TaskgraphError } from '../core/errors.js';
import { isJsonObject, type Json, type JsonObject } from '../core/json.js';
import type { GraphLayer } from './template-schema.js';

/**
 * Layer composition with provenance (issue 14), in the spirit of USD's LIVRPS strength order
 * (OpenUSD glossary, "LIVRPS Strength Ordering": local opinions over variants over references):
 * the template's graph is the weakest layer, then each selected variant in the order the
 * template declares its sets, then the caller's local overrides, the strongest. Per field the
 * strongest opinion wins:
 *
 * - objects merge key by key, recursively;
 * - `nodes` merge by node `id`: a layer's node with a known id merges into that node, a new id
 *   adds a node at the end, and `{ id, $remove: true }` deletes one;
 * - arrays (and scalars) are replaced whole, unless the layer writes `{ $append: [...] }`, which
 *   appends to the weaker array.
 *
 * Provenance is recorded per leaf field path (`title`, `nodes[test].config.run`; an array is one
 * leaf): the label of the layer whose opinion is in the result (`template`, `variant set=option`,
 * `override`; an appended array lists every contributing layer joined by ` + `).
 */

/** Field path -> the layer that set it. */
export type Provenance = Map<string, string>;

/** A composed graph body: a graph file document before placeholders are filled. */
export interface ComposedGraph extends JsonObject {
  nodes: JsonObject[];
}

const clone = <T extends Json>(value: T): T => structuredClone(value);

function isAppend(value: Json | undefined): value is { $append: Json[] } {
  return isJsonObject(value) && Object.keys(value).length === 1 && Array.isArray(value['$append']);
}

/** Forgets every recorded path at or under `path`. */
function forget(prov: Provenance, path: string): void {
  for (const key of [...prov.keys()]) {
    if (key === path || key.startsWith(`${path}.`) || key.startsWith(`${path}[`)) prov.delete(key);
  }
}

/** Records `label` for every leaf of `value` at `path` (objects are walked, arrays are leaves). */
function recordLeaves(prov: Provenance, path: string, value: Json, label: string): void {
  if (isJsonObject(value) && Object.keys(value).length > 0) {
    for (const [k, v] of Object.entries(value)) recordLeaves(prov, `${path}.${k}`, v, label);
  } else prov.set(path, label);
}

/** Merges `layer` into `base` (mutated) at `path`. */
function mergeObject(base: JsonObject, layer: JsonObject, path: string, label: string, prov: Provenance): void {
  for (const [key, value] of Object.entries(layer)) {
    const at = path === '' ? key : `${path}.${key}`;
    const current = base[key];
    if (isAppend(value)) {
      if (current !== undefined && !Array.isArray(current)) {
        throw new TaskgraphError('CONFIG_INVALID', `${label}: $append at ${at}, which is not a list`, { hint: 'use $append only on list fields (needs, edges, commands ...)' });
      }
      base[key] = [...(current ?? []), ...clone(value.$append)];
      const before = prov.get(at);
      forget(prov, at);
      prov.set(at, before && current !== undefined ? `${before} + ${label}` : label);
    } else if (isJsonObject(value) && isJsonObject(current)) {
      mergeObject(current, value, at, label, prov);
    } else {
      base[key] = clone(value);
      forget(prov, at);
      recordLeaves(prov, at, value, label);
    }
  }
}

/** Merges a layer's `nodes` into the composed node list (by id). */
function mergeNodes(nodes: JsonObject[], layerNodes: readonly JsonObject[], label: string, prov: Provenance): void {
  for (const layerNode of layerNodes) {
    const id = layerNode['id'] as string;
    const at = `nodes[${id}]`;
    const index = nodes.findIndex((n) => n['id'] === id);
    if (layerNode['$remove'] === true) {
      if (index < 0) throw new TaskgraphError('CONFIG_INVALID', `${label}: $remove of unknown node "${id}"`, { hint: `nodes here: ${nodes.map((n) => n['id']).join(', ')}` });
      nodes.splice(index, 1);
      forget(prov, at);
      continue;
    }
    const { id: _id, ...fields } = layerNode;
    if (index >= 0) {
      mergeObject(nodes[index]!, fields, at, label, prov);
    } else {
      nodes.push(clone(layerNode));
      prov.set(`${at}.id`, label);
      mergeObject({}, fields, at, label, prov); // records the leaves
    }
  }
}

/**
 * Applies one layer to a composed graph (mutated) and records provenance.
 * @param graph the graph so far (start from `{ nodes: [] }`)
 * @param layer a graph layer (the template's graph, a variant option's, or overrides)
 * @param label the layer's provenance label
 * @throws TaskgraphError CONFIG_INVALID for `$remove` of an unknown node or `$append` on a non-list
 */
export function applyLayer(graph: ComposedGraph, layer: GraphLayer, label: string, prov: Provenance): void {
  const { nodes, ...rest } = layer as GraphLayer & JsonObject;
  mergeObject(graph, rest as JsonObject, '', label, prov);
  if (nodes) mergeNodes(graph.nodes, nodes as JsonObject[], label, prov);
}

/**
 * Composes layers, weakest first.
 * @returns the composed graph body and its provenance
 */
export function composeLayers(layers: ReadonlyArray<{ label: string; graph: GraphLayer }>): { graph: ComposedGraph; provenance: Provenance } {
  const graph: ComposedGraph = { nodes: [] };
  const provenance: Provenance = new Map();
  for (const { label, graph: layer } of layers) applyLayer(graph, layer, label, provenance);
  return { graph, provenance };
}

/** One leaf field of a composed graph: its path, value and the layer that set it. */
export interface FieldOrigin {
  path: string;
  value: Json;
  layer: string;
}

/**
 * Walks a graph (composed, possibly filled) leaf by leaf in document order and names the layer of
 * each field from `provenance` (`unknown` for a path no layer recorded, which does not happen for
 * a graph made by {@link composeLayers}).
 */
export function fieldOrigins(graph: ComposedGraph, provenance: Provenance): FieldOrigin[] {
  const out: FieldOrigin[] = [];
  const layerOf = (path: string): string => {
    const exact = provenance.get(path);
    if (exact) return exact;
    // a filled placeholder or prompt reference changed the shape under a recorded path
    for (const [key, label] of provenance) if (key.startsWith(`${path}.`)) return label;
    for (let at = path; at.includes('.'); ) {
      at = at.slice(0, at.lastIndexOf('.'));
      const up = provenance.get(at);
      if (up) return up;
    }
    return 'unknown';
  };
  const walk = (value: Json, path: string) => {
    if (isJsonObject(value) && Object.keys(value).length > 0) {
      for (const [k, v] of Object.entries(value)) walk(v, `${path}.${k}`);
    } else out.push({ path, value, layer: layerOf(path) });
  };
  for (const [key, value] of Object.entries(graph)) {
    if (key !== 'nodes') walk(value, key);
  }
  for (const node of graph.nodes) {
    const at = `nodes[${String(node['id'])}]`;
    out.push({ path: `${at}.id`, value: node['id']!, layer: layerOf(`${at}.id`) });
    for (const [k, v] of Object.entries(node)) if (k !== 'id') walk(v, `${at}.${k}`);
  }
  return out;
}
