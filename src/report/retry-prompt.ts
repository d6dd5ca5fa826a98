import { hashJson, sha256 } from '../core/hash.js';
import type { Json } from '../core/json.js';
import { renderBundle } from '../context/render.js';
import { countTokens, type TokenizerFamily } from '../context/tokenizer.js';
import { editSystemPrompt, renderEditPrompt } from '../nodes/llm-prompts.js';
import type { EditFormat } from '../workspace/workspace.js';

/**
 * Issue 9 benchmark "prompt tokens of a retry compared with the first try": figures of one
 * task's first coder prompt and its retry, read from the attempts a run recorded in the store
 * (no bookkeeping of its own). The coder prompt is rebuilt from the stored context bundle the
 * edit attempt consumed (matched by output hash) and proven equal to what was sent by the
 * template hash the `llm` node recorded in its cache-key ingredients (`extra.template` =
 * hashJson(sha256(system + "\0" + prompt)), src/nodes/llm.ts and core/hash.ts keyIngredients).
 */

/** One attempt row as stored in the `attempts` table (output inlined from `blobs` when large). */
export interface StoredAttempt {
  node_id: string;
  /** 1-based attempt number of the node in its run */
  number: number;
  /** `succeeded`, `failed`, `cached`, ... */
  status: string;
  /** JSON text, or null */
  output: string | null;
  output_hash: string | null;
  /** JSON ErrorRecord text, or null */
  error: string | null;
  /** JSON KeyIngredients text */
  ingredients: string;
  /** prompt tokens the model (or the cassette it was recorded from) reported */
  input_tokens: number;
}

/** The figures of one coder prompt. */
export interface PromptFigures {
  /** the edit attempt's number (1 = first try) */
  attempt: number;
  /** tokens of system + user prompt, counted in the bundle's tokenizer family */
  promptTokens: number;
  /** tokens of the rendered bundle, which the budget governs (same family) */
  bundleTokens: number;
  /** prompt tokens as recorded on the attempt (the model's usage report; a fake server estimates ⌈chars/4⌉) */
  reportedInputTokens: number;
  /** the rebuilt system + prompt hash equals the template hash the edit attempt recorded */
  matchesStore: boolean;
}

/** Figures and checks of a task's first try and retry (see {@link retryPromptFigures}). */
export interface RetryPromptFigures {
  task: string;
  /** the context budget of the retry's bundle (tokens) */
  budget: number;
  family: TokenizerFamily;
  first: PromptFigures;
  retry: PromptFigures;
  /** retry.promptTokens ÷ first.promptTokens */
  ratio: number;
  checks: {
    /** the retry shows attempt 1's edit under "Previous attempt", every added line of it */
    previousDiff: boolean;
    /** the retry pins a block headed "Named by the failure of attempt 1" */
    failingRegion: boolean;
    /** the error line is in attempt 1's verify output and in the retry prompt */
    errorLine: boolean;
    /** the retry's rendered bundle fits the budget */
    withinBudget: boolean;
    /** both prompts rebuilt from the store hash to what the edit attempts recorded */
    promptsMatchStore: boolean;
  };
  /** title of the pinned failure block (`path:start-end`), or null */
  pinned: string | null;
  /** every check holds */
  ok: boolean;
}

interface Bundle {
  task: string;
  family: TokenizerFamily;
  budget: number;
  items: Array<{ source: string; title: string; text: string }>;
}

const FORMATS: readonly EditFormat[] = ['udiff', 'search-replace', 'whole'];

function parse<T>(text: string | null, what: string): T {
  if (text === null) throw new Error(`${what} recorded no output`);
  return JSON.parse(text) as T;
}

/** The executed (not cached) attempt of `node` with number `n`. */
function executed(rows: readonly StoredAttempt[], node: string, n: number): StoredAttempt {
  const row = rows.find((r) => r.node_id === node && r.number === n && r.status !== 'cached');
  if (!row) throw new Error(`no executed attempt ${n} of ${node} in the run`);
  return row;
}

/** The prompt of edit attempt `n`, rebuilt from the context bundle it consumed. */
function promptOf(rows: readonly StoredAttempt[], task: string, n: number): { figures: PromptFigures; user: string; bundle: Bundle } {
  const edit = executed(rows, `${task}/edit`, n);
  const ingredients = JSON.parse(edit.ingredients) as { inputs?: Record<string, string>; extra?: Record<string, string> };
  const contextHash = ingredients.inputs?.['context'];
  const context = rows.find((r) => r.node_id === `${task}/context` && r.output_hash === contextHash && r.output !== null);
  if (!context) throw new Error(`edit attempt ${n} of ${task} consumed a context bundle (${String(contextHash)}) the run did not record`);
  const bundle = parse<Bundle>(context.output, `${task}/context`);
  const recorded = ingredients.extra?.['template'];
  // the profile's edit format is not in the row: try each, the recorded hash picks it
  const candidates = FORMATS.map((f) => ({ system: editSystemPrompt(f), user: renderEditPrompt(bundle as unknown as Json, f) }));
  const match = candidates.find((c) => hashJson(sha256(`${c.system}\u0000${c.user}`)) === recorded);
  const { system, user } = match ?? candidates[0]!;
  return {
    user,
    bundle,
    figures: {
      attempt: n,
      promptTokens: countTokens(system, bundle.family) + countTokens(user, bundle.family),
      bundleTokens: countTokens(renderBundle(bundle), bundle.family),
      reportedInputTokens: edit.input_tokens,
      matchesStore: match !== undefined,
    },
  };
}

/** Added lines of a unified diff (`+` lines, not the `+++` header), from an edit attempt's stored output. */
function addedLines(editOutput: string | null): string[] {
  const text = parse<{ text?: string }>(editOutput, 'edit').text ?? '';
  return text.split('\n').filter((l) => l.startsWith('+') && !l.startsWith('+++'));
}

/**
 * The figures of `task`'s first try (edit attempt 1) and retry (edit attempt 2) from a run's
 * stored attempts, with the checks the issue asks for.
 * @param rows every attempt of one run (any order), as read from the store
 * @param task the task id, e.g. `T1`
 * @param errorLine the line the failing test prints (a fixture fact, e.g. `expected -6, got 6`):
 *   checked against attempt 1's stored verify output and the retry prompt
 * @throws Error when the run has no executed edit attempts 1 and 2 of the task, or an edit
 *   attempt's context bundle is missing from the rows
 */
export function retryPromptFigures(rows: readonly StoredAttempt[], task: string, errorLine: string): RetryPromptFigures {
  const first = promptOf(rows, task, 1);
  const retry = promptOf(rows, task, 2);
  const prompt = retry.user;

  const heading = '#### Previous attempt: the edit of attempt 1';
  const afterHeading = prompt.includes(heading) ? prompt.slice(prompt.indexOf(heading)) : '';
  const added = addedLines(executed(rows, `${task}/edit`, 1).output);
  const previousDiff = afterHeading !== '' && added.length > 0 && added.every((l) => afterHeading.includes(l));

  const pin = retry.bundle.items.find((i) => i.source === 'failure' && i.text.startsWith('# Named by the failure of attempt 1'));
  const failingRegion = pin !== undefined && prompt.includes(pin.text);

  const verify = rows.find((r) => r.node_id === `${task}/verify` && r.number === 1 && r.status === 'failed');
  const verifyOutput = verify?.error ? String((JSON.parse(verify.error) as { details?: { output?: unknown } }).details?.output ?? '') : '';
  const errorLineOk = errorLine !== '' && verifyOutput.includes(errorLine) && prompt.includes(errorLine);

  const withinBudget = retry.figures.bundleTokens <= retry.bundle.budget;
  const promptsMatchStore = first.figures.matchesStore && retry.figures.matchesStore;
  const checks = { previousDiff, failingRegion, errorLine: errorLineOk, withinBudget, promptsMatchStore };
  return {
    task,
    budget: retry.bundle.budget,
    family: retry.bundle.family,
    first: first.figures,
    retry: retry.figures,
    ratio: retry.figures.promptTokens / first.figures.promptTokens,
    checks,
    pinned: pin?.title ?? null,
    ok: Object.values(checks).every(Boolean),
  };
}
