import type { CliCommand } from '../command.js';
import { demoCommand } from './demo.js';
import { ingestCommand } from './ingest.js';
import { migrateCommand } from './migrate.js';
import { quarantineCommand } from './quarantine.js';

/** Every `civicops` command, in the order `--help` lists them. */
export const commands: readonly CliCommand[] = [demoCommand, ingestCommand, quarantineCommand, migrateCommand];
