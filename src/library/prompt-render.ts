import { TaskgraphError } from '../core/errors.js';
import type { Json } from '../core/json.js';
import { PLACEHOLDER, type PromptDocument } from './prompt-format.js';

/**
 * Renders a prompt with named variables (issue 14: "a missing variable is an error, never an
 * empty string"). A string value is inserted as is; any other JSON value pretty-printed
 * (2-space indent), the way `llm` nodes fill `{{input}}` placeholders.
 * @param prompt the prompt (its `variables` name what must be given)
 * @param vars variable name -> value; names the prompt does not declare are ignored
 * @returns the text with every placeholder replaced
 * @throws TaskgraphError CONFIG_INVALID naming every missing variable (`details.missing`)
 */
export function renderPrompt(prompt: Pick<PromptDocument, 'name' | 'version' | 'variables' | 'text'>, vars: Readonly<Record<string, Json | undefined>>): string {
  const missing = prompt.variables.filter((v) => vars[v] === undefined);
  if (missing.length > 0) {
    throw new TaskgraphError('CONFIG_INVALID', `prompt ${prompt.name}@${prompt.version} needs variable${missing.length === 1 ? '' : 's'} ${missing.join(', ')}, which ${missing.length === 1 ? 'was' : 'were'} not given`, {
      details: { prompt: `${prompt.name}@${prompt.version}`, missing, given: Object.keys(vars).filter((k) => vars[k] !== undefined) },
      hint: `give ${missing.map((m) => `${m}`).join(', ')} (an llm node: in its \`vars\` or as inputs; the CLI: --var NAME=VALUE)`,
    });
  }
  return prompt.text.replace(PLACEHOLDER, (_whole, name: string) => {
    const value = vars[name]!;
    return typeof value === 'string' ? value : JSON.stringify(value, null, 2);
  });
}
