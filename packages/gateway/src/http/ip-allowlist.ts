import { BlockList, isIP } from 'node:net';

/**
 * IP/CIDR allowlists (trusted proxies, metrics readers) on Node's own BlockList, which
 * matches IPv4, IPv6 and IPv4-mapped IPv6 addresses correctly.
 */
export function isCidrOrIp(value: string): boolean {
  return parseEntry(value) !== undefined;
}

function parseEntry(
  value: string,
): { address: string; prefix: number; family: 'ipv4' | 'ipv6' } | undefined {
  const [address = '', prefixText, extra] = value.split('/');
  if (extra !== undefined) return undefined;
  const version = isIP(address);
  if (version === 0) return undefined;
  const family = version === 4 ? 'ipv4' : 'ipv6';
  const max = version === 4 ? 32 : 128;
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
      if (ip === undefined) return false;
      const version = isIP(ip);
      if (version === 0) return false;
      if (version === 6 && ip.toLowerCase().startsWith('::ffff:') && isIP(ip.slice(7)) === 4) {
        return list.check(ip.slice(7), 'ipv4');
      }
      return list.check(ip, version === 4 ? 'ipv4' : 'ipv6');
    },
  };
}

/** True when the entry admits every address of its family (anyone could then spoof). */
export function isMatchAll(entry: string): boolean {
  const parsed = parseEntry(entry);
  return parsed !== undefined && parsed.prefix === 0;
}

export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127\./.test(host);
}
