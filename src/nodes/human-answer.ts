import { z } from 'zod';
import type { Json } from '../core/json.js';

/**
 * The question of a `human` node and the rules its answer must meet (issue 11 "`human` node
 * kind"): free text, one of `choices`, or any JSON value valid against `schema` (a JSON Schema,
 * checked with zod's `z.fromJSONSchema`, so no second validator is needed). Pure: used by the
 * node's executor (`human.ts`) and by `taskgraph answer` before anything is recorded.
 */

/** A JSON Schema object (draft 2020-12 / draft-07 keywords zod's `fromJSONSchema` supports). */
const JsonSchemaObject = z.record(z.string(), z.unknown());

/** zod schema of a `human` node's config; refuses `choices` together with `schema`, and a schema zod cannot read. */
export const HumanConfigSchema = z
  .object({
    /** what the person is asked */
    question: z.string().min(1),
    /** the allowed answers (strings); the answer must be one of them */
    choices: z.array(z.string().min(1)).min(1).optional(),
    /** a JSON Schema the answer (a JSON value, `answer --json`) must be valid against */
    schema: JsonSchemaObject.optional(),
  })
  .strict()
  .superRefine((config, ctx) => {
    if (config.choices && config.schema) ctx.addIssue({ code: 'custom', path: ['schema'], message: 'give choices or schema, not both' });
    if (config.schema) {
      const error = schemaError(config.schema);
      if (error) ctx.addIssue({ code: 'custom', path: ['schema'], message: `not a usable JSON Schema: ${error}` });
    }
  });

/** Config of a `human` node. */
export type HumanConfig = z.infer<typeof HumanConfigSchema>;

/**
 * The problems of `answer` for the node configured by `config`, one line each (`path: message`
 * for schema violations); empty when the answer is acceptable. Without choices or schema any
 * non-empty string is accepted (and any JSON value other than an empty string).
 * @param config the node's config (already parsed by {@link HumanConfigSchema})
 * @param answer the answer: a string from `answer RUN NODE "text"`, or the value of `--json`
 */
export function answerProblems(config: HumanConfig, answer: Json): string[] {
  if (config.choices) {
    if (typeof answer === 'string' && config.choices.includes(answer)) return [];
    return [`answer ${JSON.stringify(answer)} is not one of the choices: ${config.choices.map((c) => JSON.stringify(c)).join(', ')}`];
  }
  if (config.schema) {
    const parsed = z.fromJSONSchema(config.schema as never).safeParse(answer);
    if (parsed.success) return [];
    return parsed.error.issues.map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(answer)'}: ${issue.message}`);
  }
  if (answer === '' || answer === null) return ['the answer is empty'];
  return [];
}

/** The one line a person reads: the question, with its choices or the hint that JSON is expected. */
export function describeQuestion(config: HumanConfig): string {
  if (config.choices) return `${config.question} (choices: ${config.choices.join(' | ')})`;
  if (config.schema) return `${config.question} (answer with --json, valid against the node's schema)`;
  return config.question;
}

function schemaError(schema: Record<string, unknown>): string | undefined {
  try {
    z.fromJSONSchema(schema as never);
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}
