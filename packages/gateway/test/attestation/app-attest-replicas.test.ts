import {
  createMockAppAttestCa,
  startMockIssuer,
  type MockAppAttestCa,
  type MockIssuer,
} from '@rampart/testkit';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWithPg } from '../helpers/pg.js';
import { appleSection, registerKey, rootsOf, sendAsserted } from './app-attest.js';
import {
  chatBody,
  device,
  outcome,
  startAttestedGateway,
  type AttestedGateway,
} from './gateway.js';

/**
 * Two gateways on one PostgreSQL database (replicas): an App Attest key registered through one
 * is known to the other, and its counter is settled by the database — of two requests with the
 * same counter sent to both replicas at once, exactly one is served.
 */
describeWithPg('App Attest counters shared by replicas on PostgreSQL', (url, schema) => {
  let ca: MockAppAttestCa;
  let issuer: MockIssuer;
  let a: AttestedGateway;
  let b: AttestedGateway;

  beforeAll(async () => {
    ca = await createMockAppAttestCa();
    issuer = await startMockIssuer();
    const database = `${url}${url.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
    const replica = () =>
      startAttestedGateway({
        issuer,
        attestation: {
          policy: { endpoints: { chat: 'required' } },
          appleAppAttest: appleSection(),
        },
        config: { database: { url: database } },
        start: { roots: { appleAppAttest: rootsOf(ca) } },
      });
    a = await replica();
    b = await replica();
  });
  afterAll(async () => {
    await a.close();
    await b.close();
    await issuer.close();
  });

  const chat = (counter: number) => ({
    method: 'POST' as const,
    path: '/v1/chat/completions',
    body: JSON.stringify(chatBody()),
    counter,
  });

  it('a key registered through one replica signs requests served by the other', async () => {
    const phone = await device(issuer, 'replicas-known');
    const key = await registerKey(a, ca, phone);
    expect(await outcome(await sendAsserted(b, ca, phone, key, chat(1)))).toBe('200');
    expect(await outcome(await sendAsserted(a, ca, phone, key, chat(1)))).toBe(
      '403 attest.counter_replay',
    );
    expect(await outcome(await sendAsserted(a, ca, phone, key, chat(2)))).toBe('200');
  });

  it('the same counter sent to both replicas at once is served exactly once', async () => {
    const phone = await device(issuer, 'replicas-race');
    const key = await registerKey(a, ca, phone);
    for (let counter = 1; counter <= 5; counter++) {
      const outcomes = await Promise.all([
        sendAsserted(a, ca, phone, key, chat(counter)).then(outcome),
        sendAsserted(b, ca, phone, key, chat(counter)).then(outcome),
      ]);
      expect(outcomes.sort()).toEqual(['200', '403 attest.counter_replay']);
    }
  });
});
