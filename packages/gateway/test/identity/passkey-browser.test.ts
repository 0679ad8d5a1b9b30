import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startMockUpstream, type MockUpstream } from '@rampart/testkit';
import { decodeJwt } from 'jose';
import * as oauth from 'oauth4webapi';
import type { Browser, BrowserContext, CDPSession, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { deepMerge } from '../../src/config/env.js';
import { validateConfig } from '../../src/config/index.js';
import { createAccountAdmin } from '../../src/identity/accounts/index.js';
import { ACR } from '../../src/identity/provider/index.js';
import { createLogger } from '../../src/logging.js';
import { startGateway, type RunningGateway } from '../../src/server.js';
import { describeWithBrowser, launchChromium } from '../helpers/browser.js';
import { client, discover, insecure } from './flow.js';
import { CLIENT_ID, freePort } from './provider-gateway.js';

/**
 * The passkey journey in a real Chromium (issue #18): the login pages, @simplewebauthn/browser
 * and the REAL accounts service, with Chromium's virtual authenticator over CDP standing in for
 * the platform authenticator. WebAuthn needs a host name, so the gateway's public URL is
 * `http://localhost:PORT` (a secure context over plain HTTP).
 */

const USERNAME = 'pat';
const PASSWORD = 'correct horse battery staple';
/** A loopback redirect URI (RFC 8252 §7.3); nothing listens there: the browser is stopped. */
const CALLBACK = 'http://127.0.0.1/callback';
/** Per test: argon2 on a shared 2-core machine and a cold Chromium are slow. */
const TIMEOUT = 60_000;

interface Running {
  readonly gateway: RunningGateway;
  readonly mock: MockUpstream;
  readonly issuer: string;
  readonly accountId: string;
}

async function startWithRealAccounts(): Promise<Running> {
  const mock = await startMockUpstream({});
  const port = await freePort();
  const issuer = `http://localhost:${port}`;
  const config = validateConfig(
    deepMerge(
      {},
      {
        dataDir: mkdtempSync(join(tmpdir(), 'rampart-passkey-browser-')),
        server: { host: '127.0.0.1', port, publicUrl: issuer, shutdownGraceMs: 1000 },
        log: { level: 'silent' },
        providers: {
          mock: { type: 'openai-compatible', baseUrl: `${mock.url}/v1`, apiKeyEnv: 'MOCK_KEY' },
        },
        models: { chat: { provider: 'mock', model: 'upstream-chat' } },
        authz: { roles: { member: [{ endpoints: ['chat', 'models'], aliases: ['chat'] }] } },
        identity: { enabled: true, clients: [{ clientId: CLIENT_ID, redirectUris: [CALLBACK] }] },
      },
    ),
  );
  // No `accounts` option: the gateway builds the real AccountService on its own store.
  const gateway = await startGateway(config, {
    env: { MOCK_KEY: 'sk-test-passkey' },
    logger: createLogger(config.log.level),
    processMetrics: false,
  });
  const admin = createAccountAdmin({ db: gateway.store.db, config: config.accounts });
  const account = await admin.createAccount({
    username: USERNAME,
    password: PASSWORD,
    roles: ['member'],
  });
  return { gateway, mock, issuer, accountId: account.id };
}

/** What `WebAuthn.getCredentials` reports of a credential, and `addCredential` takes back. */
interface VirtualCredential {
  readonly credentialId: string;
  readonly isResidentCredential: boolean;
  readonly rpId?: string;
  /** PKCS#8, base64: the virtual authenticator exports it, so another page can hold the key. */
  readonly privateKey: string;
  readonly userHandle?: string;
  readonly signCount: number;
}

interface Authorization {
  readonly url: URL;
  readonly verifier: string;
  readonly state: string;
}

async function authorizationRequest(as: oauth.AuthorizationServer): Promise<Authorization> {
  const verifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  const url = new URL(as.authorization_endpoint as string);
  url.search = new URLSearchParams({
    client_id: CLIENT_ID,
    redirect_uri: CALLBACK,
    response_type: 'code',
    scope: 'openid api',
    code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
  }).toString();
  return { url, verifier, state };
}

/** A page whose every navigation to the app's redirect URI is answered here and recorded. */
async function pageWithCallback(context: BrowserContext) {
  const page = await context.newPage();
  const callbacks: URL[] = [];
  let arrived: (url: URL) => void = () => undefined;
  const callback = new Promise<URL>((resolve) => (arrived = resolve));
  await page.route(`${CALLBACK}**`, async (route) => {
    const url = new URL(route.request().url());
    callbacks.push(url);
    arrived(url);
    await route.fulfill({ status: 200, contentType: 'text/plain', body: 'back in the app' });
  });
  return { page, callbacks, callback };
}

/** Chromium's virtual authenticator (CDP WebAuthn domain): a UV-capable platform passkey. */
async function virtualAuthenticator(page: Page): Promise<{ cdp: CDPSession; id: string }> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
  return { cdp, id: authenticatorId };
}

describeWithBrowser('passkeys in a real browser (Chromium virtual authenticator)', () => {
  let running: Running;
  let browser: Browser;
  let as: oauth.AuthorizationServer;
  /** The passkey as the first authenticator holds it (with its private key), for later pages. */
  let credential: VirtualCredential;
  const contexts: BrowserContext[] = [];

  async function freshContext(): Promise<BrowserContext> {
    const context = await browser.newContext();
    contexts.push(context);
    return context;
  }

  /** The code exchange with DPoP (RFC 9449); returns the access token's claims. */
  async function tokenClaims(authorization: Authorization, callback: URL) {
    const params = oauth.validateAuthResponse(as, client, callback, authorization.state);
    const DPoP = oauth.DPoP(client, await oauth.generateKeyPair('ES256'));
    const response = await oauth.authorizationCodeGrantRequest(
      as,
      client,
      oauth.None(),
      params,
      CALLBACK,
      authorization.verifier,
      { ...insecure, DPoP },
    );
    const tokens = await oauth.processAuthorizationCodeResponse(as, client, response);
    return decodeJwt(tokens.access_token);
  }

  /** A fresh browser (no cookies) whose authenticator already holds the registered passkey. */
  async function pageWithPasskey() {
    const opened = await pageWithCallback(await freshContext());
    const authenticator = await virtualAuthenticator(opened.page);
    await authenticator.cdp.send('WebAuthn.addCredential', {
      authenticatorId: authenticator.id,
      credential: {
        credentialId: credential.credentialId,
        isResidentCredential: credential.isResidentCredential,
        rpId: credential.rpId ?? 'localhost',
        privateKey: credential.privateKey,
        userHandle: credential.userHandle ?? '',
        signCount: credential.signCount,
      },
    });
    return { ...opened, ...authenticator };
  }

  beforeAll(async () => {
    running = await startWithRealAccounts();
    as = await discover(running.issuer);
    browser = await launchChromium();
  }, TIMEOUT);

  afterAll(async () => {
    for (const context of contexts) await context.close();
    await browser?.close();
    await running?.gateway.close();
    await running?.mock.close();
  });

  it(
    'registers a passkey after a password login, and the app gets a code for that login',
    async () => {
      const { page, callback } = await pageWithCallback(await freshContext());
      const { cdp, id } = await virtualAuthenticator(page);
      const authorization = await authorizationRequest(as);
      await page.goto(authorization.url.href);
      await page.getByLabel('Username').fill(USERNAME);
      await page.getByLabel('Password').fill(PASSWORD);
      await page.getByRole('button', { name: 'Sign in', exact: true }).click();
      // The offer after a login without a passkey; login.js unhides the button.
      await page.getByRole('heading', { name: 'Add a passkey?' }).waitFor();
      await page.getByRole('button', { name: 'Add a passkey' }).click();
      const url = await callback;
      expect(url.searchParams.get('state')).toBe(authorization.state);
      expect(url.searchParams.get('code')).toMatch(/\S+/);
      const claims = await tokenClaims(authorization, url);
      expect(claims).toMatchObject({ sub: running.accountId, acr: ACR.password, amr: ['pwd'] });

      const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId: id });
      expect(credentials).toHaveLength(1);
      const [registered] = credentials;
      expect(registered).toMatchObject({ isResidentCredential: true, rpId: 'localhost' });
      // The user handle is the account id (never the username).
      expect(Buffer.from(registered?.userHandle ?? '', 'base64').toString('utf8')).toBe(
        running.accountId,
      );
      const stored = await running.gateway.store.db
        .selectFrom('passkey_credentials')
        .select(['id', 'account_id'])
        .execute();
      expect(stored).toEqual([
        {
          id: Buffer.from(registered?.credentialId ?? '', 'base64').toString('base64url'),
          account_id: running.accountId,
        },
      ]);
      if (registered === undefined) throw new Error('no credential');
      credential = registered;
    },
    TIMEOUT,
  );

  it(
    'signs in with the passkey alone: acr phr, amr hwk and user, a DPoP-bound token',
    async () => {
      const { page, callback } = await pageWithPasskey();
      const authorization = await authorizationRequest(as);
      await page.goto(authorization.url.href);
      await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
      const url = await callback;
      const claims = await tokenClaims(authorization, url);
      expect(claims).toMatchObject({
        sub: running.accountId,
        acr: ACR.phishingResistant,
        roles: ['member'],
      });
      expect(claims.amr).toEqual(expect.arrayContaining(['hwk', 'user']));
      expect(claims.amr).not.toContain('pwd');
      expect((claims['cnf'] as { jkt?: unknown }).jkt).toBeTypeOf('string');
    },
    TIMEOUT,
  );

  it(
    'offers a passkey account no weaker fallback: its correct password is refused like a wrong one',
    async () => {
      const { page, callbacks } = await pageWithCallback(await freshContext());
      const authorization = await authorizationRequest(as);
      await page.goto(authorization.url.href);
      const answers: Array<{ status: number; alert: string }> = [];
      for (const password of ['not the password at all', PASSWORD]) {
        await page.getByLabel('Username').fill(USERNAME);
        await page.getByLabel('Password').fill(password);
        // The answer to the POST, and the load of the page it renders (not the previous one's).
        const [response] = await Promise.all([
          page.waitForResponse(
            (r) => r.request().method() === 'POST' && r.url().endsWith('/password'),
          ),
          page.waitForEvent('load'),
          page.getByRole('button', { name: 'Sign in', exact: true }).click(),
        ]);
        await page.getByRole('alert').waitFor();
        answers.push({
          status: response.status(),
          alert: (await page.getByRole('alert').textContent()) ?? '',
        });
        // Still the first step: no second factor, no passkey offer, nothing that continues.
        expect(await page.getByRole('heading').textContent()).toBe('Sign in');
        const forms = page.locator('form');
        expect(await forms.count()).toBe(1);
        expect(await forms.getAttribute('action')).toMatch(/^\/login\/[^/]+\/password$/);
      }
      // The correct password gets exactly the wrong password's answer.
      expect(answers[1]).toEqual(answers[0]);
      expect(answers[0]).toEqual({ status: 401, alert: 'Wrong username or password.' });
      expect(callbacks).toEqual([]);
    },
    TIMEOUT,
  );

  it(
    'refuses the passkey when the authenticator cannot verify the user (UV off)',
    async () => {
      const { page, callbacks, cdp, id } = await pageWithPasskey();
      await cdp.send('WebAuthn.setUserVerified', { authenticatorId: id, isUserVerified: false });
      const authorization = await authorizationRequest(as);
      await page.goto(authorization.url.href);
      const box = page.locator('[data-passkey="login"]');
      await box.getByRole('button', { name: 'Sign in with a passkey' }).click();
      const status = box.getByRole('status');
      // The options ask for user verification, which this authenticator cannot give, so Chromium
      // refuses the ceremony (NotAllowedError); an assertion without the UV flag is refused
      // server-side too (passkeys.test.ts).
      await status.filter({ hasText: /\S/ }).waitFor();
      expect(await status.textContent()).not.toBe('');
      expect(await page.getByRole('heading').textContent()).toBe('Sign in');
      expect(callbacks).toEqual([]);
    },
    TIMEOUT,
  );
});
