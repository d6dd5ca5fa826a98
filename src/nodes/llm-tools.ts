import { readFile } from 'node:fs/promises';
import picomatch from 'picomatch';
import { z } from 'zod';
import { TaskgraphError } from '../core/errors.js';
import type { Json } from '../core/json.js';
import { enclosingBlock } from '../context/block-finder.js';
import { buildContextIndex, searchPassages, type ContextIndex } from '../context/context-index.js';
import { ensureParsers } from '../context/code/parse.js';
import { extractSymbols } from '../context/symbols.js';
import { countTokens, type TokenizerFamily } from '../context/tokenizer.js';
import type { ModelTool } from '../llm/model-client.js';
import { secretRedactor } from '../security/redact.js';
import { normalizeRepoPath, resolveInside } from '../workspace/safe-path.js';

/**
 * The coder's read-only tools (issue 9 item 7): with `tools: true` on its model profile, an `llm`
 * edit node lets the model ask for more than its bundle through the provider's tool calling:
 *
 * - `read_file(path, startLine?, endLine?)`: lines of a repository file (at most
 *   {@link MAX_READ_LINES} a call), numbered;
 * - `search(query)`: the best BM25 passages of the repository (`context/context-index.ts`);
 * - `list_files(glob)`: repository paths matching a glob (at most {@link MAX_LISTED});
 * - `symbol(name)`: the whole block of each top-level declaration of that name (`symbols.ts`,
 *   `block-finder.ts`).
 *
 * Nothing writes. Paths are checked exactly like edits (`workspace/safe-path.ts`: no `..`, no
 * absolute path, nothing under `.git`, no symlink out of the worktree) and must be files the
 * worktree lists (tracked or untracked, not ignored), so an ignored `.env` cannot be read. Every
 * result is redacted (secret values of the environment) and counted with the context tokenizer;
 * once the results reach the token budget, tools answer "budget exhausted" instead. A refused or
 * failed call is answered as text, so the model can correct itself.
 */

/** Lines one `read_file` call returns at most. */
export const MAX_READ_LINES = 200;
/** Paths one `list_files` call returns at most. */
export const MAX_LISTED = 200;
/** Passages one `search` call returns. */
export const SEARCH_HITS = 5;
/** Declarations one `symbol` call returns at most. */
export const MAX_SYMBOL_HITS = 3;
/** Default model steps of a tool-using call (profile `maxSteps`). */
export const DEFAULT_MAX_STEPS = 6;
/** Default token budget of tool results per call (profile `toolTokens`). */
export const DEFAULT_TOOL_TOKENS = 8_000;

/** One tool call as recorded in the attempt's output. */
export interface ToolCallRecord {
  tool: string;
  /** the arguments the model gave */
  args: Json;
  /** tokens of the result the model got (0 when refused for the budget) */
  resultTokens: number;
  /** `ok`, `refused` (bad path, unknown file), `exhausted` (token budget) */
  status: 'ok' | 'refused' | 'exhausted';
}

/** A region of a file the model read (a `read_file` range or a `symbol` body): pinned into the task's retries. */
export interface ModelRead {
  path: string;
  /** 1-based inclusive lines */
  start: number;
  end: number;
  tool: 'read_file' | 'symbol';
}

/** What {@link coderTools} reads. */
export interface CoderToolsOptions {
  /** absolute path of the task's worktree */
  root: string;
  /** the worktree's repository-relative files (tracked and untracked, not ignored) */
  listFiles(): Promise<string[]>;
  /** token budget of all tool results together */
  budgetTokens: number;
  family: TokenizerFamily;
}

/** The tools with what they recorded so far. */
export interface CoderTools {
  set: Record<string, ModelTool>;
  /** every call in order */
  calls: ToolCallRecord[];
  /** every region read, in order, each (path, start, end) once */
  reads: ModelRead[];
  /** result tokens used so far */
  usedTokens(): number;
  /** forgets the calls, reads and tokens recorded so far (a retried exchange starts over) */
  reset(): void;
}

/**
 * Builds the read-only tools over one worktree.
 * @returns the tool set for `ModelRequest.tools.set` and the records it fills as the model calls it
 */
export function coderTools(options: CoderToolsOptions): CoderTools {
  const calls: ToolCallRecord[] = [];
  const reads: ModelRead[] = [];
  let used = 0;
  let files: Promise<string[]> | undefined;
  let index: Promise<ContextIndex> | undefined;
  const repoFiles = () => (files ??= options.listFiles().then((f) => [...f].sort()));
  const redactor = secretRedactor();

  /** Reads a file the model named, checked like an edit path. */
  const readChecked = async (raw: string): Promise<{ path: string; text: string }> => {
    const path = normalizeRepoPath(raw);
    const abs = await resolveInside(options.root, path);
    if (!(await repoFiles()).includes(path)) {
      throw new TaskgraphError('NOT_FOUND', `${path} is not a file of the repository`, { hint: 'use list_files or search to find files' });
    }
    return { path, text: await readFile(abs, 'utf8') };
  };
  const indexed = () => (index ??= repoFiles().then((repo) => buildContextIndex({ repoFiles: repo, readFile: async (p) => (await readChecked(p)).text })));

  /**
   * Runs tool bodies one at a time, in the order the model's calls were started: the SDK executes a
   * step's calls concurrently, and the record (and the budget's accounting) must not depend on which
   * finishes first.
   */
  let queue: Promise<unknown> = Promise.resolve();
  const run = (tool: string, args: Json, body: () => Promise<{ text: string; reads?: ModelRead[] }>): Promise<string> => {
    const next = queue.then(() => runOne(tool, args, body));
    queue = next.catch(() => undefined);
    return next;
  };

  /** Runs a tool body, applies the budget and records the call. */
  const runOne = async (tool: string, args: Json, body: () => Promise<{ text: string; reads?: ModelRead[] }>): Promise<string> => {
    let result: { text: string; reads?: ModelRead[] };
    try {
      result = await body();
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const text = redactor.redact(`refused: ${message}`);
      calls.push({ tool, args, resultTokens: countTokens(text, options.family), status: 'refused' });
      return text;
    }
    const text = redactor.redact(result.text);
    const tokens = countTokens(text, options.family);
    if (used + tokens > options.budgetTokens) {
      calls.push({ tool, args, resultTokens: 0, status: 'exhausted' });
      return `budget exhausted: this result has ${tokens} tokens and ${Math.max(0, options.budgetTokens - used)} of the ${options.budgetTokens} tool tokens are left; answer with what you have`;
    }
    used += tokens;
    calls.push({ tool, args, resultTokens: tokens, status: 'ok' });
    for (const r of result.reads ?? []) {
      if (!reads.some((x) => x.path === r.path && x.start === r.start && x.end === r.end)) reads.push(r);
    }
    return text;
  };

  const set: Record<string, ModelTool> = {
    read_file: {
      description: `Read lines of a repository file (at most ${MAX_READ_LINES} lines a call). Lines are 1-based and inclusive; each line comes back prefixed with its number.`,
      inputSchema: z.object({
        path: z.string().describe('repository-relative path, e.g. src/app.ts'),
        startLine: z.number().int().min(1).optional().describe('first line (default 1)'),
        endLine: z.number().int().min(1).optional().describe(`last line (default startLine + ${MAX_READ_LINES - 1})`),
      }),
      execute: (input: { path: string; startLine?: number; endLine?: number }) =>
        run('read_file', input as Json, async () => {
          const { path, text } = await readChecked(input.path);
          const lines = text.split('\n');
          if (text.endsWith('\n')) lines.pop();
          const start = Math.min(input.startLine ?? 1, Math.max(1, lines.length));
          const end = Math.min(lines.length, input.endLine ?? start + MAX_READ_LINES - 1, start + MAX_READ_LINES - 1);
          if (lines.length === 0) return { text: `${path} is empty` };
          const body = lines.slice(start - 1, end).map((l, i) => `${start + i}: ${l}`);
          return { text: `${path} lines ${start}-${end} of ${lines.length}:\n${body.join('\n')}`, reads: [{ path, start, end, tool: 'read_file' }] };
        }),
    },
    search: {
      description: `Search the repository (BM25 over passages of about 40 lines); returns the ${SEARCH_HITS} best passages with their paths and lines.`,
      inputSchema: z.object({ query: z.string().min(1).describe('words to look for: identifiers, error text, concepts') }),
      execute: (input: { query: string }) =>
        run('search', input as Json, async () => {
          const hits = searchPassages(await indexed(), input.query, SEARCH_HITS, 2, (p) => p.kind === 'file');
          if (hits.length === 0) return { text: `no passage matches "${input.query}"` };
          return { text: hits.map((h) => `${h.passage.path} lines ${h.passage.start}-${h.passage.end}:\n${h.passage.text}`).join('\n\n') };
        }),
    },
    list_files: {
      description: `List repository files whose path matches a glob (e.g. "src/**/*.ts"; at most ${MAX_LISTED}).`,
      inputSchema: z.object({ glob: z.string().min(1).describe('a glob over repository-relative paths') }),
      execute: (input: { glob: string }) =>
        run('list_files', input as Json, async () => {
          const match = picomatch(input.glob, { dot: true });
          const hits = (await repoFiles()).filter((p) => match(p));
          const more = hits.length > MAX_LISTED ? `\n(and ${hits.length - MAX_LISTED} more; narrow the glob)` : '';
          return { text: hits.length === 0 ? `no file matches "${input.glob}"` : hits.slice(0, MAX_LISTED).join('\n') + more };
        }),
    },
    symbol: {
      description: `Show the whole definition of a top-level function, class, type or constant by name (at most ${MAX_SYMBOL_HITS} definitions).`,
      inputSchema: z.object({ name: z.string().min(1).describe('the declared name, e.g. parseConfig') }),
      execute: (input: { name: string }) =>
        run('symbol', input as Json, async () => {
          const out: string[] = [];
          const found: ModelRead[] = [];
          await ensureParsers();
          for (const file of (await indexed()).files.values()) {
            for (const s of extractSymbols(file.path, file.text).filter((x) => x.name === input.name)) {
              if (found.length >= MAX_SYMBOL_HITS) break;
              const block = enclosingBlock(file.path, file.text, s.line);
              const start = Math.min(s.line, block.start);
              const end = Math.max(s.line, block.end);
              const lines = file.text.split('\n').slice(start - 1, end);
              out.push(`${file.path} lines ${start}-${end} (${s.kind} ${s.name}):\n${lines.map((l, i) => `${start + i}: ${l}`).join('\n')}`);
              found.push({ path: file.path, start, end, tool: 'symbol' });
            }
          }
          return found.length === 0 ? { text: `no top-level declaration named "${input.name}"` } : { text: out.join('\n\n'), reads: found };
        }),
    },
  };
  const reset = () => {
    calls.length = 0;
    reads.length = 0;
    used = 0;
  };
  return { set, calls, reads, usedTokens: () => used, reset };
}
