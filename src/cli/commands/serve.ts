import { once } from 'node:events';
import { createApiServer, type SlackRequestHandler } from '../../api/api-server.js';
import { createScorer } from '../../model/score-ticket.js';
import type { Scorer } from '../../model/scorer.js';
import { InputError } from '../../shared/errors.js';
import type { Warehouse } from '../../warehouse/database.js';
import { writeLine, type CliCommand, type CliContext } from '../command.js';

/** What the Slack app needs to build its request handler inside `civicops serve`. */
export interface SlackHandlerDeps {
  context: CliContext;
  warehouse: Warehouse;
  scorer: Scorer;
}

export interface ServeCommandOptions {
  /** Builds the POST /slack/events handler; undefined (or returning undefined) leaves Slack off. */
  createSlackHandler?: (deps: SlackHandlerDeps) => SlackRequestHandler | undefined | Promise<SlackRequestHandler | undefined>;
}

export interface ServeOptions extends ServeCommandOptions {
  port: number;
  host?: string;
  /** Minutes between scorer refreshes (new model from `civicops train`, new tickets from ingest); 0 = never. */
  refreshMinutes: number;
  /** Stops the server; the command wires it to SIGINT/SIGTERM. */
  signal: AbortSignal;
  /** Called once the server is listening (tests read the bound port). */
  onListening?: (port: number) => void;
}

/** Runs the HTTP server until `signal` aborts, then closes the server and the warehouse. */
export async function runServe(context: CliContext, options: ServeOptions): Promise<void> {
  const { config, logger } = context;
  const warehouse = await context.openWarehouse();
  let refreshTimer: NodeJS.Timeout | undefined;
  try {
    const scorer = await createScorer({
      db: warehouse.db,
      logger,
      slaHours: config.slaHours,
      timeZone: config.cityTimeZone,
      risk: config.risk,
    });
    const slackHandler = await options.createSlackHandler?.({ context, warehouse, scorer });
    const api = createApiServer({ config, logger, warehouse, scorer, slackHandler });
    const { port } = await api.listen(options.port, options.host);
    const version = scorer.currentModelVersion();
    logger.info({ port, warehouse: warehouse.describe, model_version: version, slack: Boolean(slackHandler) }, 'civicops serve listening');
    writeLine(context.stdout, `civicops serve: listening on http://${options.host ?? 'localhost'}:${port} (docs at /docs)`);
    if (!version) writeLine(context.stdout, 'civicops serve: no trained model yet; scoring answers 503 until `civicops train` has run.');
    options.onListening?.(port);

    if (options.refreshMinutes > 0) {
      refreshTimer = setInterval(() => {
        // A failed refresh keeps the previous model and context serving; it is logged, not fatal.
        scorer.refresh().then(
          () => logger.debug({ model_version: scorer.currentModelVersion() }, 'scorer refreshed'),
          (error: unknown) => logger.error({ err: error }, 'scorer refresh failed; still serving the previous model'),
        );
      }, options.refreshMinutes * 60_000);
      refreshTimer.unref();
    }

    if (!options.signal.aborted) await once(options.signal, 'abort');
    logger.info('civicops serve stopping');
    await api.close();
  } finally {
    clearInterval(refreshTimer);
    await warehouse.close();
  }
}

/** `civicops serve`, optionally with the Slack endpoint mounted (the lead wires createSlackHandler). */
export function createServeCommand(commandOptions: ServeCommandOptions = {}): CliCommand {
  return {
    name: 'serve',
    summary: 'Run the HTTP scoring API (POST /score_ticket, /healthz, /docs) and the Slack endpoint',
    usage: 'civicops serve [--port N] [--host ADDRESS] [--refresh-minutes N]',
    options: {
      port: { type: 'string', description: 'port to listen on', default: 'PORT or 3000' },
      host: { type: 'string', description: 'address to bind', default: 'all interfaces' },
      'refresh-minutes': { type: 'string', description: 'reload the promoted model and feature context every N minutes (0 = never)', default: '15' },
    },
    details: [
      'Endpoints: POST /score_ticket, POST /score_tickets (up to 1,000), GET /healthz, GET /openapi.json,',
      'GET /docs (works offline), and POST /slack/events when the Slack app is configured.',
      'With API_KEY set, scoring requests must send it in the X-API-Key header.',
      'Stops cleanly on Ctrl-C (SIGINT) or SIGTERM.',
      '',
      'Examples:',
      '  civicops serve',
      `  curl -s localhost:3000/score_ticket -H 'content-type: application/json' \\`,
      `    -d '{"request_type": "Road Repair", "status": "Open", "rolling_7d_volume": 12, "backlog_at_creation": 40}'`,
    ].join('\n'),
    async run({ values }, context) {
      const port = values.port === undefined ? context.config.http.port : Number(values.port);
      if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new InputError('--port must be a whole number from 0 to 65535');
      const refreshMinutes = values['refresh-minutes'] === undefined ? 15 : Number(values['refresh-minutes']);
      if (!Number.isFinite(refreshMinutes) || refreshMinutes < 0) throw new InputError('--refresh-minutes must be a number ≥ 0');
      const stop = new AbortController();
      const onSignal = () => stop.abort();
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      try {
        await runServe(context, {
          port,
          host: typeof values.host === 'string' ? values.host : undefined,
          refreshMinutes,
          signal: stop.signal,
          createSlackHandler: commandOptions.createSlackHandler,
        });
        return 0;
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
    },
  };
}

export const serveCommand: CliCommand = createServeCommand();
