import { startMockAppCheck, type MockAppCheck } from '@rampart/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  chatBody,
  device,
  FROZEN_NOW,
  outcome,
  send,
  startAttestedGateway,
  type AttestedGateway,
} from './gateway.js';

/**
 * Firebase App Check per request (`X-Firebase-AppCheck`), against the testkit's JWKS on
 * loopback: the token's app and project, replay protection, and what a JWKS outage does under
 * `required` (503, fail closed) and under `preferred` (served, integrity `unavailable`).
 */
const CHAT = '/v1/chat/completions';
const NOW_S = Math.floor(FROZEN_NOW / 1000);

function appCheckSection(firebase: MockAppCheck, replayProtection: boolean) {
  return {
    projectNumber: firebase.projectNumber,
    appIds: [firebase.appId],
    jwksUri: firebase.jwksUri,
    replayProtection,
  };
}

describe('Firebase App Check over HTTP', () => {
  let firebase: MockAppCheck;
  let gw: AttestedGateway;

  beforeAll(async () => {
    firebase = await startMockAppCheck();
    gw = await startAttestedGateway({
      attestation: {
        policy: { endpoints: { chat: 'required', models: 'required' } },
        firebaseAppCheck: appCheckSection(firebase, true),
      },
    });
  });
  afterAll(async () => {
    await gw.close();
    await firebase.close();
  });

  const withToken = (token: string) => ({ 'x-firebase-appcheck': token });

  it('a valid token is served under required', async () => {
    const phone = await device(gw.issuer, 'appcheck-ok');
    const token = await firebase.token({}, { now: NOW_S });
    expect(await outcome(await send(gw, phone, 'POST', CHAT, chatBody(), withToken(token)))).toBe(
      '200',
    );
  });

  it('GET /v1/models under required is served with a token and refused without', async () => {
    const phone = await device(gw.issuer, 'appcheck-models');
    const token = await firebase.token({}, { now: NOW_S });
    expect(await outcome(await send(gw, phone, 'GET', '/v1/models'))).toBe('403 attest.required');
    expect(
      await outcome(await send(gw, phone, 'GET', '/v1/models', undefined, withToken(token))),
    ).toBe('200');
  });

  it('a token of another Firebase app is refused attest.app_mismatch', async () => {
    const phone = await device(gw.issuer, 'appcheck-other-app');
    const token = await firebase.token(
      { sub: `1:${firebase.projectNumber}:ios:ffffffffffffffff` },
      { now: NOW_S },
    );
    expect(await outcome(await send(gw, phone, 'POST', CHAT, chatBody(), withToken(token)))).toBe(
      '403 attest.app_mismatch',
    );
  });

  it('a token of another project is refused attest.app_mismatch', async () => {
    const phone = await device(gw.issuer, 'appcheck-other-project');
    const token = await firebase.token(
      { iss: 'https://firebaseappcheck.googleapis.com/999', aud: ['projects/999'] },
      { now: NOW_S },
    );
    expect(await outcome(await send(gw, phone, 'POST', CHAT, chatBody(), withToken(token)))).toBe(
      '403 attest.app_mismatch',
    );
  });

  it('a token used twice is refused attest.replayed with replayProtection', async () => {
    const phone = await device(gw.issuer, 'appcheck-replay');
    const token = await firebase.token({}, { now: NOW_S });
    expect(await outcome(await send(gw, phone, 'POST', CHAT, chatBody(), withToken(token)))).toBe(
      '200',
    );
    const before = gw.mock.requests.length;
    expect(await outcome(await send(gw, phone, 'POST', CHAT, chatBody(), withToken(token)))).toBe(
      '403 attest.replayed',
    );
    expect(gw.mock.requests.length).toBe(before);
  });

  it('an expired token is refused attest.stale', async () => {
    const phone = await device(gw.issuer, 'appcheck-expired');
    const token = await firebase.token({}, { now: NOW_S - 7200, expiresIn: 3600 });
    expect(await outcome(await send(gw, phone, 'POST', CHAT, chatBody(), withToken(token)))).toBe(
      '403 attest.stale',
    );
  });

  it('a token signed by a key Firebase does not serve is refused attest.signature_invalid', async () => {
    const phone = await device(gw.issuer, 'appcheck-unserved');
    const token = await firebase.token({}, { now: NOW_S, unservedKey: true });
    expect(await outcome(await send(gw, phone, 'POST', CHAT, chatBody(), withToken(token)))).toBe(
      '403 attest.signature_invalid',
    );
  });

  it('an HS256 token keyed with the public JWK is refused (algorithm confusion)', async () => {
    const phone = await device(gw.issuer, 'appcheck-hs256');
    const token = await firebase.token({}, { now: NOW_S, alg: 'HS256' });
    expect(await outcome(await send(gw, phone, 'POST', CHAT, chatBody(), withToken(token)))).toBe(
      '400 attest.malformed',
    );
  });

  it('a token from a bearer-token caller is refused attest.device_key_required', async () => {
    const phone = await device(gw.issuer, 'appcheck-bearer');
    const token = await firebase.token({}, { now: NOW_S });
    const response = await fetch(`${gw.url}${CHAT}`, {
      method: 'POST',
      headers: {
        authorization: await phone.bearer(),
        'content-type': 'application/json',
        ...withToken(token),
      },
      body: JSON.stringify(chatBody()),
    });
    expect(await outcome(response)).toBe('403 attest.device_key_required');
  });
});

describe('Firebase App Check while its key set cannot be fetched', () => {
  let firebase: MockAppCheck;
  let gw: AttestedGateway;

  beforeAll(async () => {
    firebase = await startMockAppCheck();
    firebase.down = true;
    gw = await startAttestedGateway({
      attestation: {
        // chat requires attestation, the `cheap` alias only prefers it.
        policy: { endpoints: { chat: 'required' }, aliases: { cheap: 'preferred' } },
        firebaseAppCheck: appCheckSection(firebase, false),
      },
    });
  });
  afterAll(async () => {
    await gw.close();
    await firebase.close();
  });

  it('is 503 attest.unavailable where attestation is required', async () => {
    const phone = await device(gw.issuer, 'jwks-down-required');
    const token = await firebase.token({}, { now: NOW_S });
    const response = await send(gw, phone, 'POST', CHAT, chatBody(), {
      'x-firebase-appcheck': token,
    });
    expect(await outcome(response)).toBe('503 attest.unavailable');
    expect(firebase.jwksRequests).toBeGreaterThan(0);
  });

  it('is served where attestation is only preferred', async () => {
    const phone = await device(gw.issuer, 'jwks-down-preferred');
    const token = await firebase.token({}, { now: NOW_S });
    const before = gw.mock.requests.length;
    const response = await send(gw, phone, 'POST', CHAT, chatBody('cheap'), {
      'x-firebase-appcheck': token,
    });
    expect(await outcome(response)).toBe('200');
    expect(gw.mock.requests.length).toBe(before + 1);
  });
});
