import { createRoute, z } from '@hono/zod-openapi';
import { TaskgraphError } from '../core/errors.js';
import { LIBRARY_KINDS, type LibraryItem, parseItemRef } from '../library/library.js';
import type { ApiApp, ApiDeps } from './api-deps.js';
import { errorResponses } from './http-errors.js';

/**
 * `GET /library` and `GET /library/{kind}/{ref}` (issue 14, "Interfaces"): the project's library
 * of prompts and templates, read-only — `taskgraph library ls|search|show` over HTTP, and what the
 * MCP `library` tool calls. Adding and removing items stays in the CLI, which validates the files.
 */

const json = <T extends z.ZodType>(schema: T, description: string) => ({ description, content: { 'application/json': { schema } } });

/** An item without its body, as listings show it. */
const ItemSummarySchema = z
  .object({
    kind: z.enum(LIBRARY_KINDS),
    name: z.string(),
    version: z.number().int(),
    description: z.string(),
    tags: z.array(z.string()),
    createdAt: z.string(),
    score: z.number().optional().openapi({ description: 'search rank (higher is better): bm25 of the text plus 2 per matched tag' }),
    matchedTags: z.array(z.string()).optional(),
  })
  .openapi('LibraryItemSummary');

const ListQuery = z.object({
  kind: z.enum(LIBRARY_KINDS).optional(),
  text: z.string().max(2000).optional().openapi({ description: 'words to search for (FTS5, bm25)' }),
  tags: z.string().max(2000).optional().openapi({ description: 'comma-separated tags', example: 'code review,python' }),
  any: z.enum(['true', 'false']).optional().openapi({ description: 'true: an item needs any of the tags, not all' }),
  allVersions: z.enum(['true', 'false']).optional(),
  limit: z.coerce.number().int().min(1).max(200).optional(),
});

const summary = (item: LibraryItem, extra: { score?: number; matchedTags?: string[] } = {}) => ({
  kind: item.kind,
  name: item.name,
  version: item.version,
  description: item.description,
  tags: item.tags,
  createdAt: item.createdAt,
  ...extra,
});

/** Registers the library routes on `app`. */
export function registerLibraryRoutes(app: ApiApp, deps: ApiDeps): void {
  const library = () => deps.project.library;
  app.openapi(
    createRoute({
      method: 'get',
      path: '/library',
      summary: 'list the library (newest version of each name), or search it by text and tags when `text` or `tags` is given (taskgraph library ls|search)',
      request: { query: ListQuery },
      responses: { 200: json(z.object({ items: z.array(ItemSummarySchema) }), 'items, best first when searching'), ...errorResponses(400, 401) },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const tags = q.tags?.split(',').map((t) => t.trim()).filter((t) => t !== '') ?? [];
      const allVersions = q.allVersions === 'true';
      if (q.text?.trim() || tags.length > 0) {
        const hits = await library().search({ ...(q.kind ? { kind: q.kind } : {}), ...(q.text?.trim() ? { text: q.text } : {}), tags, tagMode: q.any === 'true' ? 'any' : 'all', allVersions, limit: q.limit ?? 20 });
        return c.json({ items: hits.map((h) => summary(h.item, { score: h.score, matchedTags: h.matchedTags })) }, 200);
      }
      const items = await library().list({ ...(q.kind ? { kind: q.kind } : {}), allVersions });
      return c.json({ items: items.slice(0, q.limit ?? 200).map((i) => summary(i)) }, 200);
    },
  );
  app.openapi(
    createRoute({
      method: 'get',
      path: '/library/{kind}/{ref}',
      summary: 'one library item with its body (taskgraph library show); ref is name@version, or a name for its newest version',
      request: { params: z.object({ kind: z.enum(LIBRARY_KINDS), ref: z.string().min(1).max(300).openapi({ example: 'code-review.system@1' }) }) },
      responses: { 200: json(ItemSummarySchema.extend({ body: z.any() }).openapi('LibraryItem'), 'the item'), ...errorResponses(400, 401, 404) },
    }),
    async (c) => {
      const { kind, ref } = c.req.valid('param');
      const { name, version } = parseItemRef(ref);
      const item = await library().get(kind, name, version);
      if (!item) throw new TaskgraphError('NOT_FOUND', `no ${kind} "${ref}" in the library`, { hint: 'list them with GET /library?kind=' + kind });
      return c.json({ ...summary(item), body: item.body }, 200);
    },
  );
}
