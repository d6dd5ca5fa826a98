#!/usr/bin/env node
/**
 * `node bench/edit-formats.mjs` (needs `npm run build`): output tokens of the three edit formats
 * a model profile can ask for (`editFormat`: udiff, search-replace, whole) on small changes to
 * files of over 200 lines (issue "Context assembly", edit formats: target at most 1/5 of the
 * whole-file tokens).
 *
 * Fixtures (`edit-fixtures.mjs`, `edit-fixtures-more.mjs`): five deterministic source files of
 * 243 to 320 lines (TypeScript ×2, Python, JavaScript, Go) and five changes each (rename a
 * parameter in one function, add a guard clause, change a constant, add a function or method,
 * change a condition or a message): 25 edits. Each edit is written the way the format's prompt
 * asks (`src/nodes/llm-prompts.ts`), as a model at its most economical would:
 * - udiff: jsdiff `createTwoFilesPatch(a/path, b/path)` with 3 lines of context, file headers only;
 * - search-replace: the path line and one block per changed region, each SEARCH holding the
 *   changed lines plus the fewest context lines that make it match exactly one place in the file
 *   at the time it applies (blocks apply in order); regions at most MERGE_GAP unchanged lines
 *   apart share a block;
 * - whole: the path line and the complete new file in a ``` fence with a language tag.
 * Every edit is parsed with `parseEdit` and applied with `computeEdit` from the build; one that
 * is read as another format or does not produce exactly the new file fails the bench (exit 1).
 *
 * Tokens: js-tiktoken `o200k_base` (the GPT-4o / o-series encoding). Reported: mean output
 * tokens per edit per format, and each format's mean ÷ the whole-file mean.
 * stdout: ONE line of JSON `{ edit_tokens: { udiff, search_replace, whole }, ratio_vs_whole: { udiff, search_replace } }`;
 * the per-edit table goes to stderr.
 */
import { createTwoFilesPatch, FILE_HEADERS_ONLY, structuredPatch } from 'diff';
import { getEncoding } from 'js-tiktoken';
import { computeEdit } from '../dist/workspace/edit-apply.js';
import { parseEdit } from '../dist/workspace/edit-format.js';
import { inventoryService, invoicesPy } from './edit-fixtures.mjs';
import { goStore, reportModule, usersRouter } from './edit-fixtures-more.mjs';

/** Changed regions at most this many unchanged lines apart go into one SEARCH/REPLACE block. */
const MERGE_GAP = 3;
/** The target of the issue: udiff and search-replace at most this fraction of whole-file tokens. */
const TARGET_RATIO = 0.2;
const LANG = { ts: 'ts', py: 'python', js: 'js', go: 'go' };

const log = (msg) => process.stderr.write(`${msg}\n`);
const encoding = getEncoding('o200k_base');
const tokens = (text) => encoding.encode(text).length;
const linesOf = (text) => (text.endsWith('\n') ? text.slice(0, -1) : text).split('\n');
const joinLines = (lines) => (lines.length === 0 ? '' : `${lines.join('\n')}\n`);

function countOccurrences(text, search) {
  let n = 0;
  for (let at = text.indexOf(search); at >= 0; at = text.indexOf(search, at + 1)) n++;
  return n;
}

/** The unified diff a model would answer with. */
function udiffAnswer(path, before, after) {
  return createTwoFilesPatch(`a/${path}`, `b/${path}`, before, after, undefined, undefined, { context: 3, headerOptions: FILE_HEADERS_ONLY });
}

/** Old/new 0-based line ranges of the first changed region of `current` → `after` (see MERGE_GAP). */
function firstRegion(current, after) {
  const { hunks } = structuredPatch('a', 'b', current, after, undefined, undefined, { context: 0 });
  // jsdiff's structured hunks keep 1-based starts even for an empty side (no "line before" quirk).
  const span = (h) => ({ o0: h.oldStart - 1, o1: 0, n0: h.newStart - 1, n1: 0 });
  const first = hunks[0];
  const region = span(first);
  let last = first;
  for (const h of hunks.slice(1)) {
    if (span(h).o0 - (span(last).o0 + last.oldLines) > MERGE_GAP) break;
    last = h;
  }
  region.o1 = span(last).o0 + last.oldLines;
  region.n1 = span(last).n0 + last.newLines;
  return region;
}

/** SEARCH/REPLACE blocks with minimal unique SEARCH sections, applied in order. */
function searchReplaceAnswer(path, before, after) {
  const afterLines = linesOf(after);
  let current = before;
  const blocks = [];
  while (current !== after) {
    if (blocks.length > 50) throw new Error(`${path}: search/replace generation does not converge`);
    const lines = linesOf(current);
    const { o0, o1, n0, n1 } = firstRegion(current, after);
    let block;
    for (let extra = 0; !block && extra <= lines.length; extra++) {
      for (let up = 0; up <= extra && !block; up++) {
        const down = extra - up;
        if (o0 - up < 0 || o1 + down > lines.length) continue;
        const search = lines.slice(o0 - up, o1 + down);
        if (search.every((line) => line.trim() === '')) continue;
        if (countOccurrences(current, joinLines(search)) !== 1) continue;
        const replace = [...lines.slice(o0 - up, o0), ...afterLines.slice(n0, n1), ...lines.slice(o1, o1 + down)];
        block = { search, replace, from: o0 - up, to: o1 + down };
      }
    }
    if (!block) throw new Error(`${path}: no unique SEARCH section for lines ${o0 + 1}-${o1}`);
    blocks.push(block);
    current = joinLines([...lines.slice(0, block.from), ...block.replace, ...lines.slice(block.to)]);
  }
  return blocks
    .map((b) => `${path}\n<<<<<<< SEARCH\n${joinLines(b.search)}=======\n${joinLines(b.replace)}>>>>>>> REPLACE\n`)
    .join('\n');
}

/** The whole new file, as the `whole` prompt asks. */
function wholeAnswer(path, after) {
  return `${path}\n\`\`\`${LANG[path.split('.').pop()] ?? ''}\n${after}\`\`\`\n`;
}

/**
 * Parses and applies `answer` with the build's parser and applier.
 * @throws Error when the answer is read as another format or does not turn `before` into `after`
 */
async function verify(format, path, answer, before, after) {
  const parsed = parseEdit(answer);
  if (parsed.format !== format) throw new Error(`${path}: a ${format} answer was read as ${parsed.format}`);
  const changes = await computeEdit(parsed, async (file) => (file === path ? before : null));
  if (changes.length !== 1 || changes[0].path !== path || changes[0].after !== after) {
    throw new Error(`${path}: the ${format} answer does not produce the new file (changes: ${changes.map((c) => c.path).join(', ')})`);
  }
}

const mean = (values) => values.reduce((a, b) => a + b, 0) / values.length;
const round = (value, digits) => Number(value.toFixed(digits));

async function main() {
  const fixtures = [inventoryService(), invoicesPy(), usersRouter(), goStore(), reportModule()];
  const rows = [];
  for (const fixture of fixtures) {
    const lineCount = linesOf(fixture.content).length;
    if (lineCount <= 200 || lineCount > 400) throw new Error(`${fixture.path}: ${lineCount} lines, expected 201 to 400`);
    for (const [change, apply] of Object.entries(fixture.changes)) {
      const after = apply(fixture.content);
      if (after === fixture.content) throw new Error(`${fixture.path}: change "${change}" changes nothing`);
      const answers = {
        udiff: udiffAnswer(fixture.path, fixture.content, after),
        'search-replace': searchReplaceAnswer(fixture.path, fixture.content, after),
        whole: wholeAnswer(fixture.path, after),
      };
      for (const [format, answer] of Object.entries(answers)) await verify(format, fixture.path, answer, fixture.content, after);
      rows.push({
        file: fixture.path,
        lines: lineCount,
        change,
        udiff: tokens(answers.udiff),
        searchReplace: tokens(answers['search-replace']),
        whole: tokens(answers.whole),
      });
    }
  }
  log(`${'file'.padEnd(36)} ${'lines'.padStart(5)}  ${'change'.padEnd(18)} ${'udiff'.padStart(6)} ${'s/r'.padStart(6)} ${'whole'.padStart(6)}`);
  for (const r of rows) {
    log(`${r.file.padEnd(36)} ${String(r.lines).padStart(5)}  ${r.change.padEnd(18)} ${String(r.udiff).padStart(6)} ${String(r.searchReplace).padStart(6)} ${String(r.whole).padStart(6)}`);
  }
  const edit_tokens = {
    udiff: round(mean(rows.map((r) => r.udiff)), 1),
    search_replace: round(mean(rows.map((r) => r.searchReplace)), 1),
    whole: round(mean(rows.map((r) => r.whole)), 1),
  };
  const ratio_vs_whole = {
    udiff: round(edit_tokens.udiff / edit_tokens.whole, 3),
    search_replace: round(edit_tokens.search_replace / edit_tokens.whole, 3),
  };
  const met = ratio_vs_whole.udiff <= TARGET_RATIO && ratio_vs_whole.search_replace <= TARGET_RATIO;
  log(`\n${rows.length} edits, every one parsed and applied in all three formats; tokens: o200k_base`);
  log(`mean output tokens: udiff ${edit_tokens.udiff}, search-replace ${edit_tokens.search_replace}, whole ${edit_tokens.whole}`);
  log(`ratio to whole: udiff ${ratio_vs_whole.udiff}, search-replace ${ratio_vs_whole.search_replace} (target <= ${TARGET_RATIO}: ${met ? 'met' : 'NOT met'})`);
  process.stdout.write(`${JSON.stringify({ edit_tokens, ratio_vs_whole })}\n`);
}

main().catch((error) => {
  log(`edit-formats bench failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
