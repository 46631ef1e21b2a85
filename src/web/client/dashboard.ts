/**
 * The dashboard's one script: reads the filter state from the URL, fetches every panel from the
 * JSON API in one place, writes figures and tables, and draws each panel's `chart` (the same
 * plain-JSON Chart.js config that src/charts renders to PNG for Slack) with the bundled Chart.js.
 */
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  type ChartConfiguration,
  Filler,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  ScatterController,
  SubTitle,
  Title,
  Tooltip,
} from 'chart.js';
import {
  CONCURRENT_CALLS,
  filterOptionsPath,
  type Filters,
  PANELS,
  type Panel,
  panelPaths,
  queryOf,
  readFilters,
} from './dashboard-query.js';
import { byId, el, formatCount, formatDate, formatHours, formatShare, notAvailable, oneDecimal } from './dom.js';
import { renderModel } from './model-card.js';
import { arrayAt, type Figure, figureAt, isObject, type Json, numberAt, pick, stringAt } from './read-json.js';

// Only what src/charts' configs use (bar, line and scatter charts on category and linear
// scales), not `registerables`: a smaller bundle parses sooner.
Chart.register(
  BarController,
  LineController,
  ScatterController,
  BarElement,
  LineElement,
  PointElement,
  CategoryScale,
  LinearScale,
  Filler,
  Legend,
  Title,
  SubTitle,
  Tooltip,
);

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * No custom header: the page head preloads the first calls (`<link rel=preload as=fetch
 * crossorigin>`), and a request that differs from the preload would be sent a second time.
 */
async function fetchJson(path: string, signal: AbortSignal): Promise<Json> {
  const response = await fetch(path, { credentials: 'same-origin', signal });
  const body: Json = await response.json().catch(() => null);
  if (!response.ok) {
    const message = stringAt(body, 'error.message', 'message') ?? `${response.status} ${response.statusText}`;
    throw new HttpError(response.status, message);
  }
  return body;
}

// ---- headline cards ---------------------------------------------------------------------------

interface CardSpec {
  label: string;
  keys: string[];
  format: (value: number | null) => string;
  /** Whether a rise is good (attainment), bad (P90, backlog, at-risk) or neither (tickets). */
  better: 'up' | 'down' | 'neither';
  /** Share figures compare in percentage points. */
  share?: boolean;
}

const CARDS: CardSpec[] = [
  { label: 'Tickets', keys: ['tickets', 'figures.tickets', 'headline.tickets'], format: formatCount, better: 'neither' },
  {
    label: 'SLA attainment',
    keys: ['sla_attainment', 'attainment', 'figures.sla_attainment', 'headline.sla_attainment'],
    format: formatShare,
    better: 'up',
    share: true,
  },
  {
    label: 'P90 time to close',
    keys: ['p90_hours_to_close', 'p90_hours', 'figures.p90_hours_to_close', 'headline.p90_hours_to_close'],
    format: formatHours,
    better: 'down',
  },
  { label: 'Backlog now', keys: ['backlog', 'backlog_now', 'figures.backlog', 'headline.backlog'], format: formatCount, better: 'down' },
  { label: 'At risk', keys: ['at_risk', 'at_risk_count', 'figures.at_risk', 'headline.at_risk'], format: formatCount, better: 'down' },
];

function describeChange(card: CardSpec, current: number | null, base: number | null, against: string): HTMLElement {
  if (current === null || base === null) return el('li', { class: 'delta delta-none' }, `No ${against} figure`);
  const change = current - base;
  const size = card.share
    ? `${oneDecimal.format(Math.abs(change) * 100)} pts`
    : base === 0
      ? card.format(Math.abs(change)).replace(/^—$/, '0')
      : `${oneDecimal.format(Math.abs(change / base) * 100)}%`;
  const direction = Math.abs(change) < 1e-9 ? 'flat' : change > 0 ? 'up' : 'down';
  const arrow = direction === 'flat' ? '→' : direction === 'up' ? '▲' : '▼';
  const word = direction === 'flat' ? 'no change' : `${direction === 'up' ? 'up' : 'down'} ${size}`;
  const tone = direction === 'flat' || card.better === 'neither' ? 'neutral' : direction === card.better ? 'good' : 'bad';
  const verdict = tone === 'good' ? ' (better)' : tone === 'bad' ? ' (worse)' : '';
  return el(
    'li',
    { class: `delta delta-${tone}` },
    el('span', { 'aria-hidden': 'true', class: 'arrow' }, arrow),
    ` ${word}${verdict} vs ${against} (${card.format(base)})`,
  );
}

function renderSummary(body: Json): void {
  const container = byId('summary-cards');
  const figures = CARDS.map((card) => ({ card, figure: figureAt(body, ...card.keys) }));
  if (figures.every(({ figure }) => figure === null)) {
    notAvailable(container, 'the summary has no figures.');
    return;
  }
  container.replaceChildren(
    ...figures.map(({ card, figure }) => {
      const value: Figure = figure ?? { current: null, previous: null, usual: null };
      return el(
        'li',
        { class: 'card', 'data-figure': card.label },
        el('h3', { class: 'card-label' }, card.label),
        el('p', { class: 'card-value', 'data-testid': `figure-${card.keys[0]}` }, card.format(value.current)),
        el(
          'ul',
          { class: 'deltas' },
          describeChange(card, value.current, value.previous, 'previous window'),
          describeChange(card, value.current, value.usual, 'usual'),
        ),
      );
    }),
  );
}

// ---- charts -----------------------------------------------------------------------------------

const charts = new Map<string, Chart>();

/** Draws a ChartSpec's config in the canvas of a panel; the config is used as the server sent it. */
function drawChart(panel: string, spec: Json, description: string): boolean {
  const holder = document.querySelector<HTMLElement>(`[data-chart="${panel}"]`);
  if (!holder) return false;
  charts.get(panel)?.destroy();
  charts.delete(panel);
  const config = pick(spec, 'config');
  if (!isObject(config) || typeof config.type !== 'string') {
    notAvailable(holder, 'no chart for this view.');
    return false;
  }
  // The spec's pixel size is Slack's; in the page the chart takes the panel's width and a height
  // near the spec's, so its 14 px labels keep the room they were laid out for.
  // The SLA chart's height is its rows' (each as tall as its tallest wrapped label), so it is
  // kept whole: squeezed, its labels would overlap.
  const specHeight = numberAt(spec, 'height') ?? 400;
  const sla = pick(spec, 'kind') === 'sla';
  holder.style.height = `${Math.round(Math.min(Math.max(specHeight * (sla ? 1 : 0.8), 260), sla ? 1200 : 620))}px`;
  const canvas = el('canvas', { role: 'img', 'aria-label': description });
  canvas.textContent = description;
  holder.replaceChildren(canvas);
  const chartConfig = config as unknown as ChartConfiguration;
  const options = (chartConfig.options ?? {}) as Record<string, unknown>;
  // The PNG size is Slack's; in the page the chart fills its panel, and is drawn at once.
  chartConfig.options = { ...options, responsive: true, maintainAspectRatio: false, animation: false };
  charts.set(panel, new Chart(canvas, chartConfig));
  return true;
}

function chartTitle(spec: Json): string | null {
  const title = pick(spec, 'config.options.plugins.title.text');
  if (typeof title === 'string') return title;
  if (Array.isArray(title)) return title.filter((part) => typeof part === 'string').join(' ');
  return null;
}

// ---- tables -----------------------------------------------------------------------------------

interface SlaRow {
  /** Position in the server's order (worst first, the order of `civicops report`). */
  rank: number;
  name: string;
  tickets: number | null;
  attainment: number | null;
  p90: number | null;
  backlog: number | null;
  slaHours: number | null;
}

type SortKey = 'rank' | 'name' | 'tickets' | 'attainment' | 'p90' | 'backlog';
let slaRows: SlaRow[] = [];
let slaSort: { key: SortKey; direction: 'ascending' | 'descending' } = { key: 'rank', direction: 'ascending' };

function readSlaRows(body: Json): SlaRow[] {
  return arrayAt(body, 'types', 'rows', 'items').map((row, rank) => ({
    rank,
    name: stringAt(row, 'display_name', 'displayName', 'name', 'request_type', 'type_key') ?? '?',
    tickets: numberAt(row, 'tickets', 'current.tickets'),
    attainment: numberAt(row, 'attainment', 'sla_attainment', 'current.attainment'),
    p90: numberAt(row, 'p90_hours_to_close', 'p90_hours', 'current.p90HoursToClose'),
    backlog: numberAt(row, 'backlog', 'current.backlog'),
    slaHours: numberAt(row, 'sla_hours', 'slaHours'),
  }));
}

function compareRows(a: SlaRow, b: SlaRow): number {
  const { key, direction } = slaSort;
  const sign = direction === 'ascending' ? 1 : -1;
  if (key === 'name') return sign * a.name.localeCompare(b.name);
  const left = a[key];
  const right = b[key];
  // Unknown values go last whichever way the column is sorted.
  if (left === null || right === null) return left === right ? 0 : left === null ? 1 : -1;
  return sign * (left - right) || a.name.localeCompare(b.name);
}

function renderSlaTable(): void {
  const body = byId('sla-rows');
  const rows = [...slaRows].sort(compareRows);
  body.replaceChildren(
    ...rows.map((row) =>
      el(
        'tr',
        {},
        el('th', { scope: 'row' }, row.name),
        el('td', {}, formatCount(row.tickets)),
        el('td', { class: row.attainment !== null && row.attainment < 0.8 ? 'cell-bad' : '' }, formatShare(row.attainment)),
        el('td', {}, formatHours(row.p90)),
        el('td', {}, formatCount(row.backlog)),
      ),
    ),
  );
  for (const header of document.querySelectorAll<HTMLElement>('#sla-table th[data-sort]')) {
    const active = header.dataset.sort === slaSort.key;
    if (active) header.setAttribute('aria-sort', slaSort.direction);
    else header.removeAttribute('aria-sort');
    const indicator = header.querySelector('.sort-indicator');
    if (indicator) indicator.textContent = active ? (slaSort.direction === 'ascending' ? '▲' : '▼') : '';
  }
  byId('sla-empty').hidden = rows.length > 0;
}

function bindSortButtons(): void {
  for (const button of document.querySelectorAll<HTMLButtonElement>('#sla-table th[data-sort] button')) {
    button.addEventListener('click', () => {
      const key = button.closest<HTMLElement>('th')?.dataset.sort as SortKey;
      slaSort =
        slaSort.key === key
          ? { key, direction: slaSort.direction === 'ascending' ? 'descending' : 'ascending' }
          : { key, direction: key === 'name' || key === 'attainment' ? 'ascending' : 'descending' };
      renderSlaTable();
    });
  }
}

function renderWorklist(body: Json): void {
  const rows = byId('worklist-rows');
  const tickets = arrayAt(body, 'tickets');
  const total = numberAt(body, 'total');
  byId('worklist-count').textContent =
    total === null ? '' : `Top ${Math.min(tickets.length, 25)} of ${formatCount(total)} open tickets, most urgent first.`;
  rows.replaceChildren(
    ...tickets.slice(0, 25).map((ticket) => {
      const id = stringAt(ticket, 'ticket_id') ?? '?';
      const url = stringAt(ticket, 'url');
      const status = stringAt(ticket, 'sla_status') ?? '';
      const probability = numberAt(ticket, 'sla_breach_probability');
      const hoursLeft = numberAt(ticket, 'hours_left');
      const link = url ? el('a', { href: url, target: '_blank', rel: 'noopener noreferrer' }, id) : id;
      const statusText = status === 'breached' ? 'Breached' : status === 'at_risk' ? 'At risk' : status === 'on_track' ? 'On track' : '—';
      return el(
        'tr',
        {},
        el('td', {}, String(numberAt(ticket, 'rank') ?? '')),
        el('th', { scope: 'row' }, link),
        el('td', {}, stringAt(ticket, 'request_type') ?? '—'),
        el('td', {}, el('span', { class: `status status-${status}` }, statusText)),
        el('td', {}, hoursLeft === null ? '—' : hoursLeft < 0 ? `${formatHours(-hoursLeft)} overdue` : `${formatHours(hoursLeft)} left`),
        el('td', {}, probability === null ? '—' : `${Math.round(probability * 100)}% (${stringAt(ticket, 'risk_level') ?? ''})`),
        el('td', { class: 'factors' }, arrayAt(ticket, 'top_factors').slice(0, 1).join('') || '—'),
      );
    }),
  );
  byId('worklist-empty').hidden = tickets.length > 0;
}

function renderSurges(body: Json): void {
  const list = byId('surge-list');
  const surging = arrayAt(body, 'types').filter((row) => pick(row, 'surging') === true);
  list.replaceChildren(
    ...surging.map((row) =>
      el(
        'li',
        {},
        el('strong', {}, stringAt(row, 'display_name', 'displayName', 'name', 'request_type') ?? '?'),
        `: ${formatCount(numberAt(row, 'last_7_days', 'count'))} in the last 7 days, usual ${oneDecimal.format(
          numberAt(row, 'usual_weekly', 'usual') ?? 0,
        )} a week`,
      ),
    ),
  );
  byId('surge-none').hidden = surging.length > 0;
}

/** A panel whose data could not be had says why in its status line, and hides its body until the next load. */
function showPanelStatus(section: HTMLElement | null, message: string | null): void {
  if (!section) return;
  const status = section.querySelector<HTMLElement>('.panel-status');
  const body = section.querySelector<HTMLElement>('.panel-body');
  section.classList.toggle('panel-unavailable', message !== null);
  if (status) {
    status.textContent = message ?? '';
    status.hidden = message === null;
  }
  if (body) body.hidden = message !== null;
}

// ---- one load of every panel --------------------------------------------------------------------

let controller: AbortController | undefined;

function setBanner(notices: Set<string>, stale: boolean): void {
  const banner = byId('stale-banner');
  banner.hidden = notices.size === 0;
  banner.classList.toggle('banner-stale', stale);
  byId('stale-text').textContent = [...notices].join(' ');
}

/**
 * Replies that do not depend on the date window (the model card, the worklist for the same type
 * and district) are kept for the page's life, so a filter change does not ask for them again.
 */
const keptReplies = new Map<string, Promise<Json>>();
const KEPT_PANELS: ReadonlySet<Panel> = new Set(['worklist', 'model']);

function fetchPanel(panel: Panel, path: string, signal: AbortSignal): Promise<Json> {
  if (!KEPT_PANELS.has(panel)) return fetchJson(path, signal);
  const kept = keptReplies.get(path);
  if (kept) return kept;
  // Not tied to one load's signal: a newer load may still use the reply.
  const reply = fetchJson(path, new AbortController().signal);
  keptReplies.set(path, reply);
  reply.catch(() => keptReplies.delete(path));
  return reply;
}

/** One panel's load: its request, then drawing (or reporting) what came back. */
interface PanelLoad<T> {
  fetch: () => Promise<T>;
  draw: (body: T) => T;
  fail: (reason: unknown) => void;
}

/**
 * Sends the requests in page order with at most `limit` in flight: the server's PGlite answers one
 * query at a time, so calls sent all at once interleave and every panel waits for the slowest,
 * while calls in page order paint the top of the page first at the same total time. Each reply's
 * next request is sent before the reply is drawn, so the server works while the page draws.
 */
async function inOrder<T>(loads: PanelLoad<T>[], limit: number, after?: () => Promise<void>): Promise<PromiseSettledResult<T>[]> {
  const results: PromiseSettledResult<T>[] = new Array(loads.length);
  let next = 0;
  let settled = 0;
  // `after` takes the first free slot once every panel's request has been sent.
  let afterDone: Promise<void> | undefined;
  return new Promise((resolve) => {
    const finish = () => {
      settled += 1;
      if (settled === loads.length) void (afterDone ?? Promise.resolve()).then(() => resolve(results));
    };
    const launch = () => {
      if (next >= loads.length) {
        afterDone ??= after ? after().catch(() => undefined) : Promise.resolve();
        return;
      }
      const index = next;
      next += 1;
      const load = loads[index]!;
      load.fetch().then(
        (body) => {
          launch();
          try {
            results[index] = { status: 'fulfilled', value: load.draw(body) };
          } catch (reason) {
            results[index] = { status: 'rejected', reason };
          }
          finish();
        },
        (reason: unknown) => {
          launch();
          load.fail(reason);
          results[index] = { status: 'rejected', reason };
          finish();
        },
      );
    };
    if (loads.length === 0) {
      launch();
      void afterDone?.then(() => resolve(results));
    }
    for (let started = 0; started < Math.min(limit, loads.length); started += 1) launch();
  });
}

let loads = 0;

/** One load of every panel; `after` (the filter lists on the first load) is queued behind them. */
async function loadAll(filters: Filters, after?: () => Promise<void>): Promise<void> {
  controller?.abort();
  controller = new AbortController();
  const { signal } = controller;
  loads += 1;
  const firstLoad = loads === 1;
  document.body.dataset.ready = 'false';
  document.body.setAttribute('aria-busy', 'true');
  performance.mark('dashboard:load-start');
  const paths = panelPaths(filters);
  const notices = new Set<string>();
  let stale = false;
  let unauthorized = false;
  // Each panel is drawn as soon as its reply arrives; the page is "ready" when the last one is.
  const results = await inOrder(
    PANELS.map((panel) => ({
      fetch: () => fetchPanel(panel, paths[panel], signal),
      draw: (body: Json) => {
        if (signal.aborted) return body;
        const section = document.querySelector<HTMLElement>(`[data-panel="${panel}"]`);
        showPanelStatus(section, null);
        const notice = stringAt(body, 'notice');
        if (notice) notices.add(notice);
        if (pick(body, 'stale') === true) stale = true;
        try {
          // Timed so the dashboard bench can say where the first load's time goes.
          const drawStarted = performance.now();
          renderPanel(panel, body);
          performance.measure(`dashboard:draw:${panel}`, { start: drawStarted });
        } catch (error) {
          showPanelStatus(section, `Not available: ${error instanceof Error ? error.message : String(error)}`);
        }
        if (panel === 'summary') {
          showWindow(filters, body);
          if (firstLoad) performance.mark('dashboard:first-figure');
        }
        return body;
      },
      fail: (error: unknown) => {
        if (error instanceof HttpError && error.status === 401) unauthorized = true;
        if (!signal.aborted) {
          const section = document.querySelector<HTMLElement>(`[data-panel="${panel}"]`);
          showPanelStatus(section, `Not available: ${error instanceof Error ? error.message : 'the request failed.'}`);
        }
      },
    })),
    CONCURRENT_CALLS,
    after,
  );
  if (signal.aborted) return;
  if (unauthorized) notices.add('You are not signed in, so the figures cannot be shown.');
  const signIn = byId<HTMLAnchorElement>('sign-in');
  signIn.hidden = !unauthorized;
  // Back to this very view (its filters) after signing in.
  signIn.href = `/login?${new URLSearchParams({ next: `${location.pathname}${location.search}` })}`;
  setBanner(notices, stale);
  if (results[0].status === 'rejected') showWindow(filters, null);
  document.body.removeAttribute('aria-busy');
  document.body.dataset.ready = 'true';
  if (firstLoad) performance.mark('dashboard:ready');
}

/** The header line and the form's dates, from the summary (the first reply, so early). */
function showWindow(filters: Filters, summary: Json): void {
  const asOf = stringAt(summary, 'as_of');
  byId('as-of').textContent = asOf ? `As of ${formatDate(asOf)}` : '';
  const since = stringAt(summary, 'window.since', 'since');
  const until = stringAt(summary, 'window.until', 'until');
  byId('window-text').textContent = since && until ? `· tickets created ${since} to ${until}` : '';
  // Without dates in the URL the server picks the window; show it in the form.
  if (since && !filters.since) byId<HTMLInputElement>('filter-since').value = since;
  if (until && !filters.until) byId<HTMLInputElement>('filter-until').value = until;
  const ignored = arrayAt(summary, 'filters.ignored').filter((item) => typeof item === 'string');
  byId('filter-note').textContent = ignored.length > 0 ? `The headline SLA figures do not apply the ${ignored.join(', ')} filter.` : '';
}

function renderPanel(panel: Panel, body: Json): void {
  switch (panel) {
    case 'summary':
      renderSummary(body);
      return;
    case 'sla-by-type':
      slaRows = readSlaRows(body);
      renderSlaTable();
      if (pick(body, 'chart')) drawChart(panel, pick(body, 'chart'), chartTitle(pick(body, 'chart')) ?? 'SLA attainment by type');
      return;
    case 'worklist':
      renderWorklist(body);
      return;
    case 'surges':
      renderSurges(body);
      drawChart(panel, pick(body, 'chart'), describeChart(body, 'Surging request types: last 7 days against the usual week'));
      return;
    case 'model':
      renderModel(body);
      // With no model there is no calibration to draw: the notice takes the card's whole width.
      if (!pick(body, 'chart')) {
        document.querySelector('[data-chart="calibration"]')?.replaceChildren();
        return;
      }
      drawChart(
        'calibration',
        pick(body, 'chart'),
        stringAt(body, 'calibration.description') ??
          'Calibration: predicted breach probability against the observed breach rate on the test period',
      );
      return;
    default:
      drawChart(panel, pick(body, 'chart'), describeChart(body, panelLabel(panel)));
  }
}

function panelLabel(panel: Panel): string {
  return document.querySelector(`[data-panel="${panel}"] h2`)?.textContent ?? panel;
}

/** The text alternative of a chart: its title and the figures a reader needs from it. */
function describeChart(body: Json, fallback: string): string {
  const title = chartTitle(pick(body, 'chart')) ?? fallback;
  return [title, summarizeData(body)].filter(Boolean).join('. ');
}

function summarizeData(body: Json): string {
  const weeks = arrayAt(body, 'weeks');
  if (weeks.length > 0) {
    const above = weeks.filter((week) => pick(week, 'above_usual') === true).length;
    return `${formatCount(numberAt(body, 'total'))} tickets over ${weeks.length} weeks; ${above} week${above === 1 ? '' : 's'} above the usual band`;
  }
  const points = arrayAt(body, 'points');
  if (points.length > 0) {
    const first = points[0];
    const last = points[points.length - 1];
    return `${formatCount(numberAt(first, 'open'))} open on ${stringAt(first, 'date')}, ${formatCount(numberAt(last, 'open'))} open on ${stringAt(last, 'date')}`;
  }
  const surging = numberAt(body, 'surging');
  if (surging !== null) return `${surging} request type${surging === 1 ? '' : 's'} surging`;
  return stringAt(body, 'summary_text', 'description') ?? '';
}

// ---- filters ----------------------------------------------------------------------------------

async function loadFilterOptions(filters: Filters): Promise<void> {
  const body = await fetchJson(filterOptionsPath(filters), new AbortController().signal).catch(() => null);
  const fill = (id: string, options: Json[], selected: string, everyLabel: string) => {
    const select = byId<HTMLSelectElement>(id);
    const items = options.map((option) =>
      typeof option === 'string'
        ? { value: option, label: option }
        : {
            value: stringAt(option, 'type_key', 'value', 'key', 'district', 'id') ?? '',
            label: stringAt(option, 'display_name', 'label', 'name', 'district') ?? '',
          },
    );
    select.replaceChildren(
      el('option', { value: '' }, everyLabel),
      ...items.filter((item) => item.value).map((item) => el('option', { value: item.value }, item.label || item.value)),
    );
    select.value = selected;
    if (select.value !== selected && selected) select.append(el('option', { value: selected, selected: '' }, selected));
  };
  if (!body) return;
  showCities(arrayAt(body, 'cities'));
  fill('filter-type', arrayAt(body, 'request_types', 'types'), filters.type, 'All request types');
  fill('filter-district', arrayAt(body, 'districts'), filters.district, 'All districts');
  const minDate = stringAt(body, 'data_from', 'min_date', 'first_date');
  const maxDate = stringAt(body, 'data_through', 'max_date', 'last_date');
  for (const id of ['filter-since', 'filter-until']) {
    const input = byId<HTMLInputElement>(id);
    if (minDate) input.min = minDate.slice(0, 10);
    if (maxDate) input.max = maxDate.slice(0, 10);
  }
}

/**
 * The city menu appears when the warehouse holds more than one city; choosing one opens that
 * city's dashboard afresh (its types and districts are its own, so the other filters reset).
 */
function showCities(cities: Json[]): void {
  const items = cities.map((city) => ({
    value: stringAt(city, 'value') ?? '',
    label: stringAt(city, 'label') ?? '',
    current: (city as { current?: unknown } | null)?.current === true,
  }));
  const current = items.find((item) => item.current);
  if (current) byId('city-name').textContent = ` — ${current.label}`;
  if (items.length < 2) return;
  const select = byId<HTMLSelectElement>('filter-city');
  select.replaceChildren(...items.map((item) => el('option', { value: item.value }, item.label || item.value)));
  if (current) select.value = current.value;
  byId('city-field').hidden = false;
}

function writeForm(filters: Filters): void {
  byId<HTMLInputElement>('filter-since').value = filters.since;
  byId<HTMLInputElement>('filter-until').value = filters.until;
  byId<HTMLSelectElement>('filter-type').value = filters.type;
  byId<HTMLSelectElement>('filter-district').value = filters.district;
}

function readForm(city: string | undefined): Filters {
  return {
    city,
    since: byId<HTMLInputElement>('filter-since').value,
    until: byId<HTMLInputElement>('filter-until').value,
    type: byId<HTMLSelectElement>('filter-type').value,
    district: byId<HTMLSelectElement>('filter-district').value,
  };
}

function start(): void {
  const form = byId<HTMLFormElement>('filters');
  let filters = readFilters(location.search);
  writeForm(filters);
  bindSortButtons();
  // A change event that leaves the filters as they are (a date field fires on input and again on
  // blur) asks for nothing; only the form's submit reloads the same view on purpose.
  const apply = (reason: 'change' | 'submit') => {
    const next = readForm(filters.city);
    if (reason === 'change' && queryOf(next) === queryOf(filters)) return;
    filters = next;
    history.pushState(null, '', `${location.pathname}${queryOf(filters)}`);
    void loadAll(filters);
  };
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    apply('submit');
  });
  // Selects apply at once; dates on change (after the picker closes or the field is left).
  for (const id of ['filter-type', 'filter-district', 'filter-since', 'filter-until'])
    byId(id).addEventListener('change', () => apply('change'));
  byId('filter-reset').addEventListener('click', (event) => {
    event.preventDefault();
    writeForm({ since: '', until: '', type: '', district: '' });
    apply('change');
  });
  byId<HTMLSelectElement>('filter-city').addEventListener('change', (event) => {
    const city = (event.target as HTMLSelectElement).value;
    location.assign(`${location.pathname}${queryOf({ since: '', until: '', type: '', district: '', city })}`);
  });
  window.addEventListener('popstate', () => {
    filters = readFilters(location.search);
    writeForm(filters);
    void loadAll(filters);
  });
  // The filter lists come after the panels: the form already shows the URL's choices.
  void loadAll(filters, () => loadFilterOptions(filters));
}

start();
