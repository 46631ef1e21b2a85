/**
 * Typed errors with a stable code. Each entry point (HTTP, Slack, CLI) turns them into a reply
 * in one place; anything else is an unexpected failure and is logged with its stack.
 */
export type ErrorCode =
  | 'CONFIG_INVALID'
  | 'SOCRATA_REQUEST_FAILED'
  | 'INGEST_FAILED'
  | 'INPUT_INVALID'
  | 'NOT_FOUND'
  | 'UNKNOWN_REQUEST_TYPE'
  | 'MODEL_NOT_TRAINED'
  | 'MODEL_CHANGED'
  | 'UNAUTHORIZED'
  | 'JOB_LOCKED'
  | 'SLACK_API_FAILED'
  | 'CHART_RENDER_FAILED'
  | 'MODEL_TRAINING_FAILED'
  | 'WAREHOUSE_OPEN_FAILED';

export class CivicOpsError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

export class ConfigError extends CivicOpsError {
  constructor(message: string) {
    super('CONFIG_INVALID', message);
  }
}

export class SocrataRequestError extends CivicOpsError {
  readonly url: string;
  readonly status?: number;
  readonly attempts: number;
  constructor(message: string, details: { url: string; status?: number; attempts: number; cause?: unknown }) {
    super('SOCRATA_REQUEST_FAILED', message, { cause: details.cause });
    this.url = details.url;
    this.status = details.status;
    this.attempts = details.attempts;
  }
}

export class InputError extends CivicOpsError {
  readonly fields: { path: string; message: string }[];
  constructor(message: string, fields: { path: string; message: string }[] = []) {
    super('INPUT_INVALID', message);
    this.fields = fields;
  }
}

export class UnknownRequestTypeError extends CivicOpsError {
  readonly requested: string;
  readonly suggestions: string[];
  constructor(requested: string, suggestions: string[]) {
    const hint = suggestions.length ? ` Did you mean: ${suggestions.join(', ')}?` : '';
    super('UNKNOWN_REQUEST_TYPE', `Unknown request type "${requested}".${hint}`);
    this.requested = requested;
    this.suggestions = suggestions;
  }
}

export class ModelNotTrainedError extends CivicOpsError {
  constructor() {
    super('MODEL_NOT_TRAINED', 'No trained model yet: run `civicops train` first.');
  }
}

/** Models were promoted faster than a request could score the open tickets for one of them. */
export class ModelChangedError extends CivicOpsError {
  constructor() {
    super('MODEL_CHANGED', 'The model changed three times while this request scored the open tickets; retry in a moment.');
  }
}

export class JobLockedError extends CivicOpsError {
  constructor(job: string) {
    super('JOB_LOCKED', `Job "${job}" is already running elsewhere (lock held); this run is skipped.`);
  }
}

/** The embedded warehouse folder exists but PGlite cannot open it (damaged, e.g. by a crash). */
export class WarehouseOpenError extends CivicOpsError {
  readonly path: string;
  constructor(path: string, options?: { cause?: unknown }) {
    super(
      'WAREHOUSE_OPEN_FAILED',
      `The embedded warehouse at ${path} cannot be opened (it may have been damaged by a crash): ` +
        'move it aside and run `civicops ingest` again, or set DATABASE_URL.',
      options,
    );
    this.path = path;
  }
}

/** Wraps anything thrown into a CivicOpsError-or-Error so callers can always read a message. */
export function asError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}
