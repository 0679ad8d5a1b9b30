/**
 * The little the store needs from a logger. pino's Logger satisfies it; tests pass a recorder.
 * Nothing the store logs carries a password, a row's content or key material.
 */
export interface StoreLogger {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}
