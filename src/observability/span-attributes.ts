import type { Attributes } from '@opentelemetry/api';
import { secretRedactor } from '../security/redact.js';
import type { Usage } from '../store/store.js';

/**
 * The GenAI attributes of a usage: `gen_ai.usage.input_tokens`, `gen_ai.usage.output_tokens`,
 * `taskgraph.cost_usd` (USD), `taskgraph.model_calls`, and `gen_ai.request.model` (the model
 * part of `provider:model`) with `gen_ai.system` (the provider) when the model is known.
 * @param usage what a node attempt or model call spent; nothing for undefined
 */
export function usageAttributes(usage: Usage | undefined): Attributes {
  if (!usage) return {};
  const attrs: Attributes = {
    'gen_ai.usage.input_tokens': usage.inputTokens,
    'gen_ai.usage.output_tokens': usage.outputTokens,
    'taskgraph.cost_usd': usage.costUsd,
    'taskgraph.model_calls': usage.calls,
  };
  return usage.model ? { ...attrs, ...modelAttributes(usage.model) } : attrs;
}

/**
 * `gen_ai.request.model` and `gen_ai.system` of a `provider:model` name (a name without a colon
 * is all model).
 * @param model `provider:model`
 */
export function modelAttributes(model: string): Attributes {
  const colon = model.indexOf(':');
  return colon < 0 ? { 'gen_ai.request.model': model } : { 'gen_ai.system': model.slice(0, colon), 'gen_ai.request.model': model.slice(colon + 1) };
}

/**
 * `attributes` with every string value redacted (`security/redact.ts`).
 * @param attributes span attributes
 */
export function cleanAttributes(attributes: Attributes): Attributes {
  const redactor = secretRedactor();
  let out: Attributes | undefined;
  for (const [key, value] of Object.entries(attributes)) {
    if (typeof value === 'string' && redactor.test(value)) (out ??= { ...attributes })[key] = redactor.redact(value);
  }
  return out ?? attributes;
}
