import { createSoftwareAuthenticator } from '@rampart/testkit';
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { createAccountService, relyingPartyFor } from '../../src/identity/accounts/index.js';
import { describeEachEngine } from '../store/engines.js';
import { accountsHarness, ORIGIN, PASSWORD, type AccountsHarness } from './accounts-fixture.js';

const from = { ip: '203.0.113.7' };

/** An account with one registered passkey on a software authenticator. */
async function withPasskey(h: AccountsHarness, username = 'pat') {
  const account = await h.admin.createAccount({ username, password: PASSWORD, roles: [] });
  const authenticator = createSoftwareAuthenticator({ origin: ORIGIN });
  const options = await h.service.passkeyRegistrationOptions(account.id);
  const response = authenticator.register(options);
  expect(
    await h.service.verifyPasskeyRegistration(account.id, response, options['challenge'] as string),
  ).toBe(true);
  return { account, authenticator };
}

async function login(
  h: AccountsHarness,
  authenticator: ReturnType<typeof createSoftwareAuthenticator>,
  overrides: Parameters<(typeof authenticator)['authenticate']>[1] = {},
) {
  const options = await h.service.passkeyAuthenticationOptions();
  const response = authenticator.authenticate(options, overrides);
  return h.service.verifyPasskeyAuthentication(response, options['challenge'] as string, from);
}

describeEachEngine('passkeys', (fx) => {
  it('offer registration with UV and a resident key required, pinned algorithms, existing keys excluded', async () => {
    const h = await accountsHarness(fx);
    const { account, authenticator } = await withPasskey(h);
    const options = await h.service.passkeyRegistrationOptions(account.id);
    expect(options).toMatchObject({
      rp: { id: 'localhost', name: 'Rampart' },
      user: { name: 'pat' },
      attestation: 'none',
      authenticatorSelection: { residentKey: 'required', userVerification: 'required' },
      excludeCredentials: [{ id: authenticator.credentials[0]?.id, type: 'public-key' }],
    });
    const algs = (options['pubKeyCredParams'] as Array<{ alg: number }>).map((p) => p.alg);
    expect(algs.sort()).toEqual([-257, -8, -7].sort());
    // The user handle is the random account id, never the username.
    const handle = (options['user'] as { id: string }).id;
    expect(Buffer.from(handle, 'base64url').toString('utf8')).toBe(account.id);
  });

  it('store id, public key, counter, transports and backup flags; a login returns hwk+user', async () => {
    const h = await accountsHarness(fx);
    const { account, authenticator } = await withPasskey(h);
    const row = await h.store.db
      .selectFrom('passkey_credentials')
      .selectAll()
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({
      id: authenticator.credentials[0]?.id,
      account_id: account.id,
      counter: 0,
      transports: '["internal"]',
      device_type: 'singleDevice',
    });
    expect(row.public_key.length).toBeGreaterThan(80);
    const options = await h.service.passkeyAuthenticationOptions();
    expect(options).toMatchObject({ rpId: 'localhost', userVerification: 'required' });
    expect(options['allowCredentials'] ?? []).toEqual([]);
    const outcome = await login(h, authenticator);
    expect(outcome).toMatchObject({
      status: 'valid',
      amr: ['hwk', 'user'],
      account: { id: account.id, passkeys: 1 },
    });
    const after = await h.store.db
      .selectFrom('passkey_credentials')
      .select(['counter', 'last_used_at'])
      .executeTakeFirstOrThrow();
    expect(after).toEqual({ counter: 1, last_used_at: h.clock.now });
  });

  it('a passkey account is never let in by its password', async () => {
    const h = await accountsHarness(fx);
    await withPasskey(h, 'strong');
    h.hasher.verified.length = 0;
    expect(await h.service.verifyPassword('strong', PASSWORD, from)).toEqual({ status: 'invalid' });
    expect(h.hasher.verified).toHaveLength(1);
  });

  it('refuse a registration from another origin, another RP id, without UV, or a replayed challenge', async () => {
    const h = await accountsHarness(fx);
    const account = await h.admin.createAccount({ username: 'reg', password: PASSWORD, roles: [] });
    const authenticator = createSoftwareAuthenticator({ origin: ORIGIN });
    for (const overrides of [
      { origin: 'https://evil.example' },
      { rpId: 'evil.example' },
      { userVerified: false },
      { challenge: 'c3RhbGUtY2hhbGxlbmdl' },
    ]) {
      const options = await h.service.passkeyRegistrationOptions(account.id);
      const response = authenticator.register(options, overrides);
      expect(
        await h.service.verifyPasskeyRegistration(
          account.id,
          response,
          options['challenge'] as string,
        ),
      ).toBe(false);
    }
    expect(await h.service.findAccount(account.id)).toMatchObject({ passkeys: 0 });
  });

  it('refuse assertions from a wrong origin or RP id, without UV, with a bad signature or challenge', async () => {
    const h = await accountsHarness(fx);
    const { authenticator } = await withPasskey(h);
    for (const overrides of [
      { origin: 'https://evil.example' },
      { origin: 'http://127.0.0.1:8787' },
      { rpId: 'evil.example' },
      { userVerified: false },
      { tamperSignature: true },
      { challenge: 'b3RoZXItY2hhbGxlbmdl' },
    ]) {
      expect(await login(h, authenticator, overrides)).toEqual({ status: 'invalid' });
    }
    expect((await login(h, authenticator)).status).toBe('valid');
  });

  it('refuse a replayed or stale counter as a cloned authenticator', async () => {
    const h = await accountsHarness(fx);
    const { authenticator } = await withPasskey(h);
    expect((await login(h, authenticator, { counter: 5 })).status).toBe('valid');
    expect(await login(h, authenticator, { counter: 5 })).toEqual({ status: 'invalid' });
    expect(await login(h, authenticator, { counter: 3 })).toEqual({ status: 'invalid' });
    expect((await login(h, authenticator, { counter: 6 })).status).toBe('valid');
    // The same signed response twice: the second is a replay.
    const options = await h.service.passkeyAuthenticationOptions();
    const response = authenticator.authenticate(options);
    const challenge = options['challenge'] as string;
    expect((await h.service.verifyPasskeyAuthentication(response, challenge, from)).status).toBe(
      'valid',
    );
    expect(await h.service.verifyPasskeyAuthentication(response, challenge, from)).toEqual({
      status: 'invalid',
    });
  });

  it("refuse a credential presented as another account's, and one already registered elsewhere", async () => {
    const h = await accountsHarness(fx);
    const alice = await withPasskey(h, 'alice');
    const bob = await withPasskey(h, 'bob');
    const aliceHandle = alice.authenticator.credentials[0]?.userHandle as string;
    // Bob's credential claiming to be Alice's user handle.
    expect(await login(h, bob.authenticator, { userHandle: aliceHandle })).toEqual({
      status: 'invalid',
    });
    // Alice's authenticator re-registering her credential id for Bob: the id is taken.
    const options = await h.service.passkeyRegistrationOptions(bob.account.id);
    const clash = alice.authenticator.register(options, {
      credentialId: alice.authenticator.credentials[0]?.id as string,
    });
    expect(
      await h.service.verifyPasskeyRegistration(
        bob.account.id,
        clash,
        options['challenge'] as string,
      ),
    ).toBe(false);
    const owner = await h.store.db
      .selectFrom('passkey_credentials')
      .select('account_id')
      .where('id', '=', alice.authenticator.credentials[0]?.id as string)
      .executeTakeFirstOrThrow();
    expect(owner.account_id).toBe(alice.account.id);
    expect((await login(h, bob.authenticator)).status).toBe('valid');
  });

  it('refuse every single-byte mutation of a valid assertion (property)', async () => {
    const h = await accountsHarness(fx);
    const { authenticator } = await withPasskey(h);
    const options = await h.service.passkeyAuthenticationOptions();
    const challenge = options['challenge'] as string;
    const valid = authenticator.authenticate(options);
    const parts = ['clientDataJSON', 'authenticatorData', 'signature'] as const;
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...parts),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        async (part, index, mask) => {
          const inner = { ...(valid['response'] as Record<string, string>) };
          const bytes = Buffer.from(inner[part] as string, 'base64url');
          const at = index % bytes.length;
          bytes[at] = (bytes[at] ?? 0) ^ mask;
          inner[part] = bytes.toString('base64url');
          const outcome = await h.service.verifyPasskeyAuthentication(
            { ...valid, response: inner },
            challenge,
            from,
          );
          expect(outcome.status).not.toBe('valid');
        },
      ),
      { numRuns: 60 },
    );
  });

  it('an IP public URL fails only the passkey ceremonies, not passwords', async () => {
    const h = await accountsHarness(fx);
    await h.admin.createAccount({ username: 'lan', password: PASSWORD, roles: [] });
    const service = createAccountService({
      db: h.store.db,
      keyring: h.keyring,
      config: h.config,
      publicUrl: 'http://10.0.0.5:8787',
    });
    expect((await service.verifyPassword('lan', PASSWORD, from)).status).toBe('valid');
    await expect(service.passkeyAuthenticationOptions()).rejects.toThrow(/server.publicUrl/);
  });

  it('refuse a disabled account and malformed responses', async () => {
    const h = await accountsHarness(fx);
    const { authenticator } = await withPasskey(h, 'off');
    const options = await h.service.passkeyAuthenticationOptions();
    const challenge = options['challenge'] as string;
    for (const junk of [
      {},
      { id: 42 },
      { id: 'x', response: null },
      { id: 'x'.repeat(5000), response: {} },
    ]) {
      expect(await h.service.verifyPasskeyAuthentication(junk, challenge, from)).toEqual({
        status: 'invalid',
      });
    }
    await h.admin.setDisabled('off', true);
    expect(await login(h, authenticator)).toEqual({ status: 'invalid' });
  });
});

it('derives the RP id and origin from server.publicUrl, loopback IPs as localhost', () => {
  expect(relyingPartyFor('https://auth.example.com/base')).toEqual({
    id: 'auth.example.com',
    origin: 'https://auth.example.com',
  });
  expect(relyingPartyFor('http://127.0.0.1:8787')).toEqual({
    id: 'localhost',
    origin: 'http://localhost:8787',
  });
  expect(relyingPartyFor('http://[::1]:9000')).toEqual({
    id: 'localhost',
    origin: 'http://localhost:9000',
  });
  expect(() => relyingPartyFor('https://203.0.113.5')).toThrow(
    /server.publicUrl names an IP address/,
  );
});
