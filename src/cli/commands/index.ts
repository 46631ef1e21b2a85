import type { CliCommand } from '../command.js';
import { alertsCommand } from './alerts.js';
import { chartCommand } from './chart.js';
import { cityCommand } from './city.js';
import { demoCommand } from './demo.js';
import { digestCommand } from './digest.js';
import { forecastCommand } from './forecast.js';
import { ingestCommand } from './ingest.js';
import { jobsCommand } from './jobs.js';
import { migrateCommand } from './migrate.js';
import { quarantineCommand } from './quarantine.js';
import { reportCommand } from './report.js';
import { serveCommand } from './serve.js';
import { slaCommand } from './sla.js';
import { slaPolicyCommand } from './sla-policy.js';
import { startCommand } from './start.js';
import { statusCommand } from './status.js';
import { trainCommand } from './train.js';
import { worklistCommand } from './worklist.js';

/** Every `civicops` command, in the order `--help` lists them. */
export const commands: readonly CliCommand[] = [
  demoCommand,
  ingestCommand,
  slaCommand,
  reportCommand,
  forecastCommand,
  worklistCommand,
  trainCommand,
  serveCommand,
  startCommand,
  jobsCommand,
  statusCommand,
  digestCommand,
  alertsCommand,
  chartCommand,
  quarantineCommand,
  slaPolicyCommand,
  cityCommand,
  migrateCommand,
];
