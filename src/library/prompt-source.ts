import { TaskgraphError } from '../core/errors.js';
import { sha256 } from '../core/hash.js';
import type { ProjectConfig } from '../core/config.js';
import { bundledPrompts, type BuiltinPromptName } from './bundled-library.js';
import { formatItemRef, type Library, type LibraryItemInput, parseItemRef } from './library.js';
import { type PromptDocument, promptOf } from './prompt-format.js';

/**
 * Where nodes get their prompts (issue 14: `llm` nodes refer to prompts as `name@version`, and
 * the built-in planner, coder, reviewer and summariser prompts are read through the library):
 * a {@link PromptSource} resolves a reference to one stored version. A project's source is its
 * library (`libraryPromptSource`), which holds the bundled prompts as version 1 plus whatever
 * the project added; without a project (unit tests, library code) it is the bundled library.
 *
 * Caching (DESIGN.md §5): a node that uses a prompt adds the cache-key ingredient
 * `prompt:<name>@<version>` = the SHA-256 of its text ({@link promptIngredients}). The version
 * is in the ingredient's name, so an attempt's recorded ingredients keep the version it used,
 * and a bump shows as one name gone and one come: {@link describePromptChanges} turns that into
 * "prompt X: version 1 -> 2" for `taskgraph why`.
 */

/** A prompt resolved to one stored version. */
export interface ResolvedPrompt extends PromptDocument {
  /** SHA-256 (hex) of `text` */
  hash: string;
}

/** Resolves prompt references. */
export interface PromptSource {
  /**
   * @param ref `name@version`, or `name` for the newest version
   * @throws TaskgraphError NOT_FOUND (no such prompt or version), CONFIG_INVALID (bad reference)
   */
  resolve(ref: string): Promise<ResolvedPrompt>;
}

function resolved(doc: PromptDocument): ResolvedPrompt {
  return { ...doc, hash: sha256(doc.text) };
}

function notFound(ref: string, known: string[]): TaskgraphError {
  return new TaskgraphError('NOT_FOUND', `no prompt ${ref} in the library`, {
    details: { ref, known: known.slice(0, 20) },
    hint: 'taskgraph prompt ls lists the prompts and versions; taskgraph prompt add FILE adds one',
  });
}

/** Resolves from a list of items (the newest version when none is named). */
export function itemsPromptSource(items: readonly LibraryItemInput[]): PromptSource {
  return {
    resolve(ref) {
      try {
        const { name, version } = parseItemRef(ref);
        const found = items
          .filter((i) => i.kind === 'prompt' && i.name === name && (version === undefined || i.version === version))
          .sort((a, b) => b.version - a.version)[0];
        if (!found) throw notFound(ref, items.filter((i) => i.kind === 'prompt').map(formatItemRef));
        return Promise.resolve(resolved(promptOf(found)));
      } catch (error) {
        return Promise.reject(error as Error);
      }
    },
  };
}

/** The bundled prompts only (no project). */
export function bundledPromptSource(): PromptSource {
  return itemsPromptSource(bundledPrompts());
}

/** Resolves from a project's library. */
export function libraryPromptSource(library: Library): PromptSource {
  return {
    async resolve(ref) {
      const { name, version } = parseItemRef(ref);
      const item = await library.get('prompt', name, version);
      if (!item) throw notFound(ref, (await library.list({ kind: 'prompt', allVersions: true })).map(formatItemRef));
      return resolved(promptOf(item));
    },
  };
}

/** The cache-key ingredients of the prompts a node used: `prompt:<name>@<version>` -> text hash. */
export function promptIngredients(prompts: readonly ResolvedPrompt[]): Record<string, string> {
  return Object.fromEntries(prompts.map((p) => [`prompt:${formatItemRef(p)}`, p.hash]));
}

/**
 * Words for the prompt ingredients among changed ingredient names (`diffIngredients`):
 * `extra:prompt:a@1` gone and `extra:prompt:a@2` come -> "prompt a: version 1 -> 2"; one that
 * stayed with another hash -> "prompt a@1 changed (its text)"; a new one -> "now uses prompt a@1".
 * @param changed ingredient names, e.g. `['extra:template', 'extra:prompt:a@1', 'extra:prompt:a@2']`
 * @param before the earlier attempt's `extra` ingredient names (to tell gone from changed)
 * @param after the new attempt's `extra` ingredient names
 * @returns the sentences, and the changed names that are not prompt ingredients
 */
export function describePromptChanges(changed: readonly string[], before: readonly string[], after: readonly string[]): { sentences: string[]; rest: string[] } {
  const prefix = 'extra:prompt:';
  const refs = changed.filter((c) => c.startsWith(prefix)).map((c) => c.slice(prefix.length));
  const rest = changed.filter((c) => !c.startsWith(prefix));
  const had = new Set(before.filter((b) => b.startsWith('prompt:')).map((b) => b.slice(7)));
  const has = new Set(after.filter((a) => a.startsWith('prompt:')).map((a) => a.slice(7)));
  const byName = new Map<string, { gone: number[]; come: number[]; edited: number[] }>();
  for (const ref of refs) {
    const { name, version } = parseItemRef(ref);
    const entry = byName.get(name) ?? { gone: [], come: [], edited: [] };
    if (had.has(ref) && has.has(ref)) entry.edited.push(version!);
    else if (had.has(ref)) entry.gone.push(version!);
    else entry.come.push(version!);
    byName.set(name, entry);
  }
  const sentences: string[] = [];
  for (const [name, { gone, come, edited }] of byName) {
    if (gone.length > 0 && come.length > 0) sentences.push(`prompt ${name}: version ${gone.join(', ')} -> ${come.join(', ')}`);
    else if (come.length > 0) sentences.push(`now uses prompt ${name}@${come.join(', ')}`);
    else if (gone.length > 0) sentences.push(`no longer uses prompt ${name}@${gone.join(', ')}`);
    for (const v of edited) sentences.push(`prompt ${name}@${v} changed (its text)`);
  }
  return { sentences, rest };
}

/**
 * A built-in role prompt as a node resolves it: the reference `config.prompts` gives for it (a
 * pinned version or another prompt), else the newest version of the built-in name, from the
 * project's library (`ctx.prompts`), else the bundled library.
 * @param ctx the node context's `prompts` and project `config`
 * @param name the built-in prompt
 * @throws TaskgraphError NOT_FOUND when the reference names no stored prompt
 */
export function builtinPromptFor(ctx: { prompts?: PromptSource | undefined; config: Pick<ProjectConfig, 'prompts'> }, name: BuiltinPromptName): Promise<ResolvedPrompt> {
  return (ctx.prompts ?? bundledPromptSource()).resolve(ctx.config.prompts?.[name] ?? name);
}
