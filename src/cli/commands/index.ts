import { buildSlackHandler, runtimeComposition } from '../../main.js';
import type { CliCommand } from '../command.js';
import { alertsCommand } from './alerts.js';
import { chartCommand } from './chart.js';
import { demoCommand } from './demo.js';
import { digestCommand } from './digest.js';
import { ingestCommand } from './ingest.js';
import { createJobsCommand } from './jobs.js';
import { migrateCommand } from './migrate.js';
import { quarantineCommand } from './quarantine.js';
import { reportCommand } from './report.js';
import { createServeCommand } from './serve.js';
import { slaCommand } from './sla.js';
import { createStartCommand } from './start.js';
import { createStatusCommand } from './status.js';
import { trainCommand } from './train.js';

/** Every `civicops` command, in the order `--help` lists them. */
export const commands: readonly CliCommand[] = [
  demoCommand,
  ingestCommand,
  slaCommand,
  reportCommand,
  trainCommand,
  createServeCommand({
    createSlackHandler: ({ context, warehouse, scorer }) => buildSlackHandler(context.config, context.logger, warehouse, scorer),
  }),
  createStartCommand(runtimeComposition),
  createJobsCommand(runtimeComposition),
  createStatusCommand(runtimeComposition),
  digestCommand,
  alertsCommand,
  chartCommand,
  quarantineCommand,
  migrateCommand,
];
