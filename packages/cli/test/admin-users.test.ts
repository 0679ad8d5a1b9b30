import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createAccountService, openKeyring, openStore, DEFAULTS } from '@rampart/gateway';
import { readHiddenLine, type TerminalInput } from '../src/commands/admin/prompt.js';
import { createUser } from '../src/commands/admin/users-actions.js';
import { EXIT } from '../src/exit-codes.js';
import { main } from '../src/main.js';

const PASSWORD = 'a long and unusual passphrase';
let dir: string;
let config: string;
let out: string[];
let err: string[];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'rampart-cli-users-'));
  config = join(dir, 'rampart.yaml');
  writeFileSync(config, `dataDir: ${JSON.stringify(join(dir, 'data'))}\n`);
  out = [];
  err = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    out.push(String(chunk));
    return true;
  });
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    err.push(String(chunk));
    return true;
  });
});

afterEach(() => {
  vi.restoreAllMocks();
  rmSync(dir, { recursive: true, force: true });
});

function passwordFile(text: string): string {
  const path = join(dir, 'password.txt');
  writeFileSync(path, text, { mode: 0o600 });
  return path;
}

/** Logs in through the gateway's own accounts service, as the login pages will. */
async function login(username: string, password: string) {
  const store = await openStore({ url: undefined, dataDir: join(dir, 'data') });
  try {
    const keyring = await openKeyring({ dataDir: join(dir, 'data'), sources: {} });
    const service = createAccountService({
      db: store.db,
      keyring,
      config: DEFAULTS.accounts,
      publicUrl: 'http://127.0.0.1:8787',
    });
    return await service.verifyPassword(username, password, { ip: '127.0.0.1' });
  } finally {
    await store.close();
  }
}

describe('rampart admin create-user', () => {
  it('creates an admin from a password file; TOTP enrolment is then required', async () => {
    const file = passwordFile(`${PASSWORD}\n`);
    const code = await main([
      'admin',
      'create-user',
      '--username',
      'Root',
      '--role',
      'admin',
      '--role',
      'ops',
      '--tenant',
      'acme',
      '--password-file',
      file,
      '--config',
      config,
    ]);
    expect(err.join('')).toBe('');
    expect(code).toBe(EXIT.ok);
    expect(out.join('')).toMatch(
      /created Root \(acct_[0-9a-f]{32}\) roles admin,ops tenant acme; TOTP enrolment is required/,
    );
    expect(out.join('')).not.toContain(PASSWORD);
    const outcome = await login('root', PASSWORD);
    expect(outcome).toMatchObject({
      status: 'valid',
      account: { username: 'Root', roles: ['admin', 'ops'], tenant: 'acme', mustEnrollTotp: true },
    });
  });

  it('refuses a short or common password and a taken username, exit 2, password never printed', async () => {
    const short = passwordFile('tiny-secret\n');
    expect(
      await main([
        'admin',
        'create-user',
        '--username',
        'u',
        '--password-file',
        short,
        '-c',
        config,
      ]),
    ).toBe(EXIT.usage);
    expect(err.join('')).toContain('shorter than 12');
    expect(err.join('')).not.toContain('tiny-secret');
    const good = passwordFile(PASSWORD);
    expect(
      await main([
        'admin',
        'create-user',
        '--username',
        'u',
        '--password-file',
        good,
        '-c',
        config,
      ]),
    ).toBe(EXIT.ok);
    expect(
      await main([
        'admin',
        'create-user',
        '--username',
        'U',
        '--password-file',
        good,
        '-c',
        config,
      ]),
    ).toBe(EXIT.usage);
    expect(err.join('')).toContain('already exists');
  });

  it('refuses to read a password from a stdin that is not a terminal', async () => {
    const stdin = Object.assign(new PassThrough(), { isTTY: false }) as TerminalInput;
    const stderr = new PassThrough();
    const code = await createUser(
      { username: 'piped', role: [], config },
      { stdin, stdout: new PassThrough(), stderr },
    );
    expect(code).toBe(EXIT.usage);
    expect(String(stderr.read())).toContain('--password-file');
  });

  it('prompts twice on a terminal with echo off, and refuses two different entries', async () => {
    const run = async (typed: string) => {
      const raw: boolean[] = [];
      const stdin = Object.assign(new PassThrough(), {
        isTTY: true,
        setRawMode: (mode: boolean) => raw.push(mode),
      }) as TerminalInput;
      const stderr = new PassThrough();
      const stdout = new PassThrough();
      const done = createUser(
        { username: 'typed', role: ['user'], config },
        { stdin, stdout, stderr },
      );
      // Type character by character, as a terminal in raw mode delivers them.
      for (const char of typed) {
        await new Promise((resolve) => setImmediate(resolve));
        (stdin as PassThrough).write(char);
      }
      const code = await done;
      return {
        code,
        raw,
        prompts: String(stderr.read() ?? ''),
        stdout: String(stdout.read() ?? ''),
      };
    };
    const mismatch = await run(`${PASSWORD}\r${PASSWORD}x\r`);
    expect(mismatch.code).toBe(EXIT.usage);
    expect(mismatch.prompts).toContain('the passwords differ');
    const ok = await run(`${PASSWORD}!\u007f\r${PASSWORD}\r`);
    expect(ok.code).toBe(EXIT.ok);
    expect(ok.raw).toEqual([true, false, true, false]);
    expect(ok.prompts).toContain('Password: ');
    expect(ok.prompts).not.toContain(PASSWORD);
    expect((await login('typed', PASSWORD)).status).toBe('valid');
  });
});

describe('rampart admin list-users and disable-user', () => {
  it('lists accounts without secrets, and a disabled account can no longer log in', async () => {
    const file = passwordFile(PASSWORD);
    await main([
      'admin',
      'create-user',
      '--username',
      'ann',
      '--role',
      'admin',
      '--password-file',
      file,
      '-c',
      config,
    ]);
    await main([
      'admin',
      'create-user',
      '--username',
      'ben',
      '--password-file',
      file,
      '-c',
      config,
    ]);
    out.length = 0;
    expect(await main(['admin', 'list-users', '-c', config])).toBe(EXIT.ok);
    const table = out.join('');
    expect(table).toMatch(/^USERNAME\s+ID\s+TENANT\s+ROLES\s+MFA\s+PASSKEYS\s+STATE$/m);
    expect(table).toMatch(/^ann\s+acct_\w+\s+-\s+admin\s+totp-required\s+0\s+active$/m);
    expect(table).toMatch(/^ben\s+acct_\w+\s+-\s+-\s+-\s+0\s+active$/m);

    expect(await main(['admin', 'disable-user', '--username', 'BEN', '-c', config])).toBe(EXIT.ok);
    expect((await login('ben', PASSWORD)).status).toBe('invalid');
    out.length = 0;
    expect(await main(['admin', 'list-users', '--json', '-c', config])).toBe(EXIT.ok);
    const listed = JSON.parse(out.join('')) as Array<Record<string, unknown>>;
    expect(listed.map((a) => [a['username'], a['disabled']])).toEqual([
      ['ann', false],
      ['ben', true],
    ]);
    expect(out.join('')).not.toMatch(/argon2|password/i);

    expect(
      await main(['admin', 'disable-user', '--username', 'ben', '--enable', '-c', config]),
    ).toBe(EXIT.ok);
    expect((await login('ben', PASSWORD)).status).toBe('valid');
    expect(await main(['admin', 'disable-user', '--username', 'nobody', '-c', config])).toBe(
      EXIT.findings,
    );
  });
});

describe('readHiddenLine', () => {
  it('ends the line on Enter, edits on backspace, cancels on Ctrl-C', async () => {
    const input = Object.assign(new PassThrough(), { isTTY: true }) as TerminalInput;
    const output = new PassThrough();
    const first = readHiddenLine(input, output, '> ');
    (input as PassThrough).write('abc\u007fd\r');
    expect(await first).toBe('abd');
    const second = readHiddenLine(input, output, '> ');
    (input as PassThrough).write('xy\u0003');
    expect(await second).toBeUndefined();
  });
});
