import { z } from 'zod';
import { EdgeSchema, NODE_ID_PATTERN } from '../core/graph.js';
import type { Json } from '../core/json.js';

/**
 * The template document (issue 14, shared format in README "Templates"): a library item
 * `kind: template` with declared `parameters`, `variants` (variant sets, each option a layer of
 * overrides) and a `graph` body shaped like a graph file (`core/graph.ts`) whose strings may hold
 * `{{param}}` placeholders. Only the shape is checked here; composition (`template-compose.ts`)
 * and the final graph validation (`template-instantiate.ts`) check the rest.
 */

/** Library item names: `[a-z0-9][a-z0-9._-]*`, at most 100 characters (shared format). */
export const ITEM_NAME_PATTERN = /^[a-z0-9][a-z0-9._-]{0,99}$/;

/** Parameter names: what a `{{name}}` placeholder may name (letters, digits, `_`). */
export const PARAMETER_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

const JsonSchema: z.ZodType<Json> = z.lazy(() =>
  z.union([z.null(), z.boolean(), z.number(), z.string(), z.array(JsonSchema), z.record(z.string(), JsonSchema)]),
);

/** The parameter types a template may declare. */
export const PARAMETER_TYPES = ['string', 'number', 'boolean', 'enum', 'string[]'] as const;

/** One declared parameter: its type, default, description, whether it must be given; `values` lists an enum's choices. */
export const ParameterDeclSchema = z
  .object({
    type: z.enum(PARAMETER_TYPES),
    description: z.string().default(''),
    default: JsonSchema.optional(),
    required: z.boolean().default(false),
    values: z.array(z.string().min(1)).min(1).optional(),
  })
  .strict()
  .refine((p) => p.type !== 'enum' || p.values !== undefined, { message: 'an enum parameter lists its `values`', path: ['values'] })
  .refine((p) => p.type === 'enum' || p.values === undefined, { message: '`values` belongs to enum parameters only', path: ['values'] });

/** {@link ParameterDeclSchema} after defaults. */
export type ParameterDecl = z.infer<typeof ParameterDeclSchema>;

/**
 * A node as a layer writes it: like a graph file's node, every field optional except `id`
 * (a layer's node with a known id merges into it; a new id adds a node and then needs `kind`),
 * plus `$remove: true` to delete the node (and the references to it must go too).
 */
export const LayerNodeSchema = z
  .object({ id: z.string().regex(NODE_ID_PATTERN, 'node ids use letters, digits and _ . - / : (max 200 chars)'), $remove: z.literal(true).optional() })
  .catchall(JsonSchema);

/** A partial graph body (one layer): `nodes` merged by id, other fields merged as JSON (see `template-compose.ts`). */
export const GraphLayerSchema = z
  .object({
    id: z.string().optional(),
    title: z.string().optional(),
    concurrency: z.union([z.number(), z.string()]).optional(),
    nodes: z.array(LayerNodeSchema).optional(),
    edges: z.union([z.array(EdgeSchema), z.object({ $append: z.array(EdgeSchema) }).strict()]).optional(),
  })
  .strict();

/** {@link GraphLayerSchema} as a type. */
export type GraphLayer = z.infer<typeof GraphLayerSchema>;

/** One option of a variant set: new parameter defaults and a graph layer, both optional. */
export const VariantOptionSchema = z
  .object({
    description: z.string().optional(),
    /** parameter defaults this option sets (weaker than values given by the caller) */
    parameters: z.record(z.string(), JsonSchema).default({}),
    graph: GraphLayerSchema.default({}),
  })
  .strict();

/** {@link VariantOptionSchema} after defaults. */
export type VariantOption = z.infer<typeof VariantOptionSchema>;

/** A variant set: its options by name and the one chosen when the caller picks none. */
export const VariantSetSchema = z
  .object({
    description: z.string().optional(),
    default: z.string().min(1),
    options: z.record(z.string().regex(ITEM_NAME_PATTERN, 'option names use a-z 0-9 . _ -'), VariantOptionSchema),
  })
  .strict()
  .refine((s) => Object.hasOwn(s.options, s.default), { message: '`default` names one of `options`', path: ['default'] });

/** {@link VariantSetSchema} after defaults. */
export type VariantSet = z.infer<typeof VariantSetSchema>;

/** The template library item (shared format: kind, name, version, description, tags). */
export const TemplateDocumentSchema = z
  .object({
    kind: z.literal('template'),
    name: z.string().regex(ITEM_NAME_PATTERN, 'template names use a-z 0-9 . _ - and start with a letter or digit'),
    version: z.number().int().positive(),
    description: z.string().default(''),
    tags: z.array(z.string()).default([]),
    parameters: z.record(z.string().regex(PARAMETER_NAME_PATTERN, 'parameter names use letters, digits and _'), ParameterDeclSchema).default({}),
    /** variant sets, applied in the order written */
    variants: z.record(z.string().regex(ITEM_NAME_PATTERN, 'variant set names use a-z 0-9 . _ -'), VariantSetSchema).default({}),
    graph: GraphLayerSchema.refine((g) => (g.nodes?.length ?? 0) > 0, { message: 'a template graph needs at least one node', path: ['nodes'] }),
  })
  .strict();

/** A template document as written. */
export type TemplateDocumentInput = z.input<typeof TemplateDocumentSchema>;
/** A template document after defaults. */
export type TemplateDocument = z.infer<typeof TemplateDocumentSchema>;

/** A caller's choices: parameter values, a variant option per set, and the strongest layer. */
export interface TemplateChoices {
  /** parameter values (already typed: strings from `--set` go through `parseParameterText`) */
  parameters?: Record<string, Json>;
  /** variant set name -> option name */
  variants?: Record<string, string>;
  /** local overrides: a graph layer stronger than the template and its variants */
  overrides?: GraphLayer;
}
