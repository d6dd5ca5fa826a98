import { context, type Span, SpanStatusCode, trace, type Tracer } from '@opentelemetry/api';
import { toErrorRecord } from '../core/errors.js';
import { isUsage } from '../core/usage.js';
import type { MediaRequest, MediaResponse, ModelClient, ModelRequest, ModelResponse, ModelTool } from '../llm/model-client.js';
import { secretRedactor } from '../security/redact.js';
import { cleanAttributes, modelAttributes, usageAttributes } from './span-attributes.js';

/**
 * A {@link ModelClient} that makes one span per call (`chat <profile>`, GenAI operation `chat`)
 * under the span `parent()` gives, and one `execute_tool <name>` span per tool call under it.
 * The call's usage (tokens, USD) and model go on the span when it returns, or from the error's
 * `details.usage` when it fails. Answers and rejects exactly like `inner`.
 */
export class TracedModelClient implements ModelClient {
  /**
   * @param inner the client that makes the calls
   * @param tracer where spans are made
   * @param parent the span a call's span is a child of (undefined: a root span)
   */
  constructor(
    private readonly inner: ModelClient,
    private readonly tracer: Tracer,
    private readonly parent: () => Span | undefined,
  ) {}

  /** See {@link ModelClient.generate}. */
  async generate(request: ModelRequest): Promise<ModelResponse> {
    const parent = this.parent();
    const ctx = parent ? trace.setSpan(context.active(), parent) : context.active();
    const span = this.tracer.startSpan(
      `chat ${request.profile}`,
      { attributes: cleanAttributes({ 'gen_ai.operation.name': 'chat', 'taskgraph.model_profile': request.profile, ...(request.label ? { 'taskgraph.label': request.label } : {}) }) },
      ctx,
    );
    const sent = request.tools && span.isRecording() ? { ...request, tools: { ...request.tools, set: this.tracedTools(request.tools.set, span) } } : request;
    try {
      const response = await this.inner.generate(sent);
      span.setAttributes(cleanAttributes({ ...usageAttributes(response.usage), ...modelAttributes(response.model), ...(response.steps ? { 'taskgraph.steps': response.steps } : {}) }));
      return response;
    } catch (error) {
      const record = toErrorRecord(error);
      const usage = record.details?.['usage'];
      if (isUsage(usage)) span.setAttributes(cleanAttributes(usageAttributes(usage)));
      span.setAttribute('error.type', record.code);
      span.setStatus({ code: SpanStatusCode.ERROR, message: secretRedactor().redact(record.message) });
      throw error;
    } finally {
      span.end();
    }
  }

  /**
   * See {@link ModelClient.media}: one span per call (`<kind> <profile>`), usage as for {@link generate}.
   * Present only when `inner` has media models.
   */
  get media(): ((request: MediaRequest) => Promise<MediaResponse>) | undefined {
    const inner = this.inner;
    if (!inner.media) return undefined;
    return async (request: MediaRequest) => {
      const parent = this.parent();
      const ctx = parent ? trace.setSpan(context.active(), parent) : context.active();
      const span = this.tracer.startSpan(`${request.kind} ${request.profile}`, { attributes: cleanAttributes({ 'gen_ai.operation.name': request.kind, 'taskgraph.model_profile': request.profile, ...(request.label ? { 'taskgraph.label': request.label } : {}) }) }, ctx);
      try {
        const response = await inner.media!(request);
        span.setAttributes(cleanAttributes({ ...usageAttributes(response.usage), ...modelAttributes(response.model) }));
        return response;
      } catch (error) {
        const record = toErrorRecord(error);
        span.setAttribute('error.type', record.code);
        span.setStatus({ code: SpanStatusCode.ERROR, message: secretRedactor().redact(record.message) });
        throw error;
      } finally {
        span.end();
      }
    };
  }

  private tracedTools(set: Record<string, ModelTool>, parent: Span): Record<string, ModelTool> {
    const out: Record<string, ModelTool> = {};
    const ctx = trace.setSpan(context.active(), parent);
    for (const [name, tool] of Object.entries(set)) {
      out[name] = {
        ...tool,
        execute: async (input: unknown) => {
          const span = this.tracer.startSpan(`execute_tool ${name}`, { attributes: { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': name } }, ctx);
          try {
            return await tool.execute(input);
          } catch (error) {
            span.setStatus({ code: SpanStatusCode.ERROR, message: secretRedactor().redact(toErrorRecord(error).message) });
            throw error;
          } finally {
            span.end();
          }
        },
      };
    }
    return out;
  }
}
