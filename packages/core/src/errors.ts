/**
 * The one error base class of Rampart. Every package keeps its own catalogue of codes
 * (string literals, never reused) and throws RampartError subclasses carrying one of them.
 * Codes are what clients, audit events and docs/errors.md share; messages are for humans
 * and must never contain a secret, token, prompt or PII.
 */
export interface ErrorSpec {
  /** HTTP status when the error reaches an HTTP client. */
  readonly status: number;
  /** Short, stable human title (RFC 9457 "title"). */
  readonly title: string;
  /** One sentence for docs/errors.md: what happened and what to do. */
  readonly doc: string;
}

export type ErrorCatalogue<C extends string> = { readonly [K in C]: ErrorSpec };

export class RampartError<C extends string = string> extends Error {
  readonly code: C;
  readonly status: number;
  readonly title: string;
  /** Extra, non-secret members for the problem document (e.g. `limit`, `key`). */
  readonly extensions: Readonly<Record<string, unknown>>;

  constructor(
    code: C,
    spec: ErrorSpec,
    detail?: string,
    options?: { cause?: unknown; extensions?: Record<string, unknown> },
  ) {
    super(
      detail ?? spec.title,
      options?.cause === undefined ? undefined : { cause: options.cause },
    );
    this.name = 'RampartError';
    this.code = code;
    this.status = spec.status;
    this.title = spec.title;
    this.extensions = options?.extensions ?? {};
  }
}

/** Builds a typed thrower over one catalogue: `fail('config.invalid', 'detail')`. */
export function errorFactory<C extends string>(catalogue: ErrorCatalogue<C>) {
  return (
    code: C,
    detail?: string,
    options?: { cause?: unknown; extensions?: Record<string, unknown> },
  ): RampartError<C> => new RampartError(code, catalogue[code], detail, options);
}

export function isRampartError(value: unknown): value is RampartError {
  return value instanceof RampartError;
}
