/**
 * The egress guard: hooklane POSTs to URLs its tenants choose, so without a guard a tenant could
 * make it reach the platform's own network (SSRF): loopback admin ports, private services, the cloud
 * metadata endpoint that hands out credentials. Checked twice:
 *
 * 1. at webhook create/update (`validateWebhookUrl`, a 400 for the user), on the URL's host and on
 *    every address its name resolves to;
 * 2. at connect time, on the address actually dialled (`createGuardedAgent`): a name that resolved
 *    to a public address at creation and to 127.0.0.1 later (DNS rebinding) is refused there.
 *
 * With private networks allowed (a dev setup, receivers on 127.0.0.1) every range is reachable
 * except cloud metadata: no webhook has a reason to reach it, and it is the one address whose
 * answer is a credential.
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import type { LookupFunction } from 'node:net';
import { Agent, buildConnector } from 'undici';
import { HooklaneError } from '../domain/errors.js';
import { bareAddress, classifyAddress, isIpLiteral, type AddressRange } from './ip-ranges.js';

export interface ResolvedAddress {
  address: string;
  /** 4 or 6 */
  family: number;
}

/** Resolves a host name to all its addresses. Injectable so tests can simulate any DNS answer. */
export type LookupFn = (hostname: string) => Promise<ResolvedAddress[]>;

export const systemLookup: LookupFn = (hostname) => dnsLookup(hostname, { all: true, verbatim: true });

export interface EgressPolicy {
  allowPrivateNetworks: boolean;
}

export const EGRESS_BLOCKED_CODE = 'ERR_HOOKLANE_EGRESS_BLOCKED';

/** A connection refused by the guard. The message names the host and the range, never the URL. */
export class EgressBlockedError extends Error {
  readonly code = EGRESS_BLOCKED_CODE;
  constructor(
    readonly host: string,
    readonly range: AddressRange | 'localhost_name',
    resolved: boolean,
  ) {
    super(
      `host "${host}" ${resolved ? 'resolves to' : 'is'} ${describeRange(range)}, which webhooks may not reach`,
    );
    this.name = 'EgressBlockedError';
  }
}

const RANGE_WORDS: Record<AddressRange | 'localhost_name', string> = {
  unspecified: 'the unspecified address',
  this_network: 'a "this network" address (0.0.0.0/8)',
  loopback: 'a loopback address',
  private: 'a private network address',
  cgnat: 'a carrier-grade NAT address (100.64.0.0/10)',
  link_local: 'a link-local address',
  metadata: 'a cloud metadata address',
  protocol_assignments: 'an IETF protocol assignment address',
  documentation: 'a documentation address',
  benchmarking: 'a benchmarking address (198.18.0.0/15)',
  multicast: 'a multicast address',
  reserved: 'a reserved address',
  broadcast: 'the broadcast address',
  unique_local: 'a unique-local address (fc00::/7)',
  site_local: 'a site-local address',
  discard: 'a discard-only address',
  nat64_local: 'a local-use NAT64 address',
  not_an_ip: 'not an IP address',
  localhost_name: 'a localhost name',
};

function describeRange(range: AddressRange | 'localhost_name'): string {
  return RANGE_WORDS[range];
}

/** The range that makes `address` unreachable under this policy, or null when it may be dialled. */
export function blockedRange(address: string, policy: EgressPolicy): AddressRange | null {
  const range = classifyAddress(address);
  if (range === null) return null;
  if (policy.allowPrivateNetworks && range !== 'metadata' && range !== 'not_an_ip') return null;
  return range;
}

/** `localhost` and every `*.localhost` name (RFC 6761: they always mean this machine). */
export function isLocalhostName(host: string): boolean {
  const h = host.toLowerCase().replace(/\.+$/, '');
  return h === 'localhost' || h.endsWith('.localhost');
}

/**
 * Checks a URL host before any resolution: a literal address by its range, a localhost name by
 * name. Returns the refusal, or null when the host is a name that must be resolved to decide.
 */
function refuseHost(host: string, policy: EgressPolicy): EgressBlockedError | null {
  if (isIpLiteral(host)) {
    const range = blockedRange(host, policy);
    return range === null ? null : new EgressBlockedError(host, range, false);
  }
  if (!policy.allowPrivateNetworks && isLocalhostName(host))
    return new EgressBlockedError(host, 'localhost_name', false);
  return null;
}

function refuseResolved(
  host: string,
  addresses: readonly ResolvedAddress[],
  policy: EgressPolicy,
): EgressBlockedError | null {
  for (const a of addresses) {
    const range = blockedRange(a.address, policy);
    if (range !== null) return new EgressBlockedError(host, range, true);
  }
  return null;
}

function urlNotAllowed(detail: string): HooklaneError {
  return new HooklaneError('url_not_allowed', detail);
}

/**
 * Validates a webhook URL at create/update; throws HooklaneError('url_not_allowed', reason).
 * WHATWG URL parsing already normalises decimal, hex, octal and short IPv4 forms
 * (`http://2130706433`, `http://0x7f.1`, `http://0177.0.0.1`, `http://127.1` are all `127.0.0.1`)
 * and IPv6 spellings, so the literal check sees the canonical address.
 *
 * With private networks allowed nothing a name resolves to is refused here (metadata addresses are
 * refused by the connect-time guard), so no DNS query is made: a receiver on an internal name that
 * this host cannot resolve yet can still be registered.
 */
export async function validateWebhookUrl(
  url: string,
  opts: { allowPrivateNetworks: boolean; requireHttps: boolean; lookup?: LookupFn },
): Promise<void> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw urlNotAllowed('URL is not a valid absolute URL');
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:')
    throw urlNotAllowed('URL must use http or https');
  if (opts.requireHttps && parsed.protocol !== 'https:') throw urlNotAllowed('URL must use https');
  if (parsed.username !== '' || parsed.password !== '')
    throw urlNotAllowed('URL must not contain credentials');
  const host = bareAddress(parsed.hostname).replace(/\.+$/, '');
  if (host === '') throw urlNotAllowed('URL has no host');
  const policy: EgressPolicy = { allowPrivateNetworks: opts.allowPrivateNetworks };

  const literal = refuseHost(host, policy);
  if (literal !== null) throw urlNotAllowed(literal.message);
  if (isIpLiteral(host) || policy.allowPrivateNetworks) return;

  let addresses: ResolvedAddress[];
  try {
    addresses = await (opts.lookup ?? systemLookup)(host);
  } catch {
    throw urlNotAllowed(`host "${host}" does not resolve`);
  }
  if (addresses.length === 0) throw urlNotAllowed(`host "${host}" does not resolve`);
  const resolved = refuseResolved(host, addresses, policy);
  if (resolved !== null) throw urlNotAllowed(resolved.message);
}

function familyOf(family: number | string | undefined): 0 | 4 | 6 {
  if (family === 4 || family === 'IPv4') return 4;
  if (family === 6 || family === 'IPv6') return 6;
  return 0;
}

/**
 * A `net.connect` lookup that resolves with `lookup` and refuses the connection when ANY address of
 * the name is blocked (a name with one public and one private address could be dialled on either).
 * Node calls it with `all: true` when it races address families (autoSelectFamily).
 */
export function guardedLookup(policy: EgressPolicy, lookup: LookupFn = systemLookup): LookupFunction {
  return (hostname, options, callback) => {
    lookup(hostname).then(
      (addresses) => {
        const refused = refuseResolved(hostname, addresses, policy);
        if (refused !== null) return callback(refused, '');
        const family = familyOf(options.family);
        const usable = family === 0 ? addresses : addresses.filter((a) => a.family === family);
        const first = usable[0];
        if (first === undefined) {
          const err: NodeJS.ErrnoException = new Error(`getaddrinfo ENOTFOUND ${hostname}`);
          err.code = 'ENOTFOUND';
          return callback(err, '');
        }
        if (options.all === true) return callback(null, usable);
        return callback(null, first.address, first.family);
      },
      (err: NodeJS.ErrnoException) => callback(err, ''),
    );
  };
}

/**
 * An undici connector that refuses blocked hosts before dialling. A literal IP host is checked
 * here because net.connect skips `lookup` for literals; a name is checked on what it resolves to,
 * at the moment of connecting.
 */
export function guardedConnector(
  policy: EgressPolicy,
  lookup: LookupFn = systemLookup,
  connectOptions: buildConnector.BuildOptions = {},
): buildConnector.connector {
  const dial = buildConnector({ ...connectOptions, lookup: guardedLookup(policy, lookup) });
  return (options, callback) => {
    const refused = refuseHost(bareAddress(options.hostname), policy);
    if (refused !== null) return callback(refused, null);
    dial(options, callback);
  };
}

export interface GuardedAgentOptions extends EgressPolicy {
  lookup?: LookupFn;
  /** connections per origin (default 256) */
  connectionsPerOrigin?: number;
  /** how long an idle keep-alive connection is kept, ms (default 10 s) */
  keepAliveTimeoutMs?: number;
  /** TCP/TLS connect timeout, ms (default 10 s); each request's own timeout also covers connecting */
  connectTimeoutMs?: number;
}

/**
 * The one undici Agent for webhook traffic: a keep-alive pool per origin (so repeated deliveries to
 * one receiver reuse connections), no pipelining (one slow answer must not hold up requests queued
 * behind it on the same socket), every connection through the guard.
 */
export function createGuardedAgent(opts: GuardedAgentOptions): Agent {
  return new Agent({
    connections: opts.connectionsPerOrigin ?? 256,
    pipelining: 1,
    keepAliveTimeout: opts.keepAliveTimeoutMs ?? 10_000,
    connect: guardedConnector(opts, opts.lookup, { timeout: opts.connectTimeoutMs ?? 10_000 }),
  });
}
