/**
 * Seeded synthetic rows shaped exactly like Gainesville 311 (Socrata dataset 78uv-94ar) as the SODA
 * JSON endpoint returns them: every value a string except the GeoJSON `location`, keys of null
 * fields omitted, `created` as local ISO without zone, `closed`/`acknowledged`/`last_updated` as
 * 'MM/DD/YYYY HH:MM:SS' local time (from 2021 on often without seconds), `days_to_close` with the
 * 28 significant digits Socrata emits. Request types, shares, typical durations, departments,
 * statuses and the hour-of-day profile (./synthetic/gainesville-profile.ts) are taken from a
 * 5,000-row sample of the real dataset; the text formats live in ./synthetic/soda-formats.ts.
 * Used at run time by `npm run bench` (served through src/testing/fake-soda.ts) and by tests.
 */
import { createSeededRandom } from '../shared/seeded-random.js';
import {
  CLOSED_STATUSES,
  COMMISSION_DISTRICTS,
  GAINESVILLE_CENTER,
  HOUR_WEIGHTS,
  OPEN_STATUSES,
  OTHER_DEPARTMENTS,
  POLICE_SECTORS,
  REGION_43JD,
  REGION_4RAT,
  REGION_9CFM,
  REGION_NDI2,
  REPORTERS,
  REQUEST_TYPE_TABLE,
} from './synthetic/gainesville-profile.js';
import { formatCoordinate, makeAddress, makeDescription } from './synthetic/gainesville-text.js';
import { formatDaysToClose, formatSodaCreated, formatSodaLocal, toLocalParts } from './synthetic/soda-formats.js';
import { createPicker, gaussian, type Weighted } from './synthetic/weighted-random.js';

export { GAINESVILLE_REQUEST_TYPES, type RequestTypeProfile } from './synthetic/gainesville-profile.js';
export { formatDaysToClose, formatSodaCreated, formatSodaLocal } from './synthetic/soda-formats.js';

export interface SyntheticSodaOptions {
  /** PRNG seed; the same seed and options always give the same rows (default 311). */
  seed?: number;
  /** `id` of the first row; later ids increase with small random gaps (default 2,000,000). */
  startId?: number;
  /** Instant of the first possible `created` (default 2017-06-01 00:00 America/New_York). */
  from?: Date;
  /** Mean minutes between consecutive requests (default 25, about the real city's volume). */
  meanMinutesBetweenRequests?: number;
  /** Share of rows still open, i.e. without `closed` (default 0.05). */
  openShare?: number;
}

const MINUTE_MS = 60_000;
const DEFAULT_FROM = new Date('2017-06-01T04:00:00.000Z');

/** The seeded source every draw of one generation run comes from, in a fixed order. */
interface Draw {
  random: () => number;
  pick: <T>(weighted: Weighted<T>) => T;
}

/** Status and timings of one request; undefined fields are absent from the row. */
interface Lifecycle {
  withSeconds: boolean;
  status: string;
  minutesToClose: number | undefined;
  closedMs: number | undefined;
  minutesToAcknowledge: number | undefined;
  lastUpdatedMs: number;
}

/** Where a request is; unlocated requests have no coordinates or regions. */
interface Place {
  located: boolean;
  district: string | undefined;
  locationDetail: string | undefined;
  latitudeText: string | undefined;
  longitudeText: string | undefined;
  ndi2: string | undefined;
}

/**
 * `count` synthetic SODA rows in `created` (and `id`) order. Deterministic for a given seed and
 * options; rows with the same seed but a different count share their common prefix.
 */
export function generateSodaRows(count: number, options: SyntheticSodaOptions = {}): Record<string, unknown>[] {
  const random = createSeededRandom(options.seed ?? 311);
  const draw: Draw = { random, pick: <T>(weighted: Weighted<T>): T => createPicker(weighted, random)() };
  const pickType = createPicker(
    REQUEST_TYPE_TABLE.map((row, index) => [index, row[1]] as const),
    random,
  );
  const openShare = options.openShare ?? 0.05;
  const maxHourWeight = Math.max(...HOUR_WEIGHTS);
  const meanHourWeight = HOUR_WEIGHTS.reduce((sum, weight) => sum + weight, 0) / HOUR_WEIGHTS.length;
  // Thinning a faster Poisson process by the hour profile keeps the overall mean gap as asked.
  const candidateGapMinutes = (options.meanMinutesBetweenRequests ?? 25) * (meanHourWeight / maxHourWeight);

  const rows: Record<string, unknown>[] = [];
  let clockMs = (options.from ?? DEFAULT_FROM).getTime();
  let id = options.startId ?? 2_000_000;
  for (let index = 0; index < count; index++) {
    // The draws happen in this order; changing it changes every generated data set.
    for (;;) {
      clockMs += -Math.log(1 - random()) * candidateGapMinutes * MINUTE_MS;
      const hour = toLocalParts(clockMs).hour;
      if (random() * maxHourWeight < HOUR_WEIGHTS[hour]) break;
    }
    const createdMs = Math.floor(clockMs / MINUTE_MS) * MINUTE_MS;
    if (index > 0) id += 1 + Math.floor(random() * 40);
    const [typeName, , medianMinutes, usualDepartment] = REQUEST_TYPE_TABLE[pickType()];
    const lifecycle = drawLifecycle(draw, createdMs, medianMinutes, openShare);
    const place = drawPlace(draw);
    rows.push(buildRow(draw, { id, typeName, usualDepartment, createdMs }, lifecycle, place));
  }
  return rows;
}

function drawLifecycle(draw: Draw, createdMs: number, medianMinutes: number, openShare: number): Lifecycle {
  const { random, pick } = draw;
  const createdYear = toLocalParts(createdMs).year;
  // The city's export dropped seconds from 2021 on (always from 2022).
  const withSeconds = createdYear < 2021 || (createdYear === 2021 && random() < 0.42);
  const isOpen = random() < openShare;
  const status = isOpen ? pick(OPEN_STATUSES) : pick(CLOSED_STATUSES);
  let minutesToClose: number | undefined;
  if (!isOpen) {
    minutesToClose =
      random() < 0.0005
        ? -1 - Math.floor(random() * 200) // the real data has a few closes before creation
        : Math.min(2_000_000, Math.round(Math.exp(Math.log(medianMinutes) + 1.8 * gaussian(random))));
  }
  const closedMs = minutesToClose === undefined ? undefined : createdMs + minutesToClose * MINUTE_MS;
  const acknowledgedChance = isOpen ? (status === 'Acknowledged' || status === 'In Process' ? 1 : 0.1) : 0.46;
  let minutesToAcknowledge: number | undefined;
  if (random() < acknowledgedChance) {
    minutesToAcknowledge = random() < 0.55 ? Math.floor(random() * 3) : Math.round(Math.exp(Math.log(700) + 1.5 * gaussian(random)));
    if (minutesToClose !== undefined && minutesToClose >= 0) minutesToAcknowledge = Math.min(minutesToAcknowledge, minutesToClose);
  }
  const lastUpdatedMs = (closedMs ?? createdMs) + Math.round(-Math.log(1 - random()) * 2 * 24 * 60) * MINUTE_MS;
  return { withSeconds, status, minutesToClose, closedMs, minutesToAcknowledge, lastUpdatedMs };
}

function drawPlace(draw: Draw): Place {
  const { random, pick } = draw;
  const located = random() < 0.996;
  const district = located && random() < 0.978 ? pick(COMMISSION_DISTRICTS) : undefined;
  const locationDetail = random() < 0.998 ? makeAddress(random) : undefined;
  const latitudeText = located ? formatCoordinate(GAINESVILLE_CENTER.latitude + 0.022 * gaussian(random), random) : undefined;
  const longitudeText = located ? formatCoordinate(GAINESVILLE_CENTER.longitude + 0.028 * gaussian(random), random) : undefined;
  const ndi2 = located && random() < 0.995 ? pick(REGION_NDI2) : undefined;
  return { located, district, locationDetail, latitudeText, longitudeText, ndi2 };
}

/** The row in the export's key order; the remaining draws (description, regions, ...) happen here. */
function buildRow(
  draw: Draw,
  ticket: { id: number; typeName: string; usualDepartment: string; createdMs: number },
  lifecycle: Lifecycle,
  place: Place,
): Record<string, unknown> {
  const { random, pick } = draw;
  const { located, district, locationDetail, latitudeText, longitudeText, ndi2 } = place;
  const { createdMs } = ticket;
  const { minutesToClose, closedMs, minutesToAcknowledge } = lifecycle;
  const stamp = (ms: number): string => formatSodaLocal(ms, lifecycle.withSeconds);
  const row: Record<string, unknown> = {};
  const put = (key: string, value: unknown): void => {
    if (value !== undefined) row[key] = value;
  };
  put('id', String(ticket.id));
  put('status', lifecycle.status);
  put('request_type', ticket.typeName);
  put('description', random() < 0.9 ? makeDescription(ticket.typeName, locationDetail, random) : undefined);
  put('created', formatSodaCreated(createdMs));
  put('last_updated', stamp(lifecycle.lastUpdatedMs));
  put('reporter_display', pick(REPORTERS));
  put('location_detail', locationDetail);
  put('latitude', latitudeText);
  put('longitude', longitudeText);
  if (latitudeText !== undefined && longitudeText !== undefined) {
    put('location', { type: 'Point', coordinates: [Number(longitudeText), Number(latitudeText)] });
  }
  put('commission_district', district);
  put(':@computed_region_9cfm_spy5', located && random() < 0.34 ? pick(REGION_9CFM) : undefined);
  put(':@computed_region_43jd_v64e', located && random() < 0.97 ? pick(REGION_43JD) : undefined);
  put(':@computed_region_axii_i744', district);
  put(':@computed_region_ndi2_bfht', ndi2);
  put(':@computed_region_u9vc_vmbc', ndi2);
  put(':@computed_region_4rat_gsiv', located ? pick(REGION_4RAT) : undefined);
  put(':@computed_region_qsqf_gz5q', district);
  if (closedMs !== undefined && minutesToClose !== undefined) {
    put('closed', stamp(closedMs));
    if (random() < 0.975) {
      put('minutes_to_close', String(minutesToClose));
      put('days_to_close', formatDaysToClose(minutesToClose));
    }
  }
  put('police_sector', located && random() < 0.965 ? pick(POLICE_SECTORS) : undefined);
  if (minutesToAcknowledge !== undefined) {
    put('acknowledged', stamp(createdMs + minutesToAcknowledge * MINUTE_MS));
    if (lifecycle.withSeconds) put('minutes_to_acknowledge', String(minutesToAcknowledge));
  }
  put('assigned_to', random() < 0.999 ? (random() < 0.85 ? ticket.usualDepartment : pick(OTHER_DEPARTMENTS)) : undefined);
  if (minutesToClose !== undefined && minutesToClose > 1 && random() < 0.02) {
    put('reopened', stamp(createdMs + Math.floor(random() * minutesToClose) * MINUTE_MS));
  }
  return row;
}
