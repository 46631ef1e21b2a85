/**
 * The dashboard's filter state and the API calls it makes, shared by the page (which preloads the
 * first calls from the HTML head) and the browser script (which makes them): both must spell
 * each URL the same way, or the browser fetches it twice.
 */

/** The filter state; the URL's query string is its only home, so a view can be shared. */
export interface Filters {
  since: string;
  until: string;
  type: string;
  district: string;
  /** The warehouse's city the view is of; empty = the server's own city. Changed by the city menu only. */
  city?: string;
}

const FILTER_KEYS = ['city', 'since', 'until', 'type', 'district'] as const;

/**
 * The panels in page order, which is also the order their data is asked for: PGlite answers one
 * query at a time, so the top of the page is asked first and paints first.
 */
export const PANELS = ['summary', 'sla-by-type', 'volume', 'backlog', 'surges', 'forecast', 'worklist', 'model'] as const;
export type Panel = (typeof PANELS)[number];

/** How many panel calls are in flight at once (the page head preloads as many). */
export const CONCURRENT_CALLS = 2;

export function readFilters(search: string | URLSearchParams): Filters {
  const params = typeof search === 'string' ? new URLSearchParams(search) : search;
  const read = (key: string) => params.get(key)?.trim() ?? '';
  return { since: read('since'), until: read('until'), type: read('type'), district: read('district'), city: read('city') };
}

export function queryOf(filters: Filters, extra: Record<string, string> = {}): string {
  const params = new URLSearchParams();
  for (const key of FILTER_KEYS) {
    const value = filters[key];
    if (value) params.set(key, value);
  }
  for (const [key, value] of Object.entries(extra)) params.set(key, value);
  const text = params.toString();
  return text ? `?${text}` : '';
}

/** The API path of each panel for a filter state. */
export function panelPaths(filters: Filters): Record<Panel, string> {
  const query = queryOf(filters);
  return {
    summary: `/api/v1/summary${query}`,
    'sla-by-type': `/api/v1/sla-by-type${query}`,
    volume: `/api/v1/volume${query}`,
    backlog: `/api/v1/backlog${query}`,
    surges: `/api/v1/surges${query}`,
    forecast: `/api/v1/forecast${query}`,
    // The worklist is open work now: the date window does not apply.
    worklist: `/api/v1/worklist${queryOf({ ...filters, since: '', until: '' }, { limit: '25' })}`,
    model: `/api/v1/model${cityQuery(filters)}`,
  };
}

const cityQuery = (filters: Filters) => (filters.city ? `?${new URLSearchParams({ city: filters.city })}` : '');

/** The filter menus' call: the city's types and districts, and the warehouse's cities. */
export function filterOptionsPath(filters: Filters): string {
  return `/api/v1/filters${cityQuery(filters)}`;
}
