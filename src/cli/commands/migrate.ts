import { openWarehouse } from '../../warehouse/database.js';
import { migrate } from '../../warehouse/migrate.js';
import { writeLine, type CliCommand } from '../command.js';

export const migrateCommand: CliCommand = {
  name: 'migrate',
  summary: 'Apply pending warehouse migrations (also done automatically on first use)',
  usage: 'civicops migrate',
  options: {},
  async run(_args, context) {
    const warehouse = await openWarehouse(context.config.database);
    try {
      const result = await migrate(warehouse.db);
      writeLine(context.stdout, `Warehouse: ${warehouse.describe}`);
      writeLine(
        context.stdout,
        result.applied.length
          ? `Applied ${result.applied.length} migration(s): ${result.applied.join(', ')}`
          : `Up to date (${result.alreadyApplied.length} migrations applied earlier).`,
      );
      return 0;
    } finally {
      await warehouse.close();
    }
  },
};
