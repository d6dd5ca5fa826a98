import { createRequire } from 'node:module';
import type { Language, Node, Parser } from 'web-tree-sitter';

/**
 * Code symbols by tree-sitter (web-tree-sitter 0.25 with the prebuilt WASM grammars of
 * `tree-sitter-wasms`) for TypeScript/TSX, JavaScript, Python, Go and Rust: functions, classes,
 * methods, types and test cases (`describe`/`it`/`test` calls in JS/TS, `def test_*` in Python,
 * `func TestX` in Go, `#[test]` functions in Rust), nested ones included, each with its line
 * range and declaration line(s). The repository map (`symbols.ts`) and code-aware trimming
 * (`trim-code.ts`) read the same parse. Other languages have no symbols.
 *
 * The grammars are loaded on demand, once, by {@link ensureParsers} (web-tree-sitter itself is
 * imported then too): loading them at import time cost every CLI start, `--help` included,
 * about 47 ms. The async entry points that parse await it — the context index and the bundle's
 * candidates (`context-index.ts`, `sources.ts`), the project index script, the `symbol` tool —
 * and parsing is synchronous after that.
 */

/** Languages with a grammar. */
export type CodeLanguage = 'typescript' | 'tsx' | 'javascript' | 'python' | 'go' | 'rust';

/** What a symbol is. */
export type SymbolKind = 'function' | 'class' | 'method' | 'test' | 'interface' | 'type' | 'enum' | 'const' | 'struct' | 'trait' | 'impl' | 'module';

/** One declaration of a source file. */
export interface CodeSymbol {
  kind: SymbolKind;
  name: string;
  /** 1-based inclusive lines of the whole declaration (decorators, attributes and `export` included) */
  startLine: number;
  endLine: number;
  /** the declaration head up to its body, whitespace collapsed to single spaces, at most 200 characters */
  signature: string;
  /** visible outside its file: `export` (JS/TS), `pub` (Rust), capitalized (Go), no leading `_` (Python, top level) */
  exported: boolean;
  /** 0 for top-level declarations, 1 for a method of a top-level class, ... */
  depth: number;
}

const EXTENSIONS: Record<string, CodeLanguage> = {
  ts: 'typescript',
  mts: 'typescript',
  cts: 'typescript',
  tsx: 'tsx',
  js: 'javascript',
  jsx: 'javascript',
  mjs: 'javascript',
  cjs: 'javascript',
  py: 'python',
  pyi: 'python',
  go: 'go',
  rs: 'rust',
};

const require = createRequire(import.meta.url);
const GRAMMARS = ['typescript', 'tsx', 'javascript', 'python', 'go', 'rust'] as const;

/** The parser and the grammars, once {@link ensureParsers} has loaded them. */
let loaded: { parser: Parser; languages: Map<CodeLanguage, Language> } | undefined;
let loading: Promise<void> | undefined;

/**
 * Loads web-tree-sitter and the six WASM grammars (about 47 ms), once; later calls return the
 * same promise (a failed load is tried again by the next call).
 * @throws whatever web-tree-sitter throws when a grammar cannot be read or compiled
 */
export function ensureParsers(): Promise<void> {
  loading ??= (async () => {
    const { Language, Parser } = await import('web-tree-sitter');
    await Parser.init();
    const languages = new Map<CodeLanguage, Language>();
    for (const lang of GRAMMARS) languages.set(lang, await Language.load(require.resolve(`tree-sitter-wasms/out/tree-sitter-${lang}.wasm`)));
    loaded = { parser: new Parser(), languages };
  })().catch((err: unknown) => {
    loading = undefined;
    throw err;
  });
  return loading;
}

/** Whether {@link ensureParsers} has finished: {@link parseSymbols} can run. */
export function parsersReady(): boolean {
  return loaded !== undefined;
}

/** The grammar a path's extension selects, or undefined (no symbols for that file). */
export function codeLanguage(path: string): CodeLanguage | undefined {
  const ext = /\.([A-Za-z0-9]+)$/.exec(path)?.[1]?.toLowerCase();
  return ext === undefined ? undefined : EXTENSIONS[ext];
}

/** Longest signature kept (characters). */
const MAX_SIGNATURE = 200;

/**
 * Parses a source file and lists its declarations in source order (a parent before what it
 * holds). Syntax errors do not throw: tree-sitter recovers and what it recognises is listed.
 * @param path used only for its extension
 * @returns undefined when the extension has no grammar; else the symbols (possibly none)
 * @throws Error when the grammars are not loaded yet (await {@link ensureParsers} first)
 */
export function parseSymbols(path: string, text: string): CodeSymbol[] | undefined {
  const lang = codeLanguage(path);
  if (!lang) return undefined;
  if (!loaded) throw new Error('tree-sitter grammars are not loaded: await ensureParsers() before parsing');
  loaded.parser.setLanguage(loaded.languages.get(lang) ?? null);
  const tree = loaded.parser.parse(text);
  if (!tree) return [];
  try {
    const out: CodeSymbol[] = [];
    walk(tree.rootNode, lang, 0, undefined, out);
    return out;
  } finally {
    tree.delete();
  }
}

/** The head of a declaration: its text up to the body, on one line. */
function signatureOf(node: Node, body: Node | null): string {
  const end = body && body.startIndex > node.startIndex ? body.startIndex : node.endIndex;
  let head = node.text.slice(0, end - node.startIndex);
  if (!body) head = head.split('\n')[0] ?? head;
  head = head.replace(/\s+/g, ' ').trim().replace(/\s*[{:=]$/, '');
  return head.length > MAX_SIGNATURE ? `${head.slice(0, MAX_SIGNATURE - 1)}…` : head;
}

function push(out: CodeSymbol[], kind: SymbolKind, name: string, span: Node, node: Node, body: Node | null, exported: boolean, depth: number): void {
  // an `export` wrapper on the same line shows in the signature; decorators above it do not
  const signature = signatureOf(span !== node && span.startPosition.row === node.startPosition.row ? span : node, body);
  out.push({ kind, name, startLine: span.startPosition.row + 1, endLine: span.endPosition.row + 1, signature, exported, depth });
}

const TEST_CALLS = new Set(['describe', 'it', 'test', 'suite', 'context', 'bench']);

/** The name of a JS/TS test call (`it('does x', …)`, `describe.each(...)('x', …)`, or one through a modifier such as `test.skip`), or undefined. */
function testCallName(call: Node): string | undefined {
  let fn = call.childForFieldName('function');
  while (fn && (fn.type === 'member_expression' || fn.type === 'call_expression')) fn = fn.type === 'member_expression' ? fn.childForFieldName('object') : fn.childForFieldName('function');
  if (!fn || fn.type !== 'identifier' || !TEST_CALLS.has(fn.text)) return undefined;
  const first = call.childForFieldName('arguments')?.namedChildren[0];
  if (!first) return undefined;
  if (first.type === 'string' || first.type === 'template_string') return first.text.slice(1, -1);
  return first.text.slice(0, 80);
}

/** The function argument of a test call (its body), or null. */
function testCallBody(call: Node): Node | null {
  const args = call.childForFieldName('arguments')?.namedChildren ?? [];
  return args.find((a) => a !== null && (a.type === 'arrow_function' || a.type === 'function_expression' || a.type === 'function')) ?? null;
}

/** Descends one node; `owner` is the enclosing class-like kind, if any. */
function walk(node: Node, lang: CodeLanguage, depth: number, owner: SymbolKind | undefined, out: CodeSymbol[]): void {
  for (const child of node.namedChildren) {
    if (!child) continue;
    if (lang === 'python') walkPython(child, depth, owner, out);
    else if (lang === 'go') walkGo(child, depth, out);
    else if (lang === 'rust') walkRust(child, depth, owner, out);
    else walkJs(child, lang, depth, owner, out);
  }
}

function walkJs(node: Node, lang: CodeLanguage, depth: number, owner: SymbolKind | undefined, out: CodeSymbol[], wrapper?: Node): void {
  const span = wrapper ?? node;
  const exported = wrapper?.type === 'export_statement';
  const name = node.childForFieldName('name')?.text ?? '';
  const body = node.childForFieldName('body');
  switch (node.type) {
    case 'export_statement': {
      const decl = node.childForFieldName('declaration') ?? node.namedChildren.find((c) => c !== null && c.type !== 'comment' && c.type !== 'decorator') ?? null;
      if (decl) walkJs(decl, lang, depth, owner, out, node);
      return;
    }
    case 'ambient_declaration':
      for (const c of node.namedChildren) if (c) walkJs(c, lang, depth, owner, out, wrapper ?? node);
      return;
    case 'function_declaration':
    case 'generator_function_declaration':
    case 'function_signature':
      push(out, 'function', name, span, node, body, exported, depth);
      if (body) walk(body, lang, depth + 1, undefined, out);
      return;
    case 'class_declaration':
    case 'abstract_class_declaration':
    case 'class':
      push(out, 'class', name || 'default', span, node, body, exported, depth);
      if (body) walk(body, lang, depth + 1, 'class', out);
      return;
    case 'method_definition':
    case 'abstract_method_signature':
    case 'method_signature':
      push(out, 'method', name, span, node, body, false, depth);
      if (body) walk(body, lang, depth + 1, undefined, out);
      return;
    case 'interface_declaration':
      push(out, 'interface', name, span, node, body, exported, depth);
      return;
    case 'type_alias_declaration':
      push(out, 'type', name, span, node, null, exported, depth);
      return;
    case 'enum_declaration':
      push(out, 'enum', name, span, node, body, exported, depth);
      return;
    case 'lexical_declaration':
    case 'variable_declaration': {
      for (const d of node.namedChildren) {
        if (!d || d.type !== 'variable_declarator') continue;
        const value = d.childForFieldName('value');
        const fn = value && (value.type === 'arrow_function' || value.type === 'function_expression' || value.type === 'function');
        const cls = value && value.type === 'class';
        if (fn || cls || depth === 0) {
          const vbody = value?.childForFieldName('body') ?? null;
          push(out, fn ? 'function' : cls ? 'class' : 'const', d.childForFieldName('name')?.text ?? '', span, node, vbody && vbody.type === 'statement_block' ? vbody : value && (fn || cls) ? vbody : null, exported, depth);
          if (value && (fn || cls) && vbody) walk(vbody, lang, depth + 1, cls ? 'class' : undefined, out);
        }
      }
      return;
    }
    case 'public_field_definition':
    case 'field_definition': {
      const value = node.childForFieldName('value');
      if (owner === 'class' && value && (value.type === 'arrow_function' || value.type === 'function_expression')) push(out, 'method', node.childForFieldName('name')?.text ?? '', span, node, value.childForFieldName('body'), false, depth);
      return;
    }
    case 'expression_statement': {
      const call = node.namedChildren[0];
      if (call?.type !== 'call_expression') return;
      const test = testCallName(call);
      if (test === undefined) return;
      const fnBody = testCallBody(call);
      const inner = fnBody?.childForFieldName('body') ?? null;
      push(out, 'test', test, span, node, inner, false, depth);
      if (inner) walk(inner, lang, depth + 1, undefined, out);
      return;
    }
    default:
      return;
  }
}

function walkPython(node: Node, depth: number, owner: SymbolKind | undefined, out: CodeSymbol[], wrapper?: Node): void {
  const span = wrapper ?? node;
  if (node.type === 'decorated_definition') {
    const def = node.childForFieldName('definition');
    if (def) walkPython(def, depth, owner, out, node);
    return;
  }
  const name = node.childForFieldName('name')?.text ?? '';
  const body = node.childForFieldName('body');
  const exported = depth === 0 && !name.startsWith('_');
  if (node.type === 'function_definition') {
    const kind: SymbolKind = name.startsWith('test') ? 'test' : owner === 'class' ? 'method' : 'function';
    push(out, kind, name, span, node, body, exported, depth);
    if (body) walk(body, 'python', depth + 1, undefined, out);
  } else if (node.type === 'class_definition') {
    push(out, 'class', name, span, node, body, exported, depth);
    if (body) walk(body, 'python', depth + 1, 'class', out);
  } else if (node.type === 'if_statement' || node.type === 'try_statement' || node.type === 'block') {
    // definitions under `if TYPE_CHECKING:` / `try: import …` stay at their depth
    for (const c of node.namedChildren) if (c && (c.type === 'block' || c.type.endsWith('_clause'))) walk(c, 'python', depth, owner, out);
    if (node.type !== 'block') for (const c of node.namedChildren) if (c?.type === 'block') walk(c, 'python', depth, owner, out);
  }
}

function walkGo(node: Node, depth: number, out: CodeSymbol[]): void {
  const nameNode = node.childForFieldName('name');
  const name = nameNode?.text ?? '';
  const exported = /^[A-Z]/.test(name);
  const body = node.childForFieldName('body');
  if (node.type === 'function_declaration') {
    push(out, /^(Test|Benchmark|Fuzz|Example)/.test(name) ? 'test' : 'function', name, node, node, body, exported, depth);
  } else if (node.type === 'method_declaration') {
    push(out, 'method', name, node, node, body, exported, depth);
  } else if (node.type === 'type_declaration' || node.type === 'const_declaration' || node.type === 'var_declaration') {
    for (const spec of node.namedChildren) {
      if (!spec) continue;
      if (spec.type === 'type_spec' || spec.type === 'type_alias') {
        const n = spec.childForFieldName('name')?.text ?? '';
        const t = spec.childForFieldName('type');
        const kind: SymbolKind = t?.type === 'struct_type' ? 'struct' : t?.type === 'interface_type' ? 'interface' : 'type';
        const span = node.namedChildren.length === 1 ? node : spec;
        push(out, kind, n, span, span, t && (t.type === 'struct_type' || t.type === 'interface_type') ? t : null, /^[A-Z]/.test(n), depth);
      }
    }
  }
}

function walkRust(node: Node, depth: number, owner: SymbolKind | undefined, out: CodeSymbol[]): void {
  const name = node.childForFieldName('name')?.text ?? '';
  const body = node.childForFieldName('body');
  const exported = node.namedChildren.some((c) => c?.type === 'visibility_modifier');
  // attributes (`#[test]`, `#[derive(..)]`) are siblings before the item: the span starts at the first of them
  let span: Node = node;
  let isTest = false;
  for (let prev = node.previousNamedSibling; prev && prev.type === 'attribute_item'; prev = prev.previousNamedSibling) {
    span = prev;
    if (/^#\[(tokio::)?test\b/.test(prev.text)) isTest = true;
  }
  const add = (kind: SymbolKind, n: string, b: Node | null) => {
    const sig = signatureOf(node, b);
    out.push({ kind, name: n, startLine: span.startPosition.row + 1, endLine: node.endPosition.row + 1, signature: sig, exported, depth });
  };
  switch (node.type) {
    case 'function_item':
    case 'function_signature_item':
      add(isTest ? 'test' : owner === 'impl' || owner === 'trait' ? 'method' : 'function', name, body);
      return;
    case 'struct_item':
    case 'union_item':
      add('struct', name, body);
      return;
    case 'enum_item':
      add('enum', name, body);
      return;
    case 'type_item':
      add('type', name, null);
      return;
    case 'const_item':
    case 'static_item':
      if (depth === 0) add('const', name, null);
      return;
    case 'trait_item':
      add('trait', name, body);
      if (body) walk(body, 'rust', depth + 1, 'trait', out);
      return;
    case 'impl_item': {
      const type = node.childForFieldName('type')?.text ?? '';
      const trait = node.childForFieldName('trait')?.text;
      add('impl', trait ? `${trait} for ${type}` : type, body);
      if (body) walk(body, 'rust', depth + 1, 'impl', out);
      return;
    }
    case 'mod_item':
      add('module', name, body);
      if (body) walk(body, 'rust', depth + 1, undefined, out);
      return;
    default:
      return;
  }
}
