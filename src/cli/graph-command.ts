import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';
import { TaskgraphError } from '../core/errors.js';
import { GraphSpecSchema } from '../core/graph.js';
import { buildGraph } from '../core/validate.js';
import { toDot, toJson, toMermaid } from '../planning/render.js';
import { type CommonOptions, loadGraphFile } from './run-common.js';
import { withProject } from './wiring.js';

/** `taskgraph graph TARGET --format mermaid|dot|json`: a plan, a run or a graph file. */
export async function graphCommand(target: string, opts: CommonOptions & { format: string }): Promise<number> {
  const format = z.enum(['mermaid', 'dot', 'json']).parse(opts.format);
  const file = resolve(target);
  if (existsSync(file)) {
    const graph = buildGraph(await loadGraphFile(file));
    process.stdout.write(`${renderNodeGraph(graph.order.map((id) => graph.nodes.get(id)!), graph.edges, format)}\n`);
    return 0;
  }
  return withProject(opts, async (project) => {
    const plan = await project.store.getPlan(target);
    if (plan) {
      const out = format === 'mermaid' ? toMermaid(plan.tasks) : format === 'dot' ? toDot(plan.tasks) : toJson(plan as never);
      process.stdout.write(`${out}\n`);
      return 0;
    }
    const run = await project.store.getRun(target);
    if (!run) throw new TaskgraphError('NOT_FOUND', `"${target}" is not a graph file, plan id or run id`);
    const graph = buildGraph(run.graph);
    const states = new Map((await project.store.listRunNodes(run.id)).map((n) => [n.nodeId, n.status]));
    process.stdout.write(`${renderNodeGraph(graph.order.map((id) => graph.nodes.get(id)!), graph.edges, format, states)}\n`);
    return 0;
  });
}

function renderNodeGraph(
  nodes: ReadonlyArray<{ id: string; kind: string }>,
  edges: ReadonlyArray<{ from: string; to: string }>,
  format: 'mermaid' | 'dot' | 'json',
  states: ReadonlyMap<string, string> = new Map(),
): string {
  const label = (n: { id: string; kind: string }) => `${n.id} (${n.kind}${states.has(n.id) ? `: ${states.get(n.id)}` : ''})`;
  const idx = new Map(nodes.map((n, i) => [n.id, `n${i}`]));
  if (format === 'json') return JSON.stringify({ nodes: nodes.map((n) => ({ ...n, status: states.get(n.id) ?? null })), edges }, null, 2);
  if (format === 'mermaid') {
    return ['flowchart TD', ...nodes.map((n) => `  ${idx.get(n.id)}["${label(n).replace(/"/g, '#quot;')}"]`), ...edges.map((e) => `  ${idx.get(e.from)} --> ${idx.get(e.to)}`)].join('\n');
  }
  return ['digraph taskgraph {', '  rankdir=TB;', ...nodes.map((n) => `  ${idx.get(n.id)} [label=${JSON.stringify(label(n))}];`), ...edges.map((e) => `  ${idx.get(e.from)} -> ${idx.get(e.to)};`), '}'].join('\n');
}

/** `taskgraph schema`: the JSON Schema of graph files (for editor completion). */
export function schemaCommand(): number {
  const schema = z.toJSONSchema(GraphSpecSchema, { io: 'input', unrepresentable: 'any' });
  process.stdout.write(`${JSON.stringify({ $id: 'https://taskgraph.dev/schema/graph.json', title: 'taskgraph graph file', ...schema }, null, 2)}\n`);
  return 0;
}
