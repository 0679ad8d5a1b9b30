import { createMockAppAttestCa, type MockAppAttestCa } from '@rampart/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  appleSection,
  registerKey,
  registrationBody,
  rootsOf,
  sendAsserted,
  assertionHeader,
  type RegisteredKey,
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
 * Apple App Attest end to end: registration binds an attested key to the caller's subject and
 * DPoP key; each `/v1` request then carries an assertion whose client data names this request
 * (method, URL, body digest) and whose challenge is the SHA-256 of this request's DPoP proof.
 */
const CHAT = '/v1/chat/completions';
const DAY = 86_400_000;

describe('Apple App Attest over HTTP', () => {
  let ca: MockAppAttestCa;
  let gw: AttestedGateway;

  beforeAll(async () => {
    ca = await createMockAppAttestCa();
    gw = await startAttestedGateway({
      attestation: {
        policy: { endpoints: { chat: 'required', models: 'required' } },
        appleAppAttest: appleSection(),
      },
      start: { roots: { appleAppAttest: rootsOf(ca) } },
    });
  });
  afterAll(() => gw.close());

  const chat = (counter: number, extra: object = {}) => ({
    method: 'POST' as const,
    path: CHAT,
    body: JSON.stringify(chatBody()),
    counter,
    ...extra,
  });

  async function registered(
    subject: string,
  ): Promise<{ phone: Awaited<ReturnType<typeof device>>; key: RegisteredKey }> {
    const phone = await device(gw.issuer, subject);
    return { phone, key: await registerKey(gw, ca, phone) };
  }

  describe('registration', () => {
    it('answers 201 with the platform and how long it holds', async () => {
      const phone = await device(gw.issuer, 'reg-ok');
      const { body } = await registrationBody(gw, ca, phone);
      const response = await send(gw, phone, 'POST', '/attest/v1/apple-app-attest', body);
      expect(response.status).toBe(201);
      expect(((await response.json()) as { platform: string }).platform).toBe('apple-app-attest');
    });

    it('a key attested to a swapped bundle id is refused attest.app_mismatch', async () => {
      const phone = await device(gw.issuer, 'swapped');
      const { body } = await registrationBody(gw, ca, phone, {
        mint: { rpBundleId: 'com.attacker.repackaged' },
      });
      const response = await send(gw, phone, 'POST', '/attest/v1/apple-app-attest', body);
      expect(await outcome(response)).toBe('403 attest.app_mismatch');
    });

    it('a bundle id the gateway does not accept is refused attest.app_mismatch', async () => {
      const phone = await device(gw.issuer, 'other-bundle');
      const { body } = await registrationBody(gw, ca, phone, { bundleId: 'com.other.app' });
      const response = await send(gw, phone, 'POST', '/attest/v1/apple-app-attest', body);
      expect(await outcome(response)).toBe('403 attest.app_mismatch');
    });

    it('a chain to another root is refused attest.chain_untrusted', async () => {
      const phone = await device(gw.issuer, 'foreign-root');
      const { body } = await registrationBody(gw, ca, phone, { mint: { foreignRoot: true } });
      const response = await send(gw, phone, 'POST', '/attest/v1/apple-app-attest', body);
      expect(await outcome(response)).toBe('403 attest.chain_untrusted');
    });

    it('an expired credential certificate is refused attest.certificate_expired', async () => {
      const phone = await device(gw.issuer, 'expired-leaf');
      const { body } = await registrationBody(gw, ca, phone, {
        mint: {
          leafValidity: {
            notBefore: new Date(gw.clock.now - 10 * DAY),
            notAfter: new Date(gw.clock.now - DAY),
          },
        },
      });
      const response = await send(gw, phone, 'POST', '/attest/v1/apple-app-attest', body);
      expect(await outcome(response)).toBe('403 attest.certificate_expired');
    });

    it("client data naming another device's key is refused attest.challenge_mismatch", async () => {
      const phone = await device(gw.issuer, 'jkt');
      const elsewhere = await device(gw.issuer, 'jkt');
      const { body } = await registrationBody(gw, ca, phone, { jkt: elsewhere.jkt });
      const response = await send(gw, phone, 'POST', '/attest/v1/apple-app-attest', body);
      expect(await outcome(response)).toBe('403 attest.challenge_mismatch');
    });

    it('an attestation over other client data than sent is refused attest.challenge_mismatch', async () => {
      const phone = await device(gw.issuer, 'nonce');
      const { body } = await registrationBody(gw, ca, phone, {
        mint: { nonceClientData: Buffer.from('{"challenge":"other","jkt":"other"}') },
      });
      const response = await send(gw, phone, 'POST', '/attest/v1/apple-app-attest', body);
      expect(await outcome(response)).toBe('403 attest.challenge_mismatch');
    });

    it('an attestation object replayed with a fresh challenge is refused attest.challenge_mismatch', async () => {
      const phone = await device(gw.issuer, 'reuse');
      const first = await registrationBody(gw, ca, phone);
      expect(
        (await send(gw, phone, 'POST', '/attest/v1/apple-app-attest', first.body)).status,
      ).toBe(201);
      const again = await registrationBody(gw, ca, phone);
      const replay = { ...first.body, clientData: again.body['clientData'] ?? '' };
      const response = await send(gw, phone, 'POST', '/attest/v1/apple-app-attest', replay);
      expect(await outcome(response)).toBe('403 attest.challenge_mismatch');
    });
  });

  describe('per-request assertions under required', () => {
    it('a valid assertion over this request is served, and the counter moves on', async () => {
      const { phone, key } = await registered('valid');
      expect(await outcome(await sendAsserted(gw, ca, phone, key, chat(1)))).toBe('200');
      expect(await outcome(await sendAsserted(gw, ca, phone, key, chat(2)))).toBe('200');
      expect(await outcome(await sendAsserted(gw, ca, phone, key, chat(10)))).toBe('200');
    });

    it('a registered key without an assertion on the request is refused attest.required', async () => {
      const { phone } = await registered('no-assertion');
      expect(await outcome(await sendAsserted(gw, ca, phone, undefined, chat(1)))).toBe(
        '403 attest.required',
      );
    });

    it('an assertion with a counter already used is refused attest.counter_replay', async () => {
      const { phone, key } = await registered('counter');
      expect(await outcome(await sendAsserted(gw, ca, phone, key, chat(5)))).toBe('200');
      expect(await outcome(await sendAsserted(gw, ca, phone, key, chat(5)))).toBe(
        '403 attest.counter_replay',
      );
      expect(await outcome(await sendAsserted(gw, ca, phone, key, chat(4)))).toBe(
        '403 attest.counter_replay',
      );
    });

    it('a request sent again byte for byte is refused before reaching the provider', async () => {
      const { phone, key } = await registered('byte-replay');
      const auth = await phone.headers('POST', CHAT);
      const request = chat(1);
      const headers = {
        ...auth,
        'content-type': 'application/json',
        'rampart-app-attest': assertionHeader(ca, key, request, auth.dpop ?? ''),
      };
      const sendIt = () =>
        fetch(`${gw.url}${CHAT}`, { method: 'POST', headers, body: request.body });
      expect(await outcome(await sendIt())).toBe('200');
      const before = gw.mock.requests.length;
      expect((await sendIt()).status).toBeGreaterThanOrEqual(400);
      expect(gw.mock.requests.length).toBe(before);
    });

    it('an assertion over another body is refused attest.challenge_mismatch', async () => {
      const { phone, key } = await registered('body');
      const signed = { body: JSON.stringify(chatBody('premium')) };
      expect(await outcome(await sendAsserted(gw, ca, phone, key, chat(1, { signed })))).toBe(
        '403 attest.challenge_mismatch',
      );
    });

    it('an assertion over another URL is refused attest.challenge_mismatch', async () => {
      const { phone, key } = await registered('url');
      const signed = { path: '/v1/embeddings' };
      expect(await outcome(await sendAsserted(gw, ca, phone, key, chat(1, { signed })))).toBe(
        '403 attest.challenge_mismatch',
      );
    });

    it("an assertion over another request's DPoP proof is refused attest.challenge_mismatch", async () => {
      const { phone, key } = await registered('proof');
      const earlier = (await phone.headers('POST', CHAT)).dpop ?? '';
      expect(
        await outcome(
          await sendAsserted(gw, ca, phone, key, chat(1, { signed: { dpop: earlier } })),
        ),
      ).toBe('403 attest.challenge_mismatch');
    });

    it('a key registered by another user is refused attest.key_unknown', async () => {
      const { key } = await registered('owner');
      const mallory = await device(gw.issuer, 'mallory');
      expect(await outcome(await sendAsserted(gw, ca, mallory, key, chat(1)))).toBe(
        '403 attest.key_unknown',
      );
    });

    it('a key registered by another device of the same user is refused attest.key_unknown', async () => {
      const { key } = await registered('two-phones');
      const second = await device(gw.issuer, 'two-phones');
      expect(await outcome(await sendAsserted(gw, ca, second, key, chat(1)))).toBe(
        '403 attest.key_unknown',
      );
    });

    it('a key id never registered is refused attest.key_unknown', async () => {
      const phone = await device(gw.issuer, 'unregistered');
      const { key } = await registrationBody(gw, ca, phone);
      expect(await outcome(await sendAsserted(gw, ca, phone, key, chat(1)))).toBe(
        '403 attest.key_unknown',
      );
    });

    it('a refused assertion never reaches the provider', async () => {
      const { phone, key } = await registered('no-upstream');
      const before = gw.mock.requests.length;
      await outcome(await sendAsserted(gw, ca, phone, key, chat(1, { signed: { path: '/v1/x' } })));
      expect(gw.mock.requests.length).toBe(before);
    });

    it('GET /v1/models under required needs an assertion over the empty body', async () => {
      const { phone, key } = await registered('models');
      const models = { method: 'GET' as const, path: '/v1/models', counter: 1 };
      expect(await outcome(await sendAsserted(gw, ca, phone, undefined, models))).toBe(
        '403 attest.required',
      );
      expect(await outcome(await sendAsserted(gw, ca, phone, key, models))).toBe('200');
    });

    it('an assertion from a bearer-token caller is refused attest.device_key_required', async () => {
      const { phone, key } = await registered('bearer');
      const auth = await phone.headers('POST', CHAT);
      const request = chat(1);
      const response = await fetch(`${gw.url}${CHAT}`, {
        method: 'POST',
        headers: {
          authorization: await phone.bearer(),
          'content-type': 'application/json',
          'rampart-app-attest': assertionHeader(ca, key, request, auth.dpop ?? ''),
        },
        body: request.body,
      });
      expect(await outcome(response)).toBe('403 attest.device_key_required');
    });
  });
});
