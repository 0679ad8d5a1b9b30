import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseState } from './device-attestations.js';

describe('parseState (the stored attestation state, never trusted blindly)', () => {
  it('reads a state the gateway wrote', () => {
    const state = { platform: 'play-integrity', attestedAt: 1, expiresAt: 2 };
    expect(parseState(JSON.stringify(state))).toEqual(state);
  });

  it('refuses an unknown platform, missing times, oversized or non-JSON text', () => {
    expect(parseState(null)).toBeUndefined();
    expect(parseState('{"platform":"jailbreak","attestedAt":1,"expiresAt":2}')).toBeUndefined();
    expect(parseState('{"platform":"play-integrity","attestedAt":1}')).toBeUndefined();
    expect(
      parseState('{"platform":"play-integrity","attestedAt":1,"expiresAt":"never"}'),
    ).toBeUndefined();
    expect(parseState(`"${'x'.repeat(2000)}"`)).toBeUndefined();
    expect(parseState('{')).toBeUndefined();
    expect(parseState('null')).toBeUndefined();
  });

  it('never throws on arbitrary text', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json()), (text) => {
        const state = parseState(text);
        if (state !== undefined) expect(typeof state.expiresAt).toBe('number');
      }),
    );
  });
});
