import { startMockAppCheck, type MockAppCheck } from '@rampart/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  chatBody,
  device,
  FROZEN_NOW,
  outcome,
  ROLE,
  send,
  startAttestedGateway,
  type AttestedGateway,
} from './gateway.js';

/**
 * `attestation.policy` end to end, with App Check tokens as the evidence: `off` looks at
 * nothing, `preferred` lets the unattested through but refuses bad evidence, an alias's mode
 * beats its endpoint's, and `onUnattested: downgrade` serves the fallback alias — which
 * authorize then judges like any alias.
 */
const CHAT = '/v1/chat/completions';
const NOW_S = Math.floor(FROZEN_NOW / 1000);
const GARBAGE = { 'x-firebase-appcheck': 'not.a.token' };

describe('attestation policy', () => {
  let firebase: MockAppCheck;
  let modes: AttestedGateway;
  let downgrade: AttestedGateway;
  let narrow: AttestedGateway;

  const appCheck = () => ({
    projectNumber: firebase.projectNumber,
    appIds: [firebase.appId],
    jwksUri: firebase.jwksUri,
  });
  const valid = async () => ({
    'x-firebase-appcheck': await firebase.token({}, { now: NOW_S }),
  });
  const lastModel = (gw: AttestedGateway) =>
    (gw.mock.requests.at(-1)?.body as { model?: string } | undefined)?.model;

  beforeAll(async () => {
    firebase = await startMockAppCheck();
    modes = await startAttestedGateway({
      attestation: {
        policy: {
          default: 'off',
          endpoints: { chat: 'preferred', embeddings: 'off', models: 'required' },
          aliases: { premium: 'required', cheap: 'off' },
        },
        firebaseAppCheck: appCheck(),
      },
    });
    const downgradePolicy = {
      policy: {
        endpoints: { chat: 'off' },
        aliases: { premium: 'required' },
        onUnattested: { action: 'downgrade', alias: 'cheap' },
      },
      firebaseAppCheck: appCheck(),
    };
    downgrade = await startAttestedGateway({ issuer: modes.issuer, attestation: downgradePolicy });
    // The role may use `premium` only: a downgraded request names an alias it may not use.
    narrow = await startAttestedGateway({
      issuer: modes.issuer,
      attestation: downgradePolicy,
      config: {
        authz: {
          roles: { [ROLE]: [{ endpoints: ['chat'], aliases: ['premium'], features: [] }] },
        },
      },
    });
  });
  afterAll(async () => {
    await narrow.close();
    await downgrade.close();
    await modes.close();
    await firebase.close();
  });

  describe('off', () => {
    it('verifies nothing: a garbage App Check header on an off endpoint is served', async () => {
      const phone = await device(modes.issuer, 'off-endpoint');
      const response = await send(
        modes,
        phone,
        'POST',
        '/v1/embeddings',
        { model: 'embed', input: 'hello' },
        GARBAGE,
      );
      expect(await outcome(response)).toBe('200');
    });

    it('an alias set to off beats its endpoint: garbage is served on the cheap alias', async () => {
      const phone = await device(modes.issuer, 'off-alias');
      expect(
        await outcome(await send(modes, phone, 'POST', CHAT, chatBody('cheap'), GARBAGE)),
      ).toBe('200');
    });
  });

  describe('preferred', () => {
    it('lets a request without evidence through', async () => {
      const phone = await device(modes.issuer, 'preferred-none');
      expect(await outcome(await send(modes, phone, 'POST', CHAT, chatBody('chat')))).toBe('200');
    });

    it('refuses evidence that is presented and invalid', async () => {
      const phone = await device(modes.issuer, 'preferred-garbage');
      expect(await outcome(await send(modes, phone, 'POST', CHAT, chatBody('chat'), GARBAGE))).toBe(
        '400 attest.malformed',
      );
      const foreign = await firebase.token({ sub: '1:1:ios:ffff' }, { now: NOW_S });
      expect(
        await outcome(
          await send(modes, phone, 'POST', CHAT, chatBody('chat'), {
            'x-firebase-appcheck': foreign,
          }),
        ),
      ).toBe('403 attest.app_mismatch');
    });

    it('serves valid evidence', async () => {
      const phone = await device(modes.issuer, 'preferred-valid');
      expect(
        await outcome(await send(modes, phone, 'POST', CHAT, chatBody('chat'), await valid())),
      ).toBe('200');
    });
  });

  describe('required', () => {
    it('an alias set to required beats its preferred endpoint', async () => {
      const phone = await device(modes.issuer, 'required-alias');
      expect(await outcome(await send(modes, phone, 'POST', CHAT, chatBody('premium')))).toBe(
        '403 attest.required',
      );
      expect(
        await outcome(await send(modes, phone, 'POST', CHAT, chatBody('premium'), await valid())),
      ).toBe('200');
      expect(lastModel(modes)).toBe('upstream-premium');
    });

    it('GET /v1/models under required is refused without evidence and served with it', async () => {
      const phone = await device(modes.issuer, 'required-models');
      expect(await outcome(await send(modes, phone, 'GET', '/v1/models'))).toBe(
        '403 attest.required',
      );
      expect(
        await outcome(await send(modes, phone, 'GET', '/v1/models', undefined, await valid())),
      ).toBe('200');
    });
  });

  describe('onUnattested: downgrade', () => {
    it('serves an unattested request for a required alias with the fallback alias', async () => {
      const phone = await device(downgrade.issuer, 'downgraded');
      const response = await send(downgrade, phone, 'POST', CHAT, chatBody('premium'));
      expect(await outcome(response)).toBe('200');
      expect(lastModel(downgrade)).toBe('upstream-cheap');
    });

    it('serves an attested request with the alias it named', async () => {
      const phone = await device(downgrade.issuer, 'not-downgraded');
      const response = await send(
        downgrade,
        phone,
        'POST',
        CHAT,
        chatBody('premium'),
        await valid(),
      );
      expect(await outcome(response)).toBe('200');
      expect(lastModel(downgrade)).toBe('upstream-premium');
    });

    it('refuses invalid evidence rather than downgrading it', async () => {
      const phone = await device(downgrade.issuer, 'bad-evidence');
      const before = downgrade.mock.requests.length;
      const response = await send(downgrade, phone, 'POST', CHAT, chatBody('premium'), GARBAGE);
      expect(await outcome(response)).toBe('400 attest.malformed');
      expect(downgrade.mock.requests.length).toBe(before);
    });

    it('authorize judges the fallback alias: a role without it is refused', async () => {
      const phone = await device(narrow.issuer, 'narrow');
      const before = narrow.mock.requests.length;
      expect(await outcome(await send(narrow, phone, 'POST', CHAT, chatBody('premium')))).toBe(
        '403 authz.alias_forbidden',
      );
      expect(narrow.mock.requests.length).toBe(before);
      expect(
        await outcome(await send(narrow, phone, 'POST', CHAT, chatBody('premium'), await valid())),
      ).toBe('200');
    });
  });
});
