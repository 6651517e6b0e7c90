/**
 * The dashboard in a real browser (Debian's Chromium through playwright-core) against a real server
 * (API + dispatcher on a SQLite file) delivering to a real receiver: sign in, create a tenant and a
 * webhook, send a test event and watch its delivery arrive live, open its attempts, retry a failed
 * delivery, and open a portal link that sees one tenant only. Screenshots of the main pages go to
 * test-results/screenshots/. Fails (never skips) when Chromium is missing.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultDashboardDir } from '../../src/api/dashboard.js';
import { resolveConfig } from '../../src/config/index.js';
import { startServer, type RunningServer } from '../../src/server.js';
import { startReceiver, type Receiver } from '../helpers/receiver.js';
import { waitFor } from '../helpers/wait.js';

const CHROMIUM = '/usr/bin/chromium';
const ADMIN_KEY = 'hl_browser_test_admin_key_0123456789';
const SHOTS = resolve(import.meta.dirname, '../../test-results/screenshots');

describe('dashboard in Chromium', () => {
  let dir: string;
  let server: RunningServer;
  let receiver: Receiver;
  let browser: Browser;
  let page: Page;
  let base: string;

  async function call(method: string, path: string, body?: unknown, key = ADMIN_KEY) {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, json: (await res.json().catch(() => null)) as any };
  }

  const shot = (p: Page, name: string) => p.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(
        `${CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium); .ci/run does`,
      );
    }
    if (!existsSync(join(defaultDashboardDir(), 'index.html'))) {
      throw new Error('dist/dashboard is missing: run `npm run build` (npm test does)');
    }
    mkdirSync(SHOTS, { recursive: true });
    dir = mkdtempSync(join(tmpdir(), 'hl-browser-'));
    receiver = await startReceiver();
    receiver.on('/fail', { statuses: [500] });
    const config = resolveConfig(
      {},
      {
        HOOKLANE_ADMIN_KEY: ADMIN_KEY,
        HOOKLANE_DATABASE_URL: `sqlite:${join(dir, 'hl.db')}`,
        HOOKLANE_PORT: '0',
        HOOKLANE_ALLOW_PRIVATE_NETWORKS: 'true',
        HOOKLANE_LOG_LEVEL: 'warn',
      },
    );
    server = await startServer(config, { printAdminKey: false });
    base = server.url!;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await receiver?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a wrong key in words, then signs in with the admin key', async () => {
    await page.goto(`${base}/`);
    await page.fill('input[name=key]', 'hl_wrong_key_000000000000000');
    await page.click('button[type=submit]');
    await page.getByRole('alert').getByText('not valid').waitFor();
    await shot(page, 'sign-in');
    await page.fill('input[name=key]', ADMIN_KEY);
    await page.click('button[type=submit]');
    await page.getByText('No tenants yet').waitFor();
    expect(await page.getByTestId('who').textContent()).toBe('platform admin');
  });

  it('creates a tenant and a webhook, sends a test event and sees the delivery arrive live', async () => {
    await page.fill('input[name=name]', 'Acme Inc');
    await page.fill('input[name=id]', 'acme');
    await page.click('text=Create tenant');
    await page.getByRole('link', { name: /Acme Inc/ }).click();
    await page.getByText('No webhooks yet').waitFor();
    await shot(page, 'tenant-empty');
    await page.getByRole('link', { name: 'Create a webhook' }).click();
    await page.fill('input[name=url]', `${receiver.url}/ok`);
    await page.fill('input[name=description]', 'orders service');
    await page.click('text=Create webhook');
    await page.getByRole('button', { name: 'Send test event' }).waitFor();
    await page.getByTestId('live').getByText('live').waitFor();
    await page.getByText('No deliveries yet').waitFor();

    await page.getByRole('button', { name: 'Send test event' }).click();
    // the row appears and turns succeeded without a reload
    await page.locator('[data-testid=deliveries] tr[data-status=succeeded]').waitFor({ timeout: 15_000 });
    // and the health tiles follow (refreshed at most every 5 s while deliveries change)
    await page
      .locator('.tiles div', { hasText: 'success rate' })
      .getByText('100.0%')
      .waitFor({ timeout: 15_000 });
    expect(receiver.received('/ok')).toHaveLength(1);
    await page.getByRole('button', { name: 'Reveal secret' }).click();
    expect(await page.getByTestId('secret').inputValue()).toMatch(/^whsec_/);
    await shot(page, 'webhook');

    await page.locator('[data-testid=deliveries] tr[data-status=succeeded] a').click();
    await page.getByTestId('attempts').waitFor();
    const attempt = page.locator('[data-testid=attempts] li').first();
    expect(await attempt.textContent()).toContain('HTTP 200');
    await attempt.getByText('Request headers').click();
    expect(await attempt.textContent()).toContain('webhook-id');
    await shot(page, 'delivery-succeeded');
  });

  it('retries a failed delivery from its page', async () => {
    const wh = await call('POST', '/v1/tenants/acme/webhooks', {
      url: `${receiver.url}/fail`,
      events: ['never.*'],
      retry_policy: { max_attempts: 1 },
    });
    expect(wh.status).toBe(201);
    await call('POST', `/v1/tenants/acme/webhooks/${wh.json.id}/test`, {});
    const failed = await waitFor(async () => {
      const d = await call('GET', `/v1/tenants/acme/deliveries?webhook_id=${wh.json.id}`);
      return d.json.data.find((x: any) => x.status === 'failed');
    });
    await page.goto(`${base}/t/acme/deliveries/${failed.id}`);
    await page.locator('[data-testid=attempts] li').first().getByText('HTTP 500').waitFor();
    await shot(page, 'delivery-failed');
    await page.getByTestId('retry').click();
    await page.getByText('Queued for another attempt now.').waitFor();
    // the second attempt shows up (live) without a reload
    await page.locator('[data-testid=attempts] li').nth(1).waitFor({ timeout: 15_000 });
    expect(receiver.received('/fail')).toHaveLength(2);
  });

  it('shows charts, events search and event types', async () => {
    await page.goto(`${base}/t/acme`);
    await page.getByText('Delivery health').waitFor();
    await page.locator('figure[aria-label="Success rate"] svg').waitFor();
    await page.locator('figure[aria-label="Attempt latency (ms)"] svg').waitFor();
    await shot(page, 'overview');
    await page.goto(`${base}/t/acme/events`);
    await page.fill('input[name=type]', 'webhook.test');
    await page.click('text=Search');
    await page.locator('.events li').first().waitFor();
    expect(await page.locator('.events li').count()).toBe(2);
    await page.fill('input[name=type]', 'no.such.type');
    await page.click('text=Search');
    await page.getByText('No events found').waitFor();
    await shot(page, 'events');
  });

  it('shows an inbound source: its URL, its request log, a new URL', async () => {
    await page.goto(`${base}/t/acme/sources`);
    await page.getByText('No sources yet').waitFor();
    await page.locator('form', { hasText: 'New source' }).locator('input').first().fill('Billing provider');
    await page.locator('select').selectOption('none');
    await page.click('text=Create source');
    await page.getByRole('link', { name: 'Billing provider' }).click();
    const url = await page.getByTestId('source-url').inputValue();
    expect(url).toMatch(/\/in\/[A-Za-z0-9_-]+$/);
    await page.getByText('Nothing received yet').waitFor();
    const path = new URL(url).pathname;
    const posted = await fetch(`${base}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'invoice.paid', id: 'in-1' }),
    });
    expect(posted.status).toBeLessThan(300);
    await page.getByRole('button', { name: 'Refresh log' }).click();
    await page.locator('table.grid-table tbody tr').first().waitFor();
    await shot(page, 'source');
    page.once('dialog', (d) => void d.accept());
    await page.getByRole('button', { name: 'Rotate URL' }).click();
    await page.getByText('New URL issued').waitFor();
    expect(await page.getByTestId('source-url').inputValue()).not.toBe(url);
  });

  it('opens a portal link that sees only its tenant, also on a phone', async () => {
    await call('POST', '/v1/tenants', { id: 'globex', name: 'Globex' });
    await page.goto(`${base}/t/acme`);
    await page.getByRole('button', { name: 'Create link' }).click();
    const url = await page.getByTestId('portal-url').inputValue();
    expect(url).toMatch(new RegExp(`^${base}/portal#token=hlp_`));

    const phone = await browser.newContext({
      viewport: { width: 390, height: 844 },
      isMobile: true,
      hasTouch: true,
    });
    const portal = await phone.newPage();
    await portal.goto(url);
    await portal.getByText('Delivery health').waitFor();
    expect(await portal.getByTestId('who').textContent()).toBe('acme · editor (portal)');
    // the token left the address bar; nothing of the platform is offered
    expect(portal.url()).toBe(`${base}/t/acme`);
    expect(await portal.getByRole('link', { name: 'Tenants' }).count()).toBe(0);
    expect(await portal.getByRole('button', { name: 'Create link' }).count()).toBe(0);
    await shot(portal, 'portal-phone');
    // another tenant is refused, in words
    await portal.goto(`${base}/t/globex/webhooks`);
    await portal.getByRole('alert').getByText('Not allowed').waitFor();
    await shot(portal, 'portal-other-tenant');
    await phone.close();
  });
});
