import { z } from 'zod';
import { TaskgraphError } from '../core/errors.js';
import type { Json } from '../core/json.js';
import { zodIssues } from '../core/validate.js';
import type { ParameterDecl } from './template-schema.js';

/**
 * Template parameters (issue 14): the declared parameters become one zod schema that validates
 * the values a caller gives; `--set name=value` text is typed by the declaration.
 */

/** The zod type of one declared parameter (without default/optional handling). */
function baseType(decl: ParameterDecl): z.ZodType<Json> {
  switch (decl.type) {
    case 'string':
      return z.string();
    case 'number':
      return z.number().finite();
    case 'boolean':
      return z.boolean();
    case 'enum':
      return z.enum(decl.values as [string, ...string[]]);
    case 'string[]':
      return z.array(z.string());
  }
}

/**
 * The zod schema of a template's parameters: an object with one key per declaration, strict (an
 * undeclared name is an error). A parameter with a default (the template's, or one a selected
 * variant sets: `defaults`) takes it when not given; a `required` one without a default must be
 * given; others are optional and stay unset.
 * @param decls the template's `parameters`
 * @param defaults defaults that win over the declarations' (from selected variants)
 */
export function parametersSchema(decls: Record<string, ParameterDecl>, defaults: Record<string, Json> = {}): z.ZodType<Record<string, Json>> {
  const shape: Record<string, z.ZodType<Json | undefined>> = {};
  for (const [name, decl] of Object.entries(decls)) {
    const base = baseType(decl);
    const fallback = Object.hasOwn(defaults, name) ? defaults[name] : decl.default;
    if (fallback !== undefined) shape[name] = base.default(fallback as never);
    else shape[name] = decl.required ? base : base.optional();
  }
  return z.object(shape).strict() as unknown as z.ZodType<Record<string, Json>>;
}

/**
 * Checks the declarations themselves: every default (the template's and the variants') has the
 * declared type.
 * @throws TaskgraphError CONFIG_INVALID naming the parameter and where its default comes from
 */
export function checkDefaults(decls: Record<string, ParameterDecl>, defaults: Array<{ layer: string; values: Record<string, Json> }>, template: string): void {
  const problems: string[] = [];
  for (const [name, decl] of Object.entries(decls)) {
    if (decl.default !== undefined && !baseType(decl).safeParse(decl.default).success) problems.push(`parameter "${name}": its default is not a ${decl.type}`);
  }
  for (const { layer, values } of defaults) {
    for (const [name, value] of Object.entries(values)) {
      const decl = decls[name];
      if (!decl) problems.push(`${layer} sets undeclared parameter "${name}"`);
      else if (!baseType(decl).safeParse(value).success) problems.push(`${layer} sets parameter "${name}" to a value that is not a ${decl.type}`);
    }
  }
  if (problems.length > 0) {
    throw new TaskgraphError('CONFIG_INVALID', `template ${template}: ${problems.join('; ')}`, {
      details: { template, problems },
      hint: 'fix the template document: defaults must have the declared type and name declared parameters',
    });
  }
}

/**
 * Validates a caller's parameter values against the declarations.
 * @returns the values with defaults filled in
 * @throws TaskgraphError CONFIG_INVALID listing every problem (`name: message`) and the declared parameters
 */
export function validateParameters(template: string, decls: Record<string, ParameterDecl>, values: Record<string, Json>, defaults: Record<string, Json> = {}): Record<string, Json> {
  const parsed = parametersSchema(decls, defaults).safeParse(values);
  if (parsed.success) return parsed.data;
  const issues = zodIssues(parsed.error).map((i) => (i.path === '(root)' ? i.message : `${i.path}: ${i.message}`));
  const declared = Object.entries(decls).map(([n, d]) => `${n} (${d.type === 'enum' ? d.values!.join('|') : d.type}${d.required ? ', required' : ''})`);
  throw new TaskgraphError('CONFIG_INVALID', `template ${template}: invalid parameters: ${issues.join('; ')}`, {
    details: { template, issues },
    hint: declared.length > 0 ? `declared parameters: ${declared.join(', ')}; give them with --set name=value` : 'this template declares no parameters',
  });
}

/**
 * Types the text of `--set name=value` by the parameter's declaration: `number` through
 * `Number`, `boolean` from `true`/`false`, `string[]` from a JSON array or comma-separated text,
 * `string`/`enum` as given. An undeclared name is kept as a string (validation then names it).
 * @throws TaskgraphError CONFIG_INVALID for text that is not of the declared type
 */
export function parseParameterText(decls: Record<string, ParameterDecl>, name: string, text: string): Json {
  const decl = decls[name];
  const bad = (what: string) =>
    new TaskgraphError('CONFIG_INVALID', `parameter "${name}": "${text}" is not ${what}`, { hint: `give --set ${name}=<${what}>` });
  switch (decl?.type) {
    case 'number': {
      const n = Number(text);
      if (text.trim() === '' || !Number.isFinite(n)) throw bad('a number');
      return n;
    }
    case 'boolean':
      if (text === 'true') return true;
      if (text === 'false') return false;
      throw bad('true or false');
    case 'string[]':
      if (text.trim().startsWith('[')) {
        try {
          const v: unknown = JSON.parse(text);
          if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v;
        } catch {
          /* reported below */
        }
        throw bad('a JSON array of strings');
      }
      return text.split(',').map((s) => s.trim()).filter((s) => s !== '');
    default:
      return text;
  }
}

/**
 * Splits `name=value` pairs (`--set`, `--variant`) into a record; the first `=` separates.
 * @throws TaskgraphError CONFIG_INVALID for a pair without `=` or with an empty name
 */
export function parsePairs(pairs: readonly string[], flag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    if (at <= 0) throw new TaskgraphError('CONFIG_INVALID', `${flag} "${pair}" is not name=value`, { hint: `write ${flag} name=value` });
    out[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return out;
}
