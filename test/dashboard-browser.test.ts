import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import axe from 'axe-core';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { buildDashboard, findChromium, launchChromium, seriousViolations } from './support/browser.js';
import { type ServerProcess, startServer } from './support/cli-process.js';
import { buildImage, buildLayer, pushImage } from './support/image-builder.js';
import { DEBIAN_12_OS_RELEASE, DEBIAN_12_VERSIONS_BELOW_FIXES } from './support/package-fixtures.js';
import { findRegistryBinary, type RegistryServer, startRegistry } from './support/registry-server.js';

/**
 * The web dashboard in a real browser (Debian's Chromium, driven by playwright-core)
 * against a real service process: the built-in scanner pulls an image from the reference
 * registry and matches it against the committed OSV fixtures. One service and one browser
 * for the whole file, since both are slow to start. Screenshots at 1280 and 390 px wide go
 * to .test-output/dashboard/.
 */

const DEBIAN_FIXTURES = fileURLToPath(new URL('./fixtures/osv/debian-12/', import.meta.url));
const PRIORITISATION_FIXTURES = fileURLToPath(new URL('./fixtures/prioritisation/', import.meta.url));
const SCREENSHOTS = fileURLToPath(new URL('../.test-output/dashboard/', import.meta.url));
const TOKEN = 'dashboard-admin-token-0123456789';
const READER = 'dashboard-reader-token-0123456789';
const WIDTHS = [1280, 390] as const;

const chromiumPath = findChromium();
const registryInstalled = findRegistryBinary() !== null;
const skip = !chromiumPath ? 'chromium not installed (apt-get install chromium)' : !registryInstalled ? 'docker-registry not installed' : false;
if (skip) console.warn(`SKIPPED: ${skip}; test/dashboard-browser.test.ts did not run`);

/** Versions below the fixtures' fixes: the image has 10 findings, 2 of them HIGH (the fixtures' README lists them). */
async function pushOlderDebian(registry: RegistryServer): Promise<void> {
  const status = await readFile(join(DEBIAN_FIXTURES, 'dpkg-status'), 'utf8');
  const older = status
    .split('\n\n')
    .map((stanza) => {
      const version = DEBIAN_12_VERSIONS_BELOW_FIXES[/^Package: (\S+)/m.exec(stanza)?.[1] ?? ''];
      return version ? stanza.replace(/^Version: .*$/m, `Version: ${version}`) : stanza;
    })
    .join('\n\n');
  const layer = await buildLayer([
    { path: 'usr/lib/os-release', content: DEBIAN_12_OS_RELEASE },
    { path: 'etc/os-release', symlink: '../usr/lib/os-release' },
    { path: 'var/lib/dpkg/status', content: older },
  ]);
  await pushImage({ url: registry.url }, 'debian/app', 'older', buildImage([layer]));
}

/** Every control the page offers by keyboard gets focus by pressing Tab; returns those that did not. */
async function unreachableByKeyboard(page: Page): Promise<string[]> {
  const count = (await page.evaluate(`(() => {
    const selector = 'a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), summary, [tabindex]:not([tabindex="-1"])';
    const all = [...document.querySelectorAll(selector)].filter((e) => e.checkVisibility() && !e.closest('[inert]'));
    all.forEach((e, i) => e.setAttribute('data-kb', String(i)));
    document.activeElement?.blur();
    return all.length;
  })()`)) as number;
  const reached = new Set<string>();
  for (let press = 0; press < count + 3; press++) {
    await page.keyboard.press('Tab');
    const index = (await page.evaluate("document.activeElement?.getAttribute('data-kb') ?? ''")) as string;
    if (index) reached.add(index);
  }
  const missing = (await page.evaluate(`[...document.querySelectorAll('[data-kb]')]
    .filter((e) => !${JSON.stringify([...reached])}.includes(e.getAttribute('data-kb')))
    .map((e) => e.tagName.toLowerCase() + ': ' + (e.getAttribute('aria-label') || e.textContent || '').trim().slice(0, 40))`)) as string[];
  return missing;
}

describe('the web dashboard in Chromium', { skip }, () => {
  let registry: RegistryServer;
  let server: ServerProcess;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let dir: string;
  const consoleErrors: string[] = [];
  const foreignRequests: string[] = [];
  const tokenInUrls: string[] = [];
  const unauthenticatedApiCalls: string[] = [];

  before(async () => {
    buildDashboard();
    dir = await mkdtemp(join(tmpdir(), 'ecrscan-dashboard-'));
    await mkdir(SCREENSHOTS, { recursive: true });
    registry = await startRegistry();
    await pushOlderDebian(registry);
    // CVE-2025-15467 (HIGH, in libssl3 and openssl) listed in the KEV catalogue and scored by
    // EPSS: the published documents' formats, with that one entry added.
    const kev = JSON.parse(await readFile(join(PRIORITISATION_FIXTURES, 'known_exploited_vulnerabilities.json'), 'utf8')) as { vulnerabilities: Array<Record<string, unknown>> };
    kev.vulnerabilities.push({ ...kev.vulnerabilities[0], cveID: 'CVE-2025-15467', dateAdded: '2026-02-02', knownRansomwareCampaignUse: 'Known' });
    await writeFile(join(dir, 'kev.json'), JSON.stringify(kev));
    await writeFile(join(dir, 'epss.csv'), '#model_version:v2025.03.14,score_date:2026-03-28T12:55:00Z\ncve,epss,percentile\nCVE-2025-15467,0.25,0.96\n');
    const tokensFile = join(dir, 'tokens.json');
    await writeFile(tokensFile, JSON.stringify({ tokens: [{ name: 'viewer', role: 'read', sha256: createHash('sha256').update(READER).digest('hex') }] }));
    server = await startServer([], {
      DATABASE_URL: join(dir, 'service.sqlite'),
      ECRSCAN_API_TOKEN: TOKEN,
      ECRSCAN_TOKENS_FILE: tokensFile,
      ECRSCAN_INSECURE_REGISTRIES: registry.host,
      ECRSCAN_OSV_SOURCES: DEBIAN_FIXTURES,
      ECRSCAN_WEBHOOK_ALLOW_PRIVATE: 'true',
      ECRSCAN_KEV_SOURCE: join(dir, 'kev.json'),
      ECRSCAN_EPSS_SOURCE: join(dir, 'epss.csv'),
      DOCKER_CONFIG: join(dir, 'docker-config'),
    });
    browser = await launchChromium(chromiumPath as string);
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    page.setDefaultTimeout(15_000);
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
    page.on('request', (request) => {
      const url = request.url();
      if (!url.startsWith(server.url) && !url.startsWith('data:')) foreignRequests.push(url);
      if (url.includes(TOKEN)) tokenInUrls.push(url);
      const path = new URL(url).pathname;
      const api = path !== '/' && !path.startsWith('/assets/');
      const sent = request.headers()['authorization'];
      if (api && sent !== `Bearer ${TOKEN}` && sent !== `Bearer ${READER}`) unauthenticatedApiCalls.push(`${request.method()} ${path}`);
      if (url.includes(READER)) tokenInUrls.push(url);
    });
    // Deleting asks for confirmation; the walkthrough confirms.
    page.on('dialog', (dialog) => void dialog.accept());
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
    await registry?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** axe-core finds nothing serious or critical, at both widths, and both are screenshot. */
  async function checkPage(name: string): Promise<void> {
    for (const width of WIDTHS) {
      await page.setViewportSize({ width, height: width === 390 ? 844 : 900 });
      // Usable at this width: wide tables scroll inside their own region, the page never sideways
      // (measured once the chart has followed the new width, a frame or two later).
      await page.evaluate('new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)))');
      assert.ok(((await page.evaluate('document.documentElement.scrollWidth')) as number) <= width, `${name} is wider than ${width} px`);
      await page.screenshot({ path: join(SCREENSHOTS, `${name}-${width}.png`), fullPage: true });
      assert.deepEqual(await seriousViolations(page, axe.source), [], `${name} at ${width} px`);
    }
    await page.setViewportSize({ width: 1280, height: 900 });
  }

  async function count(): Promise<string> {
    return (await page.getByTestId('finding-count').textContent()) ?? '';
  }

  it('serves the page with a strict policy and long-cached hashed assets', async () => {
    const index = await fetch(`${server.url}/`);
    assert.equal(index.status, 200);
    const policy = index.headers.get('content-security-policy') ?? '';
    assert.match(policy, /script-src 'self'/);
    assert.doesNotMatch(policy, /unsafe-inline|unsafe-eval/);
    assert.equal(index.headers.get('cache-control'), 'no-cache');
    const html = await index.text();
    const assets = [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((match) => match[1] as string);
    assert.ok(assets.some((asset) => /\/assets\/[\w-]+-[\w-]{8}\.js$/.test(asset)), `hashed script among ${assets.join(', ')}`);
    assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/, 'no inline script');
    for (const asset of assets) {
      const answer = await fetch(`${server.url}${asset}`);
      assert.equal(answer.status, 200, asset);
      assert.equal(answer.headers.get('cache-control'), 'public, max-age=31536000, immutable');
    }
    const unknown = await fetch(`${server.url}/assets/nothing-12345678.js`);
    assert.equal(unknown.status, 404);
    assert.match(unknown.headers.get('content-type') ?? '', /problem\+json/);
  });

  it('asks for the token once and sends it as a bearer token', async () => {
    await page.goto(server.url);
    await page.getByLabel('Token', { exact: true }).fill(TOKEN);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    await page.getByRole('heading', { name: 'Trend' }).waitFor();
    await checkPage('overview-empty');
    await page.reload();
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    assert.equal(await page.getByLabel('Token', { exact: true }).count(), 0, 'not asked again in the same tab');
  });

  it('shows the API problem next to the field for bad input, and changes nothing', async () => {
    await page.getByRole('link', { name: 'Configurations' }).click();
    await page.getByRole('button', { name: 'Add configuration' }).click();
    await page.getByLabel('Registry').fill(registry.host);
    await page.getByLabel('Repository').fill('Debian/App');
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    const repositoryError = page.locator('#new-config-repository-error');
    await repositoryError.waitFor();
    assert.match((await repositoryError.textContent()) ?? '', /repository/);
    assert.equal(await page.getByLabel('Repository').getAttribute('aria-invalid'), 'true');
    await checkPage('configs-invalid');

    await page.getByLabel('Repository').fill('debian/app');
    await page.getByLabel('Tags').fill(Array.from({ length: 101 }, (_, i) => `t${i}`).join(', '));
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    const tagsError = page.locator('#new-config-tags-error');
    await tagsError.waitFor();
    assert.match((await tagsError.textContent()) ?? '', /at most 100/);
    const configs = (await (await fetch(`${server.url}/configs`, { headers: { authorization: `Bearer ${TOKEN}` } })).json()) as unknown[];
    assert.equal(configs.length, 0, 'nothing registered');
  });

  it('walks a new user through adding, scanning, filtering and opening a finding', async () => {
    await page.getByLabel('Tags').fill('older');
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    await page.getByText('debian/app saved.').waitFor();
    await page.getByRole('link', { name: 'debian/app' }).click();
    await page.getByRole('heading', { name: `${registry.host}/debian/app` }).waitFor();

    // The first scan runs in the service; Refresh reads again until its findings are there.
    const deadline = Date.now() + 60_000;
    while (!/^10 of 10 findings$/.test(await count())) {
      assert.ok(Date.now() < deadline, `scan did not show its findings: ${await count()}`);
      await page.waitForTimeout(500);
      await page.getByRole('button', { name: 'Refresh' }).click();
    }
    await page.getByRole('button', { name: 'high', exact: true }).click();
    assert.equal(await count(), '2 of 10 findings');
    await page.getByLabel('Search', { exact: true }).fill('libssl3');
    assert.equal(await count(), '1 of 10 findings');
    await checkPage('config');

    await page.getByRole('button', { name: 'CVE-2025-15467' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    const detail = (await dialog.textContent()) ?? '';
    assert.match(detail, /libssl3/);
    assert.match(detail, /3\.0\.18-1~deb12u2/, 'the fixed version');
    assert.match(detail, /var\/lib\/dpkg\/status/, 'the file it came from');
    await checkPage('finding');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });

    await page.getByLabel('Search', { exact: true }).fill('');
    await page.getByRole('button', { name: 'high', exact: true }).click();
    await page.getByRole('heading', { name: 'History' }).waitFor();
    assert.ok((await page.locator('td', { hasText: 'finding.new' }).count()) > 0, 'the configuration\'s events');
  });

  it('shows the counts on the overview and the events in the activity page', async () => {
    await page.getByRole('link', { name: 'Overview' }).click();
    const high = page.locator('.total.sev-high .total-count');
    await high.waitFor();
    assert.equal(await high.textContent(), '2');
    await page.locator('.trend canvas').waitFor();
    await checkPage('overview');
    assert.deepEqual(await unreachableByKeyboard(page), [], 'overview');
    await page.getByRole('link', { name: 'Activity' }).click();
    await page.locator('td', { hasText: 'finding.new' }).first().waitFor();
    await checkPage('activity');
    assert.deepEqual(await unreachableByKeyboard(page), [], 'activity');
    await page.getByLabel('Event', { exact: true }).selectOption('scan.failed');
    await page.getByText('No event yet.').waitFor();
  });

  it('reaches every control by keyboard', async () => {
    await page.getByRole('link', { name: 'Configurations' }).click();
    await page.getByRole('link', { name: 'debian/app' }).waitFor();
    assert.deepEqual(await unreachableByKeyboard(page), [], 'configurations page');
    await checkPage('configs');
    await page.getByRole('link', { name: 'debian/app' }).click();
    await page.getByRole('heading', { name: 'Findings' }).waitFor();
    await page.getByText('10 of 10 findings').waitFor();
    assert.deepEqual(await unreachableByKeyboard(page), [], 'configuration page');
  });

  it('manages a subscription: bad input shows the problem, then create, test, edit and delete', async () => {
    await page.getByRole('link', { name: 'Subscriptions' }).click();
    await page.getByRole('button', { name: 'Add subscription' }).click();
    await page.getByLabel('Webhook URL').fill('ftp://127.0.0.1/hook');
    await page.getByRole('button', { name: 'Subscribe' }).click();
    await page.locator('#new-subscription-url-error').waitFor();
    await checkPage('subscriptions-invalid');
    await page.getByLabel('Webhook URL').fill('http://127.0.0.1:9/hook');
    await page.getByLabel('Description').fill('security channel');
    await page.getByRole('button', { name: 'Subscribe' }).click();
    await page.getByText(/^whsec_/).waitFor();
    await page.getByRole('button', { name: 'I have kept it' }).click();
    await page.getByRole('button', { name: 'Test http://127.0.0.1:9' }).click();
    await page.getByText('Test message queued.').waitFor();
    await page.getByRole('button', { name: 'Edit http://127.0.0.1:9' }).click();
    await page.getByLabel('Description').fill('renamed');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('renamed').waitFor();
    await checkPage('subscriptions');
    assert.deepEqual(await unreachableByKeyboard(page), [], 'subscriptions');
    await page.getByRole('button', { name: 'Delete http://127.0.0.1:9' }).click();
    await page.getByText('Subscription deleted.').waitFor();
  });

  it('suppresses a finding from its detail, lists it on the Suppressions page, then deletes it', async () => {
    await page.goto(`${server.url}/#/`);
    await page.getByTestId('kev-fixable').waitFor();
    assert.match((await page.getByTestId('kev-fixable').textContent()) ?? '', /^2 known exploited[\s\S]*10 with a fix$/);
    await page.getByRole('link', { name: 'Configurations' }).click();
    await page.getByRole('link', { name: 'debian/app' }).click();
    await page.getByText('10 of 10 findings').waitFor();
    assert.equal(await page.locator('.badge.kev').count(), 2, 'a KEV badge on each finding of CVE-2025-15467');
    // CVE-2025-15467 is in two packages: the suppression covers the one it is made from.
    await page.getByLabel('Search', { exact: true }).fill('libssl3');
    await page.getByRole('button', { name: 'CVE-2025-15467' }).click();
    const dialog = page.getByRole('dialog');
    assert.match((await dialog.textContent()) ?? '', /since 2026-02-02 \(used by ransomware\)[\s\S]*25\.0% \(percentile 96\)/);
    await dialog.getByRole('button', { name: 'Suppress…' }).click();
    // Bad input: the API's messages beside the fields, and nothing suppressed.
    await dialog.getByLabel('Expires').fill('2020-01-01T00:00');
    await dialog.getByRole('button', { name: 'Suppress', exact: true }).click();
    await page.locator('#suppress-reason-error').waitFor();
    await dialog.getByLabel('Reason').fill('the service never parses CMS input');
    await dialog.getByRole('button', { name: 'Suppress', exact: true }).click();
    assert.match((await page.locator('#suppress-expires-error').textContent()) ?? '', /future/);
    await checkPage('suppress-invalid');
    const none = (await (await fetch(`${server.url}/suppressions`, { headers: { authorization: `Bearer ${TOKEN}` } })).json()) as unknown[];
    assert.equal(none.length, 0, 'nothing suppressed by bad input');
    await dialog.getByLabel('Expires').fill('');
    await dialog.getByRole('button', { name: 'Suppress', exact: true }).click();
    await dialog.waitFor({ state: 'hidden' });
    await page.getByText('Suppressed CVE-2025-15467.').waitFor();
    await page.getByLabel('Search', { exact: true }).fill('');
    await page.getByText('9 of 10 findings').waitFor();

    // Under status suppressed, with its reason in the detail.
    await page.getByLabel('Status', { exact: true }).selectOption('SUPPRESSED');
    await page.getByText('1 of 10 findings').waitFor();
    assert.equal(await page.locator('td.mono', { hasText: 'libssl3' }).count(), 1, 'the libssl3 finding alone');
    await page.getByRole('button', { name: 'CVE-2025-15467' }).click();
    const note = page.getByRole('note', { name: 'Suppression' });
    assert.match((await note.textContent()) ?? '', /not affected[\s\S]*the service never parses CMS input/);
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });

    // The open counts leave it out.
    await page.getByRole('link', { name: 'Overview' }).click();
    await page.locator('.total.sev-high .total-count').waitFor();
    assert.equal(await page.locator('.total.sev-high .total-count').textContent(), '1');
    assert.match((await page.getByTestId('kev-fixable').textContent()) ?? '', /^1 known exploited[\s\S]*9 with a fix$/);

    await page.getByRole('link', { name: 'Suppressions' }).click();
    await page.getByRole('rowheader', { name: 'CVE-2025-15467' }).waitFor();
    await checkPage('suppressions');
    assert.deepEqual(await unreachableByKeyboard(page), [], 'suppressions');
    await page.getByRole('button', { name: 'Edit CVE-2025-15467' }).click();
    await page.getByLabel('Reason').fill('reviewed again: not reachable');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('reviewed again: not reachable').waitFor();
    await page.getByRole('button', { name: 'Delete CVE-2025-15467' }).click();
    await page.getByText('No suppression: every finding counts.').waitFor();
    await checkPage('suppressions-empty');
    await page.getByRole('link', { name: 'Activity' }).click();
    await page.getByLabel('Event', { exact: true }).selectOption('suppression.deleted');
    await page.locator('td', { hasText: 'CVE-2025-15467 not affected (1 open finding)' }).waitFor();

    await page.getByRole('link', { name: 'Overview' }).click();
    await page.locator('.total.sev-high .total-count').waitFor();
    assert.equal(await page.locator('.total.sev-high .total-count').textContent(), '2');
  });

  it('shows the API\'s 404 for an unknown configuration in the URL', async () => {
    await page.goto(`${server.url}/#/configs/not-a-config`);
    const alert = page.getByRole('alert');
    await alert.waitFor();
    assert.match((await alert.textContent()) ?? '', /404/);
    await checkPage('config-unknown');
  });

  it('with a read-only token shows everything and the API\'s 403 for a change', async () => {
    await page.goto(`${server.url}/#/configs`);
    await page.getByRole('button', { name: 'Forget token' }).click();
    await page.getByLabel('Token', { exact: true }).fill(READER);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('button', { name: 'Scan now debian/app' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    assert.match((await alert.textContent()) ?? '', /403[\s\S]*needs the write role/);
    await page.getByRole('button', { name: 'Forget token' }).click();
    await page.getByLabel('Token', { exact: true }).fill(TOKEN);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('link', { name: 'debian/app' }).waitFor();
  });

  it('deletes the configuration, and the counts go back to none', async () => {
    await page.goto(`${server.url}/#/configs`);
    await page.getByRole('button', { name: 'Delete debian/app' }).click();
    await page.getByText('debian/app deleted.').waitFor();
    await page.getByRole('link', { name: 'Overview' }).click();
    await page.locator('.total.sev-high .total-count').waitFor();
    assert.equal(await page.locator('.total.sev-high .total-count').textContent(), '0');
  });

  it('loaded nothing from another origin, never put the token in a URL, and broke no policy', () => {
    assert.deepEqual(foreignRequests, []);
    assert.deepEqual(tokenInUrls, []);
    // Before the token was given, the first calls went without one and got 401: that is how the page learns to ask.
    const later = unauthenticatedApiCalls.filter((call) => !/^GET \/(summary|history|advisories)$/.test(call));
    assert.deepEqual(later, []);
    assert.deepEqual(
      consoleErrors.filter((text) => /Content Security Policy|Refused to/i.test(text)),
      [],
    );
  });
});
