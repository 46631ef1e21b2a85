import { createSeededRandom } from '../shared/seeded-random.js';
/**
 * Seeded synthetic rows shaped exactly like Gainesville 311 (Socrata dataset 78uv-94ar) as the SODA
 * JSON endpoint returns them: every value a string except the GeoJSON `location`, keys of null
 * fields omitted, `created` as local ISO without zone, `closed`/`acknowledged`/`last_updated` as
 * 'MM/DD/YYYY HH:MM:SS' local time (from 2021 on often without seconds), `days_to_close` with the
 * 28 significant digits Socrata emits. Request types, shares, typical durations, departments,
 * statuses and the hour-of-day profile are taken from a 5,000-row sample of the real dataset.
 * Used at run time by `npm run bench` (served through src/testing/fake-soda.ts) and by tests.
 */

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

/** A request type of the real dataset: sample frequency, median minutes to close, usual department. */
export interface RequestTypeProfile {
  readonly name: string;
  readonly sampleCount: number;
  readonly medianMinutesToClose: number;
  readonly assignedTo: string;
}

// [name, rows in the 5,000-row sample, median minutes_to_close (2686 overall when <5 closed), usual assigned_to]
const REQUEST_TYPE_TABLE: readonly (readonly [string, number, number, string])[] = [
  ["Trash/Debris (Private Property)", 430, 1488, "Code Enforcement Department (Primary)"],
  ["Road Repair", 423, 4555, "Public Works Department (Primary)"],
  ["General Code Issue", 398, 1390, "Code Enforcement Department (Primary)"],
  ["Streetlight/Lamp", 387, 6864, "GRU Electric Operations Primary"],
  ["Other", 370, 2859, "Public Works Department (Primary)"],
  ["Vehicle (Abandoned/Non-Operational)", 318, 1053, "Code Enforcement Department (Primary)"],
  ["Grass (Overgrown)", 246, 1064, "Code Enforcement Department (Primary)"],
  ["Trash/Debris (Public Property)", 236, 2374, "Public Works Department (Primary)"],
  ["Tree/Limbs (Public Property)", 235, 2518, "Public Works Department (Primary)"],
  ["Street Sign", 187, 2000, "Public Works Department (Primary)"],
  ["Traffic/Pedestrian Signal", 186, 4259, "Public Works Department (Primary)"],
  ["Parking in Yard (Other Than Driveway)", 169, 1092, "Code Enforcement Department (Primary)"],
  ["Sidewalk Repair", 160, 4394, "Public Works Department (Primary)"],
  ["Right-of-Way Maintenance", 134, 2634, "Public Works Department (Primary)"],
  ["Maintenance Ditch/Drainage/Flooding", 106, 2848, "Public Works Department (Primary)"],
  ["Building (Abandoned/Damaged)", 93, 1149, "Code Enforcement Department (Primary)"],
  ["Parking Enforcement", 93, 10231, "GPD"],
  ["Noise Complaint", 77, 10366, "GPD"],
  ["Emergency - Tree or Brush Debris", 76, 2970, "Public Works Department (Primary)"],
  ["Garbage Pick Up & Recycling", 62, 1327, "Public Works Department (Primary)"],
  ["Residential Rental Maintenance", 61, 1836, "Code Enforcement Department (Primary)"],
  ["General Police Enforcement", 58, 27322, "GPD"],
  ["Emergency - Other", 56, 28807, "Public Works Department (Primary)"],
  ["Park Repair or Clean Up", 49, 2950, "Parks, Recreation & Cultural Affairs Department"],
  ["Tree/Limbs (Private Property)", 42, 1336, "Code Enforcement Department (Primary)"],
  ["Traffic Enforcement", 39, 11641, "GPD"],
  ["Tree Planting Suggestion", 24, 11045, "Urban Forestry Division"],
  ["Water Pipe Leaks/Spills", 24, 47511, "WATER/WASTEWATER TROUBLE DISPATCH"],
  ["Dead Animal (Public Property)", 22, 195, "Public Works Department (Primary)"],
  ["Graffiti", 22, 2992, "Code Enforcement Department (Primary)"],
  ["Mosquito Control", 20, 2376, "Public Works Department (Primary)"],
  ["Request for New Streetlight/Lamp", 18, 8192, "Public Works Department (Primary)"],
  ["Tree / Limbs (Public Property)", 16, 1401, "Urban Forestry Division"],
  ["Trash / Debris (Public Property)", 14, 1092, "Public Works"],
  ["Emergency - Flooding", 12, 4028, "Public Works Department (Primary)"],
  ["Streetlight Repair", 12, 3822, "GRU Electric Operations"],
  ["Sewer/Wastewater", 11, 18445, "WATER/WASTEWATER TROUBLE DISPATCH"],
  ["Parking Meter Malfunction", 11, 374, "Public Works Department (Primary)"],
  ["Street Sign Repair", 11, 5760, "Public Works"],
  ["Neighbor Assistance - myGNV", 10, 23, "Strategic Initiatives"],
  ["Trash / Debris (Private Property)", 8, 1323, "Code Enforcement"],
  ["Holiday Displays", 8, 43738, "City Hall Neighbor Advocate"],
  ["Neighbor Assistance - Clerk", 7, 38880, "Clerk"],
  ["Traffic / Pedestrian Signal within City Limits", 6, 62720, "Transportation and Mobility"],
  ["Overgrown Grass", 5, 1440, "Code Enforcement"],
  ["e-Scooter Issues", 5, 1440, "Transportation and Mobility"],
  ["Graffiti (Public Property)", 5, 213, "Strategic Initiatives"],
  ["Flooding", 4, 2686, "Public Works Department (Primary)"],
  ["Fire Hydrant Issues", 4, 2686, "WATER/WASTEWATER TROUBLE DISPATCH"],
  ["Blocked Exits", 4, 2686, "GFR"],
  ["Street Sweeping", 3, 2686, "Public Works Department (Primary)"],
  ["Emergency - Traffic", 2, 2686, "Public Works Department (Primary)"],
  ["Wastewater & Sewer", 2, 2686, "GRU Water / Wastewater"],
  ["Leaks", 2, 2686, "GRU Water / Wastewater"],
  ["Flooding & Ditch Maintenance", 2, 2686, "Public Works"],
  ["Abandoned Vehicle", 2, 2686, "Code Enforcement"],
  ["Request to General Manager of Utilities", 2, 2686, "General Manager of Utilities' Office"],
  ["Request to City Auditor's Office", 1, 2686, "Assistant City Auditor"],
  ["Say Thanks!", 1, 2686, "Strategic Initiatives"],
  ["Tree / Limbs (Private Property)", 1, 2686, "Code Enforcement"],
  ["Parking in Yard", 1, 2686, "Code Enforcement"],
  ["Tree Blocking Street", 1, 2686, "Commons Storm Requests"],
  ["New Infrastructure", 1, 2686, "Transportation and Mobility"],
  ["Fire Hydrant issues", 1, 2686, "GFR"],
  ["Substandard Commercial Rentals", 1, 2686, "Code Enforcement"],
  ["Trees Near Wires or Cables", 1, 2686, "GRU Electric Operations"],
  ["Neighborhood Watch Signs", 1, 2686, "Parks, Recreation & Cultural Affairs Department"],
  ["Smoke Detector Installation", 1, 2686, "GFR"],
];

/** Every request type of the real sample with its share and typical handling. */
export const GAINESVILLE_REQUEST_TYPES: readonly RequestTypeProfile[] = REQUEST_TYPE_TABLE.map(
  ([name, sampleCount, medianMinutesToClose, assignedTo]) => ({ name, sampleCount, medianMinutesToClose, assignedTo }),
);

/** Requests per local hour of day (0-23) in the sample. */
const HOUR_WEIGHTS = [55, 50, 29, 15, 13, 12, 58, 169, 341, 397, 379, 401, 397, 381, 376, 363, 289, 240, 222, 236, 228, 158, 102, 89];
const CLOSED_STATUSES: Weighted<string> = [['Archived', 4704], ['Closed', 205], ['Referred to Another Agency', 17]];
const OPEN_STATUSES: Weighted<string> = [['Submitted', 21], ['Archived', 19], ['In Process', 14], ['Open', 10], ['Acknowledged', 9], ['Received', 1]];
const COMMISSION_DISTRICTS: Weighted<string> = [['4', 1632], ['1', 1363], ['2', 972], ['3', 903]];
const POLICE_SECTORS: Weighted<string> = [['1', 1869], ['3', 1342], ['4', 1093], ['2', 440], ['6', 52], ['5', 14]];
const REGION_9CFM: Weighted<string> = [['2', 1644], ['3', 32], ['4', 12], ['1', 9], ['5', 6]];
const REGION_43JD: Weighted<string> = [
  ['5', 723], ['13', 543], ['3', 476], ['14', 475], ['2', 422], ['15', 420], ['4', 234], ['6', 232], ['10', 207],
  ['17', 202], ['16', 177], ['7', 162], ['8', 135], ['12', 115], ['11', 102], ['18', 94], ['1', 81], ['9', 50],
];
const REGION_NDI2: Weighted<string> = [
  ['1', 1511], ['6', 839], ['4', 763], ['2', 724], ['7', 388], ['3', 317], ['12', 212], ['5', 152], ['10', 32], ['9', 19], ['8', 16], ['11', 4],
];
const REGION_4RAT: Weighted<string> = [
  ['772', 1733], ['770', 951], ['766', 498], ['768', 483], ['771', 410], ['767', 388], ['1082', 215], ['1079', 174], ['769', 91], ['765', 23],
  ['925', 6], ['764', 3], ['1058', 3],
];
// Public handles only: the real column also holds residents' names, which have no place here.
const REPORTERS: Weighted<string> = [
  ['An anonymous SeeClickFix user', 1706], ['City of Gainesville Neighbor', 788], ['Rapid Assessment Team', 123], ['Gainesville, FL', 51],
  ['BetterGNV', 25], ['Noticer', 25], ["City Clerk's Office 2", 24], ['Parking Enforcement Primary', 23], ['GNVNeighbor', 18], ['City Fixer', 17],
  ['Gville Mosquito Control', 15], ['Concerned Citizen', 12], ['Alachua County, FL Neighbor', 11], ['Guest', 10], ['Neighbor 1024', 40],
  ['gnv_walker', 60], ['porch_light', 45], ['SW 13th Resident', 30], ['Duckpond Neighbor', 30], ['cyclist352', 25], ['Mom of 3', 20],
];
const OTHER_DEPARTMENTS: Weighted<string> = [
  ['Public Works', 90], ['Code Enforcement', 32], ['City Hall Neighbor Advocate', 64], ['Office of the City Manager (Primary)', 61],
  ['GRU Electric Operations', 52], ['Strategic Initiatives', 24], ['Transportation and Mobility', 16], ['Parking Enforcement', 12],
];
const DIRECTIONS = ['NW', 'NW', 'NW', 'SW', 'SW', 'NE', 'SE'];
const STREET_SUFFIXES = ['ST', 'ST', 'AVE', 'AVE', 'TERR', 'PL', 'DR', 'LN', 'WAY', 'RD', 'BLVD'];
const DESCRIPTIONS: Record<string, readonly string[]> = {
  trash: [
    'Trash and debris piled at the curb for over a week.',
    'Couch and mattress dumped next to the dumpster.',
    'Bags of garbage left out at the end of the driveway. It is very messy and unsightly.',
    'Construction debris left on the lot after the renovation.',
  ],
  road: ['Large pothole in the northbound lane.', 'Pavement cracked and sinking near the storm drain.', 'Road surface left incomplete after utility work. Hazard for bikes.'],
  light: ['Streetlight out on the corner.', 'Two streetlights are burnt out or flickering.', 'Light cycles on and off all night.'],
  grass: ['Yard has not been maintained for months.', 'Grass over knee high, vacant house.', 'Overgrown vegetation blocking the sidewalk.'],
  vehicle: ['Car with flat tires and expired tag parked for weeks.', 'Abandoned vehicle on blocks in the front yard.', 'Boat trailer left on the street for a month.'],
  tree: ['Large limb fell across the sidewalk after the storm.', 'Tree branches hanging low over the road.', 'Dead tree leaning toward the power lines.'],
  sign: ['Stop sign knocked down.', 'Street name sign missing at the intersection.', 'Sign faded and unreadable.'],
  signal: ['Signal stuck on red in all directions.', 'Pedestrian button does not work.', 'Left turn arrow never turns green.'],
  parking: ['Cars parked on the front lawn every night.', 'Vehicles blocking the bike lane.', 'Parking in the yard, not on the driveway.'],
  water: ['Standing water after every rain.', 'Ditch clogged and flooding the yard.', 'Water leaking from the meter box.'],
  noise: ['Loud music past midnight again.', 'Construction noise starting before 7am.', 'Party noise every weekend.'],
  other: ['Please send someone to look at this.', 'Reported before and nothing has been done.', 'This has been going on for a while now.', 'Hazard for pedestrians and cyclists.'],
};
const CATEGORY_KEYWORDS: readonly [RegExp, string][] = [
  [/trash|garbage|debris/i, 'trash'],
  [/road|sidewalk|pothole/i, 'road'],
  [/streetlight|lamp/i, 'light'],
  [/grass/i, 'grass'],
  [/vehicle/i, 'vehicle'],
  [/tree|limb/i, 'tree'],
  [/sign\b|sign repair/i, 'sign'],
  [/signal/i, 'signal'],
  [/parking/i, 'parking'],
  [/flood|drain|water|sewer|leak/i, 'water'],
  [/noise/i, 'noise'],
];
const EXTRA_SENTENCES = [
  'It makes this corner very dangerous for drivers who cannot see to pull out.',
  'Neighbors have complained several times.',
  'Kids walk past here on the way to school.',
  'It has been like this since last month.',
  'Photos attached.',
];

type Weighted<T> = readonly (readonly [T, number])[];

const MINUTE_MS = 60_000;
const DEFAULT_FROM = new Date('2017-06-01T04:00:00.000Z');
const GAINESVILLE_CENTER = { latitude: 29.6607, longitude: -82.3447 };

/**
 * `count` synthetic SODA rows in `created` (and `id`) order. Deterministic for a given seed and
 * options; rows with the same seed but a different count share their common prefix.
 */
export function generateSodaRows(count: number, options: SyntheticSodaOptions = {}): Record<string, unknown>[] {
  const random = createSeededRandom(options.seed ?? 311);
  const pickType = createPicker(REQUEST_TYPE_TABLE.map((row, index) => [index, row[1]] as const), random);
  const pick = <T>(weighted: Weighted<T>): T => createPicker(weighted, random)();
  const openShare = options.openShare ?? 0.05;
  const maxHourWeight = Math.max(...HOUR_WEIGHTS);
  const meanHourWeight = HOUR_WEIGHTS.reduce((sum, weight) => sum + weight, 0) / HOUR_WEIGHTS.length;
  // Thinning a faster Poisson process by the hour profile keeps the overall mean gap as asked.
  const candidateGapMinutes = (options.meanMinutesBetweenRequests ?? 25) * (meanHourWeight / maxHourWeight);

  const rows: Record<string, unknown>[] = [];
  let clockMs = (options.from ?? DEFAULT_FROM).getTime();
  let id = options.startId ?? 2_000_000;
  for (let index = 0; index < count; index++) {
    for (;;) {
      clockMs += -Math.log(1 - random()) * candidateGapMinutes * MINUTE_MS;
      const hour = toLocalParts(clockMs).hour;
      if (random() * maxHourWeight < HOUR_WEIGHTS[hour]) break;
    }
    const createdMs = Math.floor(clockMs / MINUTE_MS) * MINUTE_MS;
    if (index > 0) id += 1 + Math.floor(random() * 40);
    const [typeName, , medianMinutes, usualDepartment] = REQUEST_TYPE_TABLE[pickType()];
    const createdYear = toLocalParts(createdMs).year;
    // The city's export dropped seconds from 2021 on (always from 2022).
    const withSeconds = createdYear < 2021 || (createdYear === 2021 && random() < 0.42);
    const stamp = (ms: number): string => formatSodaLocal(ms, withSeconds);

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

    const located = random() < 0.996;
    const district = located && random() < 0.978 ? pick(COMMISSION_DISTRICTS) : undefined;
    const locationDetail = random() < 0.998 ? makeAddress(random) : undefined;
    const latitudeText = located ? formatCoordinate(GAINESVILLE_CENTER.latitude + 0.022 * gaussian(random), random) : undefined;
    const longitudeText = located ? formatCoordinate(GAINESVILLE_CENTER.longitude + 0.028 * gaussian(random), random) : undefined;
    const ndi2 = located && random() < 0.995 ? pick(REGION_NDI2) : undefined;

    const row: Record<string, unknown> = {};
    const put = (key: string, value: unknown): void => {
      if (value !== undefined) row[key] = value;
    };
    put('id', String(id));
    put('status', status);
    put('request_type', typeName);
    put('description', random() < 0.9 ? makeDescription(typeName, locationDetail, random) : undefined);
    put('created', formatSodaCreated(createdMs));
    put('last_updated', stamp(lastUpdatedMs));
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
      if (withSeconds) put('minutes_to_acknowledge', String(minutesToAcknowledge));
    }
    put('assigned_to', random() < 0.999 ? (random() < 0.85 ? usualDepartment : pick(OTHER_DEPARTMENTS)) : undefined);
    if (minutesToClose !== undefined && minutesToClose > 1 && random() < 0.02) {
      put('reopened', stamp(createdMs + Math.floor(random() * minutesToClose) * MINUTE_MS));
    }
    rows.push(row);
  }
  return rows;
}

/**
 * `minutes / 1440` as Socrata prints `days_to_close`: rounded to 28 significant digits, trailing
 * zeros dropped ('0.00625', '0.9027777777777777777777777778').
 */
export function formatDaysToClose(minutes: number): string {
  if (!Number.isInteger(minutes)) throw new RangeError(`minutes must be an integer, got ${minutes}`);
  let text = daysToCloseCache.get(minutes);
  if (text === undefined) {
    text = computeDaysToClose(minutes);
    // Durations cluster heavily, so a bounded memo removes most BigInt work.
    if (daysToCloseCache.size < 100_000) daysToCloseCache.set(minutes, text);
  }
  return text;
}

const daysToCloseCache = new Map<number, string>();

function computeDaysToClose(minutes: number): string {
  if (minutes === 0) return '0';
  const negative = minutes < 0;
  const numerator = BigInt(Math.abs(minutes));
  const denominator = 1440n;
  const integerPart = numerator / denominator;
  let scale: number;
  if (integerPart > 0n) {
    scale = Math.max(0, 28 - integerPart.toString().length);
  } else {
    let leadingZeros = 0;
    while (numerator * 10n ** BigInt(leadingZeros + 1) < denominator) leadingZeros++;
    scale = leadingZeros + 28;
  }
  const scaled = numerator * 10n ** BigInt(scale);
  let quotient = scaled / denominator;
  if ((scaled % denominator) * 2n >= denominator) quotient += 1n;
  const digits = quotient.toString().padStart(scale + 1, '0');
  let text = scale === 0 ? digits : `${digits.slice(0, digits.length - scale)}.${digits.slice(digits.length - scale)}`;
  if (text.includes('.')) text = text.replace(/0+$/, '').replace(/\.$/, '');
  return negative ? `-${text}` : text;
}

/** `created` as the city exports it: local wall time, ISO, no zone, milliseconds '.000'. */
export function formatSodaCreated(instantMs: number): string {
  const p = toLocalParts(instantMs);
  return `${p.year}-${pad2(p.month)}-${pad2(p.day)}T${pad2(p.hour)}:${pad2(p.minute)}:${pad2(p.second)}.000`;
}

/** 'MM/DD/YYYY HH:MM:SS' (or without seconds) in America/New_York wall time. */
export function formatSodaLocal(instantMs: number, withSeconds = true): string {
  const p = toLocalParts(instantMs);
  const base = `${pad2(p.month)}/${pad2(p.day)}/${p.year} ${pad2(p.hour)}:${pad2(p.minute)}`;
  return withSeconds ? `${base}:${pad2(p.second)}` : base;
}

interface LocalParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

const dstWindows = new Map<number, readonly [number, number]>();
const DAY_MS = 86_400_000;

/**
 * Wall-clock parts in America/New_York. US rules since 2007 (second Sunday of March to first
 * Sunday of November, switching at 02:00 local), computed with plain arithmetic because Intl (and
 * even Date objects) dominate the cost of generating 100k rows for the benchmark.
 */
function toLocalParts(instantMs: number): LocalParts {
  // An approximate year is enough to find the DST window: both switches are far from New Year.
  const approximateYear = 1970 + Math.floor(instantMs / 31_556_952_000);
  let window = dstWindows.get(approximateYear);
  if (!window) {
    window = [
      Date.UTC(approximateYear, 2, nthSunday(approximateYear, 2, 2), 7),
      Date.UTC(approximateYear, 10, nthSunday(approximateYear, 10, 1), 6),
    ];
    dstWindows.set(approximateYear, window);
  }
  const localMs = instantMs + (instantMs >= window[0] && instantMs < window[1] ? -4 : -5) * 3_600_000;
  const days = Math.floor(localMs / DAY_MS);
  const secondsOfDay = Math.floor((localMs - days * DAY_MS) / 1000);
  // Days since 1970-01-01 to a proleptic Gregorian date (H. Hinnant's civil_from_days).
  const shifted = days + 719_468;
  const era = Math.floor(shifted / 146_097);
  const dayOfEra = shifted - era * 146_097;
  const yearOfEra = Math.floor((dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36_524) - Math.floor(dayOfEra / 146_096)) / 365);
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const monthIndex = Math.floor((5 * dayOfYear + 2) / 153);
  const month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9;
  return {
    year: yearOfEra + era * 400 + (month <= 2 ? 1 : 0),
    month,
    day: dayOfYear - Math.floor((153 * monthIndex + 2) / 5) + 1,
    hour: Math.floor(secondsOfDay / 3600),
    minute: Math.floor(secondsOfDay / 60) % 60,
    second: secondsOfDay % 60,
  };
}

function nthSunday(year: number, monthIndex: number, n: number): number {
  const firstWeekday = new Date(Date.UTC(year, monthIndex, 1)).getUTCDay();
  return 1 + ((7 - firstWeekday) % 7) + 7 * (n - 1);
}

function pad2(value: number): string {
  return value < 10 ? `0${value}` : String(value);
}

function gaussian(random: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

const pickerCache = new WeakMap<object, { values: unknown[]; cumulative: number[]; total: number }>();

function createPicker<T>(weighted: Weighted<T>, random: () => number): () => T {
  let table = pickerCache.get(weighted);
  if (!table) {
    const cumulative: number[] = [];
    let total = 0;
    for (const [, weight] of weighted) {
      total += weight;
      cumulative.push(total);
    }
    table = { values: weighted.map(([value]) => value), cumulative, total };
    pickerCache.set(weighted, table);
  }
  const { values, cumulative, total } = table;
  return () => {
    const target = random() * total;
    let low = 0;
    let high = cumulative.length - 1;
    while (low < high) {
      const mid = (low + high) >> 1;
      if (cumulative[mid] > target) high = mid;
      else low = mid + 1;
    }
    return values[low] as T;
  };
}

function makeAddress(random: () => number): string {
  const direction = DIRECTIONS[Math.floor(random() * DIRECTIONS.length)];
  const streetNumber = 1 + Math.floor(random() * 80);
  const ordinal = random() < 0.6 ? `${streetNumber}${ordinalSuffix(streetNumber)}` : String(streetNumber);
  const suffix = STREET_SUFFIXES[Math.floor(random() * STREET_SUFFIXES.length)];
  const roll = random();
  if (roll < 0.08) return `${direction} ${ordinal} ${suffix}`;
  const house = 1 + Math.floor(random() * 4999);
  if (roll < 0.2) return `${house}-${house + 1 + Math.floor(random() * 200)} ${direction} ${ordinal} ${suffix}`;
  return `${house} ${direction} ${ordinal} ${suffix}`;
}

function ordinalSuffix(value: number): string {
  if (value % 100 >= 11 && value % 100 <= 13) return 'TH';
  return ['TH', 'ST', 'ND', 'RD'][value % 10] ?? 'TH';
}

function makeDescription(typeName: string, address: string | undefined, random: () => number): string {
  const category = CATEGORY_KEYWORDS.find(([pattern]) => pattern.test(typeName))?.[1] ?? 'other';
  const phrases = DESCRIPTIONS[category];
  let text = phrases[Math.floor(random() * phrases.length)];
  if (address && random() < 0.35) text = `${address}. ${text}`;
  const extra = Math.floor(-Math.log(1 - random()) * 0.7);
  for (let i = 0; i < extra; i++) text += ` ${EXTRA_SENTENCES[Math.floor(random() * EXTRA_SENTENCES.length)]}`;
  return text;
}

/** '29.6516344' (7 decimals, trailing zeros dropped) or a full double like '29.6475456104085', as in the real data. */
function formatCoordinate(value: number, random: () => number): string {
  return random() < 0.6 ? String(Number(value.toFixed(7))) : String(Number(value.toPrecision(15)));
}
