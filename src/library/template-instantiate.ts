import { TaskgraphError } from '../core/errors.js';
import { GraphSpecSchema, type GraphSpec, type NodeSpec } from '../core/graph.js';
import type { Json } from '../core/json.js';
import { graphFromSpec, zodIssues } from '../core/validate.js';
import type { ExecutorRegistry } from '../engine/node-executor.js';
import { composeLayers, fieldOrigins, type FieldOrigin } from './template-compose.js';
import { fillGraph, type PromptResolver } from './template-fill.js';
import { checkDefaults, validateParameters } from './template-parameters.js';
import type { TemplateChoices, TemplateDocument } from './template-schema.js';

/**
 * Instantiating a template (issue 14): select the variants, validate the parameters, compose the
 * layers (template → variants in declared order → overrides; `template-compose.ts`), fill the
 * placeholders and prompt references (`template-fill.ts`), and validate the result as a graph
 * (schema, duplicate ids, dangling references, cycles; with `executors`, each kind's config too).
 */

/** Where a parameter's value came from: `template` (its default), `variant set=option` (a default the variant sets), `override` (given by the caller), or `unset`. */
export interface ParameterOrigin {
  name: string;
  value: Json | null;
  source: string;
}

/** One field of the result with its layer and the parameters its value was filled from. */
export interface ExplainedField extends FieldOrigin {
  parameters?: string[];
}

/** The result of {@link instantiateTemplate}. */
export interface Instance {
  /** `name@version` of the template */
  template: string;
  /** the composed, filled and validated graph spec (ready for `taskgraph run`) */
  graph: GraphSpec;
  /** the option chosen for every variant set, in declared order */
  variants: Record<string, string>;
  /** parameter values after defaults (absent: optional and not given) */
  parameters: Record<string, Json>;
  parameterOrigins: ParameterOrigin[];
  /** every leaf field of the composed graph with its layer (before placeholders are filled: `value` is the filled one) */
  fields: ExplainedField[];
  /** prompt references used, in first-use order */
  prompts: string[];
}

/** Options of {@link instantiateTemplate}. */
export interface InstantiateOptions {
  /** reads library prompts for `{ $prompt: ref }` values */
  resolvePrompt: PromptResolver;
  /** when given, each node's kind must have an executor and its config must pass the kind's schema */
  executors?: ExecutorRegistry;
  /** parameters whose values came from upstream outputs (a `subgraph` node's inputs): never filled into a shell line */
  untrusted?: ReadonlySet<string>;
}

/** The label of a variant layer in provenance. */
export const variantLabel = (set: string, option: string): string => `variant ${set}=${option}`;

/**
 * Picks one option per variant set: the caller's choice, else the set's default.
 * @throws TaskgraphError CONFIG_INVALID for an unknown set or option (the known ones in the hint)
 */
export function selectVariants(doc: TemplateDocument, chosen: Record<string, string> = {}): Record<string, string> {
  const ref = `${doc.name}@${doc.version}`;
  for (const set of Object.keys(chosen)) {
    if (!Object.hasOwn(doc.variants, set)) {
      const sets = Object.keys(doc.variants);
      throw new TaskgraphError('CONFIG_INVALID', `template ${ref} has no variant set "${set}"`, { hint: sets.length > 0 ? `variant sets: ${sets.join(', ')}` : 'this template has no variants' });
    }
  }
  const out: Record<string, string> = {};
  for (const [set, decl] of Object.entries(doc.variants)) {
    const option = chosen[set] ?? decl.default;
    if (!Object.hasOwn(decl.options, option)) {
      throw new TaskgraphError('CONFIG_INVALID', `template ${ref}: variant set "${set}" has no option "${option}"`, { hint: `options of ${set}: ${Object.keys(decl.options).join(', ')}` });
    }
    out[set] = option;
  }
  return out;
}

/** A node check from an executor registry, as the engine does it (`engine.ts` buildGraph). */
function nodeChecker(executors: ExecutorRegistry): (node: NodeSpec) => string[] {
  return (node) => {
    const executor = executors.get(node.kind);
    if (!executor) return [`no executor for kind "${node.kind}"`];
    const problems: string[] = [];
    const parsed = executor.configSchema.safeParse(node.config);
    if (!parsed.success) for (const issue of parsed.error.issues) problems.push(`config.${issue.path.join('.')}: ${issue.message}`);
    for (const name of executor.requiredInputs ?? []) if (!(name in node.inputs)) problems.push(`missing input "${name}"`);
    return problems;
  };
}

/**
 * Instantiates a template with the caller's choices.
 * @throws TaskgraphError CONFIG_INVALID (unknown variant, invalid parameters, unknown placeholder,
 *   bad layer), NOT_FOUND (a prompt), GRAPH_INVALID (the composed graph: every issue listed, a
 *   cycle as its path)
 */
export function instantiateTemplate(doc: TemplateDocument, choices: TemplateChoices, options: InstantiateOptions): Instance {
  const ref = `${doc.name}@${doc.version}`;
  const variants = selectVariants(doc, choices.variants);
  const variantDefaults = Object.entries(variants).map(([set, option]) => ({ layer: variantLabel(set, option), values: doc.variants[set]!.options[option]!.parameters }));
  checkDefaults(doc.parameters, variantDefaults, ref);
  const defaults: Record<string, Json> = {};
  const defaultSource = new Map<string, string>();
  for (const { layer, values } of variantDefaults) {
    for (const [name, value] of Object.entries(values)) {
      defaults[name] = value;
      defaultSource.set(name, layer);
    }
  }
  const given = choices.parameters ?? {};
  const parameters = validateParameters(ref, doc.parameters, given, defaults);
  const parameterOrigins: ParameterOrigin[] = Object.keys(doc.parameters).map((name) => ({
    name,
    value: parameters[name] ?? null,
    source: Object.hasOwn(given, name) ? 'override' : defaultSource.get(name) ?? (parameters[name] !== undefined ? 'template' : 'unset'),
  }));
  const layers = [
    { label: 'template', graph: doc.graph },
    ...Object.entries(variants).map(([set, option]) => ({ label: variantLabel(set, option), graph: doc.variants[set]!.options[option]!.graph })),
    ...(choices.overrides ? [{ label: 'override', graph: choices.overrides }] : []),
  ];
  const { graph: composed, provenance } = composeLayers(layers);
  const filled = fillGraph(ref, composed, parameters, new Set(Object.keys(doc.parameters)), options.resolvePrompt, options.untrusted);
  const spec = GraphSpecSchema.safeParse({ id: doc.name, title: doc.description || doc.name, ...filled.graph });
  if (!spec.success) {
    const issues = zodIssues(spec.error);
    throw new TaskgraphError('GRAPH_INVALID', `template ${ref} does not compose into a valid graph: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, {
      details: { template: ref, issues },
      hint: 'check the layers with: taskgraph template explain',
    });
  }
  try {
    graphFromSpec(spec.data, options.executors ? { checkNode: nodeChecker(options.executors) } : {});
  } catch (error) {
    if (error instanceof TaskgraphError) {
      throw new TaskgraphError('GRAPH_INVALID', `template ${ref} (variants ${Object.entries(variants).map(([s, o]) => `${s}=${o}`).join(', ') || 'none'}): ${error.message}`, {
        details: { template: ref, ...(error.details ?? {}) },
        hint: 'check which layer set the fields with: taskgraph template explain',
      });
    }
    throw error;
  }
  const fields: ExplainedField[] = fieldOrigins(filled.graph, provenance).map((f) => {
    // the field itself, a value above it that a placeholder replaced, or the items of a list
    const related = (p: string) => p === f.path || f.path.startsWith(`${p}.`) || f.path.startsWith(`${p}[`) || p.startsWith(`${f.path}[`) || p.startsWith(`${f.path}.`);
    const used = [...new Set([...filled.uses].filter(([p]) => related(p)).flatMap(([, names]) => names))];
    return used.length > 0 ? { ...f, parameters: used } : f;
  });
  return { template: ref, graph: spec.data, variants, parameters, parameterOrigins, fields, prompts: filled.prompts };
}
