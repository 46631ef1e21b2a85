import { listQuarantine } from '../../warehouse/ticket.repository.js';
import { writeLine, type CliCommand } from '../command.js';
import { parseIntegerOption } from '../parse-integer-option.js';

export const quarantineCommand: CliCommand = {
  name: 'quarantine',
  summary: 'List rows that failed validation, with the reason each was kept aside',
  usage: 'civicops quarantine [--limit N] [--json]',
  options: {
    limit: { type: 'string', description: 'how many of the newest entries to show', default: '20' },
    json: { type: 'boolean', description: 'print entries as JSON lines (raw rows included)' },
  },
  async run({ values }, context) {
    const limit = parseIntegerOption('limit', String(values.limit ?? '20'), { min: 1, max: 10_000 });
    const app = await context.openApp();
    const { warehouse } = app;
    try {
      const { total, entries } = await listQuarantine(warehouse.db, limit);
      if (values.json) {
        for (const entry of entries) writeLine(context.stdout, JSON.stringify(entry));
        return 0;
      }
      writeLine(context.stdout, `${total} row(s) in quarantine${total > entries.length ? `; newest ${entries.length} shown` : ''}.`);
      for (const entry of entries) {
        writeLine(context.stdout, `  ticket ${entry.ticketId ?? '(no id)'}: ${entry.reasons}`);
      }
      return 0;
    } finally {
      await app.close();
    }
  },
};
