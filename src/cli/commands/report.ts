import type { TypeSlaSummary } from '../../analytics/sla-report.js';
import { listTypeReports } from '../../warehouse/sla-report.repository.js';
import { writeLine, type CliCommand } from '../command.js';
import {
  describeEmptyWindow,
  describeWindow,
  formatChange,
  formatHours,
  formatPercent,
  formatTable,
  dataClockFields,
  parseReportWindow,
  resolveReportWindow,
  windowOptions,
  writeDataClockNotice,
} from './sla.js';

/** Totals over every type (percentiles cannot be summed, so they are left out). */
function totalsOf(types: readonly TypeSlaSummary[]) {
  const sum = (pick: (type: TypeSlaSummary) => number) => types.reduce((total, type) => total + pick(type), 0);
  const met = sum((type) => type.current.metSla);
  const known = sum((type) => type.current.withKnownOutcome);
  return {
    tickets: sum((type) => type.current.tickets),
    previousTickets: sum((type) => type.previous.tickets),
    attainment: known === 0 ? null : met / known,
    backlog: sum((type) => type.current.backlog),
  };
}

function formatTypeTable(types: readonly TypeSlaSummary[]): string[] {
  const totals = totalsOf(types);
  return formatTable([
    ['Request type', 'SLA h', 'Tickets', 'vs prev', 'Attained', 'vs prev', 'P50 h', 'P90 h', 'Backlog', 'vs prev'],
    ...types.map((type) => [
      type.displayName,
      String(type.slaHours),
      String(type.current.tickets),
      formatChange(type.trends.tickets, 'count'),
      formatPercent(type.current.attainment),
      formatChange(type.trends.attainment, 'share'),
      formatHours(type.current.p50HoursToClose),
      formatHours(type.current.p90HoursToClose),
      String(type.current.backlog),
      formatChange(type.trends.backlog, 'count'),
    ]),
    ['All types', '', String(totals.tickets), '', formatPercent(totals.attainment), '', '', '', String(totals.backlog), ''],
  ]);
}

export const reportCommand: CliCommand = {
  name: 'report',
  summary: 'SLA attainment, time to close and backlog of every request type, worst first',
  usage: 'civicops report [--json] [--since YYYY-MM-DD] [--until YYYY-MM-DD]',
  options: windowOptions,
  details: [
    'Examples:',
    '  civicops report',
    '  civicops report --since 2023-04-01 --until 2023-06-30',
    '"vs prev" compares with the previous period of as many city days. Without --until the window ends now, or at the',
    "warehouse's last event when the data stops more than 48 h ago (the shipped snapshot ends 2023-07-09), and says so.",
  ].join('\n'),
  async run({ values }, context) {
    parseReportWindow(values, context.config, new Date());
    const app = await context.openApp();
    const { warehouse } = app;
    try {
      const { window, clock } = await resolveReportWindow(warehouse.db, values, context.config);
      const types = await listTypeReports(warehouse.db, window);
      const withTickets = types.some((type) => type.current.tickets > 0);
      const notice = withTickets ? undefined : await describeEmptyWindow(warehouse.db, window);
      if (values.json) {
        writeLine(
          context.stdout,
          JSON.stringify({
            since: window.since,
            until: window.until,
            timeZone: window.timeZone,
            types,
            ...dataClockFields(window, clock, notice),
          }),
        );
        return 0;
      }
      writeDataClockNotice(context.stdout, clock);
      writeLine(
        context.stdout,
        `SLA by request type, tickets created ${describeWindow(window, window.timeZone)} (${window.timeZone}), worst first`,
      );
      writeLine(context.stdout, '');
      if (types.length > 0) for (const line of formatTypeTable(types)) writeLine(context.stdout, line);
      if (notice) writeLine(context.stdout, `${types.length > 0 ? '\n' : ''}${notice}`);
      return 0;
    } finally {
      await app.close();
    }
  },
};
