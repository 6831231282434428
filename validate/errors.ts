/**
 * Validation errors that say which object and which field are wrong, e.g.
 * `alert HighCPUUsage: expr: unknown job "go-zero-api" (no scrape job of that name)`.
 */

export class ValidationError extends Error {
  /** What is wrong, e.g. `alert HighCPUUsage`, `route #2`, `stack dev` (a config key of that stack). */
  readonly object: string;
  /** Which field of it, e.g. `expr`, `receiver`, `jobs.mysql.targets[0]`. */
  readonly field: string;
  /** The problem, with the bad value. */
  readonly detail: string;

  constructor(object: string, field: string, message: string) {
    super(`${object}: ${field}: ${message}`);
    this.name = "ValidationError";
    this.object = object;
    this.field = field;
    this.detail = message;
  }
}

/** Several validation errors at once, one per line, so a user fixes them all in one round. */
export class ValidationErrors extends Error {
  readonly errors: readonly ValidationError[];

  constructor(errors: readonly ValidationError[]) {
    super(errors.map((e) => e.message).join("\n"));
    this.name = "ValidationErrors";
    this.errors = errors;
  }
}

