/**
 * Classifies an IP address for the egress guard: which special-purpose range (IANA IPv4/IPv6
 * Special-Purpose Address Registries, RFC 6890 and successors) it falls in, or null for an ordinary
 * global address. Addresses are parsed to bytes, never matched as strings, so every spelling of one
 * address (`::ffff:127.0.0.1`, `::ffff:7f00:1`, `0:0:0:0:0:ffff:7f00:0001`) lands in the same range.
 */
import { isIPv4, isIPv6 } from 'node:net';

export type AddressRange =
  | 'unspecified'
  | 'this_network'
  | 'loopback'
  | 'private'
  | 'cgnat'
  | 'link_local'
  | 'metadata'
  | 'protocol_assignments'
  | 'documentation'
  | 'benchmarking'
  | 'multicast'
  | 'reserved'
  | 'broadcast'
  | 'unique_local'
  | 'site_local'
  | 'discard'
  | 'nat64_local'
  | 'not_an_ip';

interface Cidr4 {
  base: number;
  bits: number;
  range: AddressRange;
}

const v4 = (a: number, b: number, c: number, d: number) => ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;

// Most specific first: the first match wins.
const V4_RANGES: Cidr4[] = [
  { base: v4(0, 0, 0, 0), bits: 32, range: 'unspecified' },
  { base: v4(255, 255, 255, 255), bits: 32, range: 'broadcast' },
  // Cloud instance metadata services hand out credentials: AWS/GCP/Azure/OpenStack, AWS ECS task
  // metadata, Alibaba Cloud, and Azure's wire server.
  { base: v4(169, 254, 169, 254), bits: 32, range: 'metadata' },
  { base: v4(169, 254, 170, 2), bits: 32, range: 'metadata' },
  { base: v4(100, 100, 100, 200), bits: 32, range: 'metadata' },
  { base: v4(168, 63, 129, 16), bits: 32, range: 'metadata' },
  { base: v4(0, 0, 0, 0), bits: 8, range: 'this_network' },
  { base: v4(10, 0, 0, 0), bits: 8, range: 'private' },
  { base: v4(100, 64, 0, 0), bits: 10, range: 'cgnat' },
  { base: v4(127, 0, 0, 0), bits: 8, range: 'loopback' },
  { base: v4(169, 254, 0, 0), bits: 16, range: 'link_local' },
  { base: v4(172, 16, 0, 0), bits: 12, range: 'private' },
  { base: v4(192, 0, 0, 0), bits: 24, range: 'protocol_assignments' },
  { base: v4(192, 0, 2, 0), bits: 24, range: 'documentation' },
  { base: v4(192, 88, 99, 0), bits: 24, range: 'reserved' },
  { base: v4(192, 168, 0, 0), bits: 16, range: 'private' },
  { base: v4(198, 18, 0, 0), bits: 15, range: 'benchmarking' },
  { base: v4(198, 51, 100, 0), bits: 24, range: 'documentation' },
  { base: v4(203, 0, 113, 0), bits: 24, range: 'documentation' },
  { base: v4(224, 0, 0, 0), bits: 4, range: 'multicast' },
  { base: v4(240, 0, 0, 0), bits: 4, range: 'reserved' },
];

function classifyV4(addr: number): AddressRange | null {
  for (const r of V4_RANGES) {
    const mask = r.bits === 0 ? 0 : (0xffffffff << (32 - r.bits)) >>> 0;
    if ((addr & mask) >>> 0 === r.base) return r.range;
  }
  return null;
}

function parseV4(s: string): number {
  const p = s.split('.');
  return v4(Number(p[0]), Number(p[1]), Number(p[2]), Number(p[3]));
}

/** 16 bytes of an IPv6 address already validated by net.isIPv6 (zone id removed). */
function parseV6(s: string): Uint8Array {
  const bytes = new Uint8Array(16);
  let text = s;
  let tail: number[] = [];
  const lastColon = text.lastIndexOf(':');
  if (text.indexOf('.', lastColon) >= 0) {
    const n = parseV4(text.slice(lastColon + 1));
    tail = [n >>> 16, n & 0xffff];
    // The dotted quad stands for the last two groups.
    text = text.slice(0, lastColon + 1) + '0:0';
  }
  const [head, rest] = text.split('::') as [string, string | undefined];
  const headGroups = head === '' ? [] : head.split(':');
  const restGroups = rest === undefined || rest === '' ? [] : rest.split(':');
  let groups: number[];
  if (rest === undefined) groups = headGroups.map((g) => parseInt(g, 16));
  else {
    const zeros = 8 - headGroups.length - restGroups.length;
    groups = [
      ...headGroups.map((g) => parseInt(g, 16)),
      ...new Array<number>(Math.max(0, zeros)).fill(0),
      ...restGroups.map((g) => parseInt(g, 16)),
    ];
  }
  if (tail.length === 2) groups.splice(6, 2, ...tail);
  for (let i = 0; i < 8; i++) {
    bytes[i * 2] = (groups[i]! >> 8) & 0xff;
    bytes[i * 2 + 1] = groups[i]! & 0xff;
  }
  return bytes;
}

function allZero(b: Uint8Array, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (b[i] !== 0) return false;
  return true;
}

function v4At(b: Uint8Array, offset: number): number {
  return v4(b[offset]!, b[offset + 1]!, b[offset + 2]!, b[offset + 3]!);
}

function classifyV6(b: Uint8Array): AddressRange | null {
  if (allZero(b, 0, 10)) {
    // ::/128, ::1, IPv4-mapped ::ffff:0:0/96 and IPv4-compatible ::/96 (deprecated)
    if (b[10] === 0xff && b[11] === 0xff) return classifyV4(v4At(b, 12));
    if (b[10] === 0 && b[11] === 0) {
      if (allZero(b, 12, 15)) {
        if (b[15] === 0) return 'unspecified';
        if (b[15] === 1) return 'loopback';
      }
      // No host routes IPv4-compatible addresses any more: whatever they embed, nothing legitimate is there.
      return classifyV4(v4At(b, 12)) ?? 'reserved';
    }
  }
  // IPv4-translated ::ffff:0:a.b.c.d (RFC 2765)
  if (allZero(b, 0, 8) && b[8] === 0xff && b[9] === 0xff && b[10] === 0 && b[11] === 0) {
    return classifyV4(v4At(b, 12)) ?? 'reserved';
  }
  const w0 = (b[0]! << 8) | b[1]!;
  const w1 = (b[2]! << 8) | b[3]!;
  const w2 = (b[4]! << 8) | b[5]!;
  // NAT64 64:ff9b::/96 reaches whatever IPv4 address it embeds; 64:ff9b:1::/48 is local-use.
  if (w0 === 0x64 && w1 === 0xff9b) {
    if (allZero(b, 4, 12)) return classifyV4(v4At(b, 12));
    if (w2 === 1) return 'nat64_local';
  }
  // 6to4 2002::/16 tunnels to the IPv4 address in bits 16–48.
  if (w0 === 0x2002) return classifyV4(v4At(b, 2));
  // AWS's IPv6 instance metadata service.
  if (w0 === 0xfd00 && w1 === 0x0ec2 && allZero(b, 4, 14) && b[14] === 0x02 && b[15] === 0x54)
    return 'metadata';
  if (w0 === 0x0100 && allZero(b, 2, 8)) return 'discard';
  if (w0 === 0x2001 && w1 === 0x0db8) return 'documentation';
  // 2001::/23: IETF protocol assignments (Teredo, benchmarking, ORCHID…), not ordinary hosts.
  if (w0 === 0x2001 && w1 < 0x0200) return 'protocol_assignments';
  if (w0 === 0x3fff && w1 < 0x1000) return 'documentation';
  if ((b[0]! & 0xfe) === 0xfc) return 'unique_local';
  if (b[0] === 0xfe && (b[1]! & 0xc0) === 0x80) return 'link_local';
  if (b[0] === 0xfe && (b[1]! & 0xc0) === 0xc0) return 'site_local';
  if (b[0] === 0xff) return 'multicast';
  return null;
}

/** Strips URL brackets and an IPv6 zone id (`fe80::1%eth0`). */
export function bareAddress(host: string): string {
  let h = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  const zone = h.indexOf('%');
  if (zone >= 0) h = h.slice(0, zone);
  return h;
}

/** True for a literal IPv4 or IPv6 address (brackets and zone id allowed). */
export function isIpLiteral(host: string): boolean {
  const h = bareAddress(host);
  return isIPv4(h) || isIPv6(h);
}

/**
 * The special-purpose range of an IP address, or null for an ordinary global one. Anything that is
 * not a literal address is `not_an_ip`, so a caller that forgets to resolve first is refused.
 */
export function classifyAddress(address: string): AddressRange | null {
  const a = bareAddress(address);
  if (isIPv4(a)) return classifyV4(parseV4(a));
  if (isIPv6(a)) return classifyV6(parseV6(a));
  return 'not_an_ip';
}
