import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestRows } from '../src/ingest/ingest.js';
import { bundledSnapshotPath, readSodaSnapshot } from '../src/ingest/snapshot.js';
import { createLogger } from '../src/shared/logger.js';
import { buildTrainingSet, type TrainingSet } from '../src/features/training-set.js';
import { computeFeaturesAt } from '../src/features/features-at.js';
import { extractRow } from '../src/model/dataset.js';
import { loadSlaPolicy } from '../src/warehouse/sla-policy.repository.js';
import { getSlaReport, listTypeReports } from '../src/warehouse/sla-report.repository.js';
import { resolveRequestType } from '../src/warehouse/request-type.repository.js';
import { createTestWarehouse, type TestWarehouse } from './helpers/databases.js';
import { cityTime } from './helpers/ticket-fixtures.js';

const timeZone = 'America/New_York';

describe('features and analytics on the 5,000 real Gainesville rows', () => {
  let warehouse: TestWarehouse;
  let set: TrainingSet;

  beforeAll(async () => {
    warehouse = await createTestWarehouse('pglite');
    const rows = await readSodaSnapshot(bundledSnapshotPath);
    await ingestRows({ db: warehouse.db, logger: createLogger({ level: 'silent' }), timeZone }, rows, { source: 'file:test' });
    set = await buildTrainingSet(warehouse.db, { slaHours: 72, asOf: new Date('2023-07-10T12:00:00Z'), timeZone });
  });
  afterAll(async () => warehouse?.dispose());

  it('labels only tickets whose outcome is known', async () => {
    const known = set.labelKnown.reduce((sum, value) => sum + value, 0);
    const archivedWithoutClose = await warehouse.db
      .selectFrom('fact_ticket')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('closed_at', 'is', null)
      .where('is_open', '=', false)
      .executeTakeFirstOrThrow();
    expect(set.data.rows).toBeGreaterThan(4_900);
    expect(known).toBeLessThanOrEqual(set.data.rows - Number(archivedWithoutClose.n));
    expect(known).toBeGreaterThan(set.data.rows / 2);
  });

  it('gives the same features in SQL as in the streaming pass for real tickets', async () => {
    const policy = await loadSlaPolicy(warehouse.db, 72);
    const ids = set.ticketIds.filter((_, index) => index % 211 === 0 || index === set.ticketIds.length - 1);
    const rows = await warehouse.db.selectFrom('fact_ticket').selectAll().where('ticket_id', 'in', ids).execute();
    for (const row of rows) {
      const features = await computeFeaturesAt(
        warehouse.db,
        {
          typeKey: row.type_key,
          createdAt: row.created_at,
          latitude: row.latitude,
          longitude: row.longitude,
          commissionDistrict: row.commission_district,
          policeSector: row.police_sector,
          description: row.description,
          reporterDisplay: row.reporter_display,
        },
        { sla: policy, timeZone },
      );
      const streamed = extractRow(set.data, set.ticketIds.indexOf(row.ticket_id));
      expect({ id: row.ticket_id, ...features }).toEqual({
        id: row.ticket_id,
        ...Object.fromEntries(set.data.featureNames.map((name, f) => [name, streamed[f]])),
      });
    }
  });

  it('reports SLA performance for the last months of the snapshot', async () => {
    const window = { since: cityTime('2023-04-01'), until: cityTime('2023-07-10'), now: cityTime('2023-07-10'), slaHours: 72, timeZone };
    const types = await listTypeReports(warehouse.db, window);
    expect(types.length).toBeGreaterThan(3);
    for (const type of types) {
      if (type.current.attainment !== null) {
        expect(type.current.attainment).toBeGreaterThanOrEqual(0);
        expect(type.current.attainment).toBeLessThanOrEqual(1);
      }
    }
    const road = await resolveRequestType(warehouse.db, 'road repair');
    const report = await getSlaReport(warehouse.db, { ...window, typeKey: road.typeKey });
    expect(report.displayName).toBe('Road Repair');
    expect(report.dailyVolume.reduce((sum, day) => sum + day.count, 0)).toBe(report.current.tickets);
  });
});
