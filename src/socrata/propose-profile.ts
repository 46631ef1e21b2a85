import type { CityProfile, FieldMapping, TicketField, TimestampFormat } from '../config/city-profile.js';
import type { SodaView, SodaViewColumn } from './soda-client.js';

/**
 * A first city profile from a dataset's metadata (`/api/views/{id}.json`) and one page of its
 * rows: each ticket field is matched to a column by name and Socrata type, timestamp formats and
 * status words are read from the rows. What it cannot tell is listed, never guessed silently.
 */

const TIMESTAMP_TYPES = new Set(['calendar_date', 'date', 'floating_timestamp', 'fixed_timestamp']);
const NUMBER_TYPES = new Set(['number', 'double', 'money']);
const TEXT_TYPES = new Set(['text', 'number', 'url']);

interface Matcher {
  /** Exact field names, best first (the names the six shipped cities use among them). */
  names: string[];
  /** Then any column whose field name or display name matches. */
  pattern?: RegExp;
  types: ReadonlySet<string>;
}

const MATCHERS: Record<Exclude<TicketField, 'minutesToClose' | 'minutesToAcknowledge'>, Matcher> = {
  id: {
    names: ['unique_key', 'sr_number', 'srnumber', 'service_request_id', 'case_id', 'caseid', 'request_id', 'ticket_id', 'id'],
    pattern: /(^|_)(sr|case|ticket|request)_?(number|id|no)$/,
    types: TEXT_TYPES,
  },
  createdAt: {
    names: ['created_date', 'createddate', 'sr_created_date', 'requested_datetime', 'created', 'opened', 'created_at', 'date_created'],
    pattern: /creat|open(ed)?_?date|request(ed)?_?(date|time)/,
    types: TIMESTAMP_TYPES,
  },
  closedAt: {
    names: ['closed_date', 'closeddate', 'sr_closed_date', 'closed', 'closed_at', 'date_closed'],
    pattern: /clos|resolv|complet/,
    types: TIMESTAMP_TYPES,
  },
  updatedAt: {
    names: ['last_modified_date', 'updated_datetime', 'updateddate', 'sr_updated_date', 'last_updated', 'resolution_action_updated_date'],
    pattern: /updat|modif/,
    types: TIMESTAMP_TYPES,
  },
  acknowledgedAt: { names: ['acknowledged', 'acknowledged_date'], pattern: /acknowledg/, types: TIMESTAMP_TYPES },
  reopenedAt: { names: ['reopened', 'reopened_date'], pattern: /reopen/, types: TIMESTAMP_TYPES },
  requestType: {
    names: ['complaint_type', 'sr_type', 'sr_type_desc', 'requesttype', 'request_type', 'service_name', 'service_request_type', 'type'],
    pattern: /(request|service|complaint|issue|problem)_?(type|name)|categor/,
    types: TEXT_TYPES,
  },
  status: {
    names: ['status', 'sr_status_desc', 'status_description', 'current_status', 'state'],
    pattern: /status(_desc(ription)?)?$/,
    types: TEXT_TYPES,
  },
  latitude: { names: ['latitude', 'lat', 'sr_location_lat'], pattern: /(^|_)lat(itude)?$/, types: NUMBER_TYPES },
  longitude: {
    names: ['longitude', 'long', 'lng', 'lon', 'sr_location_long'],
    pattern: /(^|_)(long(itude)?|lng|lon)$/,
    types: NUMBER_TYPES,
  },
  point: { names: ['location', 'point', 'sr_location_lat_long'], types: new Set(['point']) },
  address: {
    names: ['incident_address', 'street_address', 'address', 'sr_location', 'location_detail'],
    pattern: /address/,
    types: new Set(['text']),
  },
  district: {
    names: [
      'council_district',
      'sr_location_council_district',
      'ward',
      'supervisor_district',
      'commission_district',
      'community_board',
      'cd',
    ],
    pattern: /district|ward/,
    types: TEXT_TYPES,
  },
  description: {
    names: ['description', 'descriptor', 'service_details', 'request_details', 'details', 'comments'],
    pattern: /descri|detail/,
    types: new Set(['text']),
  },
  policeSector: { names: ['police_sector'], pattern: /police_?sector/, types: TEXT_TYPES },
  reporter: { names: ['reporter_display', 'reporter'], pattern: /reporter/, types: new Set(['text']) },
  assignedTo: {
    names: ['assigned_to', 'assignto', 'agency_responsible', 'owner_department', 'sr_department_desc'],
    pattern: /assign|responsible/,
    types: new Set(['text']),
  },
};

const REQUIRED: readonly TicketField[] = ['id', 'createdAt', 'requestType', 'status'];
/** The fields every city is asked for (issue #14); the others are extras a few cities publish. */
const CORE: readonly TicketField[] = [
  'id',
  'createdAt',
  'closedAt',
  'updatedAt',
  'requestType',
  'status',
  'latitude',
  'longitude',
  'address',
  'district',
  'description',
];
const CLOSED_WORDS = /closed|completed|resolved|cancel/i;

export interface ProfileProposal {
  /** The proposed profile; valid only when `missingRequired` is empty. */
  profile: Omit<CityProfile, 'fields'> & { fields: Partial<FieldMapping> };
  /** Core ticket fields no column matched (a city may simply not publish them). */
  unmapped: TicketField[];
  /** Required fields among `unmapped`: the profile must be completed by hand. */
  missingRequired: TicketField[];
  /** What was assumed rather than read (the time zone, status words from one page). */
  assumptions: string[];
}

function pick(columns: readonly SodaViewColumn[], matcher: Matcher, taken: ReadonlySet<string>): SodaViewColumn | undefined {
  const free = columns.filter((column) => !taken.has(column.fieldName) && matcher.types.has(column.dataTypeName));
  for (const name of matcher.names) {
    const exact = free.find((column) => column.fieldName === name);
    if (exact) return exact;
  }
  const pattern = matcher.pattern;
  if (!pattern) return undefined;
  return free.find((column) => pattern.test(column.fieldName) || pattern.test(column.name.toLowerCase().replace(/\s+/g, '_')));
}

/** The formats the sample's timestamps are written in, in the order first seen. */
function detectFormats(values: readonly unknown[]): TimestampFormat[] {
  const formats = new Set<TimestampFormat>();
  for (const value of values) {
    if (typeof value !== 'string') continue;
    if (/^\d{4}-\d{2}-\d{2}T[\d:.]+(Z|[+-]\d{2}:?\d{2})$/.test(value)) formats.add('fixed');
    else if (/^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}/.test(value)) formats.add('floating');
    else if (/^\d{1,2}\/\d{1,2}\/\d{4} \d{1,2}:\d{2}/.test(value)) formats.add('us');
  }
  return formats.size > 0 ? [...formats] : ['floating'];
}

function describeColumn(column: SodaViewColumn): string {
  const description = column.description?.trim();
  return `${column.fieldName}: '${column.name}' [${column.dataTypeName}]${description ? ` ${description}` : ''}`;
}

/** `data.cityofchicago.org` → `cityofchicago`: a profile name when none is given. */
export function profileNameFromHost(host: string): string {
  const parts = host
    .toLowerCase()
    .replace(/:\d+$/, '')
    .split('.')
    .filter((part) => part !== 'data' && part !== 'www');
  const base = (parts.length > 1 ? parts.slice(0, -1) : parts).join('-');
  return base.replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '') || 'city';
}

/** Proposes a profile for `dataset` on `host` from its view object and a page of its rows. */
export function proposeCityProfile(input: {
  host: string;
  dataset: string;
  view: SodaView;
  rows: readonly Record<string, unknown>[];
  name?: string;
  timeZone?: string;
}): ProfileProposal {
  const { host, dataset, view, rows } = input;
  const columns = view.columns.filter((column) => !column.fieldName.startsWith(':'));
  const taken = new Set<string>();
  const fields: Partial<FieldMapping> = {};
  const sources: Record<string, string> = {};
  for (const [field, matcher] of Object.entries(MATCHERS) as [TicketField, Matcher][]) {
    const column = pick(columns, matcher, taken);
    if (!column) continue;
    fields[field] = column.fieldName;
    taken.add(column.fieldName);
    sources[field] = describeColumn(column);
  }
  const unmapped = CORE.filter((field) => fields[field] === undefined);
  const assumptions: string[] = [];
  const timestampColumns = [fields.createdAt, fields.closedAt, fields.updatedAt].filter((column) => column !== undefined);
  const timestampFormats = detectFormats(rows.flatMap((row) => timestampColumns.map((column) => row[column])));
  const statusWords = fields.status
    ? [...new Set(rows.map((row) => row[fields.status!]).filter((value): value is string => typeof value === 'string'))].sort()
    : [];
  if (fields.status) {
    assumptions.push(
      `statuses: read from ${rows.length} row(s); words matching /${CLOSED_WORDS.source}/i are taken as closed — check the city's list`,
    );
  }
  const ids = fields.id ? rows.map((row) => row[fields.id!]) : [];
  const numericIds = ids.length > 0 && ids.every((id) => typeof id === 'string' && /^\d+$/.test(id));
  if (!input.timeZone) assumptions.push('timeZone: not in the dataset metadata; America/New_York assumed (pass --time-zone)');
  const name = input.name ?? profileNameFromHost(host);
  const profile: ProfileProposal['profile'] = {
    name,
    displayName: view.name,
    host,
    dataset,
    timeZone: input.timeZone ?? 'America/New_York',
    fields,
    ...(numericIds ? { idPattern: '^\\d+$' } : {}),
    timestampFormats,
    statuses: {
      closed: statusWords.filter((word) => CLOSED_WORDS.test(word)),
      open: statusWords.filter((word) => !CLOSED_WORDS.test(word)),
      closedPattern: CLOSED_WORDS.source,
    },
    columns: columns.map((column) => column.fieldName),
    unknownColumns: 'keep',
    sla: { policies: [] },
    ticketUrlTemplate: `https://${host}/resource/${dataset}.json?${fields.id ?? 'id'}={id}`,
    sources: {
      dataDictionary: `https://${host}/api/views/${dataset}.json`,
      fields: sources,
      notes: [
        `Proposed by civicops city detect from the dataset's metadata and ${rows.length} row(s); check each mapping against the city's data dictionary.`,
        ...(unmapped.length > 0 ? [`No column matched: ${unmapped.join(', ')} (left out: the ticket's value is null).`] : []),
        ...assumptions,
      ],
    },
  };
  return { profile, unmapped, missingRequired: REQUIRED.filter((field) => unmapped.includes(field)), assumptions };
}
