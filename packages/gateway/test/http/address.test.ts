import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  classifyHost,
  isLoopbackBind,
  isLoopbackHost,
  parseHost,
  parseIpLiteral,
  type AddressKind,
} from '../../src/http/address.js';
import { ipAllowlist, isCidrOrIp } from '../../src/http/ip-allowlist.js';

// Each row: the host as written, its kind, and the address a socket would use.
const HOSTS: ReadonlyArray<readonly [string, AddressKind, string?]> = [
  // Names: only `localhost` itself is loopback; whatever else "looks local" is left to DNS.
  ['localhost', 'loopback', 'localhost'],
  ['LOCALHOST', 'loopback', 'localhost'],
  ['ⓛocalhost', 'loopback', 'localhost'],
  ['localhost.', 'name', 'localhost.'],
  ['sub.localhost', 'name', 'sub.localhost'],
  ['localhost.localdomain', 'name'],
  ['127.attacker.example', 'name', '127.attacker.example'],
  ['127.0.0.1.nip.io', 'name'],
  ['api.openai.com', 'name'],
  ['bücher.example', 'name', 'xn--bcher-kva.example'],
  // IPv4
  ['127.0.0.1', 'loopback', '127.0.0.1'],
  ['127.255.255.254', 'loopback'],
  ['10.1.2.3', 'private'],
  ['172.16.0.1', 'private'],
  ['172.31.255.255', 'private'],
  ['172.32.0.1', 'public'],
  ['192.168.1.1', 'private'],
  ['169.254.169.254', 'private'],
  ['100.64.0.1', 'private'],
  ['198.51.100.7', 'private'],
  ['224.0.0.1', 'private'],
  ['255.255.255.255', 'private'],
  ['8.8.8.8', 'public', '8.8.8.8'],
  ['0.0.0.0', 'unspecified', '0.0.0.0'],
  // IPv4 notations the URL parser normalises, as undici and getaddrinfo would use them
  ['0x7f.1', 'loopback', '127.0.0.1'],
  ['2130706433', 'loopback', '127.0.0.1'],
  ['0177.0.0.1', 'loopback', '127.0.0.1'],
  ['127.1', 'loopback', '127.0.0.1'],
  ['0x7f.0.0.0x1', 'loopback', '127.0.0.1'],
  ['127.0.0.1.', 'loopback', '127.0.0.1'],
  ['127.0.0.%31', 'loopback', '127.0.0.1'],
  ['１２７.０.０.１', 'loopback', '127.0.0.1'],
  ['0', 'unspecified', '0.0.0.0'],
  ['0x08080808', 'public', '8.8.8.8'],
  ['0xa.1', 'private', '10.0.0.1'],
  // IPv6, with and without brackets
  ['::1', 'loopback', '::1'],
  ['[::1]', 'loopback', '::1'],
  ['0:0:0:0:0:0:0:1', 'loopback', '::1'],
  ['::', 'unspecified', '::'],
  ['[::]', 'unspecified', '::'],
  ['fe80::1', 'private'],
  ['fe80::1%eth0', 'private', 'fe80::1%eth0'],
  ['fc00::1', 'private'],
  ['fd12:3456::1', 'private'],
  ['ff02::1', 'private'],
  ['2001:db8::1', 'private'],
  ['2606:4700::1111', 'public'],
  ['[2606:4700::1111]', 'public', '2606:4700::1111'],
  // IPv4-mapped IPv6: classified by the IPv4 address the connection reaches
  ['::ffff:127.0.0.1', 'loopback', '::ffff:7f00:1'],
  ['[::ffff:127.0.0.1]', 'loopback', '::ffff:7f00:1'],
  ['[::ffff:7f00:1]', 'loopback', '::ffff:7f00:1'],
  ['::FFFF:7F00:1', 'loopback', '::ffff:7f00:1'],
  ['::ffff:10.0.0.1', 'private'],
  ['::ffff:8.8.8.8', 'public'],
  ['::ffff:0.0.0.0', 'unspecified'],
  // IPv4-compatible (deprecated) is not mapped: ::7f00:1 is not 127.0.0.1
  ['::127.0.0.1', 'public'],
  // Not a host on its own
  ['', 'invalid'],
  ['127.0.0.1:80', 'invalid'],
  ['localhost:8787', 'invalid'],
  ['[::1]:80', 'invalid'],
  ['user@127.0.0.1', 'invalid'],
  ['127.0.0.1/v1', 'invalid'],
  ['http://127.0.0.1', 'invalid'],
  ['256.0.0.1', 'invalid'],
  ['1.2.3.4.5', 'invalid'],
  ['exa mple', 'invalid'],
  ['[127.0.0.1]', 'invalid'],
  ['[localhost]', 'invalid'],
];

const ROWS = HOSTS.map(([input, kind, host]) => ({ input, kind, host }));

describe('address classification', () => {
  it.each(ROWS)('$input is $kind', ({ input, kind, host }) => {
    expect(classifyHost(input)).toBe(kind);
    if (host !== undefined) expect(parseHost(input)?.host).toBe(host);
  });

  it.each(ROWS)(
    '$input is loopback for connecting and binding exactly when it is loopback',
    ({ input, kind }) => {
      expect(isLoopbackHost(input)).toBe(kind === 'loopback');
      expect(isLoopbackBind(input)).toBe(kind === 'loopback');
    },
  );

  it('a URL hostname is classified as the URL parser hands it to the connection', () => {
    for (const [url, kind] of [
      ['http://127.attacker.example/v1', 'name'],
      ['http://0x7f.1/v1', 'loopback'],
      ['http://2130706433:11434/v1', 'loopback'],
      ['http://[::ffff:127.0.0.1]/v1', 'loopback'],
      ['http://[::1]:8080/v1', 'loopback'],
      ['http://0.0.0.0:11434/v1', 'unspecified'],
      ['http://LOCALHOST/v1', 'loopback'],
    ] as const) {
      expect(classifyHost(new URL(url).hostname), url).toBe(kind);
    }
  });

  it('the classifier never throws and always answers a known kind', () => {
    const kinds = new Set(['loopback', 'unspecified', 'private', 'public', 'name', 'invalid']);
    const hostish = fc.oneof(
      fc.string(),
      fc.string({ unit: 'grapheme' }),
      fc.ipV4(),
      fc.ipV4Extended(),
      fc.ipV6(),
      fc.ipV6().map((ip) => `[${ip}]`),
      fc.domain(),
      fc
        .tuple(fc.constantFrom('127.', '::ffff:', '[', '0x7f.', 'localhost'), fc.string())
        .map(([a, b]) => a + b),
    );
    fc.assert(
      fc.property(hostish, (input) => {
        const kind = classifyHost(input);
        expect(kinds.has(kind)).toBe(true);
        // A parsed host is a fixed point: parsing what a socket would use gives the same answer.
        const parsed = parseHost(input);
        if (parsed !== undefined) expect(parseHost(parsed.host)?.kind).toBe(parsed.kind);
      }),
      { numRuns: 2000 },
    );
  });

  it('an allowlist entry is an IP literal only, never another notation or a zone', () => {
    expect(parseIpLiteral('127.0.0.1')).toEqual({ address: '127.0.0.1', family: 4 });
    expect(parseIpLiteral('::1')).toEqual({ address: '::1', family: 6 });
    for (const value of ['127.1', '0x7f.0.0.1', '[::1]', 'fe80::1%eth0', 'localhost', '']) {
      expect(parseIpLiteral(value), value).toBeUndefined();
    }
  });

  it('an allowlist matches a peer by address, IPv4-mapped or not, and refuses other notations', () => {
    const allow = ipAllowlist(['127.0.0.1/32', '10.0.0.0/8']);
    for (const peer of ['127.0.0.1', '::ffff:127.0.0.1', '::ffff:7f00:1', '::ffff:10.9.8.7']) {
      expect(allow.has(peer), peer).toBe(true);
    }
    for (const peer of ['127.0.0.2', '::1', '127.1', '0x7f.0.0.1', 'localhost', undefined]) {
      expect(allow.has(peer), String(peer)).toBe(false);
    }
    expect(isCidrOrIp('fe80::/10')).toBe(true);
    expect(isCidrOrIp('fe80::1%eth0')).toBe(false);
    expect(isCidrOrIp('127.1/32')).toBe(false);
  });
});
