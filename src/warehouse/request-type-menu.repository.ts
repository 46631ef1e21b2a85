import { sql, type Kysely } from 'kysely';
import type { RequestType } from './request-type.repository.js';
import type { WarehouseSchema } from './schema.js';

/** Type keys longer than `maxChars`, or that start with `prefix` (the candidates of a hashed menu value). */
export async function listTypeKeysNeedingHash(db: Kysely<WarehouseSchema>, maxChars: number, prefix: string): Promise<string[]> {
  const rows = await db
    .selectFrom('dim_request_type')
    .select('type_key')
    .where(sql<boolean>`length(type_key) > ${maxChars} or type_key like ${`${prefix}%`}`)
    .execute();
  return rows.map((row) => row.type_key);
}

/**
 * The `limit` request types with the most tickets (types never seen in a ticket last), listed by
 * name: what a menu of types offers first.
 */
export async function listCommonRequestTypes(db: Kysely<WarehouseSchema>, limit: number): Promise<RequestType[]> {
  const rows = await db
    .selectFrom('dim_request_type as t')
    .leftJoin('fact_ticket as f', 'f.type_key', 't.type_key')
    .select((eb) => ['t.type_key', 't.display_name', eb.fn.count<number>('f.ticket_id').as('tickets')])
    .groupBy(['t.type_key', 't.display_name'])
    .orderBy('tickets', 'desc')
    .orderBy('t.display_name')
    .limit(limit)
    .execute();
  return rows
    .map((row) => ({ typeKey: row.type_key, displayName: row.display_name }))
    .sort((a, b) => a.displayName.localeCompare(b.displayName));
}
