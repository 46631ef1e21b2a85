/**
 * Why a warehouse cannot be used, from what pg (or the network) threw when connecting: the one
 * place that knows pg's error codes, so entry points can print one line instead of a stack.
 */

/** Network codes of a PostgreSQL server that cannot be reached. */
const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNRESET']);

/** SQLSTATE codes of a server that refuses this database or these credentials. */
const REFUSED: Record<string, string> = {
  '3D000': 'the database does not exist',
  '28P01': 'the password was refused',
  '28000': 'the role is not allowed to connect',
  '57P03': 'the server is starting up or shutting down',
  '53300': 'the server has too many connections',
};

/**
 * A short reason when `error` says the warehouse cannot be reached or used ("connection
 * refused (ECONNREFUSED)", "the database does not exist (3D000)"); null for any other error.
 * Looks into AggregateError (Node tries IPv4 and IPv6 for localhost) and `cause`.
 */
export function describeWarehouseUnavailable(error: unknown): string | null {
  const seen = new Set<unknown>();
  const queue: unknown[] = [error];
  while (queue.length > 0) {
    const current = queue.shift();
    if (!current || typeof current !== 'object' || seen.has(current)) continue;
    seen.add(current);
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') {
      if (UNREACHABLE.has(code)) return `${code === 'ENOTFOUND' || code === 'EAI_AGAIN' ? 'host not found' : 'cannot connect'} (${code})`;
      if (REFUSED[code]) return `${REFUSED[code]} (${code})`;
    }
    if (current instanceof AggregateError) queue.push(...current.errors);
    queue.push((current as { cause?: unknown }).cause);
  }
  return null;
}
