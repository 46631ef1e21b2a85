/**
 * When a ticket is open and when it stops being open: the rules the backlog, the breach labels
 * and the features share. The warehouse states the same close rule in SQL (effectiveCloseSql).
 */

/** Statuses whose name says work is still pending; closure itself is decided by closed_at. */
export function isOpenState(status: string): boolean {
  return !/closed|archived|referred|cancel|duplicate|resolved|completed/i.test(status);
}

/**
 * When a ticket stopped being open (epoch ms; NaN while it is still open): its close instant
 * (never before creation); for a ticket not open but without one (legacy 'Archived') its
 * archival instant, else its creation. Never last_updated_at: it moves on every later edit.
 */
export function effectiveCloseMs(createdMs: number, closedMs: number, isOpen: boolean, archivedMs: number): number {
  if (!Number.isNaN(closedMs)) return Math.max(closedMs, createdMs);
  if (isOpen) return Number.NaN;
  return Number.isNaN(archivedMs) ? createdMs : Math.max(archivedMs, createdMs);
}

/** A closure breached its SLA when it took longer than the SLA (exactly the SLA still meets it). */
export function isSlaBreach(durationMs: number, slaMs: number): boolean {
  return durationMs > slaMs;
}
