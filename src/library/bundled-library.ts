import { fileURLToPath } from 'node:url';
import type { BUILTIN_PROMPTS } from '../core/config.js';
import { TaskgraphError } from '../core/errors.js';
import type { LibraryItemInput } from './library.js';
import { readLibraryDir } from './library-files.js';
import { type PromptDocument, promptOf } from './prompt-format.js';

/**
 * The starter library shipped with taskgraph: `library/` at the package root (next to `dist/`
 * and `src/`), loaded into every project's library (`SqliteLibrary.open`'s `seed`). It holds the
 * built-in prompts (planner, coder, reviewer, summariser; version 1), which the code that builds
 * those prompts reads (`builtinPrompt`), and the starter templates.
 */

/** The bundled library directory (`<package>/library`). */
export const BUNDLED_LIBRARY_DIR = fileURLToPath(new URL('../../library/', import.meta.url));

let prompts: LibraryItemInput[] | undefined;
let templates: LibraryItemInput[] | undefined;

/** The bundled prompts (read once per process, when first asked for: every node module's built-in prompt comes from here). */
export function bundledPrompts(): LibraryItemInput[] {
  prompts ??= readLibraryDir(BUNDLED_LIBRARY_DIR, ['prompt']);
  return prompts;
}

/** Every bundled item, prompts and templates (read once per process; templates only when a library is opened). */
export function bundledItems(): LibraryItemInput[] {
  templates ??= readLibraryDir(BUNDLED_LIBRARY_DIR, ['template']);
  return [...bundledPrompts(), ...templates];
}

/** The names of the built-in prompts the code asks for (each bundled as version 1; `BUILTIN_PROMPTS`). */
export type BuiltinPromptName = (typeof BUILTIN_PROMPTS)[number];

/**
 * The bundled version of a built-in prompt (its newest bundled version).
 * @throws TaskgraphError INTERNAL when the package's library/ lacks it (a broken install)
 */
export function builtinPrompt(name: BuiltinPromptName): PromptDocument {
  const item = bundledPrompts()
    .filter((i) => i.kind === 'prompt' && i.name === name)
    .sort((a, b) => b.version - a.version)[0];
  if (!item) {
    throw new TaskgraphError('INTERNAL', `the bundled prompt ${name} is missing from ${BUNDLED_LIBRARY_DIR}`, { hint: 'reinstall taskgraph: its library/ directory is incomplete' });
  }
  return promptOf(item);
}
