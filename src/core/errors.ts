import { type Redactor, secretRedactor } from '../security/redact.js';
import type { AuditInput } from '../store/audit.js';

/**
 * Errors that carry data: a stable `code`, whether retrying may help (`retryable`), an optional
 * `cause` and structured `details`. Modelled on Temporal's `common/src/failure.ts`
 * (ApplicationFailure: type, nonRetryable, details). Every error taskgraph throws on purpose is a
 * `TaskgraphError`, so the CLI can print `message` plus `hint` and exit with a clear status, and
 * the engine can record `code`/`details` on an attempt.
 */
export type ErrorCode =
  | 'CONFIG_INVALID'
  | 'GRAPH_INVALID'
  | 'PLAN_INVALID'
  | 'NOT_FOUND'
  | 'NODE_FAILED'
  | 'COMMAND_FAILED'
  | 'VERIFY_FAILED'
  | 'EDIT_INVALID'
  | 'EDIT_REJECTED'
  | 'PATH_OUTSIDE_WORKTREE'
  | 'PROVIDER_ERROR'
  | 'MISSING_API_KEY'
  | 'CASSETTE_MISS'
  | 'MODEL_OUTPUT_INVALID'
  | 'STORE_ERROR'
  | 'RUN_STATE'
  | 'GIT_ERROR'
  | 'ABORTED'
  /** another live process holds the run's lease */
  | 'RUN_LOCKED'
  /** a budget limit was reached in the middle of a node (before a model call) */
  | 'BUDGET_EXCEEDED'
  /** an edit touches a protected file (taskgraph.yaml, verify scripts/config, CI); refinable */
  | 'EDIT_PROTECTED'
  /** the project's checks fail at the base commit, before any change */
  | 'BASELINE_FAILED'
  /** the checker model's verdict on a task's change is `fail` (findings in details); refinable */
  | 'REVIEW_FAILED'
  /** a task's commit conflicts with the run branch it is integrated onto (issue 10); refinable on the new base */
  | 'INTEGRATION_CONFLICT'
  /** no sandbox where one is required, or the sandbox tool failed */
  | 'SANDBOX_ERROR'
  /** the command policy refuses a shell line outright (denylist, or a line it cannot parse); not retryable */
  | 'COMMAND_DENIED'
  /**
   * a shell line is neither allowed nor denied and `policy.safety.commands.unlisted` is `refuse`
   * (or `ask` where nothing can ask a person); with `ask` in a run node, `details.awaitingApproval`
   * is true and the engine suspends the node instead of failing it (`safety/command-approval.ts`)
   */
  | 'COMMAND_NEEDS_APPROVAL'
  /** a person rejected an unlisted command line at its approval (`taskgraph reject RUN NODE --comment`); refinable: the comment becomes a task note */
  | 'COMMAND_DECLINED'
  /** an answer to a `human` node is not among its choices or not valid against its schema; nothing was recorded */
  | 'ANSWER_INVALID'
  /** a person rejected an edit at its diff-scoped approval (`taskgraph reject RUN T/apply --comment`); refinable: the comment becomes a task note */
  | 'EDIT_DECLINED'
  /** a `python` node's script exited non-zero (details: exitCode, stderr tail) */
  | 'PYTHON_FAILED'
  /** a `python` node's script printed no valid JSON on its last stdout line */
  | 'PYTHON_OUTPUT_INVALID'
  /** a `python` node's script ran past its timeout; its process tree was killed */
  | 'PYTHON_TIMEOUT'
  /** a `web` or `screenshot` URL's host is not in `policy.safety.webHosts` */
  | 'WEB_HOST_DENIED'
  /** a `web` fetch failed (network error, HTTP status, not HTML/text); retryable for 429/5xx and network errors */
  | 'WEB_FETCH_FAILED'
  /** a `screenshot` could not be rendered (Chromium missing, page load failed, file outside the project) */
  | 'SCREENSHOT_FAILED'
  /** a `notify` message was not delivered after its retries */
  | 'NOTIFY_FAILED'
  | 'INTERNAL';

/** Options for {@link TaskgraphError}. */
export interface TaskgraphErrorOptions {
  /** Whether retrying the same operation may succeed (e.g. HTTP 429/5xx). Default false. */
  retryable?: boolean;
  /** The underlying error, kept for logs. */
  cause?: unknown;
  /** Structured, JSON-serialisable data about the failure (paths, exit codes, cycle path ...). */
  details?: Record<string, unknown>;
  /** One sentence telling the user what to do next. */
  hint?: string;
  /**
   * Audit entries of the decision behind the error (a refused command), to be written by whoever
   * records the failure, in the same store transaction (`Store.finishAttempt`/`recordFinishedAttempt`
   * `audit`): the entry exists iff the failure is recorded. Not part of {@link TaskgraphError.toJSON}.
   */
  audit?: readonly AuditInput[];
}

/**
 * The one error class taskgraph throws deliberately.
 * @example throw new TaskgraphError('GRAPH_INVALID', 'cycle: a -> b -> a', { details: { cycle: ['a','b','a'] } })
 */
export class TaskgraphError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;
  readonly details: Record<string, unknown>;
  readonly hint: string | undefined;
  /** see {@link TaskgraphErrorOptions.audit}; empty when the error carries none */
  readonly audit: readonly AuditInput[];

  constructor(code: ErrorCode, message: string, options: TaskgraphErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'TaskgraphError';
    this.code = code;
    this.retryable = options.retryable ?? false;
    this.details = options.details ?? {};
    this.hint = options.hint;
    this.audit = options.audit ?? [];
  }

  /** A JSON form for attempt records and `--json` output. */
  toJSON(): { code: ErrorCode; message: string; retryable: boolean; details: Record<string, unknown>; hint?: string } {
    return {
      code: this.code,
      message: this.message,
      retryable: this.retryable,
      details: this.details,
      ...(this.hint ? { hint: this.hint } : {}),
    };
  }
}

/** A recorded error: what an attempt stores when it fails. */
export interface ErrorRecord {
  code: ErrorCode;
  message: string;
  retryable: boolean;
  details: Record<string, unknown>;
  hint?: string;
}

/**
 * Turns anything thrown into an {@link ErrorRecord}; unknown errors become `INTERNAL`. Secrets in
 * the message, details and hint are redacted (`security/redact.ts`): the record is what attempts
 * store, failure notes quote and `--json` prints.
 * @param error any thrown value
 */
export function toErrorRecord(error: unknown): ErrorRecord {
  return secretRedactor().redactValue(errorRecordOf(error));
}

function errorRecordOf(error: unknown): ErrorRecord {
  if (error instanceof TaskgraphError) return error.toJSON();
  if (error instanceof Error) {
    return { code: 'INTERNAL', message: error.message, retryable: false, details: { name: error.name } };
  }
  return { code: 'INTERNAL', message: String(error), retryable: false, details: {} };
}

/**
 * `error` with secrets redacted from its message, details and hint (`security/redact.ts`); the
 * same error when there were none. A `cause` that holds a secret anywhere (message, stack, or a
 * field such as an HTTP error's `responseBody`) is replaced by a plain `Error` with the redacted
 * name, message and stack, so no log that prints the cause chain can leak it either.
 * @param error the error to clean
 * @param redactor default: the process-wide redactor
 */
export function redactError(error: TaskgraphError, redactor: Redactor = secretRedactor()): TaskgraphError {
  const message = redactor.redact(error.message);
  const details = redactor.redactValue(error.details);
  const hint = error.hint === undefined ? undefined : redactor.redact(error.hint);
  const cause = redactCause(error.cause, redactor);
  if (message === error.message && details === error.details && hint === error.hint && cause === error.cause) return error;
  const clean = new TaskgraphError(error.code, message, {
    retryable: error.retryable,
    details,
    ...(hint !== undefined ? { hint } : {}),
    ...(cause !== undefined ? { cause } : {}),
    ...(error.audit.length > 0 ? { audit: error.audit } : {}),
  });
  if (error.stack) clean.stack = redactor.redact(error.stack);
  return clean;
}

/** The cause itself when it holds no secret, else a redacted plain Error standing in for it. */
function redactCause(cause: unknown, redactor: Redactor): unknown {
  if (cause === undefined || cause === null) return cause;
  if (!(cause instanceof Error)) {
    const text = typeof cause === 'string' ? cause : safeJson(cause);
    return text !== undefined && redactor.test(text) ? redactor.redact(typeof cause === 'string' ? cause : text) : cause;
  }
  const fields = Object.entries(cause).map(([, v]) => (typeof v === 'string' ? v : safeJson(v)) ?? '');
  const texts = [cause.message, cause.stack ?? '', ...fields];
  if (!texts.some((t) => redactor.test(t))) return cause;
  const stand = new Error(redactor.redact(cause.message));
  stand.name = cause.name;
  stand.stack = redactor.redact(cause.stack ?? `${cause.name}: ${cause.message}`);
  return stand;
}

function safeJson(value: unknown): string | undefined {
  try {
    return JSON.stringify(value);
  } catch {
    return undefined;
  }
}
