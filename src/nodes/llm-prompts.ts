import type { Json } from '../core/json.js';
import { isJsonObject } from '../core/json.js';
import { renderBundle } from '../context/render.js';
import type { EditFormat } from '../workspace/workspace.js';

/**
 * Built-in prompt templates for `llm` nodes. A template's text is part of the node's cache key,
 * so editing one here re-runs exactly the nodes that use it. `EDIT_PROMPT_VERSION` names the
 * current edit prompt for reports.
 */
export const EDIT_PROMPT_VERSION = 'edit-v1';

/** System prompt of the `edit` template (coder). */
export const EDIT_SYSTEM = `You are a careful software engineer working inside a git repository.
You receive a task with acceptance criteria, notes from earlier failed attempts, and context.
Make the smallest change that completes the task and makes the project's tests pass.
Answer ONLY with the edit, as a unified diff against the current files:

--- a/path/to/file
+++ b/path/to/file
@@ -start,count +start,count @@
 context line
-removed line
+added line

Use --- /dev/null for a new file. Paths are relative to the repository root.
If notes from earlier attempts are present, read them first: they show what failed and why.`;

/** System prompt of the `edit` template for profiles with `editFormat: search-replace` (Aider's "diff" format). */
export const EDIT_SYSTEM_SEARCH_REPLACE = `You are a careful software engineer working inside a git repository.
You receive a task with acceptance criteria, notes from earlier failed attempts, and context.
Make the smallest change that completes the task and makes the project's tests pass.
Answer ONLY with the edit, as SEARCH/REPLACE blocks against the current files:

path/to/file
<<<<<<< SEARCH
lines copied exactly from the current file
=======
the lines that replace them
>>>>>>> REPLACE

Each SEARCH section must match exactly one place in the file, character for character, including
indentation: copy just enough lines to make it unique. Use one block per change; blocks apply in
order. To create a file, leave its SEARCH section empty. Paths are relative to the repository root.
If notes from earlier attempts are present, read them first: they show what failed and why.`;

/** System prompt of the `edit` template for profiles with `editFormat: whole` (Aider's "whole" format). */
export const EDIT_SYSTEM_WHOLE = `You are a careful software engineer working inside a git repository.
You receive a task with acceptance criteria, notes from earlier failed attempts, and context.
Make the smallest change that completes the task and makes the project's tests pass.
Answer ONLY with the complete new content of every file you change or create: the file's path on a
line of its own, then the whole file in a fenced code block:

path/to/file.ext
\`\`\`
every line of the file, changed or not
\`\`\`

Each block replaces the entire file, so write out all of it: never "..." or "rest unchanged".
Leave out the files you do not change. If a file itself contains \`\`\` lines, fence it with \`\`\`\`.
Write a root file without an extension as ./NAME (./Makefile). Paths are relative to the repository root.
If notes from earlier attempts are present, read them first: they show what failed and why.`;

/** The edit format used when a model profile names none. */
export const DEFAULT_EDIT_FORMAT: EditFormat = 'udiff';

/**
 * The `edit` template's system prompt for an edit format ({@link EDIT_SYSTEM} for `udiff`).
 * @param format the model profile's `editFormat` (undefined: {@link DEFAULT_EDIT_FORMAT})
 */
export function editSystemPrompt(format: EditFormat | undefined): string {
  switch (format ?? DEFAULT_EDIT_FORMAT) {
    case 'search-replace':
      return EDIT_SYSTEM_SEARCH_REPLACE;
    case 'whole':
      return EDIT_SYSTEM_WHOLE;
    case 'udiff':
      return EDIT_SYSTEM;
  }
}

const ASK: Record<EditFormat, string> = {
  udiff: 'Return the unified diff',
  'search-replace': 'Return the SEARCH/REPLACE blocks',
  whole: 'Return the complete content of each file you change',
};

/**
 * Renders the user prompt of the `edit` template from a context bundle input; it ends by asking
 * for the edit in `format` ("Return the unified diff for task T1 now." for `udiff`).
 * @param context the output of a `context` node (a {@link ContextBundle}); other JSON is shown as is
 * @param format the edit format asked for (default {@link DEFAULT_EDIT_FORMAT})
 */
export function renderEditPrompt(context: Json | undefined, format: EditFormat = DEFAULT_EDIT_FORMAT): string {
  if (isJsonObject(context) && Array.isArray(context['items'])) {
    return `${renderBundle(context as unknown as { items: Array<{ text: string }> })}\n\n---\n\n${ASK[format]} for task ${String(context['task'])} now.`;
  }
  return typeof context === 'string' ? context : JSON.stringify(context ?? null, null, 2);
}

/**
 * Fills `{{name}}` placeholders with input values (strings as-is, other JSON pretty-printed).
 * Unknown placeholders are left in place so a typo is visible in the recorded prompt.
 */
export function fillTemplate(template: string, inputs: Record<string, Json>): string {
  return template.replace(/\{\{\s*([A-Za-z0-9_:.-]+)\s*\}\}/g, (whole, name: string) => {
    if (!(name in inputs)) return whole;
    const v = inputs[name];
    return typeof v === 'string' ? v : JSON.stringify(v, null, 2);
  });
}
