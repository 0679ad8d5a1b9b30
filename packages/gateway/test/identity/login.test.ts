import { decodeJwt } from 'jose';
import * as oauth from 'oauth4webapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACR } from '../../src/identity/provider/index.js';
import { AccountsDouble } from './accounts-double.js';
import {
  CookieJar,
  csrfOf,
  startIdentityGateway,
  type IdentityGateway,
} from './provider-gateway.js';
import {
  authorizationRequest,
  client,
  discover,
  exchangeCode,
  locationOf,
  step,
  type Authorization,
} from './flow.js';

/** One login in progress, as a browser holds it. */
interface Attempt {
  readonly jar: CookieJar;
  readonly authorization: Authorization;
  readonly loginUrl: URL;
}

describe('login pages', () => {
  let running: IdentityGateway;
  let as: oauth.AuthorizationServer;
  const accounts = new AccountsDouble()
    .add({ id: 'acct-alice', username: 'alice', password: 'pw-alice', roles: ['member'] })
    .add({
      id: 'acct-bob',
      username: 'bob',
      password: 'pw-bob',
      roles: ['admin'],
      totpCode: '135790',
      recoveryCodes: ['rc-bob-1'],
    })
    .add({
      id: 'acct-carol',
      username: 'carol',
      password: 'pw-carol',
      roles: ['admin'],
      mustEnrollTotp: true,
    })
    .add({ id: 'acct-dave', username: 'dave', password: 'pw-dave', roles: ['member'], passkeys: 1 })
    .add({ id: 'acct-erin', username: 'erin', password: 'pw-erin', roles: ['member'] });

  beforeAll(async () => {
    // A web origin allowed by CORS for /v1 is still not allowed to drive the login pages.
    running = await startIdentityGateway({
      accounts,
      config: { server: { cors: { origins: ['https://web.example.com'] } } },
    });
    as = await discover(running.issuer);
  });
  afterAll(() => running.close());

  async function begin(): Promise<Attempt> {
    const jar = new CookieJar();
    const authorization = await authorizationRequest(as);
    const loginUrl = locationOf(await step(jar, authorization.url), running.issuer);
    return { jar, authorization, loginUrl };
  }

  async function page(attempt: Attempt): Promise<string> {
    const response = await step(attempt.jar, attempt.loginUrl);
    expect(response.status).toBe(200);
    return response.text();
  }

  async function post(attempt: Attempt, name: string, form: Record<string, string>) {
    const csrf = csrfOf(await page(attempt));
    return step(attempt.jar, `${attempt.loginUrl.href}/${name}`, { form: { csrf, ...form } });
  }

  /** From the provider's resume URL to the tokens, with DPoP. */
  async function complete(attempt: Attempt, resume: URL) {
    const callback = locationOf(await step(attempt.jar, resume), running.issuer);
    const DPoP = oauth.DPoP(client, await oauth.generateKeyPair('ES256'));
    return exchangeCode(as, attempt.authorization, callback, DPoP);
  }

  async function json(
    attempt: Attempt,
    name: string,
    body: unknown,
    headers: Record<string, string> = {},
  ) {
    const csrf = csrfOf(await page(attempt));
    const response = await fetch(`${attempt.loginUrl.href}/${name}`, {
      method: 'POST',
      headers: {
        cookie: attempt.jar.header(),
        'content-type': 'application/json',
        'x-csrf-token': csrf,
        ...headers,
      },
      body: JSON.stringify(body),
      redirect: 'manual',
    });
    attempt.jar.store(response);
    return response;
  }

  it('pages are accessible and locked down: lang, labels, headings, a strict CSP, no inline script', async () => {
    const attempt = await begin();
    const response = await step(attempt.jar, attempt.loginUrl);
    const html = await response.text();
    expect(html).toContain('<html lang="en">');
    expect(html).toMatch(/<h1>Sign in<\/h1>/);
    expect(html).toContain('<label for="username">');
    expect(html).toContain('<label for="password">');
    for (const script of html.match(/<script[^>]*>/g) ?? [])
      expect(script).toMatch(/src="\/login\/assets\//);
    expect(html).not.toMatch(/\sstyle=|\son[a-z]+=/);
    const csp = response.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain('com.example.app:');
    expect(response.headers.get('cache-control')).toBe('no-store');
    // Not `no-referrer`: under it a browser's POSTs from these pages carry `Origin: null`, which
    // the CORS hook and the login's Origin check refuse (passkey-browser.test.ts drives it).
    expect(response.headers.get('referrer-policy')).toBe('same-origin');
    expect(html).toContain('<meta name="referrer" content="same-origin">');
    const bundle = await fetch(`${running.issuer}/login/assets/webauthn.js`);
    expect(bundle.status).toBe(200);
    expect(await bundle.text()).toContain('SimpleWebAuthnBrowser');
  });

  it('password then TOTP gives acr mfa and amr pwd+otp+mfa', async () => {
    const attempt = await begin();
    expect((await post(attempt, 'password', { username: 'bob', password: 'pw-bob' })).status).toBe(
      303,
    );
    expect(await page(attempt)).toContain('Two-step verification');
    const wrong = await post(attempt, 'second-factor', { code: '000000' });
    expect(wrong.status).toBe(401);
    expect(await wrong.text()).toContain('That code is not valid.');
    expect((await post(attempt, 'second-factor', { code: '135790' })).status).toBe(303);
    const resume = locationOf(await post(attempt, 'continue', {}), running.issuer);
    const tokens = await complete(attempt, resume);
    expect(decodeJwt(tokens.access_token)).toMatchObject({
      acr: ACR.mfa,
      amr: ['mfa', 'otp', 'pwd'],
      roles: ['admin'],
    });
  });

  it('the second factor cannot be skipped: the next steps refuse, the resume URL grants nothing', async () => {
    const attempt = await begin();
    await post(attempt, 'password', { username: 'bob', password: 'pw-bob' });
    const skip = await post(attempt, 'continue', {});
    expect(skip.status).toBe(400);
    expect(skip.headers.get('content-type')).toContain('application/problem+json');
    expect(((await skip.json()) as { code: string }).code).toBe('auth.login_expired');
    // Straight to the provider's resume URL: it asks for a login again, and issues no code.
    const resume = new URL(
      `/oauth/authorize/${attempt.loginUrl.pathname.split('/').pop() ?? ''}`,
      running.issuer,
    );
    const answer = await step(attempt.jar, resume);
    expect(answer.headers.get('location') ?? '').not.toContain('code=');
  });

  it('an account that must enrol TOTP is enrolled before the login ends, then shown its recovery codes once', async () => {
    const attempt = await begin();
    await post(attempt, 'password', { username: 'carol', password: 'pw-carol' });
    const enrol = await page(attempt);
    expect(enrol).toContain('Set up two-step verification');
    expect(enrol).toContain('JBSWY3DPEHPK3PXP');
    const codes = await post(attempt, 'enrol-totp', { code: '246810' });
    const codesPage = await codes.text();
    expect(codesPage).toContain('recovery-one');
    expect(await page(attempt)).not.toContain('recovery-one');
    expect((await post(attempt, 'continue', {})).status).toBe(303);
    expect(await page(attempt)).toContain('Add a passkey?');
    const resume = locationOf(await post(attempt, 'continue', {}), running.issuer);
    const tokens = await complete(attempt, resume);
    expect(decodeJwt(tokens.access_token)).toMatchObject({ acr: ACR.mfa });
    expect(accounts.accounts.get('acct-carol')?.mustEnrollTotp).toBe(false);
  });

  it('a passkey account is refused the password and logs in with its passkey: acr phr', async () => {
    const attempt = await begin();
    const refused = await post(attempt, 'password', { username: 'dave', password: 'pw-dave' });
    expect(refused.status).toBe(401);
    const body = await refused.text();
    // The same answer as a wrong password: nothing says the account exists or has a passkey.
    expect(body).toContain('Wrong username or password.');
    expect(body).not.toMatch(/dave/);

    const options = await json(attempt, 'passkey-login-options', {});
    expect(options.status).toBe(200);
    const { challenge } = (await options.json()) as { challenge: string };
    const verified = await json(attempt, 'passkey-login', { accountId: 'acct-dave', challenge });
    expect(verified.status).toBe(200);
    const { redirect } = (await verified.json()) as { redirect: string };
    const tokens = await complete(attempt, new URL(redirect, running.issuer));
    expect(decodeJwt(tokens.access_token)).toMatchObject({
      sub: 'acct-dave',
      acr: ACR.phishingResistant,
      amr: ['hwk', 'user', 'mfa'],
    });
  });

  it('the WebAuthn challenge is the server’s and is spent by one attempt', async () => {
    const attempt = await begin();
    const options = await json(attempt, 'passkey-login-options', {});
    const { challenge } = (await options.json()) as { challenge: string };
    const forged = await json(attempt, 'passkey-login', {
      accountId: 'acct-dave',
      challenge: 'chosen-by-attacker',
    });
    expect(forged.status).toBe(401);
    expect(((await forged.json()) as { code: string }).code).toBe('auth.passkey_rejected');
    const replay = await json(attempt, 'passkey-login', { accountId: 'acct-dave', challenge });
    expect(replay.status).toBe(401);
  });

  it('refuses a POST without the CSRF token or from another origin', async () => {
    const attempt = await begin();
    await page(attempt);
    const missing = await step(attempt.jar, `${attempt.loginUrl.href}/password`, {
      form: { username: 'alice', password: 'pw-alice' },
    });
    expect(missing.status).toBe(403);
    const crossOrigin = await json(
      attempt,
      'passkey-login-options',
      {},
      { origin: 'https://evil.example' },
    );
    expect(crossOrigin.status).toBe(403);
    expect(((await crossOrigin.json()) as { code: string }).code).toBe('cors.origin_denied');
    const corsAllowed = await json(
      attempt,
      'passkey-login-options',
      {},
      { origin: 'https://web.example.com' },
    );
    expect(corsAllowed.status).toBe(403);
    expect(((await corsAllowed.json()) as { code: string }).code).toBe('auth.login_forbidden');
    // The page's own origin, as a browser sends it on every POST, is accepted.
    const sameOrigin = await json(attempt, 'passkey-login-options', {}, { origin: running.issuer });
    expect(sameOrigin.status).toBe(200);
  });

  it('without the interaction cookie the page is refused (another browser cannot drive the login)', async () => {
    const attempt = await begin();
    const stranger = await step(new CookieJar(), attempt.loginUrl);
    expect(stranger.status).toBe(400);
  });

  it('a throttled account gets a clear message and Retry-After', async () => {
    accounts.attemptBudget = 2;
    try {
      const attempt = await begin();
      for (let i = 0; i < 2; i++) {
        expect(
          (await post(attempt, 'password', { username: 'erin', password: 'nope' })).status,
        ).toBe(401);
      }
      const throttled = await post(attempt, 'password', { username: 'erin', password: 'pw-erin' });
      expect(throttled.status).toBe(429);
      expect(throttled.headers.get('retry-after')).toBe('60');
      expect(await throttled.text()).toContain('Too many attempts. Try again in 60 seconds.');
    } finally {
      accounts.attemptBudget = 5;
    }
  });

  it('registers a passkey after a password login (optional step)', async () => {
    const attempt = await begin();
    await post(attempt, 'password', { username: 'alice', password: 'pw-alice' });
    expect(await page(attempt)).toContain('Add a passkey?');
    const options = await json(attempt, 'passkey-register-options', {});
    const { challenge } = (await options.json()) as { challenge: string };
    const registered = await json(attempt, 'passkey-register', { challenge });
    expect(registered.status).toBe(200);
    const { redirect } = (await registered.json()) as { redirect: string };
    const tokens = await complete(attempt, new URL(redirect, running.issuer));
    expect(decodeJwt(tokens.access_token)).toMatchObject({ sub: 'acct-alice', acr: ACR.password });
    expect(accounts.accounts.get('acct-alice')?.passkeys).toBe(1);
  });
});
