import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { WarehouseOpenError } from '../src/shared/errors.js';
import { openPGlite } from '../src/warehouse/database.js';

const roots: string[] = [];
function freshRoot(): string {
  const root = mkdtempSync(join(tmpdir(), 'civicops-store-'));
  roots.push(root);
  return root;
}
afterAll(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs `civicops <args>` in a child process (through vite-node) on the embedded warehouse under dataDir. */
function cliEnv(dataDir: string) {
  const env: Record<string, string | undefined> = {
    ...process.env,
    CIVICOPS_DATA_DIR: dataDir,
    // Nothing listens there: the ingest fails fast after the warehouse is created.
    SOCRATA_BASE_URL: 'http://127.0.0.1:9',
    SOCRATA_MAX_RETRIES: '0',
    LOG_LEVEL: 'silent',
  };
  delete env.DATABASE_URL;
  return env;
}

describe('creating the embedded warehouse', () => {
  it('a process killed (SIGKILL) while it first creates the store leaves nothing half-made: the next open works', async () => {
    const dataDir = join(freshRoot(), 'store');
    const store = join(dataDir, 'pglite');
    const child = spawn(process.execPath, ['node_modules/vite-node/vite-node.mjs', 'test/helpers/ingest-child.ts', '--', 'ingest'], {
      env: cliEnv(dataDir),
      stdio: 'ignore',
    });
    const exited = new Promise((resolve) => child.on('exit', resolve));
    // Kill it once PostgreSQL's initdb has started writing the data folder (wherever it is made).
    const initdbStarted = () =>
      existsSync(dataDir) &&
      readdirSync(dataDir).some((name) => name.startsWith('pglite') && existsSync(join(dataDir, name, 'PG_VERSION')));
    for (let i = 0; i < 3_000 && !initdbStarted(); i++) await sleep(50);
    expect(initdbStarted()).toBe(true);
    await sleep(300);
    child.kill('SIGKILL');
    await exited;

    const warehouse = await openPGlite(store);
    try {
      const tables = await warehouse.db.selectFrom('schema_migrations').select('version').execute();
      expect(tables.length).toBeGreaterThan(0); // created and migrated before it was put in place
    } finally {
      await warehouse.close();
    }
    // The killed process's staging folder is gone.
    expect(readdirSync(dataDir).filter((name) => name.includes('.creating-'))).toEqual([]);
  }, 300_000); // two PGlite initdb runs and a child process on a loaded machine

  it('a damaged store is refused with one line naming its path and what to do', async () => {
    const dataDir = join(freshRoot(), 'store');
    const store = join(dataDir, 'pglite');
    const warehouse = await openPGlite(store);
    await warehouse.close();
    // What a crash at the wrong moment can leave: an unreadable control file.
    writeFileSync(join(store, 'global', 'pg_control'), Buffer.alloc(8192, 0x5a));

    const error = await openPGlite(store).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(WarehouseOpenError);
    expect((error as WarehouseOpenError).message).toBe(
      `The embedded warehouse at ${store} cannot be opened (it may have been damaged by a crash): ` +
        'move it aside and run `civicops ingest` again, or set DATABASE_URL.',
    );
    // The lock is released: the next attempt gets the same clear refusal, not "in use".
    const again = await openPGlite(store).catch((caught: unknown) => caught);
    expect(again).toBeInstanceOf(WarehouseOpenError);

    const status = spawnSync(process.execPath, ['node_modules/vite-node/vite-node.mjs', 'test/helpers/ingest-child.ts', '--', 'status'], {
      env: cliEnv(dataDir),
      encoding: 'utf8',
    });
    expect(status.status).toBe(1);
    const lines = status.stderr.trim().split('\n');
    expect(lines).toEqual([`civicops status: ${(error as Error).message}`]);
  }, 300_000);
});
