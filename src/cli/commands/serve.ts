import { once } from 'node:events';
import { writeLine, type CliCommand, type CliContext } from '../command.js';
import { parseIntegerOption } from '../parse-integer-option.js';

export interface ServeOptions {
  port: number;
  host?: string;
  /** Stops the server; the command wires it to SIGINT/SIGTERM. */
  signal: AbortSignal;
  /** Called once the server is listening (tests read the bound port). */
  onListening?: (port: number) => void;
}

/** Runs the app's HTTP server until `signal` aborts, then closes the server and the warehouse. */
export async function runServe(context: CliContext, options: ServeOptions): Promise<void> {
  const app = await context.openApp();
  try {
    const server = await app.server();
    const { port } = await server.listen(options.port, options.host);
    const version = (await app.scorer()).currentModelVersion();
    app.logger.info({ port, warehouse: app.warehouse.describe, model_version: version }, 'civicops serve listening');
    writeLine(context.stdout, `civicops serve: listening on http://${options.host ?? 'localhost'}:${port} (docs at /docs)`);
    if (!version) writeLine(context.stdout, 'civicops serve: no trained model yet; scoring answers 503 until `civicops train` has run.');
    options.onListening?.(port);
    if (!options.signal.aborted) await once(options.signal, 'abort');
    app.logger.info('civicops serve stopping');
  } finally {
    await app.close();
  }
}

/** `civicops serve`: the HTTP API, the docs, /healthz and (when configured) the Slack endpoint. */
export const serveCommand: CliCommand = {
  name: 'serve',
  summary: 'Run the HTTP scoring API (POST /score_ticket, /healthz, /docs) and the Slack endpoint',
  usage: 'civicops serve [--port N] [--host ADDRESS]',
  options: {
    port: { type: 'string', description: 'port to listen on', default: 'PORT or 3000' },
    host: { type: 'string', description: 'address to bind', default: 'all interfaces' },
  },
  details: [
    'Endpoints: POST /score_ticket, POST /score_tickets (up to 1,000), GET /healthz, GET /openapi.json,',
    'GET /docs (works offline), and POST /slack/events when the Slack app is configured.',
    'With API_KEY set, scoring requests must send it in the X-API-Key header.',
    'The promoted model is reloaded every SCORER_REFRESH_MINUTES (default 5), as `civicops start` does.',
    'Stops cleanly on Ctrl-C (SIGINT) or SIGTERM.',
    '',
    'Examples:',
    '  civicops serve',
    `  curl -s localhost:3000/score_ticket -H 'content-type: application/json' \\`,
    `    -d '{"request_type": "Road Repair", "status": "Open", "rolling_7d_volume": 12, "backlog_at_creation": 40}'`,
  ].join('\n'),
  async run({ values }, context) {
    const port =
      values.port === undefined ? context.config.http.port : parseIntegerOption('port', String(values.port), { min: 0, max: 65_535 });
    const stop = new AbortController();
    const onSignal = () => stop.abort();
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    try {
      await runServe(context, { port, host: typeof values.host === 'string' ? values.host : undefined, signal: stop.signal });
      return 0;
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  },
};
