/**
 * Open311 GeoReport v2 (http://wiki.open311.org/GeoReport_v2), the read side: warehouse rows as
 * the spec's service and service-request objects, with its field names, its w3c date-times in the
 * city's UTC offset and its request window rule. Pure: no SQL, no I/O.
 */
import { cityLocalToInstant, toCityParts, zoneOffsetMinutes } from '../shared/city-time.js';
import { InputError } from '../shared/errors.js';
import type { Open311TicketRow } from '../warehouse/open311.repository.js';

/** The spec's longest span of start_date..end_date, in city calendar days. */
export const MAX_WINDOW_DAYS = 90;
export const SPECIFICATION_URL = 'http://wiki.open311.org/GeoReport_v2';

/** One request type as GET services lists it. */
export interface GeoReportService {
  service_code: string;
  service_name: string;
  description: string;
  metadata: false;
  type: 'realtime';
  keywords: string;
  group: string;
}

/** One service request as GET requests answers it, with this server's extension fields last. */
export interface GeoReportServiceRequest {
  service_request_id: string;
  status: 'open' | 'closed';
  status_notes: string | null;
  service_name: string;
  service_code: string;
  description: string | null;
  agency_responsible: string | null;
  service_notice: string | null;
  requested_datetime: string;
  updated_datetime: string | null;
  expected_datetime: string | null;
  address: string | null;
  address_id: string | null;
  zipcode: string | null;
  lat: number | null;
  long: number | null;
  media_url: string | null;
  /** Extension: the stored breach probability of the served model (0..1), null when it has not scored the ticket. */
  sla_breach_probability: number | null;
  /** Extension: the SLA deadline under the type's policy and clock (same instant as expected_datetime). */
  due_datetime: string | null;
}

/** The spec's error body: a list of {code, description}. */
export type GeoReportErrors = { code: number; description: string }[];

/** A request type with what its service entry says. */
export interface ServiceInput {
  typeKey: string;
  displayName: string;
  /** Other spellings the city's feed used for the type. */
  aliases: readonly string[];
  slaHours: number;
  /** 'wall', or a business clock's description ('business 08:00–17:00 days 12345'). */
  clock: string;
}

/** A ticket as the warehouse holds it, with its deadline and stored score. */
export type ServiceRequestInput = Open311TicketRow;

const pad = (value: number, width = 2) => String(value).padStart(width, '0');

/** An instant in w3c ISO 8601 with the city's offset at that instant: 2023-07-09T14:05:00-04:00. */
export function toCityIsoString(instant: Date, timeZone: string): string {
  const p = toCityParts(instant, timeZone);
  const offset = zoneOffsetMinutes(instant.getTime(), timeZone);
  const sign = offset < 0 ? '-' : '+';
  const zone = offset === 0 ? 'Z' : `${sign}${pad(Math.floor(Math.abs(offset) / 60))}:${pad(Math.abs(offset) % 60)}`;
  return `${pad(p.year, 4)}-${pad(p.month)}-${pad(p.day)}T${pad(p.hour)}:${pad(p.minute)}:${pad(p.second)}${zone}`;
}

/** A service entry of GET services.json. */
export function toGeoReportService(input: ServiceInput, cityName: string): GeoReportService {
  const clock = input.clock === 'wall' ? 'calendar hours' : `on the ${input.clock} clock`;
  return {
    service_code: input.typeKey,
    service_name: input.displayName,
    description: `Request type "${input.displayName}" of ${cityName}; SLA ${input.slaHours} hours (${clock}).`,
    metadata: false,
    type: 'realtime',
    keywords: [...new Set(input.aliases.filter((alias) => alias !== input.displayName))].join(','),
    group: '',
  };
}

/** A service request of GET requests.json, times in the city's offset. */
export function toGeoReportServiceRequest(input: ServiceRequestInput, timeZone: string): GeoReportServiceRequest {
  const at = (instant: Date | null) => (instant === null ? null : toCityIsoString(instant, timeZone));
  const due = at(input.dueAt);
  return {
    service_request_id: input.ticketId,
    status: input.open ? 'open' : 'closed',
    status_notes: input.cityStatus,
    service_name: input.serviceName,
    service_code: input.typeKey,
    description: input.description,
    agency_responsible: input.assignedTo,
    service_notice: null,
    requested_datetime: toCityIsoString(input.createdAt, timeZone),
    updated_datetime: at(input.updatedAt),
    expected_datetime: due,
    address: input.address,
    address_id: null,
    zipcode: null,
    lat: input.latitude,
    long: input.longitude,
    media_url: null,
    sla_breach_probability: input.breachProbability,
    due_datetime: due,
  };
}

const W3C_DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:\d{2})?)?$/;

/**
 * A w3c date-time as the spec writes it ('2023-07-01T00:00:00-04:00', '…Z'); a time without a zone
 * is read on the city's clock, a plain date is the start of that city day (`end: true`: its end).
 * Null when the text is not one.
 */
export function parseW3cDateTime(text: string, timeZone: string, options: { end?: boolean } = {}): Date | null {
  const match = W3C_DATE_TIME.exec(text.trim());
  if (!match) return null;
  const [, y, mo, d, h, mi, s, fraction, zone] = match;
  const local = {
    year: Number(y),
    month: Number(mo),
    day: Number(d),
    hour: Number(h ?? 0),
    minute: Number(mi ?? 0),
    second: Number(s ?? 0),
    millisecond: fraction === undefined ? 0 : Number(fraction.slice(0, 3).padEnd(3, '0')),
  };
  if (local.month < 1 || local.month > 12 || local.hour > 23 || local.minute > 59 || local.second > 59) return null;
  const probe = new Date(Date.UTC(local.year, local.month - 1, local.day));
  if (probe.getUTCDate() !== local.day || probe.getUTCMonth() !== local.month - 1) return null;
  if (h === undefined) {
    // A whole city day: its start, or for an end date the last millisecond before the next day.
    const start = cityLocalToInstant(options.end ? { ...local, day: local.day + 1 } : local, timeZone);
    return options.end ? new Date(start.getTime() - 1) : start;
  }
  if (zone === undefined) return cityLocalToInstant(local, timeZone);
  const wall = Date.UTC(local.year, local.month - 1, local.day, local.hour, local.minute, local.second, local.millisecond);
  if (zone === 'Z') return new Date(wall);
  const sign = zone.startsWith('-') ? -1 : 1;
  const offsetMinutes = sign * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6)));
  return new Date(wall - offsetMinutes * 60_000);
}

/** The instant `days` city calendar days after `instant`, at the same wall time. */
function addCityDays(instant: Date, days: number, timeZone: string): Date {
  const p = toCityParts(instant, timeZone);
  return cityLocalToInstant({ ...p, day: p.day + days }, timeZone);
}

/** requested_datetime bounds of a GET requests, both included. */
export interface RequestWindow {
  from: Date;
  to: Date;
}

/**
 * The window of GET requests: start_date..end_date (both included), at most MAX_WINDOW_DAYS
 * city days. A missing end is `start + 90 days`, a missing start `end − 90 days`; neither: the 90
 * days ending at `asOf` (the data clock: the warehouse's last event when the data stops before
 * today). Throws InputError (a 400 in the spec's format) for text that is not a date-time, an end
 * before the start, or a longer span.
 */
export function resolveRequestWindow(query: { start_date?: string; end_date?: string }, asOf: Date, timeZone: string): RequestWindow {
  const parse = (name: 'start_date' | 'end_date') => {
    const text = query[name];
    if (text === undefined) return undefined;
    const parsed = parseW3cDateTime(text, timeZone, { end: name === 'end_date' });
    if (parsed === null) {
      throw new InputError(`${name} "${text}" is not a w3c date-time such as 2023-07-01T00:00:00-04:00.`, [
        { path: name, message: 'not a w3c date-time' },
      ]);
    }
    return parsed;
  };
  const start = parse('start_date');
  const end = parse('end_date');
  const to = end ?? (start ? addCityDays(start, MAX_WINDOW_DAYS, timeZone) : asOf);
  const from = start ?? addCityDays(to, -MAX_WINDOW_DAYS, timeZone);
  if (from.getTime() > to.getTime()) {
    throw new InputError('end_date is before start_date.', [{ path: 'end_date', message: 'before start_date' }]);
  }
  // One millisecond of slack: a whole-day end_date ends just before the next midnight.
  if (to.getTime() > addCityDays(from, MAX_WINDOW_DAYS, timeZone).getTime() + 1) {
    throw new InputError(
      `start_date..end_date spans more than ${MAX_WINDOW_DAYS} days; ask for at most ${MAX_WINDOW_DAYS} days at a time.`,
      [{ path: 'end_date', message: `more than ${MAX_WINDOW_DAYS} days after start_date` }],
    );
  }
  return { from, to };
}

/** The GET discovery.json document. */
export function buildDiscovery(input: { url: string; changeset: string; contact: string; keyService: string }) {
  return {
    changeset: input.changeset,
    contact: input.contact,
    key_service: input.keyService,
    endpoints: [
      {
        specification: SPECIFICATION_URL,
        url: input.url,
        changeset: input.changeset,
        type: 'production',
        formats: ['application/json', 'text/xml'],
      },
    ],
  };
}

/** The spec's error list with one entry. */
export function toGeoReportErrors(code: number, description: string): GeoReportErrors {
  return [{ code, description }];
}
