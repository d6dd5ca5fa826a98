import { TaskgraphError } from '../core/errors.js';
import { hashJson } from '../core/hash.js';
import { allocate } from './allocate.js';
import { buildContextIndex } from './context-index.js';
import { collectCandidates } from './sources.js';
import type { AssembleInput, ContextBundle, CutEntry } from './types.js';

/**
 * Context assembly (DESIGN.md §7, issue 4): the bundle of items an `llm` node is given for a
 * task, in tier order, under a token budget.
 *
 * Allocation order (tier numbers in brackets): project index [1] (taskgraph.yaml + the stored
 * project index, INDEX.md, without what the repository map lists),
 * the task with its notes [2], manual pins [9], what `requires` dependencies changed (their commit diff, else their output) [3],
 * plan siblings [4], `refers` links in short [5], files named by the task or its earlier edits
 * [6], the repository map [7], BM25 retrieval over repository files, earlier outputs and docs
 * [8] filling what is left (`retrieve.ts`); noise (`file-filter.ts`) is in neither the map nor retrieval. Pins are allocated right after the task (see `RANK_OF` in types.ts); excludes win over
 * pins and every other tier.
 */

/** Default share of the budget for the repository map, and its bounds (tokens). */
const REPO_MAP_SHARE = 0.15;
const REPO_MAP_MIN = 256;
const REPO_MAP_MAX = 4096;

/**
 * Assembles the context bundle of a task.
 *
 * Reads repository files through `input.readFile` (all of them when no prebuilt `input.index`
 * is given, to index them) and calls `input.summarize` for oversized summarizable items when
 * given. Deterministic for equal inputs (and a deterministic summarizer).
 * @returns a bundle whose `renderBundle` text counts at most `input.budget` tokens in
 *   `input.family`; items in allocation order; everything left out or shortened in `cut`
 * @throws TaskgraphError CONFIG_INVALID when the budget is not a non-negative integer
 */
export async function assembleContext(input: AssembleInput): Promise<ContextBundle> {
  if (!Number.isInteger(input.budget) || input.budget < 0) {
    throw new TaskgraphError('CONFIG_INVALID', `context budget must be a non-negative integer number of tokens, got ${String(input.budget)}`, {
      hint: 'set the context node\'s `budget` to a whole number of tokens, e.g. 24000',
    });
  }
  const o = input.options ?? {};
  const index =
    input.index ??
    (await buildContextIndex({ repoFiles: input.repoFiles, readFile: input.readFile, docs: input.docs, earlierOutputs: input.earlierOutputs }));
  const repoMapTokens = o.repoMapTokens ?? Math.min(REPO_MAP_MAX, Math.max(REPO_MAP_MIN, Math.floor(input.budget * REPO_MAP_SHARE)));
  const { candidates, cut: preCut } = await collectCandidates(input, index, {
    family: input.family,
    repoMap: repoMapTokens > 0,
    subject: o.subject ?? 'task',
  });
  const alloc = await allocate(candidates, {
    budget: input.budget,
    family: input.family,
    ...(input.summarize ? { summarize: input.summarize } : {}),
    maxItemShare: o.maxItemShare ?? 0.5,
    repoMapTokens,
  });
  const cutEntries = [...preCut, ...alloc.cut];
  return {
    task: input.task.id,
    family: input.family,
    budget: input.budget,
    tokens: alloc.tokens,
    items: alloc.items,
    cut: cutEntries.map(describeCut),
    cutEntries,
  };
}

/** One line for a cut entry: `title (action: reason)`. */
export function describeCut(c: CutEntry): string {
  return `${c.title} (${c.action}: ${c.reason})`;
}

/**
 * The manifest hash of a bundle: SHA-256 (hex) of its canonical JSON (RFC 8785, `hashJson`) —
 * every item's text, source, origin, tokens and reason, the budget, the tokenizer and the cut
 * list. Equal bundles hash equally, also after a JSON round trip through the store; it goes into
 * the `llm` node's cache key, so any change to what the model would read dirties the node.
 */
export function bundleManifestHash(bundle: ContextBundle): string {
  return hashJson(bundle);
}
