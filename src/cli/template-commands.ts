import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { stringify } from 'yaml';
import { TaskgraphError } from '../core/errors.js';
import type { GraphSpec } from '../core/graph.js';
import type { Json } from '../core/json.js';
import { zodIssues } from '../core/validate.js';
import { templateFromPlan } from '../library/template-from-plan.js';
import { findItem, libraryDirs, listItems, loadTemplate, projectLibraryDir, promptResolver, readTemplateFile } from '../library/template-files.js';
import { instantiateTemplate, type Instance } from '../library/template-instantiate.js';
import { parseParameterText, parsePairs } from '../library/template-parameters.js';
import { GraphLayerSchema, TemplateDocumentSchema, type TemplateDocument } from '../library/template-schema.js';
import { defaultRegistry } from '../nodes/index.js';
import { parseYamlText } from '../project/parse-yaml.js';
import type { CommonOptions } from './run-common.js';
import { safeJson, safeText } from './safe-text.js';
import { withProject } from './wiring.js';

/**
 * `taskgraph template show|explain|instantiate|save` (issue 14; README "Templates"). Templates are
 * found by name in `.taskgraph/library/templates/`, then in the bundled starter library, or read
 * from a file path. Template text is repository content: everything printed goes through
 * `safeText`/`safeJson`.
 */

/** Options of the template commands. */
export type TemplateOptions = CommonOptions & {
  set?: string[];
  variant?: string[];
  overrides?: string;
  out?: string;
  name?: string;
  description?: string;
};

const out = (text: string) => process.stdout.write(`${safeText(text)}\n`);

/** Parses `--set`, `--variant` and `--overrides FILE` against the template's declarations. */
function choicesOf(doc: TemplateDocument, opts: TemplateOptions) {
  const texts = parsePairs(opts.set ?? [], '--set');
  const parameters: Record<string, Json> = Object.fromEntries(Object.entries(texts).map(([k, v]) => [k, parseParameterText(doc.parameters, k, v)]));
  const variants = parsePairs(opts.variant ?? [], '--variant');
  let overrides;
  if (opts.overrides) {
    const path = resolve(opts.project, opts.overrides);
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (error) {
      throw new TaskgraphError('NOT_FOUND', `cannot read overrides ${path}: ${(error as Error).message}`);
    }
    const parsed = GraphLayerSchema.safeParse(parseYamlText(text, path, 'CONFIG_INVALID'));
    if (!parsed.success) {
      throw new TaskgraphError('CONFIG_INVALID', `${path} is not a graph layer: ${zodIssues(parsed.error).map((i) => `${i.path}: ${i.message}`).join('; ')}`, {
        hint: 'an overrides file is a partial graph: { title?, nodes: [{ id, ...fields }], edges? }',
      });
    }
    overrides = parsed.data;
  }
  return { parameters, variants, ...(overrides ? { overrides } : {}) };
}

/** Loads and instantiates a template with the command's choices (kinds' configs checked too). */
function instance(arg: string, opts: TemplateOptions): { doc: TemplateDocument; path: string; inst: Instance } {
  const { doc, path } = loadTemplate(arg, opts.project);
  const inst = instantiateTemplate(doc, choicesOf(doc, opts), { resolvePrompt: promptResolver(libraryDirs(opts.project)), executors: defaultRegistry().executors });
  return { doc, path, inst };
}

const shortValue = (value: Json): string => {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  const line = text.split('\n')[0]!;
  return line.length > 70 || text.includes('\n') ? `${JSON.stringify(line.slice(0, 67))}...` : typeof value === 'string' ? JSON.stringify(value) : text;
};

/** `taskgraph template show [NAME|FILE]`: the templates (without an argument) or one template's parameters, variants and nodes. */
export function templateShowCommand(arg: string | undefined, opts: TemplateOptions): number {
  if (arg === undefined) {
    const items = listItems(libraryDirs(opts.project), 'templates').map((item) => {
      const doc = readTemplateFile(item.path, item);
      return { name: doc.name, version: doc.version, description: doc.description, tags: doc.tags, variants: Object.keys(doc.variants), source: item.dir === projectLibraryDir(opts.project) ? 'project' : 'bundled', path: item.path };
    });
    if (opts.json) out(safeJson(items));
    else if (items.length === 0) out('no templates');
    else for (const t of items) out(`${t.name}@${t.version}  ${t.description}  [${t.tags.join(', ')}]${t.source === 'project' ? '  (project)' : ''}`);
    return 0;
  }
  const { doc, path } = loadTemplate(arg, opts.project);
  if (opts.json) {
    out(safeJson({ path, ...doc }));
    return 0;
  }
  out(`${doc.name}@${doc.version}: ${doc.description}`);
  out(`file: ${relative(opts.project, path) || path}`);
  if (doc.tags.length > 0) out(`tags: ${doc.tags.join(', ')}`);
  out('parameters:');
  for (const [name, p] of Object.entries(doc.parameters)) {
    const type = p.type === 'enum' ? p.values!.join('|') : p.type;
    out(`  ${name} (${type}${p.required ? ', required' : ''}${p.default !== undefined ? `, default ${shortValue(p.default)}` : ''})${p.description ? `: ${p.description}` : ''}`);
  }
  if (Object.keys(doc.parameters).length === 0) out('  (none)');
  out('variants:');
  for (const [set, v] of Object.entries(doc.variants)) out(`  ${set}: ${Object.keys(v.options).map((o) => (o === v.default ? `${o} (default)` : o)).join(', ')}`);
  if (Object.keys(doc.variants).length === 0) out('  (none)');
  out(`nodes: ${(doc.graph.nodes ?? []).map((n) => `${n.id} (${String(n['kind'])})`).join(', ')}`);
  return 0;
}

/** `taskgraph template explain`: every field of the composed graph and the layer that set it. */
export function templateExplainCommand(arg: string, opts: TemplateOptions): number {
  const { inst } = instance(arg, opts);
  if (opts.json) {
    out(safeJson({ template: inst.template, variants: inst.variants, parameters: inst.parameterOrigins, fields: inst.fields, prompts: inst.prompts }));
    return 0;
  }
  out(`${inst.template}  variants: ${Object.entries(inst.variants).map(([s, o]) => `${s}=${o}`).join(', ') || '(none)'}`);
  out('parameters:');
  for (const p of inst.parameterOrigins) out(`  ${p.name} = ${p.value === null ? '(unset)' : shortValue(p.value)}  <- ${p.source}`);
  out('fields:');
  const width = Math.min(60, Math.max(...inst.fields.map((f) => f.path.length)));
  const layerWidth = Math.min(40, Math.max(...inst.fields.map((f) => f.layer.length)));
  for (const f of inst.fields) {
    const via = f.parameters ? `  via {{${f.parameters.join('}}, {{')}}}` : '';
    out(`  ${f.path.padEnd(width)}  ${f.layer.padEnd(layerWidth)}  ${shortValue(f.value)}${via}`);
  }
  if (inst.prompts.length > 0) out(`prompts: ${inst.prompts.join(', ')}`);
  return 0;
}

/** `taskgraph template instantiate`: the composed graph as YAML (or JSON), ready for `taskgraph run`. */
export function templateInstantiateCommand(arg: string, opts: TemplateOptions): number {
  const { inst } = instance(arg, opts);
  const header = `# ${inst.template} with ${Object.entries(inst.variants).map(([s, o]) => `${s}=${o}`).join(', ') || 'no variants'}; made by taskgraph template instantiate\n`;
  const graph = compact(inst.graph);
  const text = opts.json ? safeJson(graph) : header + stringify(graph, { lineWidth: 0 });
  if (opts.out) {
    const path = resolve(opts.project, opts.out);
    writeAtomically(path, text.endsWith('\n') ? text : `${text}\n`);
    out(`wrote ${path}`);
  } else process.stdout.write(text.endsWith('\n') ? safeText(text) : `${safeText(text)}\n`);
  return 0;
}

/** A graph spec without the fields that only repeat defaults (empty `inputs`/`needs`/`config`/`edges`, priority 0). */
function compact(graph: GraphSpec): Record<string, unknown> {
  const nodes = graph.nodes.map((n) => {
    const out: Record<string, unknown> = { ...n };
    if (Object.keys(n.inputs).length === 0) delete out['inputs'];
    if (Object.keys(n.config).length === 0) delete out['config'];
    if (n.needs.length === 0) delete out['needs'];
    if (n.priority === 0) delete out['priority'];
    return out;
  });
  const { edges, ...rest } = graph;
  return { ...rest, nodes, ...(edges.length > 0 ? { edges } : {}) };
}

/** Writes a file through a temporary sibling and a rename: the file is whole or absent. */
function writeAtomically(path: string, text: string): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, text, { flag: 'wx' });
  renameSync(tmp, path);
}

/** `taskgraph template save PLAN --name N`: a stored plan as a template in the project's library. */
export async function templateSaveCommand(planId: string, opts: TemplateOptions): Promise<number> {
  const name = opts.name;
  if (!name || !/^[a-z0-9][a-z0-9._-]{0,99}$/.test(name)) {
    throw new TaskgraphError('CONFIG_INVALID', `--name "${name ?? ''}" is not a template name`, { hint: 'use a-z 0-9 . _ - and start with a letter or digit, e.g. --name add-endpoint' });
  }
  return withProject(opts, async (project) => {
    const plan = await project.store.getPlan(planId);
    if (!plan) throw new TaskgraphError('NOT_FOUND', `no plan "${planId}"`, { hint: 'list plans with: taskgraph runs (the PLAN column), or taskgraph export --plan ID' });
    const dir = join(projectLibraryDir(opts.project), 'templates');
    let version = 1;
    try {
      version = findItem([projectLibraryDir(opts.project)], 'templates', name).version + 1;
    } catch {
      /* the first version */
    }
    const raw = templateFromPlan(plan, name, version, opts.description);
    const doc = TemplateDocumentSchema.parse(raw);
    // the template must instantiate with its defaults before anything is written
    const inst = instantiateTemplate(doc, {}, { resolvePrompt: promptResolver(libraryDirs(opts.project)), executors: defaultRegistry().executors });
    mkdirSync(dir, { recursive: true });
    const path = join(dir, `${name}@${version}.yaml`);
    if (existsSync(path)) throw new TaskgraphError('RUN_STATE', `${path} exists`, { hint: 'choose another --name' });
    writeAtomically(path, `# saved by taskgraph template save ${planId}\n${stringify(raw, { lineWidth: 0 })}`);
    const result = { template: `${name}@${version}`, path: isAbsolute(path) ? path : resolve(path), plan: plan.id, parameters: Object.keys(doc.parameters), nodes: inst.graph.nodes.length };
    if (opts.json) out(safeJson(result));
    else out(`saved ${result.template} (${result.nodes} nodes; parameters: ${result.parameters.join(', ')}) to ${path}\ninstantiate it with: taskgraph template instantiate ${name} --set goal="..."`);
    return 0;
  });
}
