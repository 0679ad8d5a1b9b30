import { BlockList, isIP } from 'node:net';

/**
 * The one place that decides what an address is: loopback, private, public, unspecified, or a
 * name. Every such decision in the gateway (is this bind loopback? may this provider URL be
 * plain http?) goes through here, so that no caller matches an address against a pattern.
 *
 * An address is classified as the connection will use it: IP literals are parsed by Node
 * (`isIP`), everything else by the WHATWG URL host parser, which is what turns the hostname of a
 * configured URL into the address undici connects to (`0x7f.1`, `2130706433`, `0177.0.0.1`,
 * `127.1` and full-width digits are all 127.0.0.1). Ranges are matched with Node's BlockList,
 * which also matches IPv4-mapped IPv6 (`::ffff:127.0.0.1`) against IPv4 ranges. Nothing here
 * does a DNS lookup: a name is a name, and `localhost` is the only name taken as loopback.
 */

/**
 * - `loopback`: 127.0.0.0/8, ::1, an IPv4-mapped loopback address, or the name `localhost`.
 * - `unspecified`: 0.0.0.0 or `::`. Bound, it listens on every interface; as a destination,
 *   Linux and macOS connect it to the local host. Neither loopback nor safe to treat as such.
 * - `private`: an IP that is not globally reachable (private-use, shared, link-local,
 *   unique-local, documentation, benchmarking, multicast, reserved ranges).
 * - `public`: any other IP.
 * - `name`: a hostname other than `localhost`; only DNS knows where it points.
 * - `invalid`: not a host at all (a port, a path, user info, characters a host cannot have).
 */
export type AddressKind = 'loopback' | 'unspecified' | 'private' | 'public' | 'name' | 'invalid';

export interface ParsedHost {
  /**
   * The host as a socket uses it: an IPv4 address in dotted decimal, an IPv6 address in its
   * canonical compressed form without brackets (a zone such as `%eth0` kept), or a lowercase
   * ASCII hostname.
   */
  readonly host: string;
  /** 4 or 6 for an IP address; undefined for a name. */
  readonly family: 4 | 6 | undefined;
  readonly kind: Exclude<AddressKind, 'invalid'>;
}

/** The IANA special-purpose ranges, by kind; the first kind that matches wins. */
const RANGES = {
  unspecified: ['0.0.0.0/32', '::/128'],
  loopback: ['127.0.0.0/8', '::1/128'],
  private: [
    '0.0.0.0/8', // "this network"
    '10.0.0.0/8',
    '100.64.0.0/10', // shared address space (carrier-grade NAT)
    '169.254.0.0/16', // link-local
    '172.16.0.0/12',
    '192.0.0.0/24', // IETF protocol assignments
    '192.0.2.0/24', // documentation
    '192.168.0.0/16',
    '198.18.0.0/15', // benchmarking
    '198.51.100.0/24', // documentation
    '203.0.113.0/24', // documentation
    '224.0.0.0/4', // multicast
    '240.0.0.0/4', // reserved, and the limited broadcast address
    '64:ff9b:1::/48', // local-use IPv4/IPv6 translation
    '100::/64', // discard-only
    '2001:2::/48', // benchmarking
    '2001:db8::/32', // documentation
    'fc00::/7', // unique local
    'fe80::/10', // link-local
    'fec0::/10', // site-local (deprecated)
    'ff00::/8', // multicast
  ],
} as const satisfies Record<'unspecified' | 'loopback' | 'private', readonly string[]>;

const LISTS = Object.entries(RANGES).map(([kind, ranges]) => {
  const list = new BlockList();
  for (const range of ranges) {
    const [address = '', prefix = ''] = range.split('/');
    list.addSubnet(address, Number(prefix), isIP(address) === 4 ? 'ipv4' : 'ipv6');
  }
  return { kind: kind as keyof typeof RANGES, list };
});

/** Longest input considered; anything longer is `invalid` (a DNS name is at most 253 octets). */
const MAX_HOST_LENGTH = 1024;

/**
 * Parses a host as written in a config (`server.host`) or taken from a URL (`url.hostname`):
 * a hostname, an IPv4 address in any notation the URL parser accepts, or an IPv6 address with or
 * without brackets. Returns undefined when the text is not a host on its own.
 */
export function parseHost(input: string): ParsedHost | undefined {
  if (typeof input !== 'string' || input.length === 0 || input.length > MAX_HOST_LENGTH) {
    return undefined;
  }
  const bracketed = input.startsWith('[') && input.endsWith(']');
  const literal = bracketed ? input.slice(1, -1) : input;
  if (isIP(literal) === 6) return parseIPv6(literal);
  // A colon outside an IPv6 literal is a port; `/ ? # @ \` start a path, query, fragment or
  // user info. The URL parser would silently split those off; here they make the host invalid.
  if (bracketed || /[:/?#@\\]/.test(input)) return undefined;
  let hostname: string;
  try {
    hostname = new URL(`http://${input}/`).hostname;
  } catch {
    return undefined;
  }
  if (isIP(hostname) === 4) return { host: hostname, family: 4, kind: classifyIp(hostname, 4) };
  // The URL parser has lowercased and IDNA-mapped the name (`LOCALHOST`, `ⓛocalhost` → localhost).
  // `localhost.` and `*.localhost` are left to DNS, so they stay names (fail closed).
  return {
    host: hostname,
    family: undefined,
    kind: hostname === 'localhost' ? 'loopback' : 'name',
  };
}

function parseIPv6(literal: string): ParsedHost | undefined {
  const zoneAt = literal.indexOf('%');
  const address = zoneAt === -1 ? literal : literal.slice(0, zoneAt);
  const zone = zoneAt === -1 ? '' : literal.slice(zoneAt);
  let canonical: string;
  try {
    canonical = new URL(`http://[${address}]/`).hostname.slice(1, -1);
  } catch {
    return undefined;
  }
  if (isIP(canonical) !== 6) return undefined;
  return { host: canonical + zone, family: 6, kind: classifyIp(canonical, 6) };
}

function classifyIp(address: string, family: 4 | 6): ParsedHost['kind'] {
  const type = family === 4 ? 'ipv4' : 'ipv6';
  return LISTS.find(({ list }) => list.check(address, type))?.kind ?? 'public';
}

/** The kind of a host string; never throws (`invalid` for anything that is not a host). */
export function classifyHost(input: string): AddressKind {
  return parseHost(input)?.kind ?? 'invalid';
}

/**
 * True when connecting to `host` (e.g. a URL's `hostname`) stays on this machine: a loopback
 * address or `localhost`. Unspecified addresses (0.0.0.0, ::) are not loopback here even though
 * some systems connect them locally: fail closed.
 */
export function isLoopbackHost(host: string): boolean {
  return classifyHost(host) === 'loopback';
}

/**
 * True when listening on `host` (`server.host`) accepts connections from this machine only.
 * 0.0.0.0 and `::` listen on every interface, and a name other than `localhost` may resolve to
 * any address, so both are non-loopback binds.
 */
export function isLoopbackBind(host: string): boolean {
  return classifyHost(host) === 'loopback';
}

/**
 * An IP address literal as Node's sockets accept it (no brackets, no other notation), with its
 * family; undefined for anything else. For allowlists of peer addresses, which are always literal.
 */
export function parseIpLiteral(value: string): { address: string; family: 4 | 6 } | undefined {
  const family = isIP(value);
  if (family === 0) return undefined;
  // A zone (`fe80::1%eth0`) names an interface, not an address.
  if (family === 6 && value.includes('%')) return undefined;
  return { address: value, family: family === 4 ? 4 : 6 };
}
