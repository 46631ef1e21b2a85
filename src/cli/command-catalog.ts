import type { CliCommand } from './command.js';

/**
 * Every `civicops` command by name and summary, with its module loaded only when it runs: the
 * command modules pull in the warehouse, the model, charts and Slack, and `civicops --help` must
 * answer without loading them (test/cli.help-examples.test.ts checks the summaries match).
 */
export interface CommandEntry {
  readonly name: string;
  readonly summary: string;
  load(): Promise<CliCommand>;
}

/** In the order `--help` lists them. */
export const commandCatalog: readonly CommandEntry[] = [
  {
    name: 'demo',
    summary: 'Run the main job end to end on the embedded warehouse (falls back to the bundled snapshot offline)',
    load: async () => (await import('./commands/demo.js')).demoCommand,
  },
  {
    name: 'ingest',
    summary: 'Pull 311 requests from the city SODA API (or a snapshot file) into the warehouse',
    load: async () => (await import('./commands/ingest.js')).ingestCommand,
  },
  {
    name: 'sla',
    summary: 'SLA attainment, time to close, volume and backlog of one request type',
    load: async () => (await import('./commands/sla.js')).slaCommand,
  },
  {
    name: 'report',
    summary: 'SLA attainment, time to close and backlog of every request type, worst first',
    load: async () => (await import('./commands/report.js')).reportCommand,
  },
  {
    name: 'forecast',
    summary: 'Expected new tickets for the next 7 city days, with 80% ranges, and its backtest',
    load: async () => (await import('./commands/forecast.js')).forecastCommand,
  },
  {
    name: 'worklist',
    summary: 'Open tickets ranked for action: breached first, then the likeliest to breach soon',
    load: async () => (await import('./commands/worklist.js')).worklistCommand,
  },
  {
    name: 'train',
    summary: 'Train the SLA-breach model on the warehouse (temporal split), register it, promote it if not worse',
    load: async () => (await import('./commands/train.js')).trainCommand,
  },
  {
    name: 'serve',
    summary: 'Run the HTTP scoring API (POST /score_ticket, /healthz, /docs) and the Slack endpoint',
    load: async () => (await import('./commands/serve.js')).serveCommand,
  },
  {
    name: 'start',
    summary: 'Run the HTTP server and the job scheduler (ingest, alerts, train, digest) until stopped',
    load: async () => (await import('./commands/start.js')).startCommand,
  },
  {
    name: 'jobs',
    summary: 'List the scheduled jobs, run one now, or show recent runs',
    load: async () => (await import('./commands/jobs.js')).jobsCommand,
  },
  {
    name: 'status',
    summary: 'Show the warehouse, the last ingest, the model and the health of each scheduled job',
    load: async () => (await import('./commands/status.js')).statusCommand,
  },
  {
    name: 'digest',
    summary: "Post the daily digest (yesterday's volume, surges, SLA, backlog, charts) to Slack, or print it",
    load: async () => (await import('./commands/digest.js')).digestCommand,
  },
  {
    name: 'alerts',
    summary: 'Post new open tickets at or above ALERT_THRESHOLD to Slack (one thread per run), or print them',
    load: async () => (await import('./commands/alerts.js')).alertsCommand,
  },
  {
    name: 'chart',
    summary: 'Write an SLA, volume or surge chart as a PNG file (the same images the Slack digest posts)',
    load: async () => (await import('./commands/chart.js')).chartCommand,
  },
  {
    name: 'quarantine',
    summary: 'List rows that failed validation, with the reason each was kept aside',
    load: async () => (await import('./commands/quarantine.js')).quarantineCommand,
  },
  {
    name: 'sla-policy',
    summary: 'List or set the SLA of a request type: its hours and its clock (wall-clock or business hours)',
    load: async () => (await import('./commands/sla-policy.js')).slaPolicyCommand,
  },
  {
    name: 'city',
    summary: 'List the shipped city profiles, or propose a profile for any Socrata 311 dataset',
    load: async () => (await import('./commands/city.js')).cityCommand,
  },
  {
    name: 'migrate',
    summary: 'Apply pending warehouse migrations to every city (also done automatically on first use)',
    load: async () => (await import('./commands/migrate.js')).migrateCommand,
  },
];
