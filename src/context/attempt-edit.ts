/**
 * The previous attempt's edit in a failure note (issue 9 item 2). When a task's attempt fails,
 * the engine appends a failure note to the task's notes (`engine/refine.ts`) and, after it, the
 * edit that attempt made: the diff it applied (which then failed verification), or the edit the
 * model gave when applying it was refused (with the reason, which the note already holds). The
 * edit is stored as part of the note, so it is recorded with the task exactly once, a resumed or
 * replayed run reads the same text, and the context node's cache key (the task's notes) covers it.
 *
 * A retry shows the latest note's edit in full, so the model can repair it; older attempts are
 * summarised, not repeated: their edits in one line each, their failure notes in a few
 * ({@link renderNotes}).
 */

/** How the attempt's edit ended. */
export type AttemptEditStatus = 'applied' | 'rejected';

/** An attempt's edit, as recorded after its failure note. */
export interface AttemptEdit {
  /** the task attempt that made the edit (1-based) */
  attempt: number;
  /** `applied`: it was applied and the task then failed (verification); `rejected`: applying it was refused */
  status: AttemptEditStatus;
  /** the node that failed (`T1/verify`, `T1/apply`) */
  failedAt: string;
  /** `applied`: the unified diff of the worktree against the task's start; `rejected`: the model's edit text */
  text: string;
}

/** The first line of the section, `#### Edit of attempt N (...)`; fixed so it can be found again. */
const HEADING = /^#### Edit of attempt (\d+) \((applied|rejected)[^\n]*\bat (\S+)\):$/m;

/** Characters of an edit kept in a note at most; a longer edit keeps its head and tail. */
export const MAX_EDIT_CHARS = 12_000;

/**
 * The note section that records an attempt's edit, to append to its failure note. The edit text
 * is fenced (longer than any backtick run inside it) and kept to {@link MAX_EDIT_CHARS}.
 * @returns `\n\n#### Edit of attempt N (...):\n```diff\n...\n```` (empty when the edit is empty)
 */
export function attemptEditSection(edit: AttemptEdit): string {
  const text = keepHeadTail(edit.text.trimEnd(), MAX_EDIT_CHARS);
  if (text.trim() === '') return '';
  const how = edit.status === 'applied' ? `applied, then the task failed at ${edit.failedAt}` : `rejected, not applied: see the reason above; failed at ${edit.failedAt}`;
  const ticks = '`'.repeat(Math.max(3, ...Array.from(text.matchAll(/`+/g), (m) => m[0].length + 1)));
  const lang = edit.status === 'applied' || /^(---|diff --git) /m.test(text) ? 'diff' : '';
  return `\n\n#### Edit of attempt ${edit.attempt} (${how}):\n${ticks}${lang}\n${text}\n${ticks}`;
}

/**
 * Splits a note into its failure text and the recorded edit, if any. The section is found from
 * the note's end: its closing fence is the note's last line, and the edit holds no backtick run
 * as long, so text earlier in the note (test output that imitates the heading) cannot pose as it.
 * @param note a task note (any note: a person's notes have no edit)
 */
export function splitAttemptEdit(note: string): { text: string; edit?: AttemptEdit } {
  const close = /\n(`{3,})$/.exec(note);
  if (!close) return { text: note };
  const ticks = close[1]!;
  const open = note.lastIndexOf(`\n${ticks}`, close.index - 1);
  if (open < 0) return { text: note };
  const fenceEnd = note.indexOf('\n', open + 1);
  if (fenceEnd < 0 || fenceEnd > close.index || !/^(diff)?$/.test(note.slice(open + 1 + ticks.length, fenceEnd))) return { text: note };
  const headStart = note.lastIndexOf('\n', open - 1) + 1;
  const m = HEADING.exec(note.slice(headStart, open));
  if (!m || m.index !== 0 || m[0].length !== open - headStart) return { text: note };
  const text = note.slice(fenceEnd + 1, close.index);
  return { text: note.slice(0, headStart).trimEnd(), edit: { attempt: Number(m[1]), status: m[2] as AttemptEditStatus, failedAt: m[3]!, text } };
}

/**
 * One line for an edit that is not shown again: the files a diff touches and its added/removed
 * line counts, or the edit's size when it is not a diff.
 */
export function summarizeAttemptEdit(edit: AttemptEdit): string {
  const lines = edit.text.split('\n');
  const files = [...new Set(lines.flatMap((l) => /^\+\+\+ (?:b\/)?(.+?)\t?$/.exec(l)?.[1] ?? []).filter((f) => f !== '/dev/null'))];
  const added = lines.filter((l) => l.startsWith('+') && !l.startsWith('+++')).length;
  const removed = lines.filter((l) => l.startsWith('-') && !l.startsWith('---')).length;
  const what = files.length > 0 ? `changed ${files.join(', ')} (+${added} −${removed} lines)` : `${lines.length} lines`;
  const how = edit.status === 'applied' ? 'applied, then failed' : 'rejected';
  return `Edit of attempt ${edit.attempt} (${how}): ${what}; not shown again, a later attempt's edit is shown below.`;
}

/** A failure note's first line (`engine/refine.ts` failureNote). */
const FAILURE_HEAD = /^Attempt (\d+) failed at /;
/** Lines of test output that name a failure. */
const FAILURE_LINE = /\b(fail(s|ed|ing|ure)?|error|exception|assert(ion)?|expected|panic(ked)?|not ok)\b|✖|×|✗/i;

/**
 * A failure note older than the latest one, in short: its first line, its `Reason:` line and
 * at most 3 lines of its output that name a failure (each at most 200 characters).
 */
export function summarizeFailureNote(text: string): string {
  const lines = text.split('\n');
  const reason = lines.find((l) => l.startsWith('Reason: '));
  const out = lines.indexOf('Output:');
  const failing = out < 0 ? [] : lines.slice(out + 1).filter((l) => !l.startsWith('```') && FAILURE_LINE.test(l)).slice(0, 3);
  return [lines[0] ?? '', ...(reason ? [reason] : []), ...failing.map((l) => `> ${l.trim().slice(0, 200)}`), '(an older attempt: its output is not repeated; `taskgraph notes` shows it whole)'].join('\n');
}

/**
 * The notes of a task as the coder reads them. The latest failure note is shown whole; older
 * failure notes in short ({@link summarizeFailureNote}); notes a person wrote in full. The latest
 * recorded edit is shown whole (headed "Previous attempt: ... repair it"); older edits are one
 * summary line each ({@link summarizeAttemptEdit}).
 * @param notes the task's notes, oldest first
 * @param options `edits: 'summary'` shows every recorded edit as its summary line, the latest too
 *   (the planner splitting a failed task reads what failed, not diffs to repair)
 * @returns the notes to render, same order and count
 */
export function renderNotes(notes: readonly string[], options: { edits?: 'latest-whole' | 'summary' } = {}): string[] {
  const split = notes.map((n) => splitAttemptEdit(n));
  const lastEdit = options.edits === 'summary' ? -1 : split.map((n) => n.edit !== undefined).lastIndexOf(true);
  const lastFailure = notes.map((n) => FAILURE_HEAD.test(n)).lastIndexOf(true);
  return split.map(({ text: full, edit }, i) => {
    const text = i < lastFailure && FAILURE_HEAD.test(full) ? summarizeFailureNote(full) : full;
    if (!edit) return text;
    if (i !== lastEdit) return `${text}\n\n${summarizeAttemptEdit(edit)}`;
    const state =
      edit.status !== 'applied'
        ? `it was rejected, not applied (see the reason above); the files are unchanged, so correct this edit rather than starting over`
        : edit.failedAt.endsWith('/commit')
          ? // tasks in parallel: committed in the task's worktree, then it could not go onto the run branch
            `it passed the task's checks and was committed, then could not go onto the run branch (see above); the worktree is now at the run branch's tip, which holds the tasks integrated since, so redo this edit on top of those files`
          : `it was applied and then failed at ${edit.failedAt} (see the output above); the worktree is back at the task's start, so repair this edit rather than starting over`;
    const ticks = '`'.repeat(Math.max(3, ...Array.from(edit.text.matchAll(/`+/g), (m) => m[0].length + 1)));
    return `${text}\n\n#### Previous attempt: the edit of attempt ${edit.attempt}\nThis is the edit attempt ${edit.attempt} made; ${state}.\n${ticks}${edit.status === 'applied' ? 'diff' : ''}\n${edit.text}\n${ticks}`;
  });
}

/** Keeps the head and tail of a long text with a marker in between. */
function keepHeadTail(text: string, limit: number): string {
  if (text.length <= limit) return text;
  const head = Math.floor(limit * 0.6);
  const tail = limit - head;
  return `${text.slice(0, head)}\n[... ${text.length - head - tail} characters of the edit not recorded ...]\n${text.slice(text.length - tail)}`;
}
