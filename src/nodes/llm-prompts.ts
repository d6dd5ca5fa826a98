import type { Json } from '../core/json.js';
import { isJsonObject } from '../core/json.js';
import { renderBundle, type ContextBundle } from '../context/bundle.js';

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

/**
 * Renders the user prompt of the `edit` template from a context bundle input.
 * @param context the output of a `context` node (a {@link ContextBundle})
 */
export function renderEditPrompt(context: Json | undefined): string {
  if (isJsonObject(context) && Array.isArray(context['items'])) {
    return `${renderBundle(context as unknown as ContextBundle)}\n\n---\n\nReturn the unified diff for task ${String(context['task'])} now.`;
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
