import { TaskgraphError } from '../core/errors.js';
import { isJsonObject, type Json, type JsonObject } from '../core/json.js';
import type { ComposedGraph } from './template-compose.js';

/**
 * Fills a composed template graph (issue 14): `{{name}}` placeholders naming a declared parameter
 * take the parameter's value, and `{ $prompt: "name@version" }` values become the text of that
 * library prompt. A string that is exactly one placeholder takes the value with its type (a
 * number, a list); inside longer text a value is written as text (lists joined with spaces).
 * A placeholder that names no parameter is left in place only inside a node that has an input of
 * that name (the `llm` node fills it at run time: `nodes/llm-prompts.ts` `fillTemplate`);
 * anywhere else it is an error, so a typo cannot reach a run.
 */

/** The placeholder syntax, the same as `llm` prompts use. */
const PLACEHOLDER = /\{\{\s*([A-Za-z0-9_:.-]+)\s*\}\}/g;
const WHOLE = /^\{\{\s*([A-Za-z0-9_:.-]+)\s*\}\}$/;

/**
 * Node kinds whose config becomes shell lines (`command` run, `verify` commands, `setup` run): a
 * parameter whose value came from an upstream output (model output, repository text) may not
 * be filled into their config (DESIGN.md §9: model output is never a command).
 */
export const SHELL_KINDS: ReadonlySet<string> = new Set(['command', 'verify', 'setup']);

/** Returns a prompt's text for a `name@version` (or `name`) reference; throws NOT_FOUND. */
export type PromptResolver = (ref: string) => string;

/** What filling did: the graph, and per field path the parameters its value came from. */
export interface FilledGraph {
  graph: ComposedGraph;
  /** field path (as in provenance) -> parameter names used there */
  uses: Map<string, string[]>;
  /** prompt references resolved, in first-use order */
  prompts: string[];
}

const asText = (value: Json): string => (typeof value === 'string' ? value : Array.isArray(value) ? value.map((v) => (typeof v === 'string' ? v : JSON.stringify(v))).join(' ') : JSON.stringify(value));

const isPromptRef = (value: Json): value is { $prompt: string } => isJsonObject(value) && Object.keys(value).length === 1 && typeof value['$prompt'] === 'string';

/**
 * Fills placeholders and prompt references in a composed graph (not mutated).
 * @param params parameter values (after validation; an optional parameter not given is absent)
 * @param declared the declared parameter names
 * @param resolvePrompt reads a library prompt's text
 * @param untrusted parameters whose values came from upstream outputs: refused in the config of {@link SHELL_KINDS}
 * @throws TaskgraphError CONFIG_INVALID listing every unknown placeholder, every parameter used
 *   without a value, and every untrusted parameter in a shell line
 */
export function fillGraph(
  template: string,
  graph: ComposedGraph,
  params: Record<string, Json>,
  declared: ReadonlySet<string>,
  resolvePrompt: PromptResolver,
  untrusted: ReadonlySet<string> = new Set(),
): FilledGraph {
  const problems: string[] = [];
  const uses = new Map<string, string[]>();
  const prompts: string[] = [];
  let shell = false; // filling the config of a node of SHELL_KINDS
  const note = (path: string, name: string) => {
    if (shell && untrusted.has(name)) problems.push(`${path}: parameter "${name}" comes from an upstream output and may not be filled into a shell line`);
    const list = uses.get(path) ?? [];
    if (!list.includes(name)) list.push(name);
    uses.set(path, list);
  };
  const fillString = (text: string, path: string, inputs: ReadonlySet<string> | undefined): Json => {
    const whole = WHOLE.exec(text);
    if (whole && declared.has(whole[1]!)) {
      const name = whole[1]!;
      note(path, name);
      if (params[name] === undefined) {
        problems.push(`${path}: parameter "${name}" has no value`);
        return text;
      }
      return structuredClone(params[name]!);
    }
    return text.replace(PLACEHOLDER, (all, name: string) => {
      if (declared.has(name)) {
        note(path, name);
        if (params[name] === undefined) {
          problems.push(`${path}: parameter "${name}" has no value`);
          return all;
        }
        return asText(params[name]!);
      }
      if (!inputs?.has(name)) problems.push(`${path}: {{${name}}} names no parameter${inputs ? ' and no input of this node' : ''}`);
      return all;
    });
  };
  const fill = (value: Json, path: string, inputs: ReadonlySet<string> | undefined): Json => {
    if (typeof value === 'string') return fillString(value, path, inputs);
    if (Array.isArray(value)) return value.map((v, i) => fill(v, `${path}[${i}]`, inputs));
    if (isPromptRef(value)) {
      let text: string;
      try {
        text = resolvePrompt(value.$prompt);
      } catch (error) {
        problems.push(`${path}: ${(error as Error).message}`);
        return value;
      }
      if (!prompts.includes(value.$prompt)) prompts.push(value.$prompt);
      return fillString(text, path, inputs);
    }
    if (isJsonObject(value)) {
      const out: JsonObject = {};
      for (const [k, v] of Object.entries(value)) out[k] = fill(v, `${path}.${k}`, inputs);
      return out;
    }
    return value;
  };
  const out: ComposedGraph = { nodes: [] };
  for (const [key, value] of Object.entries(graph)) if (key !== 'nodes') out[key] = fill(value, key, undefined);
  for (const node of graph.nodes) {
    const inputs = new Set(isJsonObject(node['inputs']) ? Object.keys(node['inputs']) : []);
    const at = `nodes[${String(node['id'])}]`;
    const filled: JsonObject = {};
    for (const [k, v] of Object.entries(node)) {
      shell = k === 'config' && SHELL_KINDS.has(String(node['kind']));
      filled[k] = k === 'id' ? v : fill(v, `${at}.${k}`, inputs);
    }
    shell = false;
    out.nodes.push(filled);
  }
  if (problems.length > 0) {
    throw new TaskgraphError('CONFIG_INVALID', `template ${template}: ${problems.join('; ')}`, {
      details: { template, problems },
      hint: 'give the missing parameters with --set name=value, and check the placeholder names against the declared parameters and the node inputs',
    });
  }
  return { graph: out, uses, prompts };
}
