import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

/** What the page's own scripts see; declared here because the tests compile without the DOM library. */
declare const document: { documentElement: { scrollWidth: number }; querySelector(selector: string): { textContent: string | null } | null };
import { startLocalHostProcess, type LocalHostProcess } from '../support/local-host-process';
import { uniquePhoneNumber } from '../support/onboarding';

/**
 * The ops console in a real browser: Debian's Chromium driven by playwright-core against the
 * local host (`npm start`), which serves both the page and the API it calls.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const available = existsSync(CHROMIUM);
if (!available) {
  process.stderr.write(
    `\nSKIPPED the ops console browser tests: no Chromium at ${CHROMIUM}. ` +
      'Install it (Debian: apt-get install chromium) or set CHROMIUM_PATH, then run npm test again.\n\n',
  );
}

const SCREENSHOT = path.resolve(__dirname, '..', '..', 'test-results', 'ops-console.png');

let host: LocalHostProcess;
let browser: Browser;
let page: Page;
const problems: string[] = [];
/**
 * What the browser reported, less health answering 503: health reports storage as it is at that
 * instant (a loaded test machine can drop one ping), and the page shows it; the tests of health
 * itself are elsewhere.
 */
const unexpected = (): string[] => {
  const healthDown = problems.includes('HTTP 503 /api/health');
  return problems.filter((line) => line !== 'HTTP 503 /api/health' && !(healthDown && line.includes('status of 503')));
};

const api = async (method: string, route: string, body?: unknown) => {
  const response = await fetch(`${host.url}${route}`, {
    method,
    ...(body !== undefined ? { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${route}: ${response.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
};

/** A byo number taken to Connected through the API, reading the code the Meta sandbox sent. */
async function connectedRegistration(): Promise<{ id: string; phoneNumber: string }> {
  const phoneNumber = uniquePhoneNumber();
  const { id } = await api('POST', '/api/registrations', { phoneNumber, phoneNumberSource: 'byo' });
  await api('PUT', `/api/registrations/${id}/business-account`, { businessId: '100000000000001' });
  await api('PUT', `/api/registrations/${id}/whatsapp-profile`, { whatsAppBusinessAccountId: '200000000000001', displayName: 'Contoso Bikes' });
  await api('POST', `/api/registrations/${id}/verification`, { method: 'SMS' });
  const { code } = await api('GET', `/meta-sandbox/_sandbox/codes/${phoneNumber.slice(1)}`);
  await api('POST', `/api/registrations/${id}/verification/code`, { code });
  return { id, phoneNumber };
}

(available ? describe : describe.skip)('ops console in headless Chromium', () => {
  let connected: { id: string; phoneNumber: string };
  let started: { id: string };

  beforeAll(async () => {
    host = await startLocalHostProcess();
    connected = await connectedRegistration();
    started = await api('POST', '/api/registrations', { phoneNumber: uniquePhoneNumber(), phoneNumberSource: 'acs' });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console: ${message.text()}`);
    });
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('response', (response) => {
      if (response.status() >= 400) problems.push(`HTTP ${response.status()} ${new URL(response.url()).pathname}`);
    });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await host?.stop();
  });

  it('loads with no console error and shows the counts the API gives', async () => {
    await page.goto(`${host.url}/api/ops`);
    await page.waitForSelector('body[data-ready="true"]');
    const summary = await api('GET', '/api/registrations/summary');
    for (const [status, count] of Object.entries(summary.byStatus as Record<string, number>)) {
      expect(await page.textContent(`[data-status="${status}"] .n`)).toBe(String(count));
    }
    expect(summary.byStatus.DisplayNameReviewPending).toBeGreaterThanOrEqual(1);
    const banner = await page.$eval('#health-banner', (node) => ({ text: node.textContent ?? '', tone: node.className }));
    expect(banner.text).toMatch(/^(Service healthy|Service degraded|Service unavailable|Meta access is broken)/);
    expect(banner.tone).toMatch(/^banner (ok|degraded|unavailable|critical)$/);
    mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(unexpected()).toEqual([]);
  });

  it('fits a phone screen without sideways scrolling', async () => {
    const phone = await browser.newPage({ viewport: { width: 390, height: 844 } });
    await phone.goto(`${host.url}/api/ops`);
    await phone.waitForSelector('body[data-ready="true"]');
    expect(await phone.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await phone.close();
  });

  it('narrows the list with a filter', async () => {
    const rowIds = () => page.$$eval('#list tbody tr[data-id]', (rows) => rows.map((row) => row.getAttribute('data-id')));
    await page.waitForSelector(`#list tbody tr[data-id="${started.id}"]`);
    expect(await rowIds()).toEqual(expect.arrayContaining([connected.id, started.id]));

    await page.selectOption('#filter-stage', 'Connected');
    await page.click('#filters button[type="submit"]');
    await page.waitForSelector(`#list tbody tr[data-id="${started.id}"]`, { state: 'detached' });
    const shown = await rowIds();
    expect(shown).toContain(connected.id);
    const expected = await api('GET', '/api/registrations?stage=Connected&limit=25');
    expect(shown).toEqual(expected.items.map((item: { id: string }) => item.id));
    expect(unexpected()).toEqual([]);
  });

  it('disconnects a registration from the page after a confirmation', async () => {
    await page.click(`#list tbody tr[data-id="${connected.id}"]`);
    await page.waitForSelector('#detail:not([hidden])');
    expect(await page.textContent('#detail-body')).toContain(connected.phoneNumber);
    await page.waitForSelector('#timeline li');

    await page.click('#actions button[data-action="disconnect"]');
    await page.waitForSelector('#confirm[open]');
    await page.click('#confirm-ok');
    await page.waitForFunction(() => document.querySelector('#action-result')?.textContent?.includes('Disconnected'));

    const after = await api('GET', `/api/registrations/${connected.id}`);
    expect(after.status).toBe('Disconnected');
    const history = await api('GET', `/api/registrations/${connected.id}/history`);
    expect(history.items.at(-1).to.status).toBe('Disconnected');
    // Counts follow a change within the dispatch window (docs/storage.md): refresh until they do.
    const counted = () =>
      page.waitForFunction(() => document.querySelector('[data-status="Disconnected"] .n')?.textContent !== '0', undefined, { timeout: 1_000 });
    for (let attempt = 1; ; attempt += 1) {
      const shown = await counted().then(
        () => true,
        () => false,
      );
      if (shown) break;
      if (attempt === 20) throw new Error('the Disconnected count never left 0 on the page');
      await page.click('#refresh');
    }
    expect(unexpected()).toEqual([]);
  });

  it("shows why a number cannot send, in Meta's words", async () => {
    const flagged = await connectedRegistration();
    await api('POST', `/meta-sandbox/_sandbox/phone-numbers/${flagged.phoneNumber.slice(1)}/status`, { status: 'FLAGGED' });
    const reconciled = await api('POST', `/api/registrations/${flagged.id}/reconcile`);
    expect(reconciled.messaging.canSend).toBe(false);
    await page.goto(`${host.url}/api/ops#id=${flagged.id}`);
    // The page may still show the registration of the previous test: wait for this one's details.
    await page.waitForFunction((phone) => document.querySelector('#detail-title')?.textContent?.includes(phone) === true, flagged.phoneNumber);
    await page.waitForSelector('#detail:not([hidden]) .messaging-reason');
    expect(await page.textContent('#detail-body .messaging-reason')).toBe(reconciled.messaging.reason);
    expect(reconciled.messaging.reason).toContain('FLAGGED');
    expect(unexpected()).toEqual([]);
  });

  it('submits a new display name for a rejected one, and shows the change under review', async () => {
    const rejected = await connectedRegistration();
    await api('POST', `/meta-sandbox/_sandbox/phone-numbers/${rejected.phoneNumber.slice(1)}/name-status`, { nameStatus: 'DECLINED' });
    expect((await api('POST', `/api/registrations/${rejected.id}/reconcile`)).status).toBe('DisplayNameReviewRejected');
    await page.goto(`${host.url}/api/ops#id=${rejected.id}`);
    await page.waitForFunction((phone) => document.querySelector('#detail-title')?.textContent?.includes(phone) === true, rejected.phoneNumber);
    await page.waitForSelector('#display-name-form:not([hidden])');
    await page.fill('#new-display-name', 'Contoso Cycles');
    await page.click('#display-name-form button[type="submit"]');
    await page.waitForSelector('#display-name-change:not([hidden])');
    expect(await page.textContent('#display-name-change')).toContain('under review');
    expect(await page.isHidden('#display-name-form')).toBe(true);
    // What the page shows is what the API holds.
    expect((await api('GET', `/api/registrations/${rejected.id}`)).displayNameChange).toMatchObject({ requested: 'Contoso Cycles', state: 'Pending' });
    expect(unexpected()).toEqual([]);
  });

  it('shows an API error in words', async () => {
    await page.goto(`${host.url}/api/ops#id=no-such-registration`);
    await page.waitForSelector('#error:not([hidden])');
    const text = (await page.textContent('#error')) ?? '';
    expect(text).toContain('HTTP 404');
    expect(text).toContain('not-found');
    // The only errors the browser saw are the 404 the page was asked to show.
    expect(unexpected().filter((line) => !line.includes('404'))).toEqual([]);
    expect(problems).toContain('HTTP 404 /api/registrations/no-such-registration');
  });
});
