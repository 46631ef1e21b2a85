import { parseArgs } from 'node:util';
import type { AppConfig } from '../config/config.js';
import type { Logger } from '../shared/logger.js';
import type { Warehouse } from '../warehouse/database.js';
import { commandCatalog, type CommandEntry } from './command-catalog.js';
import { writeLine, type CliCommand, type CliContext } from './command.js';

// Everything past parsing (config, logger, the composition root, the command's module) is imported
// when a command runs, so `civicops --help` starts at once.

const EXIT_USAGE = 2;

function formatGlobalHelp(list: readonly CommandEntry[]): string {
  const width = Math.max(...list.map((command) => command.name.length));
  return [
    'civicops — CivicOps-311: 311 ingest, SLA analytics, breach-risk model and Slack app',
    '',
    'Usage: civicops <command> [options]',
    '',
    'Commands:',
    ...list.map((command) => `  ${command.name.padEnd(width)}  ${command.summary}`),
    '',
    'Run `civicops <command> --help` for its options.',
    'Configuration comes from environment variables (see README.md and .env.example);',
    'without DATABASE_URL the warehouse is embedded PostgreSQL (PGlite) under CIVICOPS_DATA_DIR (./.civicops).',
  ].join('\n');
}

/** Every command takes the city; it is read with the config, not by the command. */
const CITY_OPTION: CliCommand['options'] = {
  city: {
    type: 'string',
    description: "the city (a shipped profile or a profile path; default: CIVICOPS_CITY, else the warehouse's only city)",
  },
};

export function formatCommandHelp(command: CliCommand): string {
  const lines = [`${command.summary}`, '', `Usage: ${command.usage}`, '', 'Options:'];
  const rows: [string, string][] = Object.entries({ ...command.options, ...CITY_OPTION }).map(([name, option]) => {
    const label = `${option.short ? `-${option.short}, ` : '    '}--${name}${option.type === 'string' ? ' VALUE' : ''}`;
    const fallback = option.default !== undefined && option.default !== false ? ` (default: ${String(option.default)})` : '';
    return [label, `${option.description}${fallback}`];
  });
  rows.push(['-h, --help', 'show this help']);
  const width = Math.max(...rows.map(([label]) => label.length));
  for (const [label, text] of rows) lines.push(`  ${label.padEnd(width)}  ${text}`);
  if (command.details) lines.push('', command.details);
  return lines.join('\n');
}

export interface RunCliOptions {
  env?: Record<string, string | undefined>;
  stdout?: CliContext['stdout'];
  stderr?: CliContext['stderr'];
  logger?: Logger;
  /** Opens the warehouse the App is built on (default: the configured one, migrated); tests pass theirs. */
  openWarehouse?: (config: AppConfig) => Promise<Warehouse>;
}

/** Entry point of the `civicops` binary; returns the process exit code. */
export async function runCli(argv: string[], options: RunCliOptions = {}): Promise<number> {
  const stdout = options.stdout ?? process.stdout;
  const stderr = options.stderr ?? process.stderr;
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    writeLine(name ? stdout : stderr, formatGlobalHelp(commandCatalog));
    return name ? 0 : EXIT_USAGE;
  }
  if (name === '--version' || name === '-v') {
    writeLine(stdout, '0.1.0');
    return 0;
  }
  const entry = commandCatalog.find((candidate) => candidate.name === name);
  if (!entry) {
    writeLine(stderr, `civicops: unknown command "${name}". Run \`civicops --help\` for the list.`);
    return EXIT_USAGE;
  }
  const command = await entry.load();

  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: rest,
      options: { ...stripDescriptions({ ...command.options, ...CITY_OPTION }), help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    writeLine(stderr, `civicops ${name}: ${(error as Error).message}\n\n${formatCommandHelp(command)}`);
    return EXIT_USAGE;
  }
  if (parsed.values.help) {
    writeLine(stdout, formatCommandHelp(command));
    return 0;
  }

  const [{ loadConfig }, { CivicOpsError, ConfigError, InputError }, { createHumanDestination, createLogger }, { describeCliFailure }] =
    await Promise.all([
      import('../config/config.js'),
      import('../shared/errors.js'),
      import('../shared/logger.js'),
      import('./cli-failure.js'),
    ]);
  const cityOption = typeof parsed.values.city === 'string' ? parsed.values.city : undefined;
  let config: AppConfig;
  try {
    config = loadConfig(options.env, cityOption);
  } catch (error) {
    writeLine(stderr, `civicops: ${(error as Error).message}`);
    return error instanceof ConfigError ? EXIT_USAGE : 1;
  }
  // People at a terminal get short readable log lines; services and pipes get JSON.
  const logger =
    options.logger ?? createLogger({ level: config.logLevel, destination: stderr.isTTY ? createHumanDestination(stderr) : undefined });
  // With no city named, the warehouse says which (its only one): the command must see that city's
  // config from the start, so the warehouse is opened now and handed to the App later.
  let opened: Promise<Warehouse> | undefined;
  let handedOver = false;
  try {
    if (command.usesWarehouse !== false && !options.openWarehouse && config.requestedCity === undefined) {
      const { openResolvedCityWarehouse } = await import('../main.js');
      const resolved = await openResolvedCityWarehouse(config, (cityRef) => loadConfig(options.env, cityRef));
      config = resolved.config;
      opened = Promise.resolve(resolved.warehouse);
    }
    const appConfig = config;
    const context: CliContext = {
      config: appConfig,
      logger,
      stdout,
      stderr,
      async openApp() {
        const { createApp, openConfiguredWarehouse } = await import('../main.js');
        const warehouse = opened && !handedOver ? await opened : await (options.openWarehouse ?? openConfiguredWarehouse)(appConfig);
        handedOver = true;
        return createApp({ config: appConfig, logger, warehouse });
      },
    };
    const { city: _city, ...commandValues } = parsed.values;
    return await command.run(
      { values: commandValues as Record<string, string | boolean | undefined>, positionals: parsed.positionals },
      context,
    );
  } catch (error) {
    // Ordinary failures (bad input, the warehouse or the city API unreachable, a busy port) get one
    // line that says what to do; anything else is a bug. The stack goes to the debug log only.
    logger.debug({ err: error }, `civicops ${name} failed`);
    const failure = describeCliFailure(error, { command: name, config });
    if (failure) {
      writeLine(stderr, `civicops ${name}: ${failure}`);
      return 1;
    }
    if (error instanceof CivicOpsError) {
      writeLine(stderr, `civicops ${name}: ${error.message}`);
      return error instanceof InputError ? EXIT_USAGE : 1;
    }
    writeLine(
      stderr,
      `civicops ${name}: unexpected error: ${(error as Error)?.message ?? String(error)} (LOG_LEVEL=debug shows the stack)`,
    );
    return 1;
  } finally {
    if (opened && !handedOver) await (await opened).close();
  }
}

function stripDescriptions(optionsSpec: CliCommand['options']) {
  return Object.fromEntries(
    Object.entries(optionsSpec).map(([name, option]) => [name, { type: option.type, ...(option.short ? { short: option.short } : {}) }]),
  ) as Record<string, { type: 'string' | 'boolean'; short?: string }>;
}
