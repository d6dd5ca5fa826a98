import type { Candidate } from './sources.js';
import { BUNDLE_SEPARATOR, renderBundle, renderItem } from './render.js';
import { countTokens, type TokenizerFamily } from './tokenizer.js';
import { trimHeadTail } from './trim.js';
import { TIER_OF, type ContextItem, type CutEntry, type ItemCut, type ItemOrigin, type SummarizeFn } from './types.js';

/**
 * Greedy budget allocation in tier order (issue 4): each candidate, in allocation order, gets
 * what it needs if that fits; an oversized one is summarized (when a callback is given and the
 * item is summarizable) or trimmed head + tail to its allowance; what cannot usefully fit is
 * dropped and recorded. A `whole` candidate (code named by a failure) is never shortened: it is
 * included whole or dropped, and all of them together take at most the per-item share. Finally the rendered bundle is counted as one string and shortened from
 * the end until that exact count is within the budget, so the bundle NEVER exceeds the budget.
 */

/** Below this allowance an item is dropped rather than trimmed to a stub. */
export const MIN_ITEM_TOKENS = 32;

/** Options of {@link allocate}. */
export interface AllocateOptions {
  budget: number;
  family: TokenizerFamily;
  summarize?: SummarizeFn;
  /** largest share of the budget one item may take, except the task and pins (0..1] */
  maxItemShare: number;
  /** tokens the repository map may use */
  repoMapTokens: number;
}

/** Result of {@link allocate}. */
export interface Allocation {
  items: ContextItem[];
  cut: CutEntry[];
  /** tokens of `renderBundle({ items })` */
  tokens: number;
}

interface Placed {
  item: ContextItem;
  cand: Candidate;
  fullTokens: number;
}

/** Allocates candidates (already in allocation order) into the budget. See module doc. */
export async function allocate(candidates: Candidate[], opts: AllocateOptions): Promise<Allocation> {
  const { budget, family } = opts;
  const sepTokens = countTokens(BUNDLE_SEPARATOR, family);
  const placed: Placed[] = [];
  const cut: CutEntry[] = [];
  let used = 0;
  let failureTokens = 0; // tokens of `whole` items (code named by a failure) so far

  for (const cand of candidates) {
    const sep = placed.length > 0 ? sepTokens : 0;
    const left = budget - used - sep;
    // the task and what a person pinned may use all that is left; every other item at most its share
    const uncapped = cand.source === 'task' || cand.source === 'pin';
    const cap = uncapped ? left : Math.min(left, Math.floor(budget * (cand.share ?? opts.maxItemShare)));
    const base = { source: cand.source, tier: TIER_OF[cand.source], title: cand.title, origin: cand.origin };

    if (cand.fit) {
      const allowance = Math.min(cap, opts.repoMapTokens);
      const headTokens = countTokens(renderItem(cand.heading, 'x', cand.fence), family);
      const fitted = allowance - headTokens >= MIN_ITEM_TOKENS ? cand.fit(allowance - headTokens) : { body: '', note: '' };
      const text = fitted.body ? renderItem(cand.heading, fitted.body, cand.fence) : '';
      const tokens = text ? countTokens(text, family) : 0;
      if (!text || tokens > allowance) {
        cut.push({ ...base, action: 'dropped', tokens: 0, reason: `no room: ${Math.max(0, left)} tokens left` });
        continue;
      }
      placed.push({ item: { ...base, text, tokens, why: `${cand.why} (${fitted.note})` }, cand, fullTokens: tokens });
      used += sep + tokens;
      continue;
    }

    const full = renderItem(cand.heading, cand.body, cand.fence);
    const fullTokens = countTokens(full, family);
    if (cand.whole) {
      // whole or not at all; together at most the per-item share, so they never crowd out the rest
      const room = Math.min(left, Math.floor(budget * opts.maxItemShare) - failureTokens);
      if (fullTokens > room) {
        cut.push({ ...base, action: 'dropped', tokens: fullTokens, reason: `needs ${fullTokens} tokens whole, ${Math.max(0, room)} left for code named by the failure: fewer blocks are shown, none trimmed` });
        continue;
      }
      placed.push({ item: { ...base, text: full, tokens: fullTokens, why: cand.why }, cand, fullTokens });
      used += sep + fullTokens;
      failureTokens += fullTokens;
      continue;
    }
    if (fullTokens <= cap) {
      placed.push({ item: { ...base, text: full, tokens: fullTokens, why: cand.why }, cand, fullTokens });
      used += sep + fullTokens;
      continue;
    }
    if (cap < MIN_ITEM_TOKENS) {
      cut.push({ ...base, action: 'dropped', tokens: fullTokens, reason: `needs ${fullTokens} tokens, ${Math.max(0, left)} left` });
      continue;
    }
    const reason = cap < left ? `oversized: ${fullTokens} tokens, over the per-item share of ${cap}` : `only ${left} tokens left for ${fullTokens}`;
    const shortened = await shorten(cand, cap, fullTokens, opts);
    if (!shortened) {
      cut.push({ ...base, action: 'dropped', tokens: fullTokens, reason: `${reason}; nothing useful fits` });
      continue;
    }
    placed.push({ item: { ...base, ...shortened, why: cand.why }, cand, fullTokens });
    used += sep + shortened.tokens;
    cut.push({ ...base, action: shortened.shortened.action, tokens: fullTokens, reason: `${reason}; ${shortened.shortened.action} to ${shortened.tokens}` });
  }

  // exact pass: the sum of parts is an estimate (BPE merges across item edges); count the real string
  let total = countTokens(renderBundle({ items: placed.map((p) => p.item) }), family);
  while (total > budget && placed.length > 0) {
    const last = placed[placed.length - 1] as Placed;
    const target = last.item.tokens - (total - budget) - 2;
    const again = target >= MIN_ITEM_TOKENS && !last.cand.fit && !last.cand.whole ? await shorten(last.cand, target, last.fullTokens, { ...opts, summarize: undefined }) : undefined;
    const base = { source: last.item.source, tier: last.item.tier, title: last.item.title, origin: last.item.origin };
    const prior = cut.findIndex((c) => c.title === last.item.title && c.source === last.item.source && (c.action === 'trimmed' || c.action === 'summarized'));
    if (prior >= 0) cut.splice(prior, 1);
    if (again) {
      last.item = { ...last.item, ...again };
      cut.push({ ...base, action: 'trimmed', tokens: last.fullTokens, reason: `trimmed to ${again.tokens} so the rendered bundle fits the budget` });
    } else {
      placed.pop();
      cut.push({ ...base, action: 'dropped', tokens: last.fullTokens, reason: 'dropped so the rendered bundle fits the budget' });
    }
    total = countTokens(renderBundle({ items: placed.map((p) => p.item) }), family);
  }
  return { items: placed.map((p) => p.item), cut, tokens: total };
}

/**
 * Shortens a candidate to at most `cap` tokens (rendered, heading included): summary when a
 * callback is given and the candidate is summarizable (falling back to trimming when the call
 * fails), else head + tail trimming.
 */
async function shorten(
  cand: Candidate,
  cap: number,
  fullTokens: number,
  opts: AllocateOptions,
): Promise<(Pick<ContextItem, 'text' | 'tokens' | 'trimmed' | 'cut'> & { shortened: ItemCut; origin?: ItemOrigin }) | undefined> {
  const { family } = opts;
  const headTokens = countTokens(renderItem(cand.heading, 'x', cand.fence), family);
  let allowance = cap - headTokens;
  if (cand.trimCode) {
    // parseable code: the relevant symbols whole, the rest as signatures (never head + tail)
    for (let round = 0; round < 6 && allowance >= MIN_ITEM_TOKENS; round++) {
      const r = cand.trimCode(allowance);
      if (!r) break;
      const text = renderItem(cand.heading, r.body, cand.fence);
      const tokens = countTokens(text, family);
      if (tokens <= cap) {
        const kept = r.kept.length > 0 ? `, ${r.kept.length} symbol${r.kept.length === 1 ? '' : 's'} whole` : '';
        return { text, tokens, trimmed: true, cut: `trimmed by code from ${fullTokens} to ${tokens} tokens${kept}`, shortened: { action: 'trimmed', fromTokens: fullTokens, toTokens: tokens }, origin: { ...cand.origin, shown: r.shown } };
      }
      allowance -= tokens - cap + 2;
    }
    // not even the outline of signatures fits: a summary when one may be made, else nothing
    if (!(opts.summarize && cand.summarizable)) return undefined;
  }
  let body: string | undefined;
  let action: 'trimmed' | 'summarized' = 'trimmed';
  let failed = '';
  if (opts.summarize && cand.summarizable && allowance >= MIN_ITEM_TOKENS) {
    try {
      const summary = (await opts.summarize(cand.body, allowance)).trim();
      if (summary) {
        body = summary;
        action = 'summarized';
      } else failed = ' (the summary was empty)';
    } catch (error) {
      // a budget stop ends the node (it runs again on resume); it must not leave a trimmed bundle in the cache
      if ((error as { code?: unknown }).code === 'BUDGET_EXCEEDED') throw error;
      // the model failed: trim instead, and say why in the manifest
      failed = ` (summary failed: ${(error instanceof Error ? error.message : String(error)).split('\n')[0]!.slice(0, 160)})`;
    }
  }
  const source = body ?? cand.body;
  for (let round = 0; round < 6 && allowance >= MIN_ITEM_TOKENS; round++) {
    const cutBody = cand.shrink && body === undefined ? cand.shrink(allowance) : trimHeadTail(source, allowance, family);
    if (!cutBody) return undefined;
    const text = renderItem(cand.heading, cutBody, cand.fence);
    const tokens = countTokens(text, family);
    if (tokens <= cap) return { text, tokens, trimmed: true, cut: `${action} from ${fullTokens} to ${tokens} tokens${failed}`, shortened: { action, fromTokens: fullTokens, toTokens: tokens } };
    allowance -= tokens - cap + 2;
  }
  return undefined;
}
