import { z } from 'zod';
import { TaskgraphError, toErrorRecord } from '../core/errors.js';
import { sha256 } from '../core/hash.js';
import { isJsonObject, type Json } from '../core/json.js';
import type { ModelImage } from '../llm/model-client.js';
import type { NodeContext, NodeExecutor, NodeOutcome } from '../engine/node-executor.js';
import { parseEdit } from '../workspace/edit-format.js';
import type { EditFormat } from '../workspace/workspace.js';
import { DEFAULT_EDIT_FORMAT, fillTemplate, renderEditPrompt } from './llm-prompts.js';
import type { BuiltinPromptName } from '../library/bundled-library.js';
import { parseItemRef } from '../library/library.js';
import { renderPrompt } from '../library/prompt-render.js';
import { builtinPromptFor, bundledPromptSource, promptIngredients, type ResolvedPrompt } from '../library/prompt-source.js';
import { countTokens, tokenizerFamily } from '../context/tokenizer.js';
import { outputTokensPerCall } from '../engine/estimate.js';
import { coderTools, DEFAULT_MAX_STEPS, DEFAULT_TOOL_TOKENS, type CoderTools } from './llm-tools.js';
import type { ModelProfile } from '../core/config.js';

const LlmConfig = z
  .object({
    /** model profile name; default: the `coder` role's profile */
    profile: z.string().optional(),
    /** `edit`: the built-in coder template over the `context` input; `custom`: `prompt` (or `promptRef`) with {{input}} placeholders */
    template: z.enum(['edit', 'custom']).default('custom'),
    prompt: z.string().optional(),
    system: z.string().optional(),
    /** a library prompt as the user prompt, `name@version` (or `name`: the newest), rendered with `vars` and the inputs */
    promptRef: z.string().refine(isRef, 'a library reference: name@version or name').optional(),
    /** a library prompt as the system prompt, `name@version` (or `name`), rendered with `vars` and the inputs */
    systemRef: z.string().refine(isRef, 'a library reference: name@version or name').optional(),
    /** variables of the library prompts (they win over inputs of the same name) */
    vars: z.record(z.string(), z.json()).optional(),
    /** `text`, `json` (must parse as JSON) or `edit` (must hold a unified diff, SEARCH/REPLACE blocks or whole files) */
    output: z.enum(['text', 'json', 'edit']).default('text'),
    /**
     * names of inputs holding images (a `screenshot` node's output, or `{ mediaType, data }` with
     * base64 data): sent as image parts after the prompt, never rendered into its text; the
     * profile must set `vision: true`
     */
    images: z.array(z.string().min(1)).default([]),
  })
  .strict()
  .refine((c) => c.template === 'edit' || c.prompt !== undefined || c.promptRef !== undefined, { message: 'a custom llm node needs `prompt` or `promptRef`', path: ['prompt'] })
  .refine((c) => c.prompt === undefined || c.promptRef === undefined, { message: 'give `prompt` or `promptRef`, not both', path: ['promptRef'] })
  .refine((c) => c.system === undefined || c.systemRef === undefined, { message: 'give `system` or `systemRef`, not both', path: ['systemRef'] })
  .refine((c) => c.template === 'custom' || c.promptRef === undefined, { message: 'the edit template builds its own user prompt: `promptRef` needs template: custom', path: ['promptRef'] });

function isRef(ref: string): boolean {
  try {
    parseItemRef(ref);
    return true;
  } catch {
    return false;
  }
}

/** Config of an `llm` node. */
export type LlmConfig = z.infer<typeof LlmConfig>;

/** The built-in (library) system prompt of the `edit` template per edit format. */
const EDIT_SYSTEM_REFS: Record<EditFormat, BuiltinPromptName> = {
  udiff: 'coder.udiff.system',
  'search-replace': 'coder.search-replace.system',
  whole: 'coder.whole.system',
};

/**
 * The images of a call: each input named in `config.images`, as a `screenshot` output
 * (`{ image: { mediaType, data } }`) or an image itself (`{ mediaType, data }`).
 * @throws TaskgraphError CONFIG_INVALID for a missing input or one that is not an image
 */
export function imagesOf(config: Pick<LlmConfig, 'images'>, inputs: Record<string, Json>, nodeId: string): ModelImage[] {
  return config.images.map((name) => {
    const value = inputs[name];
    const inner = isJsonObject(value) && isJsonObject(value['image']) ? value['image'] : value;
    if (!isJsonObject(inner) || typeof inner['mediaType'] !== 'string' || !inner['mediaType'].startsWith('image/') || typeof inner['data'] !== 'string') {
      throw new TaskgraphError('CONFIG_INVALID', `llm node ${nodeId}: input "${name}" named in images is not an image`, {
        hint: 'give it a screenshot node\'s output ({ $ref: SHOT }) or { mediaType: "image/png", data: BASE64 }',
      });
    }
    return { mediaType: inner['mediaType'], data: inner['data'] };
  });
}

/** The inputs rendered into the prompt's text: all but the images. */
function textInputs(config: Pick<LlmConfig, 'images'>, inputs: Record<string, Json>): Record<string, Json> {
  if (config.images.length === 0) return inputs;
  return Object.fromEntries(Object.entries(inputs).filter(([k]) => !config.images.includes(k)));
}

/**
 * The prompt a call sends, and the library prompts it used (issue 14). The `edit` template asks
 * for the edit format of the profile the call uses (`format`), in both the system prompt (unless
 * the node sets `system`/`systemRef`; else the library's `coder.<format>.system`) and the user
 * prompt. Library prompts are rendered with `vars` over the inputs; a missing variable is an
 * error (CONFIG_INVALID), never an empty string.
 */
async function render(config: LlmConfig, all: Record<string, Json>, format: EditFormat, ctx: Pick<NodeContext, 'prompts' | 'config'>): Promise<{ system: string; prompt: string; used: ResolvedPrompt[] }> {
  const inputs = textInputs(config, all);
  const source = ctx.prompts ?? bundledPromptSource();
  const used: ResolvedPrompt[] = [];
  const vars = { ...inputs, ...(config.vars ?? {}) };
  const rendered = (p: ResolvedPrompt) => {
    used.push(p);
    return renderPrompt(p, vars);
  };
  let system: string;
  if (config.systemRef !== undefined) system = rendered(await source.resolve(config.systemRef));
  else if (config.system !== undefined) system = config.system;
  else if (config.template === 'edit') system = rendered(await builtinPromptFor(ctx, EDIT_SYSTEM_REFS[format]));
  else system = '';
  if (config.template === 'edit') return { system, prompt: renderEditPrompt(inputs['context'], format), used };
  const prompt = config.promptRef !== undefined ? rendered(await source.resolve(config.promptRef)) : fillTemplate(config.prompt ?? '', inputs);
  return { system, prompt, used };
}

/**
 * The profile a call uses: the node's (default: the coder role's), or — model escalation — the
 * profile's `fallback` from the node's second attempt on (after a failure).
 */
export function profileOf(config: { profile?: string | undefined }, ctx: Pick<NodeContext, 'config' | 'attempt'>, role: 'coder' | 'planner' | 'reviewer' = 'coder'): string {
  const name = config.profile ?? ctx.config.roles[role];
  const fallback = ctx.config.models[name]?.fallback;
  return ctx.attempt > 1 && fallback ? fallback : name;
}

/**
 * The edit format a profile asks for: its `editFormat`, default `udiff` (also for an unknown profile).
 * @param profileName a key of `config.models`
 * @param ctx the node context (only its project `config` is read)
 */
export function editFormatOf(profileName: string, ctx: Pick<NodeContext, 'config'>): EditFormat {
  return ctx.config.models[profileName]?.editFormat ?? DEFAULT_EDIT_FORMAT;
}

/**
 * Whether a call of this node gives the model read-only tools (`llm-tools.ts`): an `edit`
 * template node whose profile sets `tools: true`, in a run with a worktree.
 */
export function usesTools(config: LlmConfig, profile: ModelProfile | undefined, ctx: Pick<NodeContext, 'workspace'>): profile is ModelProfile {
  return config.template === 'edit' && profile?.tools === true && ctx.workspace !== undefined;
}

/** The line the edit prompt gains when the model has tools. */
export const TOOLS_NOTE =
  'You may call the read-only tools read_file, search, list_files and symbol to read code the context below does not show; read only what you need, then answer with the edit.';

/**
 * `llm` nodes (DESIGN.md §4): render a prompt template with the inputs (or, for the `edit`
 * template, the context bundle) and call a model profile. Output `{ text, format? , json? }`.
 * A malformed answer (no edit in it, invalid JSON) fails the node with EDIT_INVALID /
 * MODEL_OUTPUT_INVALID, which refinement turns into a note for the next attempt. Cache key adds
 * the rendered template hash and the model profile (provider, model, temperature, max tokens).
 * The `edit` template's prompts follow the profile's `editFormat` (see {@link editFormatOf}), so
 * the format is in the key through the rendered template hash; the answer is parsed whatever
 * format it comes in (`parseEdit` detects it).
 *
 * Tools (issue 9 item 7): when {@link usesTools}, the model may call `read_file`, `search`,
 * `list_files` and `symbol` for up to the profile's `maxSteps` steps (default 6) and `toolTokens`
 * tokens of results (default 8,000); each step is a model call (usage `calls`). The output then
 * holds `tools: { calls: [{tool, args, resultTokens, status}], reads: [{path, start, end, tool}] }`
 * (also on failure), which the engine records in the task's failure note so a retry pins what
 * the model read. The cache key then adds the tool bounds and the worktree's tree (tool results
 * depend on it).
 */
export const llmExecutor: NodeExecutor<LlmConfig> = {
  kind: 'llm',
  version: 1,
  configSchema: LlmConfig,
  cacheable: true,
  recordStart: true,
  sideEffects: () => false,
  async keyIngredients(config, inputs, ctx): Promise<Record<string, Json>> {
    const name = profileOf(config, ctx);
    const profile = ctx.config.models[name];
    const { system, prompt, used } = await render(config, inputs, editFormatOf(name, ctx), ctx);
    const tools: Record<string, Json> = usesTools(config, profile, ctx)
      ? { tools: { maxSteps: profile.maxSteps ?? DEFAULT_MAX_STEPS, toolTokens: profile.toolTokens ?? DEFAULT_TOOL_TOKENS, tree: (await ctx.workspace!.snapshot()).tree } }
      : {};
    return {
      template: sha256(`${system}\u0000${prompt}`),
      ...promptIngredients(used),
      ...tools,
      model: {
        profile: name,
        provider: profile?.provider ?? null,
        model: profile?.model ?? null,
        temperature: profile?.temperature ?? null,
        maxOutputTokens: profile?.maxOutputTokens ?? null,
      },
    };
  },
  async estimate(config, inputs, ctx) {
    const profile = profileOf(config, ctx);
    const { system, prompt } = await render(config, inputs, editFormatOf(profile, ctx), ctx);
    const p = ctx.config.models[profile];
    const family = tokenizerFamily(p ? { provider: p.provider, model: p.model } : undefined);
    const out = outputTokensPerCall((await ctx.store.lastSuccessfulAttempt(ctx.node.id))?.usage, config.template === 'edit' ? 'coder' : 'other');
    const steps = usesTools(config, p, ctx) ? `; with tools up to ${p.maxSteps ?? DEFAULT_MAX_STEPS} calls` : '';
    return { profile, inputTokens: countTokens(system, family) + countTokens(prompt, family), outputTokens: out.tokens, calls: 1, basis: `input counted from the prompt, ${out.basis}${steps}` };
  },
  async execute(config, inputs, ctx): Promise<NodeOutcome> {
    if (!ctx.models) {
      throw new TaskgraphError('CONFIG_INVALID', `llm node ${ctx.node.id} needs a model, but none is configured`, {
        hint: 'add model profiles to taskgraph.yaml, or pass --replay CASSETTE',
      });
    }
    const profile = profileOf(config, ctx);
    const { system, prompt } = await render(config, inputs, editFormatOf(profile, ctx), ctx);
    const p = ctx.config.models[profile];
    const images = imagesOf(config, inputs, ctx.node.id);
    if (images.length > 0 && p && p.vision !== true) {
      throw new TaskgraphError('CONFIG_INVALID', `llm node ${ctx.node.id} sends ${images.length} image(s) but model profile "${profile}" is not vision-capable`, {
        hint: `set vision: true on models.${profile} in taskgraph.yaml if ${p.model} reads images, or use a profile that does`,
      });
    }
    let tools: CoderTools | undefined;
    if (usesTools(config, p, ctx)) {
      const workspace = ctx.workspace!;
      tools = coderTools({
        root: workspace.dir,
        listFiles: () => workspace.listFiles(),
        budgetTokens: p.toolTokens ?? DEFAULT_TOOL_TOKENS,
        family: tokenizerFamily({ provider: p.provider, model: p.model }),
      });
    }
    // a plain text call streams its answer to observers (`model-delta` events); a tool loop does not
    const stream = tools ? undefined : ctx.modelStream?.();
    let response;
    try {
      response = await ctx.models.generate({
        profile,
        ...(system ? { system } : {}),
        prompt: tools ? `${TOOLS_NOTE}\n\n${prompt}` : prompt,
        label: ctx.node.id,
        signal: ctx.signal,
        ...(tools && p ? { tools: { set: tools.set, maxSteps: p.maxSteps ?? DEFAULT_MAX_STEPS, reset: tools.reset } } : {}),
        ...(stream ? { onDelta: stream.push } : {}),
        ...(images.length > 0 ? { images } : {}),
      });
    } finally {
      stream?.flush();
    }
    const usage = response.usage;
    const record: Record<string, Json> = tools ? { tools: { calls: tools.calls, reads: tools.reads } as unknown as Json } : {};
    if (config.output === 'edit') {
      try {
        const parsed = parseEdit(response.text);
        return { status: 'succeeded', output: { text: response.text, format: parsed.format, ...record }, usage };
      } catch (error) {
        return { status: 'failed', output: { text: response.text, ...record }, error: toErrorRecord(error), usage };
      }
    }
    if (config.output === 'json') {
      try {
        return { status: 'succeeded', output: { text: response.text, json: JSON.parse(stripFence(response.text)) as Json }, usage };
      } catch (error) {
        return {
          status: 'failed',
          output: { text: response.text },
          usage,
          error: { code: 'MODEL_OUTPUT_INVALID', message: `model answer is not JSON: ${(error as Error).message}`, retryable: false, details: {} },
        };
      }
    }
    return { status: 'succeeded', output: { text: response.text }, usage };
  },
};

function stripFence(text: string): string {
  const m = /```(?:json)?\s*\n([\s\S]*?)```/.exec(text);
  return (m ? m[1]! : text).trim();
}
