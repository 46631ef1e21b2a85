import { ingestRows } from '../../ingest/ingest.js';
import { bundledSnapshotPath, readSodaSnapshot } from '../../ingest/snapshot.js';
import { SocrataRequestError } from '../../shared/errors.js';
import { writeLine, type CliCommand } from '../command.js';
import { createSodaClient, formatIngestSummary, runIngestWith } from './ingest.js';
import { createIngestProgressPrinter } from '../progress.js';

export const demoCommand: CliCommand = {
  name: 'demo',
  summary: 'Run the main job end to end on the embedded warehouse (falls back to the bundled snapshot offline)',
  usage: 'civicops demo [--offline]',
  options: {
    offline: { type: 'boolean', description: 'skip the city API and load the bundled snapshot of 5,000 real rows' },
  },
  details: 'Needs no server: without DATABASE_URL the warehouse is embedded PGlite under CIVICOPS_DATA_DIR (./.civicops).',
  async run({ values }, context) {
    const { stdout, config, logger } = context;
    const warehouse = await context.openWarehouse();
    try {
      writeLine(stdout, `CivicOps-311 demo — warehouse: ${warehouse.describe}`);
      writeLine(stdout, '');
      writeLine(stdout, '1. Ingest');
      let summary;
      if (!values.offline) {
        writeLine(stdout, `   Calling the city API ${config.socrata.baseUrl} (dataset ${config.socrata.dataset})…`);
        try {
          // One quick try: a demo should not sit through the full retry budget of a scheduled run.
          const client = createSodaClient(config, logger, { maxRetries: 1, timeoutMs: Math.min(config.socrata.timeoutMs, 20_000), retryBaseDelayMs: 500 });
          summary = await runIngestWith(context, warehouse.db, { client });
        } catch (error) {
          if (!(error instanceof SocrataRequestError)) throw error;
          writeLine(stdout, `   The city API cannot be reached (${error.message.split(' — ')[0]}).`);
        }
      }
      if (!summary) {
        writeLine(stdout, '   Loading the bundled snapshot instead: 5,000 real Gainesville rows (2014–2023).');
        const progress = createIngestProgressPrinter(context.stderr);
        const rows = await readSodaSnapshot(bundledSnapshotPath);
        summary = await ingestRows({ db: warehouse.db, logger, timeZone: config.cityTimeZone, onProgress: progress.update }, rows, {
          source: 'file:bundled-snapshot',
        });
        progress.done();
      }
      for (const line of formatIngestSummary(summary)) writeLine(stdout, `   ${line}`);
      return 0;
    } finally {
      await warehouse.close();
    }
  },
};
