import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { chromium, type Browser, type Page } from 'playwright-core';

/** Debian's chromium; CI installs it when missing (.ci/run). */
export const CHROMIUM_PATH = '/usr/bin/chromium';

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/**
 * Whether browser tests can run here. Without chromium they are skipped with a message, except
 * in CI (CI=true), where a missing browser is a failure rather than a silent skip.
 */
export function browserAvailability(): { available: boolean; reason: string } {
  if (existsSync(CHROMIUM_PATH)) return { available: true, reason: '' };
  const reason = `chromium is not installed at ${CHROMIUM_PATH} (apt-get install -y chromium)`;
  if (process.env.CI === 'true') throw new Error(`Browser tests need ${reason}.`);
  console.warn(`Skipping browser tests: ${reason}.`);
  return { available: false, reason };
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
}

/** Everything that went wrong while a page was open: console errors, page errors, failed or ≥ 400 requests. */
export interface PageProblems {
  readonly list: string[];
}

export function watchProblems(page: Page): PageProblems {
  const list: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') list.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => list.push(`pageerror: ${error.message}`));
  page.on('requestfailed', (request) => {
    const reason = request.failure()?.errorText ?? '';
    // A load superseded by a newer filter change is aborted by the page on purpose (AbortController).
    if (reason === 'net::ERR_ABORTED' && request.url().includes('/api/v1/')) return;
    list.push(`requestfailed: ${request.url()} ${reason}`);
  });
  page.on('response', (response) => {
    if (response.status() >= 400) list.push(`HTTP ${response.status()}: ${response.url()}`);
  });
  return { list };
}

// In-page code is passed as source text: this program's lib has no DOM types, and the page's
// globals (document, axe) exist only in the browser.

/** Waits for the dashboard's script to say every panel has been drawn. */
export async function waitForDashboard(page: Page, timeout = 30_000): Promise<void> {
  // A locator, not waitForFunction: a string predicate is evaluated with eval, which the page's CSP forbids.
  await page.locator('body[data-ready="true"]').waitFor({ state: 'attached', timeout });
}

const CANVAS_INK = `(() => {
  const result = {};
  for (const holder of document.querySelectorAll('[data-chart]')) {
    const canvas = holder.querySelector('canvas');
    if (!canvas) continue;
    const context = canvas.getContext('2d');
    if (!context || canvas.width === 0 || canvas.height === 0) { result[holder.dataset.chart] = 0; continue; }
    const data = context.getImageData(0, 0, canvas.width, canvas.height).data;
    let differing = 0;
    // Chart.js leaves the canvas transparent; a drawn pixel has some opacity.
    for (let index = 3; index < data.length; index += 4) if (data[index] !== 0) differing += 1;
    result[holder.dataset.chart] = differing / (data.length / 4);
  }
  return result;
})()`;

/** Per chart panel, the share of its canvas's pixels that something was drawn on. */
export async function canvasInk(page: Page): Promise<Record<string, number>> {
  return page.evaluate<Record<string, number>>(CANVAS_INK);
}

export interface AxeViolation {
  id: string;
  impact: string;
  help: string;
  targets: string[];
}

const RUN_AXE = `axe.run().then(({ violations }) => violations
  .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
  .map((violation) => ({ id: violation.id, impact: violation.impact, help: violation.help, targets: violation.nodes.map((node) => node.target.join(' ')) })))`;

/** axe-core's violations of impact serious or critical on the current page. */
export async function seriousAxeViolations(page: Page): Promise<AxeViolation[]> {
  const require = createRequire(import.meta.url);
  await page.addScriptTag({ path: require.resolve('axe-core/axe.min.js') });
  return page.evaluate<AxeViolation[]>(RUN_AXE);
}
