/**
 * Nesting limits for documents a user hands to taskgraph (graph files, taskgraph.yaml). A JSON or
 * YAML document nested 20,000 deep parses, but every recursive walk over it afterwards (schema
 * validation, hashing, `toJS`) overflows the call stack (issue 8 item 15). The depth is measured
 * iteratively where a document enters, so no check can itself overflow, and a document over the
 * limit is refused with a clear error before anything recursive touches it. Pure; no I/O.
 */

/**
 * Deepest nesting of arrays and objects accepted in a user document. A graph file needs about 6
 * levels (graph → nodes → node → inputs → `$ref` object → literal), taskgraph.yaml 5; 64 leaves
 * room for deep JSON literals in node inputs and stays far below what recursive code survives
 * (several thousand levels on Node's default stack).
 */
export const MAX_DOCUMENT_DEPTH = 64;

/**
 * The deepest nesting of `[`/`{` in a JSON text, scanning it once without recursion (brackets
 * inside strings, with their escapes, do not count). For text that is not valid JSON the result
 * is still an upper bound of what `JSON.parse` could build before failing.
 * @param text JSON text
 * @param stopAt stop scanning once this depth is passed (the result is then `stopAt + 1`)
 * @returns the maximum depth (0 for a scalar, 1 for `[]` or `{}`)
 */
export function jsonTextDepth(text: string, stopAt = Number.POSITIVE_INFINITY): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
      continue;
    }
    if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      depth++;
      if (depth > max) {
        max = depth;
        if (max > stopAt) return max;
      }
    } else if (c === 0x5d || c === 0x7d) depth = Math.max(0, depth - 1);
  }
  return max;
}

/**
 * The deepest nesting of arrays and objects in a parsed value, walking it with an explicit stack
 * (no recursion). A value reached twice (YAML aliases share objects) is walked once per path,
 * which `stopAt` bounds.
 * @param value a parsed document (JSON or YAML data)
 * @param stopAt stop once this depth is passed (the result is then `stopAt + 1`)
 * @returns the maximum depth (0 for a scalar, 1 for `[]` or `{}`)
 */
export function valueDepth(value: unknown, stopAt = Number.POSITIVE_INFINITY): number {
  let max = 0;
  const stack: Array<{ value: unknown; depth: number }> = [{ value, depth: 0 }];
  while (stack.length > 0) {
    const { value: current, depth } = stack.pop()!;
    if (typeof current !== 'object' || current === null) continue;
    const here = depth + 1;
    if (here > max) {
      max = here;
      if (max > stopAt) return max;
    }
    const children = Array.isArray(current) ? current : Object.values(current as Record<string, unknown>);
    for (const child of children) if (typeof child === 'object' && child !== null) stack.push({ value: child, depth: here });
  }
  return max;
}

/**
 * The sentence used by every refusal of a too-deep document.
 * @param what e.g. `graph.json`
 */
export function tooDeepMessage(what: string): string {
  return `${what} is nested deeper than ${MAX_DOCUMENT_DEPTH} levels of lists and maps`;
}
