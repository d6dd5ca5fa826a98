/**
 * Context assembly (DESIGN.md §7): public API of `src/context`.
 */
export { assembleContext, bundleManifestHash } from './assemble.js';
export { buildContextIndex, type ContextIndex, type IndexSources, type IndexedFile, type Passage } from './context-index.js';
export { renderBundle, BUNDLE_SEPARATOR } from './render.js';
export { countTokens, tokenizerFamily, TOKENIZER_FAMILIES, type TokenizerFamily } from './tokenizer.js';
export { trimHeadTail, trimMarker } from './trim.js';
export { extractSymbols, type SymbolInfo } from './symbols.js';
export { parseSymbols, codeLanguage, ensureParsers, parsersReady, type CodeSymbol, type CodeLanguage, type SymbolKind } from './code/parse.js';
export { trimCode, elisionMarker, type CodeTrim } from './code/trim-code.js';
export { retrievalCandidates, isAboutDocs, isDocPath } from './retrieve.js';
export { parseOverride, resolvePins, excludeMatcher } from './overrides.js';
export {
  RANK_OF,
  TIER_OF,
  type AssembleInput,
  type AssembleOptions,
  type ContextBundle,
  type ContextItem,
  type ContextSource,
  type CutEntry,
  type ItemCut,
  type ItemOrigin,
  type SummarizeFn,
} from './types.js';
