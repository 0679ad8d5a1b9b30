/**
 * Three-outcome verdict returned by every verifier. Security stages fail closed on
 * `indeterminate` unless policy says otherwise, and say so in the audit event.
 */
export type Verdict<T = undefined, R extends string = string> =
  | { readonly outcome: 'valid'; readonly value: T }
  | { readonly outcome: 'invalid'; readonly reason: R; readonly detail?: string }
  | { readonly outcome: 'indeterminate'; readonly reason: R; readonly detail?: string };

export const valid = <T>(value: T): Verdict<T, never> => ({ outcome: 'valid', value });
export const invalid = <R extends string>(reason: R, detail?: string): Verdict<never, R> =>
  detail === undefined ? { outcome: 'invalid', reason } : { outcome: 'invalid', reason, detail };
export const indeterminate = <R extends string>(reason: R, detail?: string): Verdict<never, R> =>
  detail === undefined
    ? { outcome: 'indeterminate', reason }
    : { outcome: 'indeterminate', reason, detail };
