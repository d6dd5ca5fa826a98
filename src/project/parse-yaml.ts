import { parseDocument, YAMLParseError } from 'yaml';
import { MAX_DOCUMENT_DEPTH, tooDeepMessage, valueDepth } from '../core/document-depth.js';
import { TaskgraphError, type ErrorCode } from '../core/errors.js';

/**
 * Reading a user's YAML document (taskgraph.yaml, graph files) with the `yaml` package, bounded
 * against hostile input (issue 8 item 15): an alias bomb ("billion laughs": aliases of aliases
 * that expand exponentially) stops at {@link MAX_ALIAS_COUNT}, and a document nested deeper than
 * {@link MAX_DOCUMENT_DEPTH} is refused, both with a clear error instead of a stack trace.
 */

/**
 * The `yaml` package's `maxAliasCount` (its default, set explicitly): resolving aliases may not
 * produce more than this many node copies, weighted by their size
 * (https://eemeli.org/yaml/#tojs-options). Ordinary anchors (`coder: *planner`) stay far below it.
 */
export const MAX_ALIAS_COUNT = 100;

/** One syntax problem: the sentence and where. */
export interface YamlProblem {
  message: string;
  line?: number;
  column?: number;
}

/**
 * Parses YAML text into plain data.
 * @param text the document
 * @param what the file's path or name, used in messages
 * @param code the error code to throw (`CONFIG_INVALID` for taskgraph.yaml, `GRAPH_INVALID` for graph files)
 * @returns the data (`undefined` for an empty document)
 * @throws TaskgraphError `code` for syntax errors (message `what:line:column is not valid YAML:`
 *   then one `line L, column C: sentence` per problem; `details.errors` lists them), for an alias
 *   bomb, and for nesting deeper than {@link MAX_DOCUMENT_DEPTH}
 */
export function parseYamlText(text: string, what: string, code: ErrorCode): unknown {
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0) {
    if (doc.errors.some((error) => /Maximum call stack size exceeded/.test(error.message))) throw tooDeep(what, code);
    const errors: YamlProblem[] = doc.errors.map((error) => {
      const pos = error instanceof YAMLParseError ? error.linePos?.[0] : undefined;
      // The first line of a pretty YAML error is the sentence; the rest is a source excerpt.
      const sentence = (error.message.split('\n')[0] ?? error.message).replace(/\s*at line \d+, column \d+:?\s*$/, '').trim();
      return { message: sentence, ...(pos ? { line: pos.line, column: pos.col } : {}) };
    });
    const lines = errors.map((e) => (e.line === undefined ? `  ${e.message}` : `  line ${e.line}, column ${e.column}: ${e.message}`));
    const first = errors[0];
    const where = first?.line === undefined ? '' : `:${first.line}:${first.column}`;
    throw new TaskgraphError(code, `${what}${where} is not valid YAML:\n${lines.join('\n')}`, {
      details: { path: what, errors },
      hint: 'fix the YAML syntax at the line shown (indentation, a missing ":" or an unclosed quote are the usual causes)',
      cause: doc.errors[0],
    });
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (error) {
    if (error instanceof RangeError) throw tooDeep(what, code);
    if (error instanceof ReferenceError && /alias/i.test(error.message)) {
      throw new TaskgraphError(code, `${what} expands its YAML aliases (*name) into more than ${MAX_ALIAS_COUNT} copies: an alias bomb, refused`, {
        details: { path: what, maxAliasCount: MAX_ALIAS_COUNT },
        hint: 'write repeated values out, or use fewer aliases of aliases',
        cause: error,
      });
    }
    throw new TaskgraphError(code, `${what} cannot be read: ${(error as Error).message}`, { details: { path: what }, cause: error });
  }
  if (valueDepth(data, MAX_DOCUMENT_DEPTH) > MAX_DOCUMENT_DEPTH) throw tooDeep(what, code);
  return data;
}

function tooDeep(what: string, code: ErrorCode): TaskgraphError {
  return new TaskgraphError(code, tooDeepMessage(what), {
    details: { path: what, maxDepth: MAX_DOCUMENT_DEPTH },
    hint: 'flatten the document: no taskgraph document needs more than a few levels',
  });
}
