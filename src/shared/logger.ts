import { pino, destination, type Logger, type DestinationStream } from 'pino';

export type { Logger };

/** Paths pino must never print: tokens, secrets and API keys wherever they appear. */
export const redactPaths = [
  'appToken',
  '*.appToken',
  'token',
  '*.token',
  'botToken',
  '*.botToken',
  'signingSecret',
  '*.signingSecret',
  'apiKey',
  '*.apiKey',
  'password',
  '*.password',
  // Node's URL errors carry the whole input, which for DATABASE_URL includes the password.
  'err.input',
  'error.input',
  'connectionString',
  '*.connectionString',
  'headers["x-app-token"]',
  'headers["x-api-key"]',
  'headers.authorization',
  'req.headers["x-api-key"]',
  'req.headers.authorization',
  'req.headers["x-slack-signature"]',
  '*.headers["x-app-token"]',
  '*.headers.authorization',
];

export function createLogger(options: { level?: string; destination?: DestinationStream } = {}): Logger {
  const config = {
    level: options.level ?? 'info',
    base: { app: 'civicops-311' },
    redact: { paths: redactPaths, censor: '[redacted]' },
  };
  // Logs go to stderr so that `--json` output on stdout stays machine-readable.
  return options.destination ? pino(config, options.destination) : pino(config, destination(2));
}

/** Removes an app token from a URL before it reaches a message or a log line. */
export function redactUrl(url: string): string {
  return url.replace(/([?&]\$\$app_token=)[^&]+/gi, '$1[redacted]');
}

const LEVEL_NAMES: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
const HIDDEN_KEYS = new Set(['level', 'time', 'msg', 'app', 'pid', 'hostname']);

/**
 * A destination that prints pino's JSON lines as short human lines ("09:14:03 WARN message k=v"),
 * for people at a terminal; services keep JSON for their log collectors.
 */
export function createHumanDestination(stream: NodeJS.WritableStream): DestinationStream {
  return {
    write(line: string) {
      let entry: Record<string, unknown>;
      try {
        entry = JSON.parse(line) as Record<string, unknown>;
      } catch {
        stream.write(line);
        return;
      }
      const time = new Date(Number(entry.time)).toISOString().slice(11, 19);
      const level = LEVEL_NAMES[Number(entry.level)] ?? String(entry.level);
      const fields = Object.entries(entry)
        .filter(([key]) => !HIDDEN_KEYS.has(key))
        .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`);
      stream.write(`${time} ${level.padEnd(5)} ${String(entry.msg ?? '')}${fields.length ? `  ${fields.join(' ')}` : ''}\n`);
    },
  };
}
