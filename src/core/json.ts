/**
 * JSON values as they travel between nodes, the store and cassettes.
 * Every node output is a `Json`; nothing else crosses a node boundary.
 */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** A JSON object (the shape of node configs and outputs that carry fields). */
export type JsonObject = { [key: string]: Json };

/**
 * Returns true when `value` is a plain JSON object (not an array, not null).
 * @param value any value
 */
export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
