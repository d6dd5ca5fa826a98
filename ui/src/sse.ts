import { token } from './api';

/** One run event as `GET /runs/{id}/events` sends it (SSE `data`). */
export interface RunEvent {
  seq: number;
  runId: string;
  at: number;
  type: string;
  nodeId?: string;
  data: Record<string, unknown>;
}

/**
 * Follows a run's events over fetch streaming (EventSource cannot send the Authorization
 * header): parses `id:`/`event:`/`data:` lines, calls `onEvent` in order, and reconnects with
 * `Last-Event-ID` after a dropped connection (1 s later), so no event is missed or repeated.
 * Ends when the server answers 204 (the run settled, nothing newer), ends a stream after the
 * run settled, or `signal` aborts. Calls `onSettled` then.
 */
export async function followRunEvents(runId: string, onEvent: (e: RunEvent) => void, signal: AbortSignal, onSettled?: () => void): Promise<void> {
  let last = 0;
  while (!signal.aborted) {
    try {
      const res = await fetch(`/runs/${encodeURIComponent(runId)}/events`, {
        headers: { authorization: `Bearer ${token()}`, accept: 'text/event-stream', ...(last > 0 ? { 'last-event-id': String(last) } : {}) },
        signal,
      });
      if (res.status === 204 || res.status === 404 || res.status === 401) break;
      if (!res.body) break;
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      let data: string[] = [];
      let id: string | undefined;
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let nl: number;
        while ((nl = buffer.indexOf('\n')) >= 0) {
          const line = buffer.slice(0, nl).replace(/\r$/, '');
          buffer = buffer.slice(nl + 1);
          if (line === '') {
            if (data.length > 0 && id !== undefined) {
              last = Number(id);
              onEvent(JSON.parse(data.join('\n')) as RunEvent);
            }
            data = [];
            id = undefined;
          } else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
          else if (line.startsWith('id:')) id = line.slice(3).trim();
        }
      }
      // the server ends the stream once the run settled: one more request answers 204 or the rest
    } catch {
      if (signal.aborted) break;
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
  onSettled?.();
}
