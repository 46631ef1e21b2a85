import { mkdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/config.js';
import { ingestRows } from '../src/ingest/ingest.js';
import { bundledSnapshotPath, readSodaSnapshot } from '../src/ingest/snapshot.js';
import { createApp, type App } from '../src/main.js';
import { createLogger } from '../src/shared/logger.js';
import { registerCity } from '../src/warehouse/city-registry.repository.js';
import { migrate } from '../src/warehouse/migrate.js';
import { browserAvailability, launchChromium, waitForDashboard, watchProblems } from './helpers/browser.js';
import { createTestWarehouse, engines, type TestWarehouse } from './helpers/databases.js';

const logger = createLogger({ level: 'silent' });
const SCREENSHOTS = join(process.cwd(), 'test-output', 'screenshots');
const { available } = browserAvailability();
const chicagoRows = JSON.parse(await readFile(new URL('./fixtures/cities/chicago.json', import.meta.url), 'utf8')) as unknown[];

describe.skipIf(!available).each(engines)("the dashboard's city menu in chromium ($name)", ({ name }) => {
  let warehouse: TestWarehouse;
  let app: App;
  let browser: Browser;
  let base: string;
  const config = loadConfig({});
  const chicago = loadConfig({ CIVICOPS_CITY: 'chicago' });

  beforeAll(async () => {
    // Gainesville's snapshot in `public`, Chicago's fixture rows in the schema the registry gives it.
    warehouse = await createTestWarehouse(name);
    await ingestRows({ db: warehouse.db, logger, timeZone: config.cityTimeZone }, await readSodaSnapshot(bundledSnapshotPath), {
      source: 'file:snapshot',
    });
    await registerCity(warehouse.db, { city: 'gainesville', profileRef: 'gainesville', knownSources: [] });
    const entry = await registerCity(warehouse.db, { city: 'chicago', profileRef: 'chicago', knownSources: [] });
    const chicagoWarehouse = await warehouse.openSchema(entry.schemaName);
    try {
      await migrate(chicagoWarehouse.db);
      await ingestRows({ db: chicagoWarehouse.db, logger, timeZone: chicago.cityTimeZone, profile: chicago.city }, chicagoRows, {
        source: 'file:chicago',
      });
    } finally {
      await chicagoWarehouse.close();
    }
    app = createApp({ config, logger, warehouse: { ...warehouse, close: async () => {} } });
    const { port } = await (await app.server()).listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${port}`;
    browser = await launchChromium();
    mkdirSync(SCREENSHOTS, { recursive: true });
  }, 300_000);
  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await warehouse?.dispose();
  });

  it("lists the warehouse's cities and opens the chosen city's own dashboard", async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const problems = watchProblems(page);
    await page.goto(`${base}/`);
    await waitForDashboard(page);
    await expect(page.locator('#city-field').isVisible()).resolves.toBe(true);
    expect(await page.locator('#filter-city option').allTextContents()).toEqual(['Gainesville, FL', 'Chicago']);
    expect(await page.locator('h1').textContent()).toBe('311 operations — Gainesville, FL');
    const gainesvilleTickets = await page.locator('[data-figure="Tickets"] .card-value').textContent();
    await page.screenshot({ path: join(SCREENSHOTS, `city-menu-gainesville-${name}.png`) });

    await page.selectOption('#filter-city', 'chicago');
    await page.waitForURL(/\?city=chicago$/);
    await waitForDashboard(page);
    expect(await page.locator('h1').textContent()).toBe('311 operations — Chicago');
    expect(await page.locator('#filter-city').inputValue()).toBe('chicago');
    // Chicago's 41 fixture rows hold one that fails validation; its window is its own data's.
    expect(await page.locator('[data-figure="Tickets"] .card-value').textContent()).toBe(String(chicagoRows.length - 1));
    expect(gainesvilleTickets).not.toBe(String(chicagoRows.length - 1));
    const typeOptions = await page.locator('#filter-type option').allTextContents();
    expect(typeOptions.some((label) => /pothole/i.test(label))).toBe(true);
    await page.screenshot({ path: join(SCREENSHOTS, `city-menu-chicago-${name}.png`), fullPage: true });

    // A filter keeps the city; going back returns to Gainesville's dashboard.
    await page.selectOption('#filter-type', { index: 1 });
    await page.waitForURL(/city=chicago/);
    await waitForDashboard(page);
    expect(await page.locator('h1').textContent()).toBe('311 operations — Chicago');
    // Neither city has a trained model here: the worklist's 503 (and the browser's line about it) is that state, shown in its panel.
    const noModel = (problem: string) =>
      /^HTTP 503: .*\/api\/v1\/worklist\?/.test(problem) || problem.includes('status of 503 (Service Unavailable)');
    expect(problems.list.filter((problem) => !noModel(problem))).toEqual([]);
    await expect(page.locator('[data-panel="worklist"]').textContent()).resolves.toContain('No trained model yet');
    await context.close();
  }, 120_000);
});
