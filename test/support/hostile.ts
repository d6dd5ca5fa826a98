/**
 * Hostile inputs shared by unit and end-to-end tests (issue 8 item 15).
 */

/** "Billion laughs" in YAML: each level aliases the previous one nine times (9^7 strings when expanded). */
export const ALIAS_BOMB = [
  'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
  ...'bcdefg'.split('').map((k, i) => `${k}: &${k} [${Array(9).fill(`*${'abcdef'[i]}`).join(',')}]`),
  '',
].join('\n');

/** `[[[ ... ]]]` nested `depth` deep, as text (valid JSON and YAML flow). */
export function nestedBrackets(depth: number): string {
  return `${'['.repeat(depth)}${']'.repeat(depth)}`;
}
