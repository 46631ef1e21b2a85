import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { runServe } from '../src/cli/commands/serve.js';
import type { CliContext } from '../src/cli/command.js';
import { loadConfig } from '../src/config/config.js';
import { createApp, type AppOverrides } from '../src/main.js';
import { createLogger } from '../src/shared/logger.js';
import { createTestWarehouse, engines, type TestWarehouse } from './helpers/databases.js';

function createContext(warehouse: TestWarehouse, overrides: AppOverrides): { context: CliContext; stdout: () => string } {
  const stdout = new PassThrough();
  let printed = '';
  stdout.on('data', (chunk: Buffer) => {
    printed += chunk.toString('utf8');
  });
  const config = loadConfig({ SCORER_REFRESH_MINUTES: '0' });
  const logger = createLogger({ level: 'silent' });
  const context: CliContext = {
    config,
    logger,
    stdout,
    stderr: new PassThrough(),
    openApp: async () => createApp({ config, logger, warehouse }, overrides),
  };
  return { context, stdout: () => printed };
}

describe.each(engines)('civicops serve on $name', ({ name }) => {
  it('serves the API and the Slack endpoint until stopped, then closes the warehouse', async () => {
    const warehouse = await createTestWarehouse(name);
    let closed = false;
    const tracked: TestWarehouse = {
      ...warehouse,
      async close() {
        closed = true;
        await warehouse.dispose();
      },
    };
    const { context, stdout } = createContext(tracked, {
      slackHandler: (_req, res) => {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end('slack ok');
      },
    });
    const stop = new AbortController();
    let announcePort!: (port: number) => void;
    const listening = new Promise<number>((resolve) => {
      announcePort = resolve;
    });
    const served = runServe(context, {
      port: 0,
      host: '127.0.0.1',
      signal: stop.signal,
      onListening: announcePort,
    });
    const port = await Promise.race([
      listening,
      served.then(() => {
        throw new Error('runServe returned before listening');
      }),
    ]);
    const health = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'degraded', model: { loaded: false } });
    const slack = await fetch(`http://127.0.0.1:${port}/slack/events`, { method: 'POST', body: 'x' });
    expect(await slack.text()).toBe('slack ok');
    expect(stdout()).toContain(`listening on http://127.0.0.1:${port}`);
    expect(stdout()).toContain('civicops train');

    stop.abort();
    await served;
    expect(closed).toBe(true);
    await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
  });
});
