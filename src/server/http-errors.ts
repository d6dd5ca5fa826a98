import { z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { ZodError } from 'zod';
import { type ErrorCode, TaskgraphError, toErrorRecord } from '../core/errors.js';

/**
 * How the HTTP API reports errors (issue 12 "Errors"): one JSON shape, {@link ErrorBodySchema},
 * for every failure. A request that fails its zod schema is a 400 whose `issues` give the path of
 * each field at fault (`body.status`, `query.limit`); a `TaskgraphError` keeps its `code`, `hint`
 * and `details`, with the status picked from the code ({@link statusOfCode}).
 */

/** The body of every error response. */
export const ErrorBodySchema = z
  .object({
    code: z.string().openapi({ description: 'TaskgraphError code (NOT_FOUND, RUN_LOCKED, ...), VALIDATION for a request that fails its schema, UNAUTHORIZED' }),
    message: z.string(),
    hint: z.string().optional(),
    details: z.record(z.string(), z.unknown()).optional(),
    issues: z
      .array(z.object({ path: z.string().openapi({ description: 'where in the request: body.status, query.limit, param.id' }), message: z.string() }))
      .optional(),
  })
  .openapi('Error');

/** An error body. */
export type ErrorBody = z.infer<typeof ErrorBodySchema>;

/** Codes that mean the request itself is wrong. */
const BAD_REQUEST: ReadonlySet<ErrorCode> = new Set(['CONFIG_INVALID', 'GRAPH_INVALID', 'PLAN_INVALID', 'ANSWER_INVALID']);
/** Codes that mean the run or node is not in a state to do it (taken by another process; decided already). */
const CONFLICT: ReadonlySet<ErrorCode> = new Set(['RUN_LOCKED', 'RUN_STATE']);

/** The HTTP status of a TaskgraphError code: NOT_FOUND 404, invalid input 400, RUN_LOCKED/RUN_STATE 409, anything else 500. */
export function statusOfCode(code: ErrorCode): ContentfulStatusCode {
  if (code === 'NOT_FOUND') return 404;
  if (BAD_REQUEST.has(code)) return 400;
  if (CONFLICT.has(code)) return 409;
  return 500;
}

/**
 * The 400 body of a request that fails its schema: one issue per problem, its path prefixed with
 * where it was (`body`, `query`, `param`, `header`).
 * @param target the hono validation target (`json` is reported as `body`)
 */
export function validationBody(error: ZodError, target: string): ErrorBody {
  const where = target === 'json' ? 'body' : target;
  const issues = error.issues.map((i) => ({ path: [where, ...i.path.map(String)].join('.'), message: i.message }));
  return {
    code: 'VALIDATION',
    message: `invalid request: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
    issues,
    hint: 'fix the fields named in issues; the schema is in /openapi.json',
  };
}

/**
 * The `defaultHook` of the API app: a failed validation answers 400 with {@link validationBody};
 * a passing one lets the handler run.
 */
export function validationHook(result: { success: boolean; error?: unknown; target: string }, c: Context): Response | undefined {
  if (result.success) return undefined;
  return c.json(validationBody(result.error as ZodError, result.target), 400);
}

/**
 * The app's `onError`: a TaskgraphError keeps code, hint and details (secrets redacted) under
 * {@link statusOfCode}; hono's own HTTP errors (malformed JSON: 400) keep their status; anything
 * else is a 500 `INTERNAL` with its message (redacted).
 */
export function errorResponse(error: unknown, c: Context): Response {
  if (error instanceof HTTPException) {
    return c.json({ code: error.status === 400 ? 'VALIDATION' : 'HTTP_ERROR', message: error.message || 'bad request' } satisfies ErrorBody, error.status);
  }
  const record = toErrorRecord(error);
  const status = error instanceof TaskgraphError ? statusOfCode(error.code) : 500;
  const body: ErrorBody = { code: record.code, message: record.message, ...(record.hint ? { hint: record.hint } : {}), details: record.details };
  return c.json(body, status);
}

/** OpenAPI response entries for the error statuses a route may answer. */
export function errorResponses(...statuses: Array<400 | 401 | 404 | 409 | 500>): Record<string, { description: string; content: { 'application/json': { schema: typeof ErrorBodySchema } } }> {
  const text: Record<number, string> = { 400: 'invalid request (issues give the paths)', 401: 'missing or wrong bearer token', 404: 'unknown id', 409: 'the run is held by another process, or not in a state for this', 500: 'unexpected error' };
  return Object.fromEntries(statuses.map((s) => [String(s), { description: text[s]!, content: { 'application/json': { schema: ErrorBodySchema } } }]));
}
