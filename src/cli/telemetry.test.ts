import { trace } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { startWebhookReceiver } from '../testing/webhook-receiver.js';
import { shutdownTelemetry, startTelemetry } from './telemetry.js';

describe('telemetry', () => {
  it('starts no SDK without OTEL_EXPORTER_OTLP_ENDPOINT: spans stay no-ops', async () => {
    expect(await startTelemetry({})).toBe(false);
    const span = trace.getTracer('t').startSpan('x');
    expect(span.isRecording()).toBe(false);
    span.end();
  });

  it('starts the SDK with OTEL_EXPORTER_OTLP_ENDPOINT set: spans record and are POSTed over OTLP on shutdown', async () => {
    const collector = await startWebhookReceiver(); // a loopback HTTP server standing in for a collector
    try {
      process.env['OTEL_EXPORTER_OTLP_ENDPOINT'] = collector.url.replace(/\/hook$/, ''); // the SDK reads process.env
      expect(await startTelemetry()).toBe(true);
      const span = trace.getTracer('t').startSpan('x');
      expect(span.isRecording()).toBe(true);
      span.end();
      await shutdownTelemetry();
      const [post] = await collector.waitFor(1, 5000);
      expect(post!.headers['content-type']).toMatch(/protobuf|json/);
    } finally {
      delete process.env['OTEL_EXPORTER_OTLP_ENDPOINT'];
      await shutdownTelemetry();
      trace.disable();
      await collector.close();
    }
  });
});
