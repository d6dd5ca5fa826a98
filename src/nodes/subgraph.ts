import { z } from 'zod';
import { TaskgraphError } from '../core/errors.js';
import { type GraphSpec, isInputRef, type NodeSpecInput } from '../core/graph.js';
import { hashJson } from '../core/hash.js';
import { isJsonObject, type Json } from '../core/json.js';
import type { NodeContext, NodeExecutor } from '../engine/node-executor.js';
import { libraryDirs, loadTemplate, promptResolver } from '../library/template-files.js';
import { instantiateTemplate, type Instance } from '../library/template-instantiate.js';
import { GraphLayerSchema } from '../library/template-schema.js';

const JsonValue: z.ZodType<Json> = z.lazy(() => z.union([z.null(), z.boolean(), z.number(), z.string(), z.array(JsonValue), z.record(z.string(), JsonValue)]));

const SubgraphConfig = z
  .object({
    /** `name@version`, `name` (newest version) or a template file path (relative to the project directory) */
    template: z.string().min(1),
    /** parameter values (inputs of the same name are added to them) */
    parameters: z.record(z.string(), JsonValue).default({}),
    /** variant set -> option */
    variants: z.record(z.string(), z.string()).default({}),
    /** local overrides: a graph layer stronger than the template and its variants */
    overrides: GraphLayerSchema.optional(),
  })
  .strict();

/** Config of a `subgraph` node. */
export type SubgraphConfig = z.infer<typeof SubgraphConfig>;

/** Output of a `subgraph` node: what was instantiated and the node ids it added. */
export interface SubgraphOutput {
  template: string;
  variants: Record<string, string>;
  parameters: Record<string, Json>;
  /** the ids of the nodes it added to the run graph (prefixed `<this node's id>/`) */
  nodes: string[];
  /** the added nodes' graph, prefixed */
  graph: GraphSpec;
}

/** Nesting limit: a subgraph node whose id already has this many `/`-separated levels refuses to expand (a template that instantiates itself). */
export const MAX_SUBGRAPH_DEPTH = 8;

/** The instance for this node: config parameters plus inputs (an input names a parameter). */
function instanceOf(config: SubgraphConfig, inputs: Record<string, Json>, ctx: NodeContext): Instance {
  if (ctx.node.id.split('/').length > MAX_SUBGRAPH_DEPTH) {
    throw new TaskgraphError('GRAPH_INVALID', `subgraph ${ctx.node.id} is nested more than ${MAX_SUBGRAPH_DEPTH} levels deep`, { hint: 'a template that instantiates itself never ends: break the cycle of subgraph templates' });
  }
  const both = Object.keys(inputs).filter((k) => Object.hasOwn(config.parameters, k));
  if (both.length > 0) {
    throw new TaskgraphError('CONFIG_INVALID', `subgraph ${ctx.node.id}: ${both.join(', ')} given both as a parameter and as an input`, { hint: 'give each parameter once: in config.parameters or as an input' });
  }
  const { doc } = loadTemplate(config.template, ctx.projectDir);
  return instantiateTemplate(
    doc,
    { parameters: { ...config.parameters, ...inputs }, variants: config.variants, ...(config.overrides ? { overrides: config.overrides } : {}) },
    { resolvePrompt: promptResolver(libraryDirs(ctx.projectDir)), untrusted: new Set(Object.keys(inputs)) },
  );
}

/**
 * Prefixes a template instance's node ids with `prefix/` and turns its `edges` into `needs`,
 * so several instances live side by side in one run graph.
 */
export function prefixGraph(graph: GraphSpec, prefix: string): NodeSpecInput[] {
  const ids = new Set(graph.nodes.map((n) => n.id));
  const p = (id: string) => (ids.has(id) ? `${prefix}/${id}` : id);
  const extra = new Map<string, string[]>();
  for (const e of graph.edges) extra.set(e.to, [...(extra.get(e.to) ?? []), e.from]);
  return graph.nodes.map((n) => ({
    ...n,
    id: p(n.id),
    inputs: Object.fromEntries(Object.entries(n.inputs).map(([k, v]) => [k, isInputRef(v) ? { ...v, $ref: p(v.$ref) } : v])),
    needs: [...new Set([...n.needs, ...(extra.get(n.id) ?? [])])].map(p),
  }));
}

/** The ids of run-graph nodes that wait for `id` (data or ordering). */
function dependentsOf(graph: GraphSpec, id: string): string[] {
  const waiting = new Set<string>();
  for (const n of graph.nodes) {
    if (n.needs.includes(id) || Object.values(n.inputs).some((v) => isInputRef(v) && v.$ref === id)) waiting.add(n.id);
  }
  for (const e of graph.edges) if (e.from === id) waiting.add(e.to);
  return [...waiting];
}

/**
 * `subgraph` nodes (DESIGN.md §4, issue 14): instantiate a library template (variants, parameters,
 * overrides; `library/template-instantiate.ts`) inside the run's graph. Like `decompose`, the
 * node's output describes the nodes, and `expand` adds them to the run graph
 * (`Store.expandRunGraph`) with ids prefixed by this node's id (`review/diff`); a node that waits
 * for the subgraph node then waits for the subgraph's last nodes too, so it runs after the whole
 * instance. The added nodes are ordinary nodes, cached by their own keys: a second run of the
 * same graph is all cache hits, and a changed parameter dirties only the nodes whose config it
 * fills (and their downstream cone). Inputs of the node fill the parameters of the same name
 * (an upstream output as a parameter); such a value is never filled into a shell line
 * (`command`, `verify`, `setup` config), since it may be model output. Cache key adds the template's `name@version` and the hash
 * of the instantiated graph, so editing the template file or a prompt it uses re-expands.
 */
export const subgraphExecutor: NodeExecutor<SubgraphConfig> = {
  kind: 'subgraph',
  version: 1,
  configSchema: SubgraphConfig,
  cacheable: true,
  sideEffects: () => false,
  async keyIngredients(config, inputs, ctx): Promise<Record<string, Json>> {
    const instance = instanceOf(config, inputs, ctx);
    return { template: instance.template, graph: hashJson(instance.graph) };
  },
  async execute(config, inputs, ctx) {
    const instance = instanceOf(config, inputs, ctx);
    const nodes = prefixGraph(instance.graph, ctx.node.id);
    const graph: GraphSpec = { ...instance.graph, nodes: nodes as GraphSpec['nodes'], edges: [] };
    const output: SubgraphOutput = { template: instance.template, variants: instance.variants, parameters: instance.parameters, nodes: nodes.map((n) => n.id), graph };
    ctx.log(`subgraph: ${instance.template} adds ${nodes.length} nodes`);
    return { status: 'succeeded', output: output as unknown as Json };
  },
  async expand(output, ctx) {
    if (!isJsonObject(output) || !isJsonObject(output['graph'])) throw new TaskgraphError('INTERNAL', 'subgraph output has no graph');
    const graph = (output as unknown as SubgraphOutput).graph;
    const added = new Set(graph.nodes.map((n) => n.id));
    // the instance's sinks: nodes no other node of the instance waits for
    const waitedFor = new Set(graph.nodes.flatMap((n) => [...n.needs, ...Object.values(n.inputs).filter(isInputRef).map((v) => v.$ref)]));
    const sinks = graph.nodes.map((n) => n.id).filter((id) => !waitedFor.has(id));
    const run = await ctx.store.getRun(ctx.runId);
    const dependents = run ? dependentsOf(run.graph, ctx.node.id).filter((id) => !added.has(id)) : [];
    return { nodes: graph.nodes, needs: Object.fromEntries(dependents.map((id) => [id, sinks])) };
  },
};
