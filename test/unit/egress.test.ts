/**
 * The egress guard: address classification over many spellings, URL validation at creation, and
 * the connect-time guard against a real server, including a DNS-rebinding-style name that resolves
 * to 127.0.0.1 only when the request is sent.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import { HooklaneError } from '../../src/domain/errors.js';
import { classifyAddress } from '../../src/delivery/ip-ranges.js';
import {
  EgressBlockedError,
  createGuardedAgent,
  isLocalhostName,
  validateWebhookUrl,
  type LookupFn,
} from '../../src/delivery/egress.js';

describe('classifyAddress', () => {
  const blocked: [string, string][] = [
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', 'this_network'],
    ['10.0.0.1', 'private'],
    ['10.255.255.255', 'private'],
    ['100.64.0.1', 'cgnat'],
    ['100.127.255.254', 'cgnat'],
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['169.254.0.1', 'link_local'],
    ['169.254.169.254', 'metadata'],
    ['169.254.170.2', 'metadata'],
    ['100.100.100.200', 'metadata'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.0.0.8', 'protocol_assignments'],
    ['192.0.2.1', 'documentation'],
    ['192.168.1.1', 'private'],
    ['198.18.0.1', 'benchmarking'],
    ['198.19.255.255', 'benchmarking'],
    ['198.51.100.7', 'documentation'],
    ['203.0.113.9', 'documentation'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['240.0.0.1', 'reserved'],
    ['255.255.255.255', 'broadcast'],
    ['::', 'unspecified'],
    ['::1', 'loopback'],
    ['0:0:0:0:0:0:0:1', 'loopback'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['0:0:0:0:0:ffff:7f00:0001', 'loopback'],
    ['::ffff:10.1.2.3', 'private'],
    ['::ffff:169.254.169.254', 'metadata'],
    ['::127.0.0.1', 'loopback'],
    ['::7f00:1', 'loopback'],
    ['::a00:1', 'private'],
    ['::8.8.8.8', 'reserved'],
    ['::ffff:0:127.0.0.1', 'loopback'],
    ['64:ff9b::127.0.0.1', 'loopback'],
    ['64:ff9b::a9fe:a9fe', 'metadata'],
    ['64:ff9b:1::1', 'nat64_local'],
    ['2002:7f00:1::1', 'loopback'],
    ['2002:c0a8:101::', 'private'],
    ['fc00::1', 'unique_local'],
    ['fd12:3456::1', 'unique_local'],
    ['fd00:ec2::254', 'metadata'],
    ['fe80::1', 'link_local'],
    ['fe80::1%eth0', 'link_local'],
    ['[fe80::abcd]', 'link_local'],
    ['febf::1', 'link_local'],
    ['fec0::1', 'site_local'],
    ['ff02::1', 'multicast'],
    ['100::1', 'discard'],
    ['2001:db8::1', 'documentation'],
    ['2001::1', 'protocol_assignments'],
    ['3fff::1', 'documentation'],
    ['example.com', 'not_an_ip'],
    ['127.1', 'not_an_ip'],
    ['', 'not_an_ip'],
  ];
  it.each(blocked)('%s is %s', (address, range) => {
    expect(classifyAddress(address)).toBe(range);
  });

  const global = [
    '1.1.1.1',
    '8.8.8.8',
    '9.255.255.255',
    '11.0.0.0',
    '100.63.255.255',
    '100.128.0.0',
    '126.255.255.255',
    '128.0.0.0',
    '172.15.255.255',
    '172.32.0.0',
    '192.167.255.255',
    '192.169.0.0',
    '198.17.255.255',
    '198.20.0.0',
    '223.255.255.255',
    '2606:4700:4700::1111',
    '2a00:1450:4001:82a::200e',
    '::ffff:8.8.8.8',
    '64:ff9b::808:808',
    '2002:808:808::1',
    '2001:4860:4860::8888',
    'fbff:ffff::1',
    'fe00::1',
  ];
  it.each(global)('%s is global', (address) => {
    expect(classifyAddress(address)).toBeNull();
  });
});

describe('isLocalhostName', () => {
  it.each(['localhost', 'LOCALHOST', 'localhost.', 'api.localhost', 'a.b.LocalHost..'])(
    '%s is localhost',
    (h) => expect(isLocalhostName(h)).toBe(true),
  );
  it.each(['localhost.example.com', 'mylocalhost', 'localhostx', 'example.com'])('%s is not', (h) =>
    expect(isLocalhostName(h)).toBe(false),
  );
});

/** A fake DNS: names map to fixed answers; anything else does not resolve. */
function fakeDns(table: Record<string, string[]>): LookupFn & { calls: string[] } {
  const calls: string[] = [];
  const fn = async (hostname: string) => {
    calls.push(hostname);
    const answers = table[hostname];
    if (answers === undefined)
      throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
    return answers.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };
  return Object.assign(fn, { calls });
}

async function refusal(url: string, opts: Parameters<typeof validateWebhookUrl>[1]): Promise<string> {
  try {
    await validateWebhookUrl(url, opts);
  } catch (e) {
    expect(e).toBeInstanceOf(HooklaneError);
    const err = e as HooklaneError;
    expect(err.code).toBe('url_not_allowed');
    expect(err.status).toBe(400);
    return err.message;
  }
  throw new Error(`${url} was accepted`);
}

describe('validateWebhookUrl', () => {
  const dns = fakeDns({
    'hooks.example.com': ['93.184.215.14', '2606:2800:21f:cb07:6820:80da:af6b:8b2c'],
    'internal.example.com': ['10.0.0.5'],
    'mixed.example.com': ['93.184.215.14', 'fd00::5'],
    'meta.example.com': ['169.254.169.254'],
    'mapped.example.com': ['::ffff:127.0.0.1'],
  });
  const strict = { allowPrivateNetworks: false, requireHttps: false, lookup: dns };

  it('accepts a public https and http URL', async () => {
    await expect(validateWebhookUrl('https://hooks.example.com/in?x=1', strict)).resolves.toBeUndefined();
    await expect(validateWebhookUrl('http://hooks.example.com:8443/in', strict)).resolves.toBeUndefined();
    await expect(validateWebhookUrl('https://93.184.215.14/in', strict)).resolves.toBeUndefined();
    await expect(validateWebhookUrl('https://[2606:4700::1111]/in', strict)).resolves.toBeUndefined();
  });

  // Every spelling WHATWG URL normalises to a blocked literal, checked through the real parser.
  const literalForms = [
    'http://127.0.0.1/',
    'http://127.0.0.1.:8080/',
    'http://2130706433/',
    'http://0x7f000001/',
    'http://017700000001/',
    'http://0x7f.1/',
    'http://0177.0.0.1/',
    'http://0x7f.0x00.0x00.0x01/',
    'http://127.1/',
    'http://%31%32%37.0.0.1/',
    'http://１２７.0.0.1/',
    'http://0/',
    'http://10.1.2.3/',
    'http://192.168.0.10/',
    'http://172.20.0.1/',
    'http://100.64.0.7/',
    'http://169.254.169.254/latest/meta-data/',
    'http://2852039166/',
    'http://[::1]/',
    'http://[0:0:0:0:0:0:0:1]/',
    'http://[::ffff:127.0.0.1]/',
    'http://[::ffff:a9fe:a9fe]/',
    'http://[::127.0.0.1]/',
    'http://[64:ff9b::127.0.0.1]/',
    'http://[fd00:ec2::254]/',
    'http://[fe80::1]/',
    'http://[fc00::1]/',
    'http://[ff02::1]/',
    'http://[::]/',
    'http://224.0.0.1/',
    'http://255.255.255.255/',
    'http://240.1.2.3/',
    'http://198.18.0.1/',
  ];
  it.each(literalForms)('refuses %s without resolving it', async (url) => {
    const before = dns.calls.length;
    expect(await refusal(url, strict)).toMatch(/^host ".+" is .+, which webhooks may not reach$/);
    expect(dns.calls.length).toBe(before);
  });

  it.each([
    'http://localhost/',
    'http://LOCALHOST.:3000/',
    'http://api.localhost/',
    'https://a.b.localhost/x',
  ])('refuses the localhost name %s', async (url) => {
    expect(await refusal(url, strict)).toMatch(/localhost name/);
  });

  it('refuses names resolving to blocked addresses, naming the range but not the address', async () => {
    expect(await refusal('https://internal.example.com/', strict)).toBe(
      'host "internal.example.com" resolves to a private network address, which webhooks may not reach',
    );
    expect(await refusal('https://mixed.example.com/', strict)).toMatch(/unique-local/);
    expect(await refusal('https://meta.example.com/', strict)).toMatch(/metadata/);
    expect(await refusal('https://mapped.example.com/', strict)).toMatch(/loopback/);
    expect(await refusal('https://internal.example.com/', strict)).not.toContain('10.0.0.5');
  });

  it('refuses unresolvable hosts, bad schemes, credentials and non-https when required', async () => {
    expect(await refusal('https://nowhere.example.com/', strict)).toBe(
      'host "nowhere.example.com" does not resolve',
    );
    expect(await refusal('ftp://hooks.example.com/', strict)).toMatch(/http or https/);
    expect(await refusal('file:///etc/passwd', strict)).toMatch(/http or https/);
    expect(await refusal('javascript:alert(1)', strict)).toMatch(/http or https/);
    expect(await refusal('not a url', strict)).toMatch(/not a valid/);
    expect(await refusal('/relative/path', strict)).toMatch(/not a valid/);
    expect(await refusal('https://user:pw@hooks.example.com/', strict)).toMatch(/credentials/);
    expect(await refusal('https://user@hooks.example.com/', strict)).toMatch(/credentials/);
    expect(await refusal('http://hooks.example.com/', { ...strict, requireHttps: true })).toMatch(
      /must use https/,
    );
    await expect(
      validateWebhookUrl('https://hooks.example.com/', { ...strict, requireHttps: true }),
    ).resolves.toBe(undefined);
  });

  it('never echoes credentials or the query string in the reason', async () => {
    const msg = await refusal('http://admin:hunter2@127.0.0.1/?token=s3cret', strict);
    expect(msg).not.toMatch(/hunter2|s3cret|admin/);
  });

  it('with private networks allowed: loopback and private pass, metadata never does', async () => {
    const open = { allowPrivateNetworks: true, requireHttps: false, lookup: dns };
    for (const url of [
      'http://127.0.0.1:9/',
      'http://localhost:3000/',
      'http://[::1]/',
      'http://10.0.0.1/',
      'http://internal.example.com/',
    ]) {
      await expect(validateWebhookUrl(url, open)).resolves.toBeUndefined();
    }
    expect(await refusal('http://169.254.169.254/', open)).toMatch(/metadata/);
    expect(await refusal('http://[fd00:ec2::254]/', open)).toMatch(/metadata/);
    expect(await refusal('http://[::ffff:169.254.169.254]/', open)).toMatch(/metadata/);
  });
});

describe('connect-time guard (real server on 127.0.0.1)', () => {
  let server: Server;
  let port = 0;
  let hits = 0;

  beforeAll(async () => {
    server = createServer((_req, res) => {
      hits++;
      res.end('reached');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const addr = server.address();
    port = typeof addr === 'object' && addr !== null ? addr.port : 0;
  });
  afterAll(async () => {
    await new Promise<void>((r) => server.close(() => r()));
  });

  async function post(agent: ReturnType<typeof createGuardedAgent>, origin: string) {
    const res = await agent.request({ origin, path: '/', method: 'POST', body: '{}' });
    return { status: res.statusCode, body: await res.body.text() };
  }

  it('DNS rebinding: a name that passed validation but resolves to 127.0.0.1 at send time is refused', async () => {
    let answer = '93.184.215.14';
    const rebinding: LookupFn = async () => [{ address: answer, family: 4 }];
    await validateWebhookUrl(`http://rebind.example.com:${port}/`, {
      allowPrivateNetworks: false,
      requireHttps: false,
      lookup: rebinding,
    });

    answer = '127.0.0.1';
    const agent = createGuardedAgent({ allowPrivateNetworks: false, lookup: rebinding });
    const before = hits;
    const err = await post(agent, `http://rebind.example.com:${port}`).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EgressBlockedError);
    expect((err as EgressBlockedError).range).toBe('loopback');
    expect(hits).toBe(before);
    await agent.close();
  });

  it('refuses literal blocked hosts (net.connect would skip the lookup for them)', async () => {
    const agent = createGuardedAgent({ allowPrivateNetworks: false });
    const before = hits;
    for (const origin of [
      `http://127.0.0.1:${port}`,
      `http://[::ffff:127.0.0.1]:${port}`,
      `http://localhost:${port}`,
    ]) {
      const err = await post(agent, origin).catch((e: unknown) => e);
      expect(err, origin).toBeInstanceOf(EgressBlockedError);
    }
    expect(hits).toBe(before);
    await agent.close();
  });

  it('a name with one public and one blocked address is refused', async () => {
    const agent = createGuardedAgent({
      allowPrivateNetworks: false,
      lookup: async () => [
        { address: '127.0.0.1', family: 4 },
        { address: '2606:4700::1111', family: 6 },
      ],
    });
    const err = await post(agent, `http://two.example.com:${port}`).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EgressBlockedError);
    await agent.close();
  });

  it('with private networks allowed the same request goes through, through the injected lookup', async () => {
    const seen: string[] = [];
    const agent = createGuardedAgent({
      allowPrivateNetworks: true,
      lookup: async (h) => {
        seen.push(h);
        return [{ address: '127.0.0.1', family: 4 }];
      },
    });
    const before = hits;
    expect(await post(agent, `http://rebind.example.com:${port}`)).toEqual({ status: 200, body: 'reached' });
    expect(await post(agent, `http://127.0.0.1:${port}`)).toEqual({ status: 200, body: 'reached' });
    expect(hits).toBe(before + 2);
    expect(seen).toContain('rebind.example.com');
    await agent.close();
  });

  it('metadata stays blocked even with private networks allowed', async () => {
    const agent = createGuardedAgent({
      allowPrivateNetworks: true,
      lookup: async () => [{ address: '169.254.169.254', family: 4 }],
    });
    const err = await post(agent, `http://metadata.google.internal:${port}`).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EgressBlockedError);
    expect((err as EgressBlockedError).range).toBe('metadata');
    await agent.close();
  });
});
