import { createMockAppAttestCa, type MockAppAttestCa } from '@rampart/testkit';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  appleSection,
  registerKey,
  registrationBody,
  rootsOf,
  sendAsserted,
} from './app-attest.js';
import {
  chatBody,
  device,
  outcome,
  send,
  startAttestedGateway,
  type AttestedGateway,
} from './gateway.js';

/**
 * When the gateway's own store cannot answer, attestation fails closed with a retryable
 * 503 `attest.unavailable` (never a 500), and `preferred` routes are still served. The outage
 * is made by renaming a table under the running gateway, and undone after each test.
 */
const CHAT = '/v1/chat/completions';

describe('attestation while the store cannot answer', () => {
  let ca: MockAppAttestCa;
  let gw: AttestedGateway;

  beforeAll(async () => {
    ca = await createMockAppAttestCa();
    gw = await startAttestedGateway({
      attestation: {
        policy: { endpoints: { chat: 'required' }, aliases: { cheap: 'preferred' } },
        appleAppAttest: appleSection(),
      },
      start: { roots: { appleAppAttest: rootsOf(ca) } },
    });
  });
  afterAll(() => gw.close());

  async function without<T>(table: string, work: () => Promise<T>): Promise<T> {
    const db = gw.gateway.store.db;
    await sql`alter table ${sql.table(table)} rename to ${sql.table(`${table}_gone`)}`.execute(db);
    try {
      return await work();
    } finally {
      await sql`alter table ${sql.table(`${table}_gone`)} rename to ${sql.table(table)}`.execute(
        db,
      );
    }
  }

  it('a required route is 503 attest.unavailable when device attestations cannot be read', async () => {
    const phone = await device(gw.issuer, 'outage-required');
    const result = await without('devices', async () =>
      outcome(await send(gw, phone, 'POST', CHAT, chatBody())),
    );
    expect(result).toBe('503 attest.unavailable');
  });

  it('a preferred route is served when device attestations cannot be read', async () => {
    const phone = await device(gw.issuer, 'outage-preferred');
    const result = await without('devices', async () =>
      outcome(await send(gw, phone, 'POST', CHAT, chatBody('cheap'))),
    );
    expect(result).toBe('200');
  });

  it('an App Attest assertion is 503 attest.unavailable when its key cannot be read', async () => {
    const phone = await device(gw.issuer, 'outage-assertion');
    const key = await registerKey(gw, ca, phone);
    const request = {
      method: 'POST' as const,
      path: CHAT,
      body: JSON.stringify(chatBody()),
      counter: 1,
    };
    // Registration leaves the key cache empty: this first assertion reads the key from the store.
    const result = await without('app_attest_keys', async () =>
      outcome(await sendAsserted(gw, ca, phone, key, request)),
    );
    expect(result).toBe('503 attest.unavailable');
  });

  it('an App Attest registration is 503 attest.unavailable when the key cannot be stored', async () => {
    const phone = await device(gw.issuer, 'outage-registration');
    const { body } = await registrationBody(gw, ca, phone);
    const result = await without('app_attest_keys', async () =>
      outcome(await send(gw, phone, 'POST', '/attest/v1/apple-app-attest', body)),
    );
    expect(result).toBe('503 attest.unavailable');
  });
});
