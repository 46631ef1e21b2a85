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
