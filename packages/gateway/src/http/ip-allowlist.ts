import { BlockList } from 'node:net';
import { parseIpLiteral } from './address.js';

/**
 * IP/CIDR allowlists (trusted proxies, metrics readers) on Node's own BlockList, which
 * matches IPv4, IPv6 and IPv4-mapped IPv6 addresses correctly. Addresses are parsed by
 * address.ts, like every other address decision.
 */
export function isCidrOrIp(value: string): boolean {
  return parseEntry(value) !== undefined;
}

function parseEntry(
  value: string,
): { address: string; prefix: number; family: 'ipv4' | 'ipv6' } | undefined {
  const [address = '', prefixText, extra] = value.split('/');
  if (extra !== undefined) return undefined;
  const ip = parseIpLiteral(address);
  if (ip === undefined) return undefined;
  const family = ip.family === 4 ? 'ipv4' : 'ipv6';
  const max = ip.family === 4 ? 32 : 128;
  if (prefixText === undefined) return { address, prefix: max, family };
  if (!/^\d{1,3}$/.test(prefixText)) return undefined;
  const prefix = Number(prefixText);
  return prefix <= max ? { address, prefix, family } : undefined;
}

export interface IpAllowlist {
  has(ip: string | undefined): boolean;
}

export function ipAllowlist(entries: readonly string[]): IpAllowlist {
  const list = new BlockList();
  for (const entry of entries) {
    const parsed = parseEntry(entry);
    if (parsed === undefined) throw new TypeError(`not an IP address or CIDR range: ${entry}`);
    list.addSubnet(parsed.address, parsed.prefix, parsed.family);
  }
  return {
    has(ip) {
      const parsed = ip === undefined ? undefined : parseIpLiteral(ip);
      if (parsed === undefined) return false;
      // BlockList checks an IPv4-mapped IPv6 peer (::ffff:10.0.0.1) against IPv4 entries itself.
      return list.check(parsed.address, parsed.family === 4 ? 'ipv4' : 'ipv6');
    },
  };
}

/** True when the entry admits every address of its family (anyone could then spoof). */
export function isMatchAll(entry: string): boolean {
  const parsed = parseEntry(entry);
  return parsed !== undefined && parsed.prefix === 0;
}
