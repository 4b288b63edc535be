import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium } from 'playwright-core';

/** Debian's `chromium` package (apt-get install chromium), which playwright-core drives. */
const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser'];
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export function findChromium(): string | null {
  const fromEnv = process.env['CHROMIUM_PATH'];
  for (const candidate of fromEnv ? [fromEnv, ...CANDIDATES] : CANDIDATES) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return null;
}

export async function launchChromium(executablePath: string): Promise<Browser> {
  // As root (CI) Chromium refuses its sandbox; the pages it opens are our own.
  return chromium.launch({ executablePath, headless: true, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
}

/** Builds the dashboard from the current sources into dist/ui, as `npm run build` does, so that the server serves what is being tested. */
export function buildDashboard(): void {
  const result = spawnSync(process.execPath, [fileURLToPath(new URL('../../node_modules/vite/bin/vite.js', import.meta.url)), 'build', 'ui', '--logLevel', 'warn'], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(`dashboard build failed: ${result.stderr || result.stdout}`);
}

/** What axe-core finds on the page, serious and critical only, as `rule: selectors`. */
export async function seriousViolations(page: { evaluate(script: string): Promise<unknown> }, axeSource: string): Promise<string[]> {
  // Injected through the DevTools protocol: the page's Content-Security-Policy forbids inline scripts, rightly.
  await page.evaluate(axeSource);
  const found = (await page.evaluate(
    "axe.run(document, { resultTypes: ['violations'] }).then((r) => r.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.map((n) => n.target.join(' ')) })))",
  )) as Array<{ id: string; impact: string | null; nodes: string[] }>;
  return found.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id} (${v.impact}): ${v.nodes.slice(0, 5).join(', ')}`);
}
