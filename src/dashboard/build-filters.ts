/** The filter menus of the dashboard: request types (key, name, tickets) and districts, with counts in the window. */
import { z } from 'zod';
import { countTicketsByDistrict, countTicketsByType, type FilterOption } from '../warehouse/dashboard.repository.js';
import { readWarehouseVersion, versionedCacheOf } from '../warehouse/warehouse-version.repository.js';
import {
  dataClockShape,
  describeDashboardWindow,
  filtersEchoSchema,
  resolveWindowFor,
  windowSchema,
  type DashboardQuery,
} from './dashboard-window.js';
import type { DashboardDeps } from './build-summary.js';

const optionSchema = z.object({
  value: z.string().describe('what to send as the filter parameter'),
  label: z.string().describe('what to show'),
  window_tickets: z.number().int().describe('tickets created in the window'),
  total_tickets: z.number().int().describe('tickets in the warehouse'),
});

export const filtersResponseSchema = z.object({
  ...dataClockShape,
  window: windowSchema,
  filters: filtersEchoSchema,
  request_types: z.array(optionSchema).describe('value = type key; busiest in the window first'),
  districts: z.array(optionSchema).describe('value = the district as the city writes it; by name'),
  statuses: z.array(z.object({ value: z.string(), label: z.string() })).describe('worklist status filter values'),
  cities: z
    .array(z.object({ value: z.string(), label: z.string(), current: z.boolean() }))
    .describe("the warehouse's cities (value = what to send as `city`); current = the one answering"),
});
export type FiltersResponse = z.infer<typeof filtersResponseSchema>;

const toOption = (option: FilterOption) => ({
  value: option.value,
  label: option.label,
  window_tickets: option.windowTickets,
  total_tickets: option.totalTickets,
});

interface FilterOptions {
  types: FilterOption[];
  districts: FilterOption[];
}

/**
 * The menus' counts read every ticket (totals per type and district), so they are kept per warehouse
 * version and window: they change only when the data does.
 */
async function countFilterOptions(deps: DashboardDeps, window: { since: Date; until: Date }): Promise<FilterOptions> {
  const cache = versionedCacheOf(deps.db, await readWarehouseVersion(deps.db));
  const key = `filters|${window.since.getTime()}|${window.until.getTime()}`;
  const kept = cache.get<FilterOptions>(key);
  if (kept) return kept;
  const [types, districts] = await Promise.all([countTicketsByType(deps.db, window), countTicketsByDistrict(deps.db, window)]);
  cache.set(key, { types, districts });
  return { types, districts };
}

/** Every request type and district, with their tickets in the window (type and district filters are echoed, not applied). */
export async function buildFilters(
  deps: DashboardDeps & { cities?: () => Promise<FiltersResponse['cities']> },
  query: DashboardQuery,
): Promise<FiltersResponse> {
  const window = await resolveWindowFor(deps, query);
  const [{ types, districts }, cities] = await Promise.all([countFilterOptions(deps, window.analytics), deps.cities?.() ?? []]);
  return {
    ...describeDashboardWindow(window),
    request_types: types.map(toOption),
    districts: districts.map(toOption),
    statuses: [
      { value: 'all', label: 'All open tickets' },
      { value: 'at_risk', label: 'At risk' },
      { value: 'breached', label: 'Breached' },
    ],
    cities,
  };
}
