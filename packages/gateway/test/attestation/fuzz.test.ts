import {
  createMockAppAttestCa,
  createMockKeyAttestationCa,
  createPlayIntegrityKeys,
  startMockAppCheck,
  type MockAppAttestCa,
  type MockAppCheck,
  type MockKeyAttestationCa,
  type PlayIntegrityTestKeys,
  DEFAULT_PACKAGE,
  DEFAULT_SIGNING_DIGEST,
} from '@rampart/testkit';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  fixedStatusList,
  trustAnchorsFrom,
} from '../../src/attestation/android-key-attestation/index.js';
import { GATEWAY_ERRORS } from '../../src/errors.js';
import {
  appleSection,
  assertionHeader,
  registerKey,
  registrationBody,
  rootsOf,
  type RegisteredKey,
} from './app-attest.js';
import {
  challengeFor,
  chatBody,
  device,
  deviceWithKey,
  FROZEN_NOW,
  startAttestedGateway,
  type AttestedGateway,
  type Device,
} from './gateway.js';
import { playIntegrityEnv, playIntegritySection, playIntegrityToken } from './play.js';

/**
 * Property tests at the HTTP level, every platform configured and chat `required`: mutated
 * registration bodies and mutated evidence headers never produce a 5xx other than 503
 * `attest.unavailable`, always a problem with a catalogued code, and never an attestation —
 * no 201 registration, no request served.
 */
const CHAT = '/v1/chat/completions';
const YEAR = 365 * 86_400_000;
const NOW_S = Math.floor(FROZEN_NOW / 1000);
const RUNS = 60;

type Platform = 'apple-app-attest' | 'play-integrity' | 'android-key-attestation';

/** One change that makes a valid registration body invalid. */
type BodyMutation =
  | { kind: 'replace'; field: number; value: fc.JsonValue }
  | { kind: 'drop'; field: number }
  | { kind: 'truncate'; field: number; keep: number }
  | { kind: 'append'; field: number; bytes: Uint8Array }
  | { kind: 'flip'; field: number; at: number; mask: number }
  | { kind: 'json'; value: fc.JsonValue }
  | { kind: 'raw'; bytes: Uint8Array };

const bodyMutation: fc.Arbitrary<BodyMutation> = fc.oneof(
  fc.record({ kind: fc.constant('replace' as const), field: fc.nat(), value: fc.jsonValue() }),
  fc.record({ kind: fc.constant('drop' as const), field: fc.nat() }),
  fc.record({
    kind: fc.constant('truncate' as const),
    field: fc.nat(),
    keep: fc.double({ min: 0, max: 0.99, noNaN: true }),
  }),
  fc.record({
    kind: fc.constant('append' as const),
    field: fc.nat(),
    bytes: fc.uint8Array({ minLength: 1, maxLength: 64 }),
  }),
  fc.record({
    kind: fc.constant('flip' as const),
    field: fc.nat(),
    at: fc.nat(),
    mask: fc.integer({ min: 1, max: 255 }),
  }),
  fc.record({ kind: fc.constant('json' as const), value: fc.jsonValue() }),
  fc.record({ kind: fc.constant('raw' as const), bytes: fc.uint8Array({ maxLength: 2048 }) }),
);

/**
 * The binary fields of each platform's body whose every byte is checked (App Attest's
 * attestation object holds a receipt the gateway stores unread, so it is only truncated or
 * extended, never flipped), and how their text is encoded.
 */
const FLIPPABLE: Record<Platform, readonly string[]> = {
  'apple-app-attest': ['keyId', 'clientData'],
  'play-integrity': [],
  'android-key-attestation': ['chain'],
};

const decode = (text: string) => Buffer.from(text, 'base64');

/** Applies `mutation` to a JSON body; undefined when it would not change anything. */
function mutate(
  platform: Platform,
  body: Record<string, unknown>,
  mutation: BodyMutation,
): { text: string } | { bytes: Uint8Array } | undefined {
  if (mutation.kind === 'json') {
    return JSON.stringify(mutation.value) === JSON.stringify(body)
      ? undefined
      : { text: JSON.stringify(mutation.value) };
  }
  if (mutation.kind === 'raw') return { bytes: mutation.bytes };
  const fields = Object.keys(body);
  const field = fields[mutation.field % fields.length] ?? '';
  const copy: Record<string, unknown> = { ...body };
  const original = body[field];
  // A chain is mutated in its first certificate (the leaf: all of it is signed).
  const isChain = Array.isArray(original);
  const value = isChain ? (original as string[])[0] : original;
  if (typeof value !== 'string') return undefined;
  const set = (next: string) => {
    copy[field] = isChain ? [next, ...(original as string[]).slice(1)] : next;
  };
  const binary = field !== 'challenge' && field !== 'bundleId';
  switch (mutation.kind) {
    case 'replace':
      if (JSON.stringify(mutation.value) === JSON.stringify(original)) return undefined;
      copy[field] = mutation.value;
      break;
    case 'drop':
      delete copy[field];
      break;
    case 'truncate': {
      if (binary && field !== 'token') {
        const bytes = decode(value);
        set(bytes.subarray(0, Math.floor(bytes.length * mutation.keep)).toString('base64'));
      } else {
        set(value.slice(0, Math.floor(value.length * mutation.keep)));
      }
      break;
    }
    case 'append': {
      if (binary && field !== 'token') {
        set(Buffer.concat([decode(value), mutation.bytes]).toString('base64'));
      } else {
        set(value + Buffer.from(mutation.bytes).toString('base64url'));
      }
      break;
    }
    case 'flip': {
      if (!FLIPPABLE[platform].includes(field)) return undefined;
      const bytes = Buffer.from(decode(value));
      if (bytes.length === 0) return undefined;
      const at = mutation.at % bytes.length;
      bytes[at] = (bytes[at] ?? 0) ^ mutation.mask;
      set(bytes.toString('base64'));
      break;
    }
  }
  return { text: JSON.stringify(copy) };
}

/** Evidence headers are mutated in their decoded segments, so every change changes bytes. */
type HeaderMutation =
  | { kind: 'flip'; segment: number; at: number; mask: number }
  | { kind: 'truncate'; segment: number; keep: number }
  | { kind: 'append'; segment: number; bytes: Uint8Array }
  | { kind: 'segments'; count: number }
  | { kind: 'text'; value: string };

const headerMutation: fc.Arbitrary<HeaderMutation> = fc.oneof(
  fc.record({
    kind: fc.constant('flip' as const),
    segment: fc.nat(),
    at: fc.nat(),
    mask: fc.integer({ min: 1, max: 255 }),
  }),
  fc.record({
    kind: fc.constant('truncate' as const),
    segment: fc.nat(),
    keep: fc.double({ min: 0, max: 0.99, noNaN: true }),
  }),
  fc.record({
    kind: fc.constant('append' as const),
    segment: fc.nat(),
    bytes: fc.uint8Array({ minLength: 1, maxLength: 32 }),
  }),
  fc.record({ kind: fc.constant('segments' as const), count: fc.integer({ min: 0, max: 6 }) }),
  fc.record({
    kind: fc.constant('text' as const),
    value: fc.stringMatching(/^[A-Za-z0-9_.=+/-]{0,300}$/),
  }),
);

function mutateHeader(value: string, mutation: HeaderMutation): string | undefined {
  const segments = value.split('.');
  if (mutation.kind === 'text') return mutation.value === value ? undefined : mutation.value;
  if (mutation.kind === 'segments') {
    if (mutation.count === segments.length) return undefined;
    const out = Array.from({ length: mutation.count }, (_, i) => segments[i % segments.length]);
    return out.join('.');
  }
  const index = mutation.segment % segments.length;
  const bytes = Buffer.from(Buffer.from(segments[index] ?? '', 'base64url'));
  let next: Buffer;
  if (mutation.kind === 'flip') {
    if (bytes.length === 0) return undefined;
    const at = mutation.at % bytes.length;
    bytes[at] = (bytes[at] ?? 0) ^ mutation.mask;
    next = bytes;
  } else if (mutation.kind === 'truncate') {
    next = bytes.subarray(0, Math.floor(bytes.length * mutation.keep));
  } else {
    next = Buffer.concat([bytes, mutation.bytes]);
  }
  segments[index] = next.toString('base64url');
  return segments.join('.');
}

const CODES = new Set(Object.keys(GATEWAY_ERRORS));

/** The property on one response: never attested, never a 5xx but 503 attest.unavailable. */
async function expectRefused(response: Response, attested: number): Promise<void> {
  const text = await response.text();
  expect(response.status, text).not.toBe(attested);
  expect(response.status, text).toBeGreaterThanOrEqual(400);
  expect(response.headers.get('content-type')).toContain('application/problem+json');
  const code = (JSON.parse(text) as { code: string }).code;
  expect(CODES.has(code), code).toBe(true);
  if (response.status >= 500) {
    expect(`${response.status} ${code}`).toBe('503 attest.unavailable');
  }
}

describe('attestation under mutated input (property)', () => {
  let apple: MockAppAttestCa;
  let android: MockKeyAttestationCa;
  let play: PlayIntegrityTestKeys;
  let firebase: MockAppCheck;
  let gw: AttestedGateway;

  beforeAll(async () => {
    apple = await createMockAppAttestCa();
    android = await createMockKeyAttestationCa({
      validity: { notBefore: new Date(FROZEN_NOW - YEAR), notAfter: new Date(FROZEN_NOW + YEAR) },
    });
    play = await createPlayIntegrityKeys();
    firebase = await startMockAppCheck();
    gw = await startAttestedGateway({
      attestation: {
        policy: { endpoints: { chat: 'required' } },
        appleAppAttest: appleSection(),
        playIntegrity: playIntegritySection(),
        androidKeyAttestation: {
          packageNames: [DEFAULT_PACKAGE.name],
          signingCertDigests: [Buffer.from(DEFAULT_SIGNING_DIGEST).toString('hex')],
        },
        firebaseAppCheck: {
          projectNumber: firebase.projectNumber,
          appIds: [firebase.appId],
          jwksUri: firebase.jwksUri,
        },
      },
      env: playIntegrityEnv(play),
      start: {
        roots: {
          appleAppAttest: rootsOf(apple),
          androidKeyAttestation: trustAnchorsFrom([android.rootDer]),
        },
        statusList: fixedStatusList({ entries: new Map() }),
      },
    });
  });
  afterAll(async () => {
    await gw.close();
    await firebase.close();
  });

  /** A registration body Google or Apple would have the app send, and who sends it. */
  async function validRegistration(
    platform: Platform,
  ): Promise<{ from: Device; body: Record<string, unknown> }> {
    const phone = await device(gw.issuer, `fuzz-${platform}`);
    if (platform === 'apple-app-attest') {
      return { from: phone, body: (await registrationBody(gw, apple, phone)).body };
    }
    const challenge = await challengeFor(gw, phone);
    if (platform === 'play-integrity') {
      return {
        from: phone,
        body: { challenge, token: await playIntegrityToken(play, challenge, gw.clock.now) },
      };
    }
    const minted = await android.mint({
      challenge: new TextEncoder().encode(challenge),
      omitRoot: true,
    });
    return {
      from: await deviceWithKey(gw.issuer, minted.leafKeys, `fuzz-${platform}`),
      body: { challenge, chain: minted.chain.map((der) => Buffer.from(der).toString('base64')) },
    };
  }

  async function post(
    from: Device,
    platform: Platform,
    payload: { text: string } | { bytes: Uint8Array },
  ) {
    const path = `/attest/v1/${platform}`;
    return fetch(`${gw.url}${path}`, {
      method: 'POST',
      headers: { ...(await from.headers('POST', path)), 'content-type': 'application/json' },
      body: 'text' in payload ? payload.text : payload.bytes,
    });
  }

  it('the unmutated registrations of every platform are accepted (the generators are valid)', async () => {
    for (const platform of [
      'apple-app-attest',
      'play-integrity',
      'android-key-attestation',
    ] as const) {
      const { from, body } = await validRegistration(platform);
      const response = await post(from, platform, { text: JSON.stringify(body) });
      expect(response.status, await response.text()).toBe(201);
    }
  });

  it('a mutated registration body is never accepted and never a 5xx but 503', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom<Platform>('apple-app-attest', 'play-integrity', 'android-key-attestation'),
        bodyMutation,
        async (platform, mutation) => {
          const { from, body } = await validRegistration(platform);
          const payload = mutate(platform, body, mutation);
          fc.pre(payload !== undefined);
          if (payload === undefined) return;
          await expectRefused(await post(from, platform, payload), 201);
        },
      ),
      { numRuns: RUNS },
    );
  });

  describe('per-request evidence', () => {
    let phone: Device;
    let key: RegisteredKey;
    let counter = 0;

    beforeAll(async () => {
      phone = await device(gw.issuer, 'fuzz-evidence');
      key = await registerKey(gw, apple, phone);
    });

    async function chat(header: string, value: string) {
      const body = JSON.stringify(chatBody());
      const auth = await phone.headers('POST', CHAT);
      return {
        auth,
        body,
        send: (evidence: string) =>
          fetch(`${gw.url}${CHAT}`, {
            method: 'POST',
            headers: { ...auth, 'content-type': 'application/json', [header]: evidence },
            body,
          }),
        value,
      };
    }

    it('an unmutated assertion and App Check token are served (the generators are valid)', async () => {
      const request = {
        method: 'POST' as const,
        path: CHAT,
        body: JSON.stringify(chatBody()),
        counter: ++counter,
      };
      const auth = await phone.headers('POST', CHAT);
      const served = await fetch(`${gw.url}${CHAT}`, {
        method: 'POST',
        headers: {
          ...auth,
          'content-type': 'application/json',
          'rampart-app-attest': assertionHeader(apple, key, request, auth.dpop ?? ''),
        },
        body: request.body,
      });
      expect(served.status, await served.text()).toBe(200);
      const token = await firebase.token({}, { now: NOW_S });
      const viaAppCheck = await chat('x-firebase-appcheck', token);
      const response = await viaAppCheck.send(token);
      expect(response.status, await response.text()).toBe(200);
    });

    it('a mutated App Attest assertion header never gets a request served', async () => {
      await fc.assert(
        fc.asyncProperty(headerMutation, async (mutation) => {
          const body = JSON.stringify(chatBody());
          const auth = await phone.headers('POST', CHAT);
          const request = { method: 'POST' as const, path: CHAT, body, counter: ++counter };
          const mutated = mutateHeader(
            assertionHeader(apple, key, request, auth.dpop ?? ''),
            mutation,
          );
          fc.pre(mutated !== undefined);
          if (mutated === undefined) return;
          const before = gw.mock.requests.length;
          const response = await fetch(`${gw.url}${CHAT}`, {
            method: 'POST',
            headers: { ...auth, 'content-type': 'application/json', 'rampart-app-attest': mutated },
            body,
          });
          await expectRefused(response, 200);
          expect(gw.mock.requests.length).toBe(before);
        }),
        { numRuns: RUNS },
      );
    });

    it('a mutated App Check token never gets a request served', async () => {
      await fc.assert(
        fc.asyncProperty(headerMutation, async (mutation) => {
          const token = await firebase.token({}, { now: NOW_S });
          const mutated = mutateHeader(token, mutation);
          fc.pre(mutated !== undefined);
          if (mutated === undefined) return;
          const request = await chat('x-firebase-appcheck', mutated);
          await expectRefused(await request.send(mutated), 200);
        }),
        { numRuns: RUNS },
      );
    });
  });
});
