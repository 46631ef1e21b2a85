import { writeLine, type CliCommand } from '../command.js';

export const migrateCommand: CliCommand = {
  name: 'migrate',
  summary: 'Apply pending warehouse migrations to every city (also done automatically on first use)',
  usage: 'civicops migrate [--city NAME]',
  usesWarehouse: false,
  options: {},
  details: [
    'Each city of the warehouse has its own PostgreSQL schema and its own migration ledger; this',
    'brings every one up to date. With --city (or CIVICOPS_CITY) a city new to the warehouse is',
    'registered first and gets its schema.',
  ].join('\n'),
  async run(_args, context) {
    const { migrateEveryCity } = await import('../../main.js');
    const result = await migrateEveryCity(context.config);
    writeLine(context.stdout, `Warehouse: ${result.describe}`);
    for (const city of result.cities) {
      writeLine(
        context.stdout,
        `${city.city} (schema ${city.schema}): ${
          city.applied.length
            ? `applied ${city.applied.length} migration(s): ${city.applied.join(', ')}`
            : `up to date (${city.alreadyApplied} migrations applied earlier)`
        }`,
      );
    }
    return 0;
  },
};
