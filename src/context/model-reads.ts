/**
 * What the model asked for (issue 9 item 7): the file regions a tool-using coder read in a failed
 * attempt (`read_file` ranges, `symbol` bodies; `nodes/llm-tools.ts`) are written into the
 * attempt's failure note as a section of their own, between the failure text and the recorded
 * edit (`attempt-edit.ts`). The note is stored with the task once, so a retry, a resumed run and
 * a replay read the same list, and the context node's cache key (the task's notes) covers it;
 * the retry's bundle pins those regions (tier 10, "asked for by the model in attempt N").
 *
 * The list names regions as `path lines A-B`, never `path:line`, so the failure locator
 * (`failure-pins.ts`) does not take them for lines a failure names, and its bullets are `*`, not
 * the `-` of a failure digest's test list.
 */

/** A region of a repository file the model read. */
export interface ReadRegion {
  /** repository-relative path */
  path: string;
  /** 1-based inclusive lines */
  start: number;
  end: number;
  /** the tool that read it (`read_file`, `symbol`) */
  tool: string;
}

/** Regions recorded per attempt at most (the first read). */
export const MAX_RECORDED_READS = 8;

const HEADING = /^#### Read by the model in attempt (\d+) \(asked for with its tools\):$/m;
const ITEM = /^\* (\S+) lines (\d+)-(\d+) \((\w+)\)$/;

/**
 * The note section listing what the model read in an attempt.
 * @param attempt the task attempt (1-based)
 * @param reads the regions, in the order read (at most {@link MAX_RECORDED_READS} are kept;
 *   paths with white space are left out)
 * @returns `\n\n#### Read by the model in attempt N (asked for with its tools):\n* path lines A-B (tool)...`,
 *   or '' when there is nothing to list
 */
export function modelReadsSection(attempt: number, reads: readonly ReadRegion[]): string {
  const kept = reads.filter((r) => !/\s/.test(r.path) && r.start >= 1 && r.end >= r.start).slice(0, MAX_RECORDED_READS);
  if (kept.length === 0) return '';
  return `\n\n#### Read by the model in attempt ${attempt} (asked for with its tools):\n${kept.map((r) => `* ${r.path} lines ${r.start}-${r.end} (${r.tool})`).join('\n')}`;
}

/**
 * The regions a note's read section lists (the last such section of the text).
 * @param noteText a failure note without its recorded edit (`latestFailure(...).text`)
 * @returns the attempt and its regions, or undefined when the note has no read section
 */
export function parseModelReads(noteText: string): { attempt: number; reads: ReadRegion[] } | undefined {
  const lines = noteText.split('\n');
  let at = -1;
  for (let i = lines.length - 1; i >= 0; i--) {
    if (HEADING.test(lines[i]!)) {
      at = i;
      break;
    }
  }
  if (at < 0) return undefined;
  const attempt = Number(HEADING.exec(lines[at]!)![1]);
  const reads: ReadRegion[] = [];
  for (const line of lines.slice(at + 1)) {
    const m = ITEM.exec(line);
    if (!m) break;
    reads.push({ path: m[1]!, start: Number(m[2]), end: Number(m[3]), tool: m[4]! });
  }
  return { attempt, reads };
}
