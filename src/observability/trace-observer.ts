import { type Attributes, context, type Span, SpanStatusCode, trace, type Tracer } from '@opentelemetry/api';
import type { EngineEvent, EngineObserver } from '../engine/events.js';
import type { ModelClient } from '../llm/model-client.js';
import { secretRedactor } from '../security/redact.js';
import { cleanAttributes, usageAttributes } from './span-attributes.js';
import { TracedModelClient } from './traced-model-client.js';

/** The instrumentation scope name of taskgraph's spans. */
export const TRACER_NAME = 'taskgraph';

/**
 * OpenTelemetry spans of a run (issue 13, "Tracing and logs"), made from the engine's events:
 * `run` (one per session of a run) → `task <id>` → `node <id>` (one per attempt) → `chat <model>`
 * (one per model call, {@link TraceObserver.modelClient}) → `execute_tool <name>`.
 *
 * Attributes follow the OpenTelemetry GenAI semantic conventions where one fits
 * (`gen_ai.request.model`, `gen_ai.usage.input_tokens`, `gen_ai.usage.output_tokens`,
 * `gen_ai.operation.name`, `gen_ai.tool.name`), plus `taskgraph.*` ones (`taskgraph.cost_usd` in
 * USD, `taskgraph.cache_hit`, `taskgraph.run_id`, `taskgraph.node_id`, ...). Every string
 * attribute and status message is redacted (`security/redact.ts`).
 *
 * Spans go to the global tracer provider of `@opentelemetry/api`: without an SDK registered (the
 * CLI starts one only when `OTEL_EXPORTER_OTLP_ENDPOINT` is set: `cli/telemetry.ts`) every span is
 * a no-op, and once the run's span is known not to record the observer does no more work for
 * the session. Like every observer it never changes the run.
 */
export class TraceObserver {
  private readonly tracer: Tracer;
  private run: Span | undefined;
  private readonly tasks = new Map<string, Span>();
  /** open node spans by node id (the current attempt's) */
  private readonly nodes = new Map<string, Span>();

  /** @param tracer where spans are made (default: the global provider's `taskgraph` tracer) */
  constructor(tracer?: Tracer) {
    this.tracer = tracer ?? trace.getTracer(TRACER_NAME);
  }

  /** The engine observer (never throws). */
  readonly observer: EngineObserver = (event) => this.on(event);

  /**
   * `inner`, with each call traced as a child span of node `nodeId`'s current span (else of its
   * task's or the run's).
   * @param inner the model client to wrap
   * @param nodeId the node making the calls
   * @param task the node's task, if any
   */
  modelClient(inner: ModelClient, nodeId: string, task?: string): ModelClient {
    if (this.run && !this.run.isRecording()) return inner; // see on(): nothing records
    return new TracedModelClient(inner, this.tracer, () => this.parentOf(nodeId, task));
  }

  /** Ends every span still open (a session that stopped without `run-finish`), the run's last. */
  end(): void {
    for (const span of this.nodes.values()) span.end();
    for (const span of this.tasks.values()) span.end();
    this.run?.end();
    this.nodes.clear();
    this.tasks.clear();
    this.run = undefined;
  }

  private parentOf(nodeId: string, task?: string): Span | undefined {
    return this.nodes.get(nodeId) ?? (task ? this.tasks.get(task) : undefined) ?? this.run;
  }

  private child(name: string, parent: Span | undefined, attributes: Attributes): Span {
    const ctx = parent ? trace.setSpan(context.active(), parent) : context.active();
    return this.tracer.startSpan(name, { attributes: cleanAttributes(attributes) }, ctx);
  }

  private on(event: EngineEvent): void {
    // a run span that does not record (no SDK registered, or sampled out) means no span under
    // it records either (the default parent-based sampling): nothing more to do this session
    if (event.type !== 'run-start' && this.run && !this.run.isRecording()) return;
    switch (event.type) {
      case 'run-start':
        this.end();
        this.run = this.child('run', undefined, { 'taskgraph.run_id': event.runId, 'taskgraph.nodes': event.nodes, 'taskgraph.resumed': event.resumed });
        return;
      case 'node-start': {
        const parent = event.task ? this.taskSpan(event.runId, event.task) : this.run;
        this.nodes.get(event.nodeId)?.end();
        const attrs: Attributes = { 'taskgraph.run_id': event.runId, 'taskgraph.node_id': event.nodeId, 'taskgraph.attempt': event.attempt };
        if (event.task) attrs['taskgraph.task'] = event.task;
        this.nodes.set(event.nodeId, this.child(`node ${event.nodeId}`, parent, attrs));
        return;
      }
      case 'node-finish': {
        const span = this.nodes.get(event.nodeId);
        if (!span) return;
        this.nodes.delete(event.nodeId);
        span.setAttributes(cleanAttributes({ 'taskgraph.status': event.status, 'taskgraph.cache_hit': event.status === 'cached', 'taskgraph.duration_ms': event.durationMs, ...usageAttributes(event.usage) }));
        if (event.status === 'failed') span.setStatus({ code: SpanStatusCode.ERROR, message: clean(event.error?.message ?? event.reason ?? 'failed') });
        span.end();
        return;
      }
      case 'task-retry':
        this.tasks.get(event.task)?.addEvent('retry', cleanAttributes({ 'taskgraph.attempt': event.attempt, 'taskgraph.note': event.note }));
        return;
      case 'task-finish': {
        const span = this.tasks.get(event.task);
        if (!span) return;
        this.tasks.delete(event.task);
        span.setAttributes({ 'taskgraph.status': event.status, 'taskgraph.attempts': event.attempts });
        if (event.status !== 'done') span.setStatus({ code: SpanStatusCode.ERROR, message: clean(event.reason ?? event.status) });
        span.end();
        return;
      }
      case 'budget-reached':
        this.run?.addEvent('budget-reached', cleanAttributes({ 'taskgraph.scope': event.scope, 'taskgraph.reason': event.reason }));
        return;
      case 'run-finish':
        if (this.run) {
          this.run.setAttribute('taskgraph.status', event.status);
          if (event.status === 'failed') this.run.setStatus({ code: SpanStatusCode.ERROR, message: clean(event.reason ?? 'failed') });
        }
        this.end();
        return;
      default:
        return;
    }
  }

  private taskSpan(runId: string, task: string): Span {
    let span = this.tasks.get(task);
    if (!span) {
      span = this.child(`task ${task}`, this.run, { 'taskgraph.run_id': runId, 'taskgraph.task': task });
      this.tasks.set(task, span);
    }
    return span;
  }
}

/** `text`, redacted. */
function clean(text: string): string {
  return secretRedactor().redact(text);
}
