import type { LanguageModelV4 } from '@ai-sdk/provider';
import { type FinishReason, type LanguageModelUsage, streamText } from 'ai';
import { TaskgraphError } from '../core/errors.js';

/** What {@link streamAnswer} sends: the options `generateText` would get for a plain text call. */
export interface StreamAnswerOptions {
  model: LanguageModelV4;
  system?: string;
  /** the user message */
  prompt: string;
  /** the SDK's own retries (the client passes 0: it retries itself) */
  maxRetries: number;
  temperature?: number;
  maxOutputTokens?: number;
  abortSignal?: AbortSignal;
}

/** The end of a streamed answer, as `generateText` would have reported it. */
export interface StreamedAnswer {
  /** the whole answer text (the text deltas joined) */
  text: string;
  /** the usage the server reported (unchecked: see `usage.ts`) */
  usage: LanguageModelUsage;
  finishReason: FinishReason;
}

/**
 * One plain text model call (no schema, no tools) with the AI SDK's `streamText`: each text delta
 * goes to `onDelta` as it arrives, and the end is what `generateText` would have returned for the
 * same exchange. `streamText` does not throw: it puts a failure into the stream as an `error` part
 * (and logs it unless `onError` is set). This function reads the full stream and throws that
 * error, as raised (an `APICallError` with its status and headers, a timeout from
 * `timed-fetch.ts`, a network error ...), so the caller classifies and retries it exactly like a
 * `generateText` failure.
 * @param options the call (model, prompt, `maxRetries: 0`, abort signal, ...)
 * @param onDelta receives each chunk of text (never called with an empty string)
 * @throws the stream's error; on an abort, an `AbortError` (the caller checks its signal);
 *   TaskgraphError `PROVIDER_ERROR` (retryable) when the stream ends without a finish
 */
export async function streamAnswer(options: StreamAnswerOptions, onDelta: (text: string) => void): Promise<StreamedAnswer> {
  const result = streamText({ ...options, onError: () => undefined });
  let text = '';
  let end: { usage: LanguageModelUsage; finishReason: FinishReason } | undefined;
  for await (const part of result.fullStream) {
    switch (part.type) {
      case 'text-delta':
        if (part.text === '') break;
        text += part.text;
        onDelta(part.text);
        break;
      case 'error':
        throw part.error;
      case 'abort':
        throw Object.assign(new Error(`the model call was aborted${part.reason ? `: ${part.reason}` : ''}`), { name: 'AbortError' });
      case 'finish':
        end = { usage: part.totalUsage, finishReason: part.finishReason };
        break;
      default:
        break;
    }
  }
  if (!end) {
    throw new TaskgraphError('PROVIDER_ERROR', 'the model server ended its stream without finishing the answer', {
      retryable: true,
      hint: 'retry; if it keeps happening, check the model server or a proxy in between',
    });
  }
  return { text, ...end };
}
