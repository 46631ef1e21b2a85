/**
 * The GeoReport v2 reads behind GET /open311/v2/*: discovery, the service list, requests by window
 * and by id. Each resolves what the spec leaves to the server (the jurisdiction, the default window
 * at the data clock, paging) and maps warehouse rows with georeport.ts. Unknown jurisdictions and
 * ids throw CivicOpsError NOT_FOUND, bad parameters InputError: the route answers both in the
 * spec's error format.
 */
import type { Kysely } from 'kysely';
import { resolveDataClock } from '../analytics/data-clock.js';
import { slaClockFor, slaHoursFor } from '../analytics/sla-policy.js';
import { describeSlaClock } from '../analytics/sla-clock.js';
import { CivicOpsError } from '../shared/errors.js';
import {
  findOpen311Requests,
  findOpen311RequestsById,
  listOpen311Services,
  type Open311TicketRow,
} from '../warehouse/open311.repository.js';
import type { WarehouseSchema } from '../warehouse/schema.js';
import { loadSlaPolicy } from '../warehouse/sla-policy.repository.js';
import { findLatestEventAt } from '../warehouse/worklist.repository.js';
import {
  buildDiscovery,
  resolveRequestWindow,
  toCityIsoString,
  toGeoReportService,
  toGeoReportServiceRequest,
  type GeoReportService,
  type GeoReportServiceRequest,
  type RequestWindow,
} from './georeport.js';

export interface GeoReportDeps {
  db: Kysely<WarehouseSchema>;
  /** The city's profile name ('gainesville'): the only jurisdiction_id this server answers. */
  jurisdictionId: string;
  /** The city as people read it, for descriptions. */
  cityName: string;
  timeZone: string;
  /** Configured SLA_HOURS: the SLA only when sla_policy has no '*' row. */
  slaHours: number;
  /** The served model's version, whose stored scores give sla_breach_probability; null before training. */
  modelVersion(): string | null;
  now?: () => Date;
}

/** The parsed query of GET requests.json (lists already split on commas). */
export interface GeoReportRequestsQuery {
  jurisdiction_id?: string;
  start_date?: string;
  end_date?: string;
  status?: ('open' | 'closed')[];
  service_code?: string[];
  service_request_id?: string[];
  page: number;
  page_size: number;
}

export interface GeoReportRequestsPage {
  requests: GeoReportServiceRequest[];
  /** The window searched; null when service_request_id overrode it. */
  window: RequestWindow | null;
  /** Whether the next page has requests too. */
  hasMore: boolean;
}

/** Throws NOT_FOUND unless the id is absent or this server's city. */
export function checkJurisdiction(deps: Pick<GeoReportDeps, 'jurisdictionId'>, jurisdictionId: string | undefined): void {
  if (jurisdictionId === undefined || jurisdictionId.trim().toLowerCase() === deps.jurisdictionId) return;
  throw new CivicOpsError(
    'NOT_FOUND',
    `jurisdiction_id "${jurisdictionId}" is not served here; this server serves "${deps.jurisdictionId}".`,
  );
}

/** GET discovery.json: where the endpoint is and what it speaks; the changeset is the warehouse's last event. */
export async function describeGeoReport(deps: GeoReportDeps, options: { url: string; apiKeyRequired: boolean }) {
  const latest = await findLatestEventAt(deps.db);
  return buildDiscovery({
    url: options.url,
    changeset: toCityIsoString(latest ?? new Date(0), deps.timeZone),
    contact: `${deps.cityName}: service requests as the city's open data publishes them, served read-only by CivicOps-311.`,
    keyService: options.apiKeyRequired
      ? 'Send the X-API-Key header; ask the operator of this server for a key.'
      : 'No API key is needed on this server.',
  });
}

/** GET services.json: every request type, with its SLA in the description. */
export async function listGeoReportServices(deps: GeoReportDeps): Promise<GeoReportService[]> {
  const [services, policy] = await Promise.all([listOpen311Services(deps.db), loadSlaPolicy(deps.db, deps.slaHours)]);
  return services.map((service) =>
    toGeoReportService(
      {
        typeKey: service.typeKey,
        displayName: service.displayName,
        aliases: service.aliases,
        slaHours: slaHoursFor(policy, service.typeKey),
        clock: describeSlaClock(slaClockFor(policy, service.typeKey)),
      },
      deps.cityName,
    ),
  );
}

/**
 * GET requests.json: by service_request_id when given (the window, status, service_code and
 * paging then do not apply, as the spec says), else one page of the window's requests, newest first.
 */
/** What every ticket read takes from the deps: the served model's scores and the SLA fallback. */
function readOptionsOf(deps: GeoReportDeps) {
  return { modelVersion: deps.modelVersion(), fallbackSlaHours: deps.slaHours };
}

function toServiceRequests(deps: GeoReportDeps, rows: readonly Open311TicketRow[]): GeoReportServiceRequest[] {
  return rows.map((row) => toGeoReportServiceRequest(row, deps.timeZone));
}

export async function findGeoReportRequests(deps: GeoReportDeps, query: GeoReportRequestsQuery): Promise<GeoReportRequestsPage> {
  checkJurisdiction(deps, query.jurisdiction_id);
  const options = readOptionsOf(deps);
  if (query.service_request_id !== undefined) {
    const ids = [...new Set(query.service_request_id)];
    return { requests: toServiceRequests(deps, await findOpen311RequestsById(deps.db, ids, options)), window: null, hasMore: false };
  }
  const clock = resolveDataClock(await findLatestEventAt(deps.db), deps.now?.() ?? new Date());
  const window = resolveRequestWindow(query, clock.asOf, deps.timeZone);
  const rows = await findOpen311Requests(deps.db, {
    ...options,
    ...window,
    statuses: query.status,
    serviceCodes: query.service_code,
    // One row more than the page tells whether another page follows.
    limit: query.page_size + 1,
    offset: (query.page - 1) * query.page_size,
  });
  return { requests: toServiceRequests(deps, rows.slice(0, query.page_size)), window, hasMore: rows.length > query.page_size };
}

/** GET requests/{id}.json: a list with the one request; NOT_FOUND when the warehouse has no such ticket. */
export async function findGeoReportRequest(
  deps: GeoReportDeps,
  serviceRequestId: string,
  jurisdictionId?: string,
): Promise<GeoReportServiceRequest[]> {
  checkJurisdiction(deps, jurisdictionId);
  const rows = await findOpen311RequestsById(deps.db, [serviceRequestId], readOptionsOf(deps));
  if (rows.length === 0) throw new CivicOpsError('NOT_FOUND', `No service request with service_request_id "${serviceRequestId}".`);
  return toServiceRequests(deps, rows);
}
