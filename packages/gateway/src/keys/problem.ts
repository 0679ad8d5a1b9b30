/**
 * A defect in key content, located by a path inside the document (`keys[0].jwk.d`). Messages
 * name fields and expectations only, never values: the values are key material.
 */
export class KeyProblem extends Error {
  constructor(path: string, problem: string) {
    super(`${path === '' ? 'the content' : path} ${problem}`);
    this.name = 'KeyProblem';
  }
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
