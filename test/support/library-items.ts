import type { Json } from '../../src/core/json.js';
import type { LibraryItemInput } from '../../src/library/library.js';

/** A prompt item whose body is its document. */
export function promptItem(name: string, version: number, tags: string[], text: string, description = `the ${name} prompt`): LibraryItemInput {
  const variables = [...new Set([...text.matchAll(/\{\{\s*([A-Za-z_][A-Za-z0-9_.-]*)\s*\}\}/g)].map((m) => m[1]!))];
  const body: Json = { kind: 'prompt', name, version, description, tags, variables, text };
  return { kind: 'prompt', name, version, description, tags, body };
}
