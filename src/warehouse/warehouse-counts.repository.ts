import type { Kysely, Transaction } from 'kysely';
import type { WarehouseSchema } from './schema.js';

type Db = Kysely<WarehouseSchema> | Transaction<WarehouseSchema>;

/** How much the warehouse holds, for `civicops status`. */
export interface WarehouseCounts {
  /** Rows in fact_ticket. */
  facts: number;
  /** Rows in ingest_quarantine (each a distinct payload that failed validation). */
  quarantined: number;
}

/** Both counts in one query, so they describe the same snapshot. */
export async function countWarehouseRows(db: Db): Promise<WarehouseCounts> {
  const row = await db
    .selectNoFrom((eb) => [
      eb
        .selectFrom('fact_ticket')
        .select((sub) => sub.fn.countAll<number>().as('n'))
        .as('facts'),
      eb
        .selectFrom('ingest_quarantine')
        .select((sub) => sub.fn.countAll<number>().as('n'))
        .as('quarantined'),
    ])
    .executeTakeFirstOrThrow();
  return { facts: Number(row.facts), quarantined: Number(row.quarantined) };
}
