import { statSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import type { AppConfig } from '../config/config.js';
import { InputError, SocrataRequestError } from '../shared/errors.js';
import { describeWarehouseUnavailable } from '../warehouse/warehouse-unavailable.js';

/** The bundled snapshot, named as people type it from the project folder. */
export const OFFLINE_SNAPSHOT_HINT = 'use --from-file data/gainesville-78uv-94ar.sample.json.gz or check SOCRATA_BASE_URL';

type ErrnoError = Error & { code?: string; port?: number; address?: string; path?: string };

/** Where the warehouse is, without the password: "PostgreSQL db.example:5432/civicops". */
function describeWarehouseTarget(config: AppConfig): string {
  const url = config.database.url;
  if (!url) return `the embedded warehouse at ${config.database.dataDir}`;
  try {
    const parsed = new URL(url);
    return `PostgreSQL at ${parsed.hostname}:${parsed.port || 5432}${parsed.pathname}`;
  } catch {
    return 'the PostgreSQL of DATABASE_URL';
  }
}

/**
 * One line saying what failed and what to do, for the ordinary failures of a command run (the
 * warehouse cannot be reached, the port is taken, the city API is down); null for anything else,
 * which is a bug. The stack is for the debug log only.
 */
export function describeCliFailure(error: unknown, context: { command: string; config: AppConfig }): string | null {
  if (error instanceof SocrataRequestError) {
    const reason = error.message.split(' — ')[0];
    return context.command === 'ingest' || context.command === 'jobs'
      ? `the city API cannot be reached (${reason}): ${OFFLINE_SNAPSHOT_HINT}.`
      : `the city API cannot be reached (${reason}): check SOCRATA_BASE_URL.`;
  }
  const warehouse = describeWarehouseUnavailable(error);
  if (warehouse) {
    const what = context.config.database.url ? 'start PostgreSQL or check DATABASE_URL' : 'check CIVICOPS_DATA_DIR';
    return `cannot use the warehouse (${describeWarehouseTarget(context.config)}): ${warehouse}; ${what}.`;
  }
  const code = (error as ErrnoError | undefined)?.code;
  if (code === 'EADDRINUSE') {
    const port = (error as ErrnoError).port;
    return `port ${port ?? context.config.http.port} is in use: set PORT or --port (another civicops serve may be running).`;
  }
  if (code === 'EACCES' && (error as ErrnoError).port !== undefined) {
    return `port ${(error as ErrnoError).port} needs more privileges: set PORT or --port to 1024 or above.`;
  }
  return null;
}

/** The nearest ancestor of `path` that exists, and whether it is a folder. */
function nearestExisting(path: string): { path: string; isFolder: boolean } | null {
  let current = path;
  for (;;) {
    try {
      return { path: current, isFolder: statSync(current).isDirectory() };
    } catch {
      const parent = dirname(current);
      if (parent === current) return null;
      current = parent;
    }
  }
}

/**
 * The InputError for a file (`--out`, `--charts-dir`) that cannot be written: "cannot write
 * x/y.png: x is not a folder". Other errors are returned as they are.
 */
export function asOutputPathError(target: string, error: unknown, option: string): unknown {
  const code = (error as ErrnoError | undefined)?.code;
  if (!code || !['ENOTDIR', 'EACCES', 'EPERM', 'ENOENT', 'EISDIR', 'EROFS', 'EEXIST'].includes(code)) return error;
  const absolute = resolve(target);
  const shown = (path: string) => {
    const rel = relative(process.cwd(), path);
    return rel && !rel.startsWith('..') ? rel : path;
  };
  let reason: string;
  if (code === 'EISDIR') reason = `${shown(absolute)} is a folder`;
  else if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS')
    reason = `no permission to write in ${shown((error as ErrnoError).path ?? dirname(absolute))}`;
  else {
    const existing = nearestExisting(dirname(absolute));
    reason = existing && !existing.isFolder ? `${shown(existing.path)} is not a folder` : `${shown(dirname(absolute))} cannot be created`;
  }
  return new InputError(`cannot write ${target}: ${reason}; choose another ${option}.`, [{ path: option, message: code }]);
}
