import { expect, it } from 'vitest';
import { describeEachEngine } from '../../../test/store/engines.js';
import { verifyAssertion } from './assertion.js';
import { APP, CHALLENGE, mintFixture } from './minted.test-helpers.js';
import { AppAttestKeyRepository, type NewAppAttestKey } from './repository.js';

const T0 = 1_800_000_000_000;

function newKey(keyId: string): NewAppAttestKey {
  return {
    keyId,
    tenant: '',
    issuer: 'https://issuer.example',
    subject: 'user-1',
    appId: 'TEAMID1234.com.example.app',
    deviceJkt: null,
    publicKeyJwk: { kty: 'EC', crv: 'P-256', x: 'x-coordinate', y: 'y-coordinate' },
    environment: 'production',
    receipt: Uint8Array.of(1, 2, 3),
    createdAt: T0,
  };
}

describeEachEngine('App Attest keys (0006_app_attest_keys)', (engine) => {
  async function repository() {
    const store = await engine.open(engine.fresh());
    return new AppAttestKeyRepository(store.db);
  }

  it('a key is stored once with counter 0 and read back whole', async () => {
    const repo = await repository();
    expect(await repo.insert(newKey('key-1'))).toBe(true);
    expect(await repo.insert({ ...newKey('key-1'), subject: 'intruder' })).toBe(false);
    expect(await repo.find('key-1')).toEqual({
      ...newKey('key-1'),
      counter: 0,
      lastUsedAt: null,
    });
    expect(await repo.find('key-2')).toBeUndefined();
  });

  it('the counter only moves up: an equal or lower counter is a replay', async () => {
    const repo = await repository();
    await repo.insert(newKey('key-1'));
    expect(await repo.advanceCounter('key-1', 3, T0 + 1)).toBe('advanced');
    expect(await repo.advanceCounter('key-1', 3, T0 + 2)).toBe('counter_replay');
    expect(await repo.advanceCounter('key-1', 2, T0 + 3)).toBe('counter_replay');
    expect(await repo.advanceCounter('key-1', 4, T0 + 4)).toBe('advanced');
    expect(await repo.find('key-1')).toMatchObject({ counter: 4, lastUsedAt: T0 + 4 });
    expect(await repo.advanceCounter('unknown', 1, T0)).toBe('key_unknown');
  });

  it('of concurrent uses of the same counter value exactly one wins', async () => {
    const repo = await repository();
    await repo.insert(newKey('key-1'));
    const outcomes = await Promise.all(
      Array.from({ length: 8 }, (_, i) => repo.advanceCounter('key-1', 7, T0 + i)),
    );
    expect(outcomes.filter((o) => o === 'advanced')).toHaveLength(1);
    expect(outcomes.filter((o) => o === 'counter_replay')).toHaveLength(7);
    expect(await repo.find('key-1')).toMatchObject({ counter: 7 });
  });

  it('counters up to 2^32 - 1 (the field is 32 bits) are stored exactly', async () => {
    const repo = await repository();
    await repo.insert(newKey('key-1'));
    expect(await repo.advanceCounter('key-1', 0xffffffff, T0)).toBe('advanced');
    expect(await repo.find('key-1')).toMatchObject({ counter: 0xffffffff });
  });

  it('an attested key, stored, verifies its assertions; the same assertion twice is refused', async () => {
    const repo = await repository();
    const fx = await mintFixture();
    const minted = await fx.mint();
    const attested = await fx.verify(minted);
    if (attested.outcome !== 'valid') throw new Error(`attestation refused: ${attested.reason}`);
    const { keyId, publicKeyJwk, environment, receipt } = attested.value;
    const newRecord = { ...newKey(keyId), publicKeyJwk, environment, receipt };
    expect(await repo.insert(newRecord)).toBe(true);

    const clientData = { kind: 'raw' as const, bytes: CHALLENGE, challenge: CHALLENGE };
    const assertion = fx.ca.assert(minted, { ...APP, clientData: CHALLENGE, counter: 1 });
    const use = async () => {
      const stored = await repo.find(keyId);
      if (stored === undefined) throw new Error('key not stored');
      const verdict = verifyAssertion({
        assertion,
        clientData,
        app: APP,
        key: { publicKey: stored.publicKeyJwk, counter: stored.counter },
      });
      if (verdict.outcome !== 'valid') return verdict.reason;
      return repo.advanceCounter(keyId, verdict.value.counter, T0);
    };
    expect(await use()).toBe('advanced');
    expect(await use()).toBe('counter_replay');
    expect(await repo.find(keyId)).toMatchObject({ counter: 1, receipt });
  });
});
