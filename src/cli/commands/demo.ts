import { ingestRows, type IngestSummary } from '../../ingest/ingest.js';
import { bundledSnapshotPath, readSodaSnapshot } from '../../ingest/snapshot.js';
import { InputError, SocrataRequestError } from '../../shared/errors.js';
import { writeLine, type CliCommand } from '../command.js';
import { trainAndRegister } from '../../model/train-pipeline.js';
import { getSlaReport } from '../../warehouse/sla-report.repository.js';
import { getTicketTimeRange } from '../../warehouse/volume.repository.js';
import { resolveRequestType } from '../../warehouse/request-type.repository.js';
import { formatTrainReport } from './train.js';
import { formatSlaReport } from './sla.js';
import { buildChartForWindow, chartKinds } from './chart.js';
import { writeChartPng } from '../../charts/chart-file.js';
import { join } from 'node:path';
import { createSodaClient } from '../../socrata/configured-client.js';
import { formatIngestSummary, runIngestWith } from './ingest.js';
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
    const app = await context.openApp();
    const { warehouse } = app;
    try {
      writeLine(stdout, `CivicOps-311 demo — warehouse: ${warehouse.describe}`);
      writeLine(stdout, '');
      writeLine(stdout, '1. Ingest');
      let summary: IngestSummary | undefined;
      if (!values.offline) {
        writeLine(stdout, `   Calling the city API ${config.socrata.baseUrl} (dataset ${config.socrata.dataset})…`);
        try {
          // One quick try: a demo should not sit through the full retry budget of a scheduled run.
          const client = createSodaClient(config, logger, {
            maxRetries: 1,
            timeoutMs: Math.min(config.socrata.timeoutMs, 20_000),
            retryBaseDelayMs: 500,
          });
          summary = await runIngestWith(context, app, { client });
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

      writeLine(stdout, '');
      writeLine(stdout, '2. Train the SLA-breach model (features known at creation only; train on the past, test on the future)');
      const report = await trainAndRegister(
        {
          db: warehouse.db,
          logger,
          slaHours: config.slaHours,
          timeZone: config.cityTimeZone,
          onProgress: (message) => context.stderr.write(`   train: ${message}…\n`),
        },
        {},
      );
      for (const line of formatTrainReport(report)) writeLine(stdout, `   ${line}`);

      const range = await getTicketTimeRange(warehouse.db);
      // Just after the newest ticket, so the windows below include it.
      const until = new Date((range.lastCreatedAt ?? new Date()).getTime() + 60_000);
      const since = new Date(until.getTime() - 365 * 86_400_000);
      const roadRepair = await resolveRequestType(warehouse.db, 'road repair');
      writeLine(stdout, '');
      writeLine(
        stdout,
        `3. SLA report for ${roadRepair.displayName}, the last 12 months of the data (same as \`civicops sla "road repair" --since … --until …\`)`,
      );
      const sla = await getSlaReport(warehouse.db, {
        since,
        until,
        now: until,
        slaHours: config.slaHours,
        timeZone: config.cityTimeZone,
        typeKey: roadRepair.typeKey,
      });
      for (const line of formatSlaReport(sla)) writeLine(stdout, `   ${line}`);

      writeLine(stdout, '');
      writeLine(stdout, '4. Score a new ticket (the body of POST /score_ticket: Road Repair, 12 in the last 7 days, backlog 40)');
      const scorer = await app.scorer();
      const score = await scorer.scoreTicket({ requestType: 'Road Repair', overrides: { rolling7dVolume: 12, backlogAtCreation: 40 } });
      writeLine(
        stdout,
        `   ${score.requestType.displayName}: ${(score.slaBreachProbability * 100).toFixed(1)}% chance of missing the ${score.slaHours} h SLA — risk ${score.riskLevel} (model ${score.modelVersion})`,
      );
      for (const factor of score.topFactors) writeLine(stdout, `     • ${factor}`);

      writeLine(stdout, '');
      writeLine(stdout, `5. Charts of the last 12 months of the data (the images the Slack digest posts)`);
      const renderer = app.chartRenderer();
      const chartWindow = { since, until, now: until, slaHours: config.slaHours, timeZone: config.cityTimeZone };
      for (const kind of chartKinds) {
        const file = join(config.database.dataDir, 'charts', `${kind}.png`);
        try {
          const written = await writeChartPng(renderer, await buildChartForWindow(warehouse.db, kind, chartWindow), file);
          writeLine(stdout, `   ${kind.padEnd(7)} ${written.path} (${Math.round(written.bytes / 1024)} KB)`);
        } catch (error) {
          // A sparse snapshot can leave a chart with nothing to draw; say so and go on.
          if (!(error instanceof InputError)) throw error;
          writeLine(stdout, `   ${kind.padEnd(7)} not drawn: ${error.message.split('. ')[0]}.`);
        }
      }

      writeLine(stdout, '');
      writeLine(
        stdout,
        'Next: `npm run civicops -- report` (as of the data), `npm run civicops -- sla pothole`, `npm run civicops -- --help`.',
      );
      writeLine(stdout, `Open the dashboard: npm run civicops -- serve  →  http://localhost:${config.http.port}/`);
      return 0;
    } finally {
      await app.close();
    }
  },
};
