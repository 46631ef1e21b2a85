import type { Writable } from 'node:stream';
import type { AppConfig } from '../config/config.js';
import type { Logger } from '../shared/logger.js';
import type { App } from '../main.js';

/** One option of a command, in node:util parseArgs terms plus help text. */
export interface CliOption {
  type: 'string' | 'boolean';
  short?: string;
  description: string;
  default?: string | boolean;
}

/** What every command receives: config read once, a logger on stderr, and the streams to print to. */
export interface CliContext {
  readonly config: AppConfig;
  readonly logger: Logger;
  readonly stdout: Writable & { isTTY?: boolean };
  readonly stderr: Writable & { isTTY?: boolean };
  /**
   * Opens (and migrates) the configured warehouse and builds the App on it (src/main.ts); the
   * command closes it with `app.close()`.
   */
  openApp(): Promise<App>;
}

export interface ParsedCommandArgs {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}

/** A `civicops <name>` command: parse, call one domain function, format. Returns the exit code. */
export interface CliCommand {
  readonly name: string;
  readonly summary: string;
  /** e.g. 'civicops sla <request type> [--json] [--since DATE] [--until DATE]' */
  readonly usage: string;
  readonly options: Record<string, CliOption>;
  /** Extra lines for `--help` (examples, notes). */
  readonly details?: string;
  /**
   * False for a command that never opens one city's warehouse (`city`, `migrate`): with no city
   * named, the others open the warehouse first to learn its city.
   */
  readonly usesWarehouse?: false;
  run(args: ParsedCommandArgs, context: CliContext): Promise<number>;
}

/** Writes one line; used so commands never call console.* directly (tests capture the streams). */
export function writeLine(stream: Writable, line = ''): void {
  stream.write(`${line}\n`);
}
