/**
 * Exported symbols of a source file, for the repository map (tier 7). Aider builds its repo map
 * from tree-sitter tags (aider.chat/docs/repomap.html); taskgraph keeps no parser per language
 * and uses one line-anchored regular expression per language instead, which finds top-level
 * exported declarations and misses nested or macro-generated ones.
 */

/** One exported declaration. */
export interface SymbolInfo {
  /** `function`, `class`, `const`, `interface`, `type`, `enum`, `def`, `func`, `struct`, `trait`, ... */
  kind: string;
  name: string;
  /** 1-based line */
  line: number;
  /** the declaration line, trimmed and cut at 160 characters (the map shows it) */
  signature: string;
}

interface LanguageRule {
  extensions: string[];
  /** global, multiline; group `kind` and group `name` */
  pattern: RegExp;
}

const RULES: LanguageRule[] = [
  {
    // TypeScript / JavaScript: `export [default] [declare] [async|abstract] function|class|const|let|var|interface|type|enum NAME`
    extensions: ['ts', 'tsx', 'mts', 'cts', 'js', 'jsx', 'mjs', 'cjs'],
    pattern:
      /^export\s+(?:default\s+)?(?:declare\s+)?(?:async\s+)?(?:abstract\s+)?(?<kind>function\*?|class|const|let|var|interface|type|enum)\s+(?<name>[A-Za-z_$][\w$]*)/gm,
  },
  {
    // Python: top-level `def` / `async def` / `class` (column 0); names starting with `_` are private
    extensions: ['py', 'pyi'],
    pattern: /^(?:async\s+)?(?<kind>def|class)\s+(?<name>[A-Za-z][\w]*)/gm,
  },
  {
    // Go: exported (capitalized) functions and methods, and exported types
    extensions: ['go'],
    pattern: /^(?<kind>func|type)\s+(?:\([^)]*\)\s*)?(?<name>[A-Z]\w*)/gm,
  },
  {
    // Rust: `pub` / `pub(crate)` items
    extensions: ['rs'],
    pattern: /^\s*pub(?:\([^)]*\))?\s+(?:async\s+)?(?:unsafe\s+)?(?<kind>fn|struct|enum|trait|type|const|mod)\s+(?<name>[A-Za-z_]\w*)/gm,
  },
];

function ruleFor(path: string): LanguageRule | undefined {
  const ext = /\.([A-Za-z0-9]+)$/.exec(path)?.[1]?.toLowerCase();
  return ext === undefined ? undefined : RULES.find((r) => r.extensions.includes(ext));
}

/**
 * Extracts the exported symbols of a TS/JS, Python, Go or Rust file; [] for other files.
 * @param path used only for its extension
 * @param text the file's content
 */
export function extractSymbols(path: string, text: string): SymbolInfo[] {
  const rule = ruleFor(path);
  if (!rule) return [];
  const out: SymbolInfo[] = [];
  const lineStarts = [0];
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) lineStarts.push(i + 1);
  rule.pattern.lastIndex = 0;
  for (const m of text.matchAll(rule.pattern)) {
    const kind = m.groups?.['kind'];
    const name = m.groups?.['name'];
    if (!kind || !name) continue;
    const line = lineOf(lineStarts, m.index);
    const end = text.indexOf('\n', m.index);
    const signature = text
      .slice(m.index, end < 0 ? text.length : end)
      .trim()
      .replace(/\s*\{$/, '')
      .slice(0, 160);
    out.push({ kind: kind.replace('*', ''), name, line, signature });
  }
  return out;
}

/** 1-based line of a character offset (binary search over line starts). */
function lineOf(lineStarts: number[], offset: number): number {
  let lo = 0;
  let hi = lineStarts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if ((lineStarts[mid] ?? 0) <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo + 1;
}
