import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/config.js';
import { createApp } from '../src/main.js';
import { createLogger } from '../src/shared/logger.js';
import { createTestWarehouse, engines, type TestWarehouse } from './helpers/databases.js';

const logger = createLogger({ level: 'silent' });

describe.each(engines)('the composition root on $name', ({ name }) => {
  let warehouse: TestWarehouse;
  beforeEach(async () => {
    warehouse = await createTestWarehouse(name);
  });
  afterEach(async () => warehouse?.dispose());

  it('builds each part once, on first use, and shares it', async () => {
    const app = createApp({ config: loadConfig({}), logger, warehouse: { ...warehouse, close: async () => {} } });
    const [first, second] = await Promise.all([app.scorer(), app.scorer()]);
    expect(first).toBe(second);
    expect(app.chartRenderer()).toBe(app.chartRenderer());
    expect(app.sodaClient()).toBe(app.sodaClient());
    expect(await app.server()).toBe(await app.server());
    expect(await app.jobs()).toBe(await app.jobs());
    await app.close();
  });

  it('runs ingest and train everywhere, and says which settings the Slack jobs lack', async () => {
    const app = createApp({
      config: loadConfig({ SLACK_BOT_TOKEN: 'xoxb-test', DIGEST_CHANNEL: 'C0DIGEST' }),
      logger,
      warehouse: { ...warehouse, close: async () => {} },
    });
    expect(app.jobAvailability()).toEqual([
      { job: 'ingest', available: true, missing: [] },
      { job: 'alerts', available: false, missing: ['ALERT_CHANNEL'] },
      { job: 'train', available: true, missing: [] },
      { job: 'digest', available: true, missing: [] },
    ]);
    const jobs = await app.jobs();
    expect(Object.keys(jobs).sort()).toEqual(['digest', 'ingest', 'train']);
    await app.close();
  });

  it('one health view: no model and never-run jobs on a new warehouse', async () => {
    const app = createApp({ config: loadConfig({}), logger, warehouse: { ...warehouse, close: async () => {} } });
    const health = await app.health();
    expect(health.modelVersion).toBeNull();
    expect(health.jobs.jobs.map((job) => [job.job, job.state])).toEqual([
      ['ingest', 'never_run'],
      ['alerts', 'never_run'],
      ['train', 'never_run'],
      ['digest', 'never_run'],
    ]);
    await app.close();
  });

  it('close() closes the server it built and then the warehouse', async () => {
    let warehouseClosed = false;
    const app = createApp({
      config: loadConfig({}),
      logger,
      warehouse: {
        ...warehouse,
        close: async () => {
          warehouseClosed = true;
        },
      },
    });
    const server = await app.server();
    const { port } = await server.listen(0, '127.0.0.1');
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    await app.close();
    expect(warehouseClosed).toBe(true);
    await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
  });
});
