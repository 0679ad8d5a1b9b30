import { createHmac, type webcrypto } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createAccountAdmin,
  createAccountService,
  startGateway,
  validateConfig,
  type RunningGateway,
} from '@rampart/gateway';
import { startMockUpstream, type MockUpstream } from '@rampart/testkit';
import * as oauth from 'oauth4webapi';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { importDpopKey } from '../src/commands/admin/remote/dpop-key.js';
import { EXIT } from '../src/exit-codes.js';
import { main } from '../src/main.js';

const PASSWORD = 'a long and unusual passphrase';
const CLIENT_ID = 'rampart-cli';

let dir: string;
let gateway: RunningGateway;
let mock: MockUpstream;
let url: string;
let totpSecret: string;
let credentials: string;
/** The TOTP time step the last login used. */
let lastStep = -1;

/** A free loopback port: the issuer URL must be known before the gateway starts. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** RFC 6238 TOTP (SHA-1, 6 digits, 30 s) from a base32 secret, independent of the gateway's. */
function totp(secret: string, nowMs: number): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const char of secret.replace(/=+$/, '').toUpperCase()) {
    bits += alphabet.indexOf(char).toString(2).padStart(5, '0');
  }
  const key = Buffer.from((bits.match(/.{8}/g) ?? []).map((byte) => parseInt(byte, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(nowMs / 30_000)));
  const mac = createHmac('sha1', key).update(counter).digest();
  const offset = (mac[mac.length - 1] ?? 0) & 0xf;
  const value = (mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000;
  return String(value).padStart(6, '0');
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rampart-cli-remote-'));
  credentials = join(dir, 'config', 'rampart', 'credentials.json');
  mock = await startMockUpstream({});
  const port = await freePort();
  const config = validateConfig({
    dataDir: join(dir, 'data'),
    server: { host: '127.0.0.1', port, shutdownGraceMs: 1000, drainDelayMs: 0 },
    log: { level: 'silent' },
    providers: {
      mock: {
        type: 'openai-compatible',
        baseUrl: `${mock.url}/v1`,
        apiKeyEnv: 'MOCK_KEY',
        maxRetries: 0,
      },
    },
    models: { chat: { provider: 'mock', model: 'upstream-chat' } },
    authz: {
      roles: {
        member: [{ endpoints: ['chat', 'models'], aliases: ['chat'] }],
        admin: [{ endpoints: ['models'], aliases: ['*'] }],
      },
    },
    // Every proof must carry the server's nonce: the CLI's retry on use_dpop_nonce is exercised.
    auth: { dpop: { nonce: { required: true } } },
    identity: {
      enabled: true,
      clients: [{ clientId: CLIENT_ID, redirectUris: ['http://127.0.0.1/callback'] }],
    },
  });
  gateway = await startGateway(config, { env: { MOCK_KEY: 'sk-test' }, processMetrics: false });
  url = config.server.publicUrl;

  // The first admin, as `rampart admin create-user --role admin` makes it, with TOTP enrolled
  // half a minute ago (so the login's code is a later time step than the enrolment's).
  const admin = createAccountAdmin({ db: gateway.store.db, config: config.accounts });
  const root = await admin.createAccount({
    username: 'root',
    password: PASSWORD,
    roles: ['admin'],
    tenant: 'tenant-a',
  });
  const past = () => Date.now() - 60_000;
  const service = createAccountService({
    db: gateway.store.db,
    keyring: gateway.keyring,
    config: config.accounts,
    publicUrl: url,
    now: past,
  });
  totpSecret = (await service.beginTotpEnrolment(root.id)).secret;
  expect(await service.confirmTotpEnrolment(root.id, totp(totpSecret, past()))).toHaveLength(10);
  // Someone in another tenant, whom tenant A's admin must never see.
  await admin.createAccount({ username: 'zed', password: PASSWORD, roles: [], tenant: 'tenant-b' });
}, 60_000);

afterAll(async () => {
  await gateway.close();
  await mock.close();
});

/** Runs `rampart …` in process; `during` runs while it is running, with the output so far. */
async function rampart(args: string[], during?: (output: () => string) => Promise<void>) {
  let stdout = '';
  let stderr = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((text) => {
    stdout += String(text);
    return true;
  });
  vi.spyOn(process.stderr, 'write').mockImplementation((text) => {
    stderr += String(text);
    return true;
  });
  try {
    const running = main(args);
    if (during !== undefined) await during(() => stdout + stderr);
    const code = await running;
    return { code, stdout, stderr };
  } finally {
    vi.restoreAllMocks();
  }
}

const remote = (...args: string[]) =>
  rampart([...args, '--url', url, '--credentials', credentials]);

/** The user's browser: follows the sign-in pages with a cookie jar, as a person would. */
async function signInAsBrowser(authorizeUrl: string, code: () => string): Promise<void> {
  const cookies = new Map<string, string>();
  const step = async (target: string, form?: Record<string, string>) => {
    const response = await fetch(target, {
      method: form === undefined ? 'GET' : 'POST',
      redirect: 'manual',
      headers: {
        cookie: [...cookies].map(([name, value]) => `${name}=${value}`).join('; '),
        ...(form === undefined ? {} : { 'content-type': 'application/x-www-form-urlencoded' }),
      },
      ...(form === undefined ? {} : { body: new URLSearchParams(form).toString() }),
    });
    for (const line of response.headers.getSetCookie()) {
      const [pair = ''] = line.split(';');
      const at = pair.indexOf('=');
      if (at > 0) cookies.set(pair.slice(0, at).trim(), pair.slice(at + 1).trim());
    }
    return response;
  };
  const next = (response: Response) => new URL(response.headers.get('location') ?? '', url).href;
  const csrf = async (response: Response) => {
    const match = /name="csrf" value="([^"]+)"/.exec(await response.text());
    if (match?.[1] === undefined) throw new Error('no csrf field');
    return match[1];
  };
  const loginPage = next(await step(authorizeUrl));
  let page = await step(loginPage);
  await step(`${loginPage}/password`, {
    csrf: await csrf(page),
    username: 'root',
    password: PASSWORD,
  });
  page = await step(loginPage);
  await step(`${loginPage}/second-factor`, { csrf: await csrf(page), code: code() });
  page = await step(loginPage);
  const resumed = await step(`${loginPage}/continue`, { csrf: await csrf(page) });
  const callback = next(await step(next(resumed)));
  // The redirect lands on the CLI's loopback listener, as the browser would deliver it.
  expect(callback).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/callback\?/);
  expect((await fetch(callback)).status).toBe(200);
}

/** The sign-in URL `rampart admin login` prints, once it has. */
async function printedUrl(output: () => string): Promise<string> {
  for (let tries = 0; tries < 200; tries += 1) {
    const match = /^(http:\/\/127\.0\.0\.1:\d+\/oauth\/authorize\?\S+)$/m.exec(output());
    if (match?.[1] !== undefined) return match[1];
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`no sign-in URL printed: ${output()}`);
}

async function login() {
  return rampart(
    ['admin', 'login', '--url', url, '--credentials', credentials, '--client-id', CLIENT_ID],
    async (output) => {
      const authorize = await printedUrl(output);
      const parameters = new URL(authorize).searchParams;
      expect(parameters.get('code_challenge_method')).toBe('S256');
      expect(parameters.get('redirect_uri')).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/callback$/);
      expect(parameters.get('dpop_jkt')).toMatch(/^[\w-]{43}$/);
      // A TOTP step is accepted once: a second login waits for the next step.
      while (Math.floor(Date.now() / 30_000) <= lastStep) {
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      lastStep = Math.floor(Date.now() / 30_000);
      await signInAsBrowser(authorize, () => totp(totpSecret, Date.now()));
    },
  );
}

function stored() {
  const document = JSON.parse(readFileSync(credentials, 'utf8')) as {
    gateways: Record<
      string,
      { accessToken: string; refreshToken: string; accessTokenExpiresAt: number }
    >;
  };
  const entry = document.gateways[url];
  if (entry === undefined) throw new Error('no entry');
  return entry;
}

describe('rampart admin … --url: the admin verbs against a remote gateway', () => {
  it('a forged callback on the loopback listener (another local process, a wrong state) fails the login and stores nothing', async () => {
    const result = await rampart(
      ['admin', 'login', '--url', url, '--credentials', credentials, '--client-id', CLIENT_ID],
      async (output) => {
        const authorize = await printedUrl(output);
        const redirect = new URL(authorize).searchParams.get('redirect_uri') ?? '';
        const forged = await fetch(`${redirect}?code=stolen-or-made-up&state=guessed`);
        expect(forged.status).toBe(200);
      },
    );
    expect(result.code).toBe(EXIT.findings);
    expect(result.stderr).toContain('sign-in refused');
    expect(() => statSync(credentials)).toThrow();
  });

  it('logs in through the browser (loopback, PKCE, DPoP) and stores the login 0600, never printing a token', async () => {
    const result = await login();
    expect(result.code).toBe(EXIT.ok);
    expect(result.stdout).toContain(`logged in to ${url}`);
    expect(statSync(credentials).mode & 0o777).toBe(0o600);
    const entry = stored();
    expect(entry.refreshToken).toBeTypeOf('string');
    expect(result.stdout + result.stderr).not.toContain(entry.accessToken);
    expect(result.stdout + result.stderr).not.toContain(entry.refreshToken);
  }, 60_000);

  it('creates, lists and disables users in the admin tenant only', async () => {
    const passwordFile = join(dir, 'password.txt');
    writeFileSync(passwordFile, `${PASSWORD}\n`, { mode: 0o600 });
    const created = await remote(
      'admin',
      'create-user',
      '--username',
      'bob',
      '--role',
      'member',
      '--password-file',
      passwordFile,
    );
    expect(created.code, created.stderr).toBe(EXIT.ok);
    expect(created.stdout).toMatch(/^created bob \(acct_\w+\) roles member tenant tenant-a\n$/);

    const listed = await remote('admin', 'list-users', '--json');
    expect(listed.code).toBe(EXIT.ok);
    const names = (JSON.parse(listed.stdout) as Array<{ username: string }>).map((a) => a.username);
    expect(names.sort()).toEqual(['bob', 'root']);

    const disabled = await remote('admin', 'disable-user', '--username', 'bob');
    expect(disabled).toMatchObject({ code: EXIT.ok });
    expect(disabled.stdout).toContain('disabled bob');
    // Tenant B's account is as unknown to tenant A's admin as one that does not exist.
    const foreign = await remote('admin', 'disable-user', '--username', 'zed');
    expect(foreign.code).toBe(EXIT.findings);
    expect(foreign.stderr).toContain('[admin.not_found]');
  }, 60_000);

  it('refuses to mint a role the admin may not grant, or a user in another tenant (exit 1, the problem shown)', async () => {
    const passwordFile = join(dir, 'password.txt');
    const role = await remote(
      'admin',
      'create-user',
      '--username',
      'eve',
      '--role',
      'superuser',
      '--password-file',
      passwordFile,
    );
    expect(role.code).toBe(EXIT.findings);
    expect(role.stderr).toMatch(
      /^rampart: Role not grantable: .*superuser.* \[admin\.role_forbidden\]\n$/,
    );
    const tenant = await remote(
      'admin',
      'create-user',
      '--username',
      'eve',
      '--tenant',
      'tenant-b',
      '--password-file',
      passwordFile,
    );
    expect(tenant.code).toBe(EXIT.findings);
    expect(tenant.stderr).toContain('[admin.tenant_forbidden]');
  }, 60_000);

  it('creates a service key printed once, lists keys without the secret, revokes it', async () => {
    const created = await remote(
      'admin',
      'create-key',
      '--name',
      'nightly',
      '--role',
      'member',
      '--expires-in',
      '7d',
    );
    expect(created.code).toBe(EXIT.ok);
    const key = created.stdout.trimEnd().split('\n').at(-1) ?? '';
    expect(key).toMatch(/^rk_/);
    expect(created.stdout.split(key).length).toBe(2);
    const id = /^created service key (\S+) /.exec(created.stdout)?.[1] ?? '';

    const listed = await remote('admin', 'list-keys');
    expect(listed.stdout).toContain(`${id}  active`);
    expect(listed.stdout).not.toContain(key);

    expect((await remote('admin', 'revoke-key', id)).stdout).toBe(`revoked service key ${id}\n`);
    expect((await remote('admin', 'revoke-key', id)).stdout).toContain('already revoked');
    const unknown = await remote('admin', 'revoke-key', 'AAAAAAAAAAAAAAAA');
    expect(unknown.code).toBe(EXIT.usage);
    const bad = await remote(
      'admin',
      'create-key',
      '--name',
      'n',
      '--role',
      'member',
      '--expires-in',
      'forever',
    );
    expect(bad.code).toBe(EXIT.usage);
    expect(bad.stderr).toContain('expected <n>d or <n>h');
  }, 60_000);

  it('refreshes an expired access token with the rotating refresh token and stores the new one', async () => {
    const before = stored();
    const document = JSON.parse(readFileSync(credentials, 'utf8')) as {
      gateways: Record<string, { accessTokenExpiresAt: number }>;
    };
    (document.gateways[url] as { accessTokenExpiresAt: number }).accessTokenExpiresAt = 0;
    writeFileSync(credentials, JSON.stringify(document), { mode: 0o600 });
    const listed = await remote('admin', 'list-keys');
    expect(listed.code).toBe(EXIT.ok);
    const after = stored();
    expect(after.refreshToken).not.toBe(before.refreshToken);
    expect(after.accessToken).not.toBe(before.accessToken);
    expect(after.accessTokenExpiresAt).toBeGreaterThan(Date.now());
    expect(statSync(credentials).mode & 0o777).toBe(0o600);
  }, 60_000);

  it('uses a bearer token from --token-env; a token the gateway refuses exits 1 with its code', async () => {
    process.env['RAMPART_TEST_ADMIN_TOKEN'] = 'not-a-token';
    try {
      const refused = await rampart([
        'admin',
        'list-users',
        '--url',
        url,
        '--token-env',
        'RAMPART_TEST_ADMIN_TOKEN',
      ]);
      expect(refused.code, refused.stderr).toBe(EXIT.findings);
      expect(refused.stderr).toMatch(/\[auth\.\w+\]/);
      expect(refused.stderr).not.toContain('not-a-token');
    } finally {
      delete process.env['RAMPART_TEST_ADMIN_TOKEN'];
    }
    const unset = await rampart([
      'admin',
      'list-users',
      '--url',
      url,
      '--token-env',
      'RAMPART_TEST_UNSET',
    ]);
    expect(unset.code).toBe(EXIT.usage);
  });

  it('refuses plain http to a non-loopback gateway, and local-only flags with --url (exit 2)', async () => {
    const insecure = await rampart(['admin', 'list-users', '--url', 'http://gateway.example.com']);
    expect(insecure.code).toBe(EXIT.usage);
    expect(insecure.stderr).toContain('https://');
    const config = await remote('admin', 'list-keys', '--config', 'rampart.yaml');
    expect(config.code).toBe(EXIT.usage);
  });

  it('logs out: the refresh token is revoked at the gateway and the entry deleted', async () => {
    const { refreshToken } = stored();
    const countRefreshTokens = async () =>
      Number(
        (
          await gateway.store.db
            .selectFrom('oidc_payloads')
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .where('model', '=', 'RefreshToken')
            .executeTakeFirstOrThrow()
        ).n,
      );
    expect(await countRefreshTokens()).toBeGreaterThan(0);
    const out = await rampart(['admin', 'logout', '--url', url, '--credentials', credentials]);
    expect(out.code).toBe(EXIT.ok);
    expect(out.stdout + out.stderr).not.toContain(refreshToken);
    expect(await countRefreshTokens()).toBe(0);
    const document = JSON.parse(readFileSync(credentials, 'utf8')) as { gateways: object };
    expect(document.gateways).toEqual({});
    const after = await remote('admin', 'list-users');
    expect(after.code).toBe(EXIT.usage);
    expect(after.stderr).toContain('rampart admin login --url');
  });
  it("lists the admin's device and session after a /v1 call; revoking that session ends the CLI's own login", async () => {
    // Logged out by the test before: sign in again (a later TOTP step than the last login's).
    expect((await login()).code).toBe(EXIT.ok);
    // The admin's own login calls /v1 once, as an app would (DPoP-bound, with the nonce retry).
    const entry = stored() as ReturnType<typeof stored> & { dpopKey: webcrypto.JsonWebKey };
    const client: oauth.Client = { client_id: CLIENT_ID };
    const DPoP = oauth.DPoP(client, await importDpopKey(entry.dpopKey));
    const call = () =>
      oauth.protectedResourceRequest(
        entry.accessToken,
        'GET',
        new URL(`${url}/v1/models`),
        new Headers(),
        null,
        {
          DPoP,
          [oauth.allowInsecureRequests]: true,
        },
      );
    const models = await call().catch((error: unknown) => {
      if (oauth.isDPoPNonceError(error)) return call();
      throw error;
    });
    expect(models.status).toBe(200);
    await gateway.identity.tracker.flush();

    const users = JSON.parse((await remote('admin', 'list-users', '--json')).stdout) as Array<{
      username: string;
      id: string;
    }>;
    const rootId = users.find((a) => a.username === 'root')?.id ?? '';
    const devices = await remote('admin', 'list-devices', '--subject', rootId, '--format', 'json');
    expect(devices.code, devices.stderr).toBe(EXIT.ok);
    const listed = JSON.parse(devices.stdout) as { devices: unknown[] };
    expect(listed.devices).toContainEqual(
      expect.objectContaining({
        issuer: url,
        jkt: await DPoP.calculateThumbprint(),
        revoked: false,
      }),
    );
    const sessions = await remote('admin', 'list-sessions', '--subject', rootId);
    const sid = /^(\S+) {2}/.exec(sessions.stdout)?.[1] ?? '';
    expect(sid).not.toBe('');
    const nobody = await remote('admin', 'list-sessions', '--subject', 'nobody');
    expect(nobody.code).toBe(EXIT.findings);
    expect(nobody.stderr).toContain('[admin.not_found]');

    const revoked = await remote('admin', 'revoke-session', '--subject', rootId, '--session', sid);
    expect(revoked).toMatchObject({ code: EXIT.ok, stdout: 'revoked session\n' });
    // That was this very login: its access token is refused, and its grant (refresh) is gone.
    const after = await remote('admin', 'list-keys');
    expect(after.code).not.toBe(EXIT.ok);
    expect(after.stderr).toMatch(/auth\.token_revoked|login/);
  }, 60_000);
});
