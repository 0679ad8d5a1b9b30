import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseStatusList } from './index.js';
import { ANDROID_VECTORS } from './real-chains.test-helpers.js';

describe("parsing Google's status list format", () => {
  it('reads the sample list: five entries keyed by lowercase hex serial', () => {
    const verdict = parseStatusList(readFileSync(new URL('status.json', ANDROID_VECTORS)));
    expect(verdict.outcome).toBe('valid');
    if (verdict.outcome !== 'valid') return;
    expect(verdict.value.entries.size).toBe(5);
    expect(verdict.value.entries.get('6681152659205225093')).toBe('REVOKED');
    expect(verdict.value.entries.get('cc66e9a93713b6e643b26c15879786f7')).toBe('SUSPENDED');
  });

  it('ignores unknown fields, at the top and in entries', () => {
    const verdict = parseStatusList(
      JSON.stringify({ entries: { abc: { status: 'REVOKED', future: 1 } }, generatedBy: 'x' }),
    );
    expect(verdict.outcome === 'valid' && verdict.value.entries.get('abc')).toBe('REVOKED');
  });

  it("normalizes serials: capitals and leading zeros match the certificate's key", () => {
    const verdict = parseStatusList('{"entries":{"00C8966FCB2FBB0D7A":{"status":"SUSPENDED"}}}');
    expect(verdict.outcome === 'valid' && verdict.value.entries.get('c8966fcb2fbb0d7a')).toBe(
      'SUSPENDED',
    );
  });

  it('keeps REVOKED when one serial is listed twice in different spellings', () => {
    const verdict = parseStatusList(
      '{"entries":{"0abc":{"status":"REVOKED"},"ABC":{"status":"SUSPENDED"}}}',
    );
    expect(verdict.outcome === 'valid' && verdict.value.entries.get('abc')).toBe('REVOKED');
  });

  it('refuses a list whose shape is wrong, whole (fail closed rather than half a list)', () => {
    for (const document of [
      '',
      'null',
      '[]',
      '{}',
      '{"entries":[]}',
      '{"entries":{"abc":{"status":"VALID"}}}',
      '{"entries":{"xyz":{"status":"REVOKED"}}}',
      '{"entries":{"__proto__":{"status":"REVOKED"}}}',
      '{"entries":{"abc":{}}}',
      '{"entries":{"abc":"REVOKED"}}',
    ]) {
      expect(parseStatusList(document), document).toMatchObject({
        outcome: 'invalid',
        reason: 'status_list_malformed',
      });
    }
    expect(parseStatusList(new Uint8Array([0xff, 0xfe, 0x7b]))).toMatchObject({
      reason: 'status_list_malformed',
    });
  });

  it('refuses a document over the byte bound before parsing it, and a list over the entry bound', () => {
    expect(parseStatusList('{"entries":{}}', { maxBytes: 10, maxEntries: 10 })).toMatchObject({
      reason: 'too_large',
    });
    const three =
      '{"entries":{"a":{"status":"REVOKED"},"b":{"status":"REVOKED"},"c":{"status":"REVOKED"}}}';
    expect(parseStatusList(three, { maxBytes: 1000, maxEntries: 2 })).toMatchObject({
      reason: 'too_large',
    });
  });

  it('never throws on random bytes or mutated documents', () => {
    const sample = readFileSync(new URL('status.json', ANDROID_VECTORS));
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => {
        expect(['valid', 'invalid']).toContain(parseStatusList(bytes).outcome);
      }),
    );
    fc.assert(
      fc.property(fc.nat(sample.length - 1), fc.integer({ min: 0, max: 255 }), (at, value) => {
        const mutated = new Uint8Array(sample);
        mutated[at] = value;
        expect(['valid', 'invalid']).toContain(parseStatusList(mutated).outcome);
      }),
    );
  });
});
