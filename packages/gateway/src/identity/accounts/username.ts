/**
 * Usernames: what a person types at login, compared the way a person would. NFKC folds
 * compatibility forms (full-width letters, ligatures) and the case fold makes `Alice`, `ALICE`
 * and `alice` one account, so that look-alike spellings cannot register twice.
 */

/** Most characters a username may have after normalisation. */
export const MAX_USERNAME_LENGTH = 64;

// Letters, marks and digits of any script, plus the separators e-mail-like names use.
const ALLOWED = /^[\p{L}\p{M}\p{N}._@+-]+$/u;

export interface NormalizedUsername {
  /** NFKC form, case kept: shown to people. */
  readonly display: string;
  /** NFKC, case-folded: the lookup key (unique). */
  readonly key: string;
}

/**
 * Normalises a username, or returns undefined when it is empty, longer than
 * MAX_USERNAME_LENGTH code points, or has characters outside letters, marks, digits and `._@+-`.
 * JavaScript has no full Unicode case fold; upper- then lower-casing approximates it (`ß` →
 * `ss`, final sigma → sigma), and NFKC is applied again because case mapping can denormalise.
 * One round is not always a fixed point (`ẞ` lower-cases to `ß`, which the next round turns
 * into `ss`), so rounds repeat until the key stops changing: otherwise `ẞob`, `ßob` and `ssob`
 * would be three accounts.
 */
export function normalizeUsername(input: string): NormalizedUsername | undefined {
  // Bound the work before normalising: NFKC can expand a string, never by more than 18×.
  if (input.length === 0 || input.length > MAX_USERNAME_LENGTH * 4) return undefined;
  const display = input.normalize('NFKC').trim();
  if ([...display].length > MAX_USERNAME_LENGTH || !ALLOWED.test(display)) return undefined;
  const key = caseFold(display);
  if (key === undefined || [...key].length > MAX_USERNAME_LENGTH * 2) return undefined;
  return { display, key };
}

/** Most fold rounds: each round can only expand or lower-case, and two settle every known case. */
const MAX_FOLD_ROUNDS = 4;

/** The case fold repeated to its fixed point; undefined if none is reached within the bound. */
function caseFold(text: string): string | undefined {
  let current = text;
  for (let round = 0; round < MAX_FOLD_ROUNDS; round++) {
    const next = current.toUpperCase().toLowerCase().normalize('NFKC');
    if (next === current) return current;
    current = next;
  }
  return undefined;
}
