import type { CliCommand } from '../command.js';
import { demoCommand } from './demo.js';
import { ingestCommand } from './ingest.js';
import { migrateCommand } from './migrate.js';
import { quarantineCommand } from './quarantine.js';
import { reportCommand } from './report.js';
import { slaCommand } from './sla.js';
import { trainCommand } from './train.js';

/** Every `civicops` command, in the order `--help` lists them. */
export const commands: readonly CliCommand[] = [
  demoCommand,
  ingestCommand,
  slaCommand,
  reportCommand,
  trainCommand,
  quarantineCommand,
  migrateCommand,
];
