/**
 * Plan reuse (issue 14, "Reuse in planning"), the pure part: how alike two goals are, and which
 * earlier plan, if any, a new goal should start from. The seed's execution flow starts with
 * "look for an existing graph to reuse or repurpose; build one only if none is found".
 *
 * Similarity is the cosine of the two goals' term-frequency vectors (Salton, Wong & Yang, "A
 * vector space model for automatic indexing", CACM 18(11), 1975), over lower-cased words of
 * letters and digits. It is 1 for the same words in any order and case, 0 for no word in
 * common. A goal equal to an earlier one after whitespace and case are normalised is
 * `identical`: its plan is taken as it is, with no model call.
 */

/** Words of a goal: lower-cased runs of letters and digits (Unicode aware). */
export function goalWords(goal: string): string[] {
  return goal.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
}

/**
 * The cosine similarity of the term-frequency vectors of two goals, in [0, 1].
 * @returns 0 when either goal has no word
 */
export function goalSimilarity(a: string, b: string): number {
  const tf = (words: string[]) => {
    const m = new Map<string, number>();
    for (const w of words) m.set(w, (m.get(w) ?? 0) + 1);
    return m;
  };
  const x = tf(goalWords(a));
  const y = tf(goalWords(b));
  let dot = 0;
  for (const [w, n] of x) dot += n * (y.get(w) ?? 0);
  const norm = (m: Map<string, number>) => Math.sqrt([...m.values()].reduce((s, n) => s + n * n, 0));
  const d = norm(x) * norm(y);
  return d === 0 ? 0 : Math.min(1, dot / d);
}

/** True when two goals are the same text after trimming, collapsing whitespace and lower-casing. */
export function sameGoal(a: string, b: string): boolean {
  const norm = (s: string) => s.trim().replace(/\s+/g, ' ').toLowerCase();
  return norm(a) === norm(b);
}

/** An earlier plan that may be reused: its goal and anything the caller wants back. */
export interface ReuseCandidate {
  goal: string;
}

/** The candidate chosen by {@link chooseReuse}. */
export interface ReuseChoice<C extends ReuseCandidate> {
  candidate: C;
  /** {@link goalSimilarity} of the goals, in [0, 1] */
  score: number;
  /** `identical`: reuse as it is (no model call); `customise`: one model call adapts it */
  mode: 'identical' | 'customise';
}

/**
 * Picks the earlier plan to start from: an identical goal first, else the most similar goal at
 * or above `threshold` (ties: the earlier candidate in the list, so callers list newest first).
 * @param candidates earlier plans, newest first
 * @param threshold minimum similarity in [0, 1] (`planner.reuseThreshold`, default 0.8)
 * @returns undefined when no candidate reaches the threshold
 */
export function chooseReuse<C extends ReuseCandidate>(candidates: readonly C[], goal: string, threshold: number): ReuseChoice<C> | undefined {
  const same = candidates.find((c) => sameGoal(c.goal, goal));
  if (same) return { candidate: same, score: 1, mode: 'identical' };
  let best: ReuseChoice<C> | undefined;
  for (const candidate of candidates) {
    const score = goalSimilarity(candidate.goal, goal);
    // 1e-9: 4/5 computed as 4 / (√5·√5) is 0.7999…; a threshold of 0.8 must admit it
    if (score >= threshold - 1e-9 && (!best || score > best.score)) best = { candidate, score, mode: 'customise' };
  }
  return best;
}
