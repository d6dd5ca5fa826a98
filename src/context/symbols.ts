import { parseSymbols, type CodeSymbol } from './code/parse.js';

/**
 * Exported symbols of a source file, for the repository map (tier 7) and the project index's
 * module map. Aider builds its repo map from tree-sitter tags (aider.chat/docs/repomap.html);
 * taskgraph reads the same tree-sitter parse as code-aware trimming (`code/parse.ts`) for
 * TypeScript/JavaScript, Python, Go and Rust. Files in other languages have no symbols (there is
 * no regex fallback).
 */

/** One exported declaration. */
export interface SymbolInfo {
  /** see `SymbolKind` in code/parse.ts: `function`, `class`, `interface`, `type`, `enum`, `const`, `struct`, `trait`, `method` (Go), `module` (Rust), ... */
  kind: string;
  name: string;
  /** 1-based line of the declaration */
  line: number;
  /** the declaration head up to its body, on one line, at most 200 characters (the map shows it) */
  signature: string;
}

/** Whether a parsed symbol belongs in the map: exported, top level (Go methods are top level), not a test. */
function listed(s: CodeSymbol): boolean {
  return s.exported && s.depth === 0 && s.kind !== 'test' && s.kind !== 'impl' && s.name !== '';
}

/**
 * Extracts the exported top-level symbols of a TS/JS, Python, Go or Rust file; [] for other files.
 * @param path used only for its extension
 * @param text the file's content
 * @throws Error for a file with a grammar when the grammars are not loaded (`ensureParsers` in code/parse.ts)
 */
export function extractSymbols(path: string, text: string): SymbolInfo[] {
  return (parseSymbols(path, text) ?? []).filter(listed).map((s) => ({ kind: s.kind, name: s.name, line: s.startLine, signature: s.signature }));
}
