import { createLazyClockContext } from '../analytics/sla-clock.js';
import { loadCityHolidaysOrFederal } from '../config/holidays.js';
import { transactionWithCopy } from '../warehouse/staging-copy.js';
import { clearStaging, prepareTicketBatch, upsertTicketBatch } from '../warehouse/staging.repository.js';
import { deleteQuarantinedRows, listQuarantinedRows } from '../warehouse/ticket.repository.js';
import type { IngestDeps } from './ingest-types.js';
import { validateSodaRow, type TicketRecord } from './soda-row.js';

const QUARANTINE_PAGE = 1_000;

/**
 * Re-validates every quarantined row with today's rules and loads the ones that now pass (for
 * example after a column the city added was declared in KNOWN_DATA_FIELDS), so a fix to the
 * validator recovers them without re-reading the city's API. Returns how many were recovered.
 */
export async function recoverQuarantinedRows(deps: IngestDeps, runId: number): Promise<number> {
  // Whatever a killed run left staged was committed and upserted already (or rolled back).
  await clearStaging(deps.db);
  let recovered = 0;
  let afterId = 0;
  for (;;) {
    const page = await listQuarantinedRows(deps.db, afterId, QUARANTINE_PAGE);
    if (page.length === 0) break;
    afterId = page[page.length - 1]!.quarantineId;
    const valid: TicketRecord[] = [];
    const ids: number[] = [];
    for (const row of page) {
      const outcome = validateSodaRow(row.payload, deps.timeZone, deps.profile);
      if (outcome.ok) {
        valid.push(outcome.ticket);
        ids.push(row.quarantineId);
      }
    }
    if (valid.length === 0) continue;
    const batch = prepareTicketBatch(valid);
    await transactionWithCopy(deps.db, async (trx, copyIn) => {
      await upsertTicketBatch(trx, copyIn, batch, {
        runId,
        fetchedAt: new Date(),
        slaClock: createLazyClockContext(deps.timeZone, () => loadCityHolidaysOrFederal(deps.profile?.name)),
      });
      await deleteQuarantinedRows(trx, ids);
    });
    recovered += valid.length;
  }
  if (recovered > 0) deps.logger.info({ runId, recovered }, 'quarantined rows now pass validation and were loaded');
  return recovered;
}
