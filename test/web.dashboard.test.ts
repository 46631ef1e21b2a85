import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliContext } from '../src/cli/command.js';
import { reportCommand } from '../src/cli/commands/report.js';
import { loadConfig, type AppConfig } from '../src/config/config.js';
import { ingestRows } from '../src/ingest/ingest.js';
import { bundledSnapshotPath, readSodaSnapshot } from '../src/ingest/snapshot.js';
import { createApp, type App } from '../src/main.js';
import { trainAndRegister } from '../src/model/train-pipeline.js';
import { createLogger } from '../src/shared/logger.js';
import {
  browserAvailability,
  canvasInk,
  launchChromium,
  seriousAxeViolations,
  waitForDashboard,
  watchProblems,
} from './helpers/browser.js';
import { withTestApp } from './helpers/cli-context.js';
import { createTestWarehouse, engines, type TestWarehouse } from './helpers/databases.js';
import { Capture } from './helpers/capture.js';

const SCREENSHOTS = join(process.cwd(), 'test-output', 'screenshots');
const VIEWPORTS = { laptop: { width: 1366, height: 768 }, tablet: { width: 820, height: 1180 } } as const;
const logger = createLogger({ level: 'silent' });
const timeZone = 'America/New_York';
const { available } = browserAvailability();

interface ReportRow {
  typeKey: string;
  displayName: string;
  current: { tickets: number; withKnownOutcome: number; metSla: number; backlog: number; attainment: number | null };
}

/** `civicops report --json` for a window, run in-process against the test warehouse. */
async function runReport(config: AppConfig, warehouse: TestWarehouse, since: string, until: string): Promise<ReportRow[]> {
  const stdout = new Capture();
  const context: CliContext = withTestApp({ config, logger, stdout, stderr: new Capture() }, warehouse);
  const code = await reportCommand.run({ values: { json: true, since, until }, positionals: [] }, context);
  expect(code).toBe(0);
  const lines = stdout.text.trimEnd().split('\n');
  return (JSON.parse(lines[lines.length - 1]) as { types: ReportRow[] }).types;
}

async function figureText(page: Page, label: string): Promise<string> {
  return (await page.locator(`[data-figure="${label}"] .card-value`).textContent())?.trim() ?? '';
}

const percent = (share: number | null) => (share === null ? '—' : `${(share * 100).toFixed(1)}%`);

describe.skipIf(!available).each(engines)('the dashboard at GET / in chromium ($name)', ({ name }) => {
  let warehouse: TestWarehouse;
  let app: App;
  let browser: Browser;
  let base: string;
  const config = loadConfig({});

  async function openPage(context: BrowserContext, path = '/') {
    const page = await context.newPage();
    const problems = watchProblems(page);
    await page.goto(`${base}${path}`);
    await waitForDashboard(page);
    return { page, problems };
  }

  beforeAll(async () => {
    warehouse = await createTestWarehouse(name);
    await ingestRows({ db: warehouse.db, logger, timeZone }, await readSodaSnapshot(bundledSnapshotPath), { source: 'file:snapshot' });
    await trainAndRegister(
      { db: warehouse.db, logger, slaHours: 72, timeZone },
      { asOf: new Date('2023-07-10T12:00:00Z'), kinds: ['gbt'] },
    );
    app = createApp({ config, logger, warehouse: { ...warehouse, close: async () => {} } });
    // The card never waits for drift: measure it once here so the card shows the PSI table.
    await app.modelHealth({ waitForDrift: true });
    const server = await app.server();
    const { port } = await server.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${port}`;
    browser = await launchChromium();
    mkdirSync(SCREENSHOTS, { recursive: true });
  }, 600_000);
  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await warehouse?.dispose();
  });

  it('loads with no console error and no failed request, draws every chart, and says the data is stale', async () => {
    for (const [device, viewport] of Object.entries(VIEWPORTS)) {
      const context = await browser.newContext({ viewport });
      const { page, problems } = await openPage(context);
      expect(problems.list).toEqual([]);
      const ink = await canvasInk(page);
      expect(Object.keys(ink).sort()).toEqual(expect.arrayContaining(['backlog', 'volume']));
      for (const [chart, share] of Object.entries(ink)) expect(share, `${chart} canvas`).toBeGreaterThan(0.01);
      await expect(page.locator('#stale-banner').isVisible()).resolves.toBe(true);
      expect(await page.locator('#stale-text').textContent()).toMatch(/2023/);
      // The model card: ECE, the ROC-AUC interval, the reliability and backtest tables and the health block.
      const card = page.locator('[data-panel="model"]');
      await expect(card.locator('[data-fact="ece"]').textContent()).resolves.toMatch(/^0\.\d{3}$/);
      await expect(card.locator('[data-fact="roc-auc"]').textContent()).resolves.toMatch(/^0\.\d{3} \(95% CI 0\.\d{3}–0\.\d{3}\)$/);
      await expect(card.locator('#model-reliability tbody tr').count()).resolves.toBeGreaterThan(1);
      await expect(card.locator('#model-backtest tbody tr').count()).resolves.toBeGreaterThanOrEqual(4);
      await expect(card.locator('#model-health [data-health]').textContent()).resolves.toMatch(/^(Stale|Current) — data runs/);
      await expect(card.locator('#model-health thead').textContent()).resolves.toContain('> 0.2');
      await expect(card.locator('#model-health tbody tr').count()).resolves.toBeGreaterThan(0);
      const stale = (await card.locator('#model-health [data-health]').getAttribute('data-health')) === 'stale';
      await expect(card.locator('#model-stale').isVisible()).resolves.toBe(stale);
      // The sticky filter bar would cover the card's top in an element screenshot.
      await page.addStyleTag({ content: '.filters { position: static !important; }' });
      await card.screenshot({ path: join(SCREENSHOTS, `model-card-${device}-${name}.png`) });
      // Nothing wider than the viewport (no sideways scrolling on a tablet).
      expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(viewport.width);
      await page.screenshot({ path: join(SCREENSHOTS, `dashboard-${device}-${name}.png`), fullPage: true });
      await context.close();
    }
  });

  it('a filter updates the URL and the figures agree with civicops report --json for that window', async () => {
    const context = await browser.newContext({ viewport: VIEWPORTS.laptop });
    const { page, problems } = await openPage(context, '/?since=2023-04-01&until=2023-06-30');
    let report = await runReport(config, warehouse, '2023-04-01', '2023-06-30');
    const sum = (rows: ReportRow[], pick: (row: ReportRow) => number) => rows.reduce((total, row) => total + pick(row), 0);
    expect(await figureText(page, 'Tickets')).toBe(sum(report, (row) => row.current.tickets).toLocaleString('en-US'));
    const met = sum(report, (row) => row.current.metSla);
    const known = sum(report, (row) => row.current.withKnownOutcome);
    expect(await figureText(page, 'SLA attainment')).toBe(percent(known === 0 ? null : met / known));
    // The SLA table lists the report's types, worst first.
    const names = await page.locator('#sla-rows th').allTextContents();
    expect(names).toEqual(report.map((row) => row.displayName));

    // A wider window, then one request type.
    await page.fill('#filter-since', '2023-01-01');
    await page.locator('#filter-since').dispatchEvent('change');
    await waitForDashboard(page);
    expect(new URL(page.url()).searchParams.get('since')).toBe('2023-01-01');
    report = await runReport(config, warehouse, '2023-01-01', '2023-06-30');
    expect(await figureText(page, 'Tickets')).toBe(sum(report, (row) => row.current.tickets).toLocaleString('en-US'));

    const busiest = [...report].sort((a, b) => b.current.tickets - a.current.tickets)[0];
    await page.selectOption('#filter-type', busiest.typeKey);
    await waitForDashboard(page);
    expect(new URL(page.url()).searchParams.get('type')).toBe(busiest.typeKey);
    expect(await figureText(page, 'Tickets')).toBe(busiest.current.tickets.toLocaleString('en-US'));
    expect(await figureText(page, 'SLA attainment')).toBe(percent(busiest.current.attainment));
    expect(await page.locator('#sla-rows th').allTextContents()).toEqual([busiest.displayName]);

    // The URL alone reproduces the view.
    const shared = await context.newPage();
    await shared.goto(page.url());
    await waitForDashboard(shared);
    expect(await figureText(shared, 'Tickets')).toBe(busiest.current.tickets.toLocaleString('en-US'));
    expect(problems.list).toEqual([]);
    await context.close();
  });

  it("links each worklist ticket to the city's ticket page", async () => {
    const context = await browser.newContext({ viewport: VIEWPORTS.laptop });
    const { page } = await openPage(context);
    const links = page.locator('#worklist-rows a');
    const count = await links.count();
    expect(count).toBeGreaterThan(0);
    expect(count).toBeLessThanOrEqual(25);
    for (let index = 0; index < count; index += 1) {
      const link = links.nth(index);
      const id = (await link.textContent()) ?? '';
      expect(await link.getAttribute('href')).toBe(config.slack.ticketUrlTemplate.replace('{id}', encodeURIComponent(id)));
    }
    await context.close();
  });

  it('is reachable by keyboard: tab reaches the filters and the sort buttons, which sort and set aria-sort', async () => {
    const context = await browser.newContext({ viewport: VIEWPORTS.laptop });
    const { page } = await openPage(context);
    const reached = new Set<string>();
    for (let step = 0; step < 40; step += 1) {
      await page.keyboard.press('Tab');
      reached.add(
        await page.evaluate<string>(
          "(() => { const a = document.activeElement; return a.id || (a.closest('th[data-sort]') ? 'sort:' + a.closest('th').dataset.sort : a.tagName); })()",
        ),
      );
    }
    expect([...reached]).toEqual(expect.arrayContaining(['filter-since', 'filter-until', 'filter-type', 'filter-district', 'sort:name']));
    await page.locator('th[data-sort="tickets"] button').focus();
    await page.keyboard.press('Enter');
    expect(await page.getAttribute('th[data-sort="tickets"]', 'aria-sort')).toBe('descending');
    const tickets = (await page.locator('#sla-rows tr td:nth-child(2)').allTextContents()).map((text) => Number(text.replace(/,/g, '')));
    expect(tickets).toEqual([...tickets].sort((a, b) => b - a));
    await context.close();
  });

  it('with API_KEY set, sends a browser to sign in and then shows the figures with the session cookie', async () => {
    const keyed = createApp({
      config: loadConfig({ API_KEY: 'dashboard-test-key' }),
      logger,
      warehouse: { ...warehouse, close: async () => {} },
    });
    const server = await keyed.server();
    const { port } = await server.listen(0, '127.0.0.1');
    const context = await browser.newContext({ viewport: VIEWPORTS.laptop });
    try {
      const page = await context.newPage();
      await page.goto(`http://127.0.0.1:${port}/`);
      expect(new URL(page.url()).pathname).toBe('/login');
      await page.fill('#api_key', 'dashboard-test-key');
      await Promise.all([page.waitForURL(`http://127.0.0.1:${port}/`), page.click('button[type="submit"]')]);
      const problems = watchProblems(page);
      await waitForDashboard(page);
      expect(await figureText(page, 'Tickets')).toMatch(/^\d[\d,]*$/);
      expect(await page.locator('#sign-in').isVisible()).toBe(false);
      expect(problems.list).toEqual([]);
    } finally {
      await context.close();
      await keyed.close();
    }
  });

  it('asks for the panels in page order, at most two at a time, each once (the head preloads the first two)', async () => {
    const context = await browser.newContext({ viewport: VIEWPORTS.laptop });
    const page = await context.newPage();
    const problems = watchProblems(page);
    const warnings: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'warning') warnings.push(message.text());
    });
    const asked: string[] = [];
    let inFlight = 0;
    let mostInFlight = 0;
    const isApi = (url: string) => new URL(url).pathname.startsWith('/api/v1/');
    page.on('request', (request) => {
      if (!isApi(request.url())) return;
      asked.push(new URL(request.url()).pathname.replace('/api/v1/', ''));
      inFlight += 1;
      mostInFlight = Math.max(mostInFlight, inFlight);
    });
    const done = (request: { url(): string }) => {
      if (isApi(request.url())) inFlight -= 1;
    };
    page.on('requestfinished', done);
    page.on('requestfailed', done);
    await page.goto(`${base}/?since=2023-04-01&until=2023-06-30`);
    await waitForDashboard(page);
    expect(asked).toEqual(['summary', 'sla-by-type', 'volume', 'backlog', 'surges', 'forecast', 'worklist', 'model', 'filters']);
    expect(mostInFlight).toBeLessThanOrEqual(2);
    // A preload the page did not use is fetched twice and warned about.
    expect(warnings.filter((text) => /preload/i.test(text))).toEqual([]);
    expect(await page.evaluate<number>("performance.getEntriesByName('dashboard:first-figure').length")).toBe(1);

    // A new window asks again only for what depends on it.
    asked.length = 0;
    await page.fill('#filter-since', '2023-03-01');
    await page.locator('#filter-since').dispatchEvent('change');
    await waitForDashboard(page);
    expect(asked).toEqual(['summary', 'sla-by-type', 'volume', 'backlog', 'surges', 'forecast']);
    expect(problems.list).toEqual([]);
    await context.close();
  });

  it('wraps the longest request-type name in the SLA chart instead of cutting it off at the canvas edge', async () => {
    const report = await runReport(config, warehouse, '2023-01-01', '2023-06-30');
    const longest = [...report].sort((a, b) => b.displayName.length - a.displayName.length)[0];
    expect(longest.displayName.length).toBeGreaterThan(35);
    for (const [device, viewport] of Object.entries(VIEWPORTS)) {
      const context = await browser.newContext({ viewport });
      const { page, problems } = await openPage(context, `/?since=2023-01-01&until=2023-06-30&type=${encodeURIComponent(longest.typeKey)}`);
      // A label wider than the y axis' room runs off the left edge: ink in the canvas' first columns.
      const leftEdgeInk = await page.evaluate<number>(`(() => {
        const canvas = document.querySelector('[data-chart="sla-by-type"] canvas');
        const data = canvas.getContext('2d').getImageData(0, 0, 3, canvas.height).data;
        let ink = 0;
        for (let index = 3; index < data.length; index += 4) if (data[index] !== 0) ink += 1;
        return ink;
      })()`);
      expect(leftEdgeInk, `${device}: ink at the SLA chart's left edge`).toBe(0);
      // The whole name is in the chart (its label lines, which its tooltip shows), in order.
      const labels = await page.evaluate<string[][]>(
        `fetch('/api/v1/sla-by-type' + location.search).then((reply) => reply.json()).then((body) => body.chart.config.data.labels)`,
      );
      const lines = labels[0] ?? [];
      const squeeze = (text: string) => text.replace(/\s+/g, '');
      expect(lines.length).toBeGreaterThan(2);
      expect(squeeze(lines.slice(0, -1).join(''))).toBe(squeeze(longest.displayName));
      expect(problems.list).toEqual([]);
      await page.locator('[data-panel="sla-by-type"]').screenshot({ path: join(SCREENSHOTS, `sla-long-label-${device}-${name}.png`) });
      await context.close();
    }
  });

  it('after signing in, a shared link with API_KEY set lands on the same view (the query kept)', async () => {
    const keyed = createApp({
      config: loadConfig({ API_KEY: 'dashboard-test-key' }),
      logger,
      warehouse: { ...warehouse, close: async () => {} },
    });
    const server = await keyed.server();
    const { port } = await server.listen(0, '127.0.0.1');
    const context = await browser.newContext({ viewport: VIEWPORTS.laptop });
    try {
      const report = await runReport(config, warehouse, '2023-04-01', '2023-06-30');
      const busiest = [...report].sort((a, b) => b.current.tickets - a.current.tickets)[0];
      const shared = `http://127.0.0.1:${port}/?type=${encodeURIComponent(busiest.typeKey)}&since=2023-04-01&until=2023-06-30`;
      const page = await context.newPage();
      await page.goto(shared);
      expect(new URL(page.url()).pathname).toBe('/login');
      await page.fill('#api_key', 'dashboard-test-key');
      await Promise.all([page.waitForURL(shared), page.click('button[type="submit"]')]);
      await waitForDashboard(page);
      expect(page.url()).toBe(shared);
      expect(await page.inputValue('#filter-since')).toBe('2023-04-01');
      expect(await figureText(page, 'Tickets')).toBe(busiest.current.tickets.toLocaleString('en-US'));
    } finally {
      await context.close();
      await keyed.close();
    }
  });

  it('has no serious or critical axe-core violation', async () => {
    // axe is injected as a script tag, which the page's CSP would (rightly) refuse.
    const context = await browser.newContext({ viewport: VIEWPORTS.laptop, bypassCSP: true });
    const { page } = await openPage(context);
    expect(await seriousAxeViolations(page)).toEqual([]);
    await context.close();
  });
});
