import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { sql } from 'kysely';
import { computeHistoricalFeatures } from '../features/historical-features.js';
import { computeFeaturesAt } from '../features/features-at.js';
import { FEATURE_NAMES } from '../features/feature-catalog.js';
import { TicketHistoryBuilder, type HistoryTicket, type TicketHistory } from '../features/ticket-history.js';
import { buildTrainingSet } from '../features/training-set.js';
import { cityDateKey } from '../shared/city-time.js';
import { createUniformSlaPolicy } from '../analytics/sla-policy.js';
import { openPGlite } from '../warehouse/database.js';
import { migrate } from '../warehouse/migrate.js';
import { createSeededRandom } from '../shared/seeded-random.js';

const TIME_ZONE = 'America/New_York';
const DAY_MS = 86_400_000;
const START = Date.UTC(2021, 0, 1, 5);

/**
 * Synthetic tickets shaped like the city's: 60 types with skewed volumes and speeds, creation
 * spread over 3 years in time order, log-normal times to close, ~6% still open, ~5% archived
 * without a close date, ~1% flagged durations, a third from named repeat reporters.
 */
function* generateTickets(count: number, seed = 42): Generator<HistoryTicket> {
  const random = createSeededRandom(seed);
  const types = Array.from({ length: 60 }, (_, i) => ({ key: `type_${i}`, weight: 1 / (i + 1), medianHours: 4 + ((i * 37) % 200) }));
  const totalWeight = types.reduce((sum, type) => sum + type.weight, 0);
  const spanMs = 3 * 365 * DAY_MS;
  const step = spanMs / count;
  for (let i = 0; i < count; i++) {
    let pick = random() * totalWeight;
    let type = types[0];
    for (const candidate of types) {
      pick -= candidate.weight;
      if (pick <= 0) {
        type = candidate;
        break;
      }
    }
    const createdAt = START + Math.floor((i * step) / 60_000) * 60_000;
    const normal = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
    const durationMs = Math.round(type.medianHours * Math.exp(normal) * 3_600_000);
    const roll = random();
    const open = roll < 0.06;
    const archived = !open && roll < 0.11;
    const flagged = !open && !archived && roll < 0.12;
    yield {
      ticketId: String(1_000_000 + i),
      typeKey: type.key,
      createdAt,
      closedAt: open || archived ? null : flagged ? createdAt - 3_600_000 : createdAt + durationMs,
      lastUpdatedAt: archived ? createdAt + 30 * DAY_MS : null,
      archivedAt: archived ? createdAt + 30 * DAY_MS : null,
      isOpen: open,
      durationFlagged: flagged,
      latitude: 29.6 + random() * 0.1,
      longitude: -82.4 + random() * 0.1,
      commissionDistrict: String(1 + Math.floor(random() * 4)),
      policeSector: String(1 + Math.floor(random() * 8)),
      descriptionLength: random() < 0.6 ? Math.floor(random() * 300) : 0,
      reporterDisplay: random() < 0.33 ? `reporter ${Math.floor(random() * 50_000)}` : 'An anonymous SeeClickFix user',
    };
  }
}

function buildHistory(count: number): TicketHistory {
  const builder = new TicketHistoryBuilder(count);
  for (const ticket of generateTickets(count)) builder.add(ticket);
  return builder.finish();
}

async function loadIntoPGlite(count: number) {
  const warehouse = await openPGlite();
  await migrate(warehouse.db);
  const tickets = [...generateTickets(count, 7)];
  const typeKeys = [...new Set(tickets.map((ticket) => ticket.typeKey))];
  await sql`insert into dim_request_type (type_key, display_name) select k, k from unnest(${`{${typeKeys.join(',')}}`}::text[]) as k`.execute(
    warehouse.db,
  );
  await sql`insert into dim_status (status, is_open_state) values ('Open', true), ('Closed', false), ('Archived', false)`.execute(
    warehouse.db,
  );
  await sql`insert into dim_location (location_key, commission_district, police_sector) values ('-|-', null, null)`.execute(warehouse.db);
  const toIso = (value: Date | number | null | undefined) => (value === null || value === undefined ? null : new Date(value).toISOString());
  for (let start = 0; start < tickets.length; start += 5_000) {
    const chunk = tickets.slice(start, start + 5_000).map((ticket) => ({
      id: ticket.ticketId,
      type: ticket.typeKey,
      status: ticket.isOpen ? 'Open' : ticket.closedAt ? 'Closed' : 'Archived',
      created: toIso(ticket.createdAt),
      day: cityDateKey(ticket.createdAt as number, TIME_ZONE),
      closed: toIso(ticket.closedAt),
      updated: toIso(ticket.lastUpdatedAt),
      archived: toIso(ticket.archivedAt),
      flag: ticket.durationFlagged ? 'negative_duration' : null,
      open: ticket.isOpen,
      lat: ticket.latitude,
      lon: ticket.longitude,
      district: ticket.commissionDistrict,
      sector: ticket.policeSector,
      length: ticket.descriptionLength,
      reporter: ticket.reporterDisplay,
    }));
    await sql`
      with x as (
        select * from jsonb_to_recordset(${JSON.stringify(chunk)}::jsonb) as x(
          id text, type text, status text, created timestamptz, day date, closed timestamptz, updated timestamptz, archived timestamptz, flag text,
          open boolean, lat float8, lon float8, district text, sector text, length int, reporter text)
      ), days as (
        insert into dim_date (date_key, year, quarter, month, day_of_month, iso_dow, week_start, is_weekend)
        select distinct day, extract(year from day), extract(quarter from day), extract(month from day), extract(day from day),
          extract(isodow from day), date_trunc('week', day)::date, extract(isodow from day) >= 6 from x
        on conflict do nothing
      )
      insert into fact_ticket (ticket_id, type_key, request_type, status, created_at, created_date, closed_at, last_updated_at, archived_at,
        duration_flag, is_open, latitude, longitude, location_key, commission_district, police_sector, reporter_display,
        description_length, row_hash)
      select id, type, type, status, created, day, closed, updated, archived, flag, open, lat, lon, '-|-', district, sector, reporter, length, id
      from x`.execute(warehouse.db);
  }
  return warehouse;
}

/**
 * Feature-building throughput: the streaming pass over 1,000,000 synthetic tickets in memory,
 * scoring latency of a FeatureContext, and end to end on embedded PGlite for 50,000 tickets
 * (load from the warehouse + features), plus the SQL point-in-time query.
 */
export async function runFeaturesBench(options: { tickets?: number; pgliteTickets?: number } = {}): Promise<Record<string, number>> {
  const count = options.tickets ?? 1_000_000;
  const pgliteCount = options.pgliteTickets ?? 50_000;
  const results: Record<string, number> = {};
  const policy = createUniformSlaPolicy(72);

  let started = performance.now();
  const history = buildHistory(count);
  results.generate_ms = Math.round(performance.now() - started);

  started = performance.now();
  const { data, context } = computeHistoricalFeatures(history, { sla: policy, timeZone: TIME_ZONE });
  const streamingMs = performance.now() - started;
  results.streaming_tickets = data.rows;
  results.streaming_ms = Math.round(streamingMs);
  results.streaming_tickets_per_s = Math.round(data.rows / (streamingMs / 1000));
  results.features = FEATURE_NAMES.length;

  const calls = 100_000;
  const at = new Date(context.horizon!.getTime() + 3_600_000);
  const row = new Float64Array(FEATURE_NAMES.length);
  started = performance.now();
  for (let i = 0; i < calls; i++) {
    context.computeFeatureRow(
      { typeKey: `type_${i % 60}`, createdAt: at, reporterDisplay: `reporter ${i % 50_000}`, description: 'pothole' },
      row,
    );
  }
  results.context_score_us = Number((((performance.now() - started) * 1000) / calls).toFixed(2));

  const warehouse = await loadIntoPGlite(pgliteCount);
  try {
    started = performance.now();
    const set = await buildTrainingSet(warehouse.db, {
      slaHours: 72,
      policy,
      asOf: new Date(START + 4 * 365 * DAY_MS),
      timeZone: TIME_ZONE,
    });
    const endToEndMs = performance.now() - started;
    results.pglite_tickets = set.data.rows;
    results.pglite_end_to_end_ms = Math.round(endToEndMs);
    results.pglite_tickets_per_s = Math.round(set.data.rows / (endToEndMs / 1000));
    const probes = 20;
    started = performance.now();
    for (let i = 0; i < probes; i++) {
      const index = Math.floor(((i + 0.5) / probes) * set.data.rows);
      await computeFeaturesAt(
        warehouse.db,
        { typeKey: set.typeKeys[index], createdAt: new Date(set.createdAt[index]) },
        { sla: policy, timeZone: TIME_ZONE },
      );
    }
    results.pglite_sql_point_in_time_ms = Math.round((performance.now() - started) / probes);
  } finally {
    await warehouse.close();
  }
  return results;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const results = await runFeaturesBench();
  for (const [name, value] of Object.entries(results)) process.stdout.write(`${name.padEnd(30)} ${value}\n`);
}
