import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { TaskgraphError } from '../core/errors.js';
import type { Json } from '../core/json.js';
import { ITEM_NAME_PATTERN, type LibraryItem, registerItemValidator } from './library.js';

/**
 * The prompt item format (issue 14, "Shared library file formats"): a YAML document
 *
 * ```yaml
 * kind: prompt
 * name: code-review.system        # [a-z0-9][a-z0-9._-]*
 * version: 1                      # positive integer
 * description: one line
 * tags: [code review, typescript]
 * variables: [diff, task]         # every {{name}} used in text
 * text: |
 *   ... {{diff}} ...
 * ```
 *
 * A placeholder is `{{name}}` (spaces inside the braces allowed); names are
 * `[A-Za-z_][A-Za-z0-9_.-]*`. The declared `variables` must be exactly the placeholders used:
 * one declared but unused, or used but undeclared, is an error when the prompt is added.
 */

/** A `{{name}}` placeholder (global: use with `matchAll`/`replace`). */
export const PLACEHOLDER = /\{\{\s*([A-Za-z_][A-Za-z0-9_.-]*)\s*\}\}/g;

/** A prompt document, validated. */
export const PromptDocumentSchema = z
  .object({
    kind: z.literal('prompt'),
    name: z.string().regex(ITEM_NAME_PATTERN, 'use a-z, 0-9, ".", "_", "-", starting with a letter or digit'),
    version: z.number().int().positive(),
    description: z.string().min(1).refine((d) => !d.includes('\n'), 'one line'),
    tags: z.array(z.string().min(1)),
    variables: z.array(z.string().regex(/^[A-Za-z_][A-Za-z0-9_.-]*$/, 'a variable name is [A-Za-z_][A-Za-z0-9_.-]*')).default([]),
    text: z.string().min(1),
  })
  .strict();

/** A prompt document. */
export type PromptDocument = z.infer<typeof PromptDocumentSchema>;

/** The distinct placeholder names of a prompt text, in order of first use. */
export function placeholdersOf(text: string): string[] {
  return [...new Set([...text.matchAll(PLACEHOLDER)].map((m) => m[1]!))];
}

/**
 * Validates a prompt document: the schema, then that `variables` and the placeholders of `text`
 * are the same set.
 * @param doc a parsed document
 * @param source where it came from, for messages
 * @throws TaskgraphError CONFIG_INVALID naming the bad fields or the unused/undeclared variables
 */
export function parsePromptDocument(doc: unknown, source = 'prompt'): PromptDocument {
  const parsed = PromptDocumentSchema.safeParse(doc);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(document)'}: ${i.message}`).join('; ');
    throw new TaskgraphError('CONFIG_INVALID', `${source}: invalid prompt (${problems})`, {
      details: { source, problems: parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })) },
      hint: 'a prompt has kind: prompt, name, version, description, tags, variables and text (see README "Library")',
    });
  }
  const used = placeholdersOf(parsed.data.text);
  const declared = parsed.data.variables;
  const undeclared = used.filter((v) => !declared.includes(v));
  const unused = declared.filter((v) => !used.includes(v));
  const duplicated = declared.filter((v, i) => declared.indexOf(v) !== i);
  if (undeclared.length > 0 || unused.length > 0 || duplicated.length > 0) {
    const parts = [
      ...(undeclared.length > 0 ? [`used but not declared: ${undeclared.join(', ')}`] : []),
      ...(unused.length > 0 ? [`declared but not used: ${unused.join(', ')}`] : []),
      ...(duplicated.length > 0 ? [`declared twice: ${duplicated.join(', ')}`] : []),
    ];
    throw new TaskgraphError('CONFIG_INVALID', `${source}: prompt ${parsed.data.name}@${parsed.data.version} variables do not match its text (${parts.join('; ')})`, {
      details: { source, undeclared, unused, duplicated },
      hint: 'list in `variables` exactly the {{name}} placeholders the text uses',
    });
  }
  return parsed.data;
}

/**
 * Parses a prompt YAML file's text.
 * @throws TaskgraphError CONFIG_INVALID for YAML syntax errors or an invalid prompt
 */
export function parsePromptYaml(text: string, source: string): PromptDocument {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (error) {
    throw new TaskgraphError('CONFIG_INVALID', `${source}: not valid YAML: ${(error as Error).message.split('\n')[0]}`, { details: { source }, cause: error });
  }
  return parsePromptDocument(doc, source);
}

/**
 * The prompt document of a stored item.
 * @throws TaskgraphError CONFIG_INVALID when the item is not a valid prompt
 */
export function promptOf(item: Pick<LibraryItem, 'body' | 'name' | 'version'>): PromptDocument {
  return parsePromptDocument(item.body, `${item.name}@${item.version}`);
}

registerItemValidator('prompt', (body: Json) => {
  parsePromptDocument(body);
});
