import type { Logger } from '../shared/logger.js';

/** The longest a shutdown may take: orchestrators (Docker, Kubernetes) kill after 10 s. */
export const SHUTDOWN_GRACE_MS = 10_000;

const SIGNAL_NUMBERS: Partial<Record<NodeJS.Signals, number>> = { SIGINT: 2, SIGTERM: 15, SIGHUP: 1 };

/** 128 + signal number, the shell's convention for "ended by this signal" (SIGTERM → 143). */
export function exitCodeForSignal(signal: NodeJS.Signals): number {
  return 128 + (SIGNAL_NUMBERS[signal] ?? 15);
}

export interface ShutdownSignalOptions {
  logger: Logger;
  signals?: readonly NodeJS.Signals[];
  /** Deadline for the whole shutdown; past it the process exits anyway, with a log line. */
  graceMs?: number;
  /** Where signals come from (default `process`; tests pass an EventEmitter). */
  source?: Pick<NodeJS.EventEmitter, 'on' | 'off'>;
  /** How to force an exit (default `process.exit`). */
  exit?: (code: number) => void;
}

export interface ShutdownSignalHandle {
  /** The first signal received, if any. */
  received(): NodeJS.Signals | null;
  /** Stops listening. An armed deadline stays (unref'd): it only fires if the process hangs. */
  dispose(): void;
}

/**
 * Calls `onSignal` once on the first SIGTERM/SIGINT and arms a hard deadline: if the process is
 * still alive `graceMs` later (something hangs), it logs why and exits with code 1. A second
 * signal exits at once; that is safe because every write commits in its own transaction.
 */
export function onShutdownSignal(options: ShutdownSignalOptions, onSignal: (signal: NodeJS.Signals) => void): ShutdownSignalHandle {
  const { logger } = options;
  const signals = options.signals ?? ['SIGTERM', 'SIGINT'];
  const source = options.source ?? process;
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const graceMs = options.graceMs ?? SHUTDOWN_GRACE_MS;
  let first: NodeJS.Signals | null = null;

  const handle = (signal: NodeJS.Signals) => {
    if (first) {
      logger.warn({ signal }, `second ${signal} during shutdown: exiting now (committed work is kept)`);
      exit(exitCodeForSignal(signal));
      return;
    }
    first = signal;
    logger.info({ signal, graceMs }, `${signal} received: finishing the current batch and shutting down`);
    const deadline = setTimeout(() => {
      logger.fatal({ signal, graceMs }, `shutdown did not finish within ${graceMs / 1000} s; forcing exit (committed work is kept)`);
      exit(1);
    }, graceMs);
    deadline.unref();
    onSignal(signal);
  };
  const listeners = signals.map((signal) => {
    const listener = () => handle(signal);
    source.on(signal, listener);
    return [signal, listener] as const;
  });
  return {
    received: () => first,
    dispose() {
      for (const [signal, listener] of listeners) source.off(signal, listener);
    },
  };
}
