import type { Json } from '../core/json.js';
import { isJsonObject } from '../core/json.js';
import { renderBundle } from '../context/render.js';
import type { EditFormat } from '../workspace/workspace.js';
import { builtinPrompt } from '../library/bundled-library.js';

/**
 * Built-in prompt templates for `llm` nodes. Their system prompts live in the bundled library
 * (`library/prompts/coder.*.system@1.yaml`, read through `library/bundled-library.ts`); a project
 * overrides one by adding a newer version to its library, which `llm` nodes resolve at run time
 * (`nodes/llm.ts`). A template's text is part of the node's cache key, so editing one re-runs
 * exactly the nodes that use it. `EDIT_PROMPT_VERSION` names the
 * current edit prompt for reports.
 */
export const EDIT_PROMPT_VERSION = 'edit-v1';

/** System prompt of the `edit` template (coder): the bundled library prompt `coder.udiff.system@1`. */
export const EDIT_SYSTEM = builtinPrompt('coder.udiff.system').text;

/** System prompt of the `edit` template for profiles with `editFormat: search-replace` (Aider's "diff" format): `coder.search-replace.system@1`. */
export const EDIT_SYSTEM_SEARCH_REPLACE = builtinPrompt('coder.search-replace.system').text;

/** System prompt of the `edit` template for profiles with `editFormat: whole` (Aider's "whole" format): `coder.whole.system@1`. */
export const EDIT_SYSTEM_WHOLE = builtinPrompt('coder.whole.system').text;

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
