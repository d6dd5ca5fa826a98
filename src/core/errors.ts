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
  /** no sandbox where one is required, or the sandbox tool failed */
  | 'SANDBOX_ERROR'
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

  constructor(code: ErrorCode, message: string, options: TaskgraphErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'TaskgraphError';
    this.code = code;
    this.retryable = options.retryable ?? false;
    this.details = options.details ?? {};
    this.hint = options.hint;
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
 * Turns anything thrown into an {@link ErrorRecord}; unknown errors become `INTERNAL`.
 * @param error any thrown value
 */
export function toErrorRecord(error: unknown): ErrorRecord {
  if (error instanceof TaskgraphError) return error.toJSON();
  if (error instanceof Error) {
    return { code: 'INTERNAL', message: error.message, retryable: false, details: { name: error.name } };
  }
  return { code: 'INTERNAL', message: String(error), retryable: false, details: {} };
}
