/**
 * The dashboard's HTML shell: landmarks, the filter form (prefilled from the query so it also
 * works as a plain GET form without the script) and an empty panel per figure, which the
 * browser script fills from the JSON API. No inline script or style, so the CSP can forbid both.
 */
import { CONCURRENT_CALLS, PANELS, panelPaths, readFilters } from './client/dashboard-query.js';

export interface DashboardPageOptions {
  /** URLs of the bundled assets (content-hashed names, served under /assets/). */
  scriptUrl: string;
  styleUrl: string;
  /** The filter state of the request, echoed into the form. */
  query: URLSearchParams;
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (char) => ESCAPES[char]);
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;

function dateValue(query: URLSearchParams, key: string): string {
  const value = query.get(key) ?? '';
  return DATE.test(value) ? value : '';
}

function chartPanel(panel: string, title: string, note: string, extraClass = ''): string {
  return `
      <section class="panel ${extraClass}" data-panel="${panel}" aria-labelledby="${panel}-title">
        <h2 id="${panel}-title">${title}</h2>
        <p class="panel-note">${note}</p>
        <p class="panel-status" hidden></p>
        <div class="panel-body">
          <div class="chart" data-chart="${panel}"><p class="loading">Loading…</p></div>
        </div>
      </section>`;
}

function sortHeader(key: string, label: string): string {
  return `<th scope="col" data-sort="${key}"><button type="button">${label} <span class="sort-indicator" aria-hidden="true"></span></button></th>`;
}

/**
 * The first API calls the script will make, started from the head while the script loads. The
 * script's fetch must match them (same URL, CORS mode, credentials, no custom header) to reuse them.
 */
function preloadLinks(query: URLSearchParams): string {
  const paths = panelPaths(readFilters(query));
  return PANELS.slice(0, CONCURRENT_CALLS)
    .map((panel) => `<link rel="preload" as="fetch" crossorigin="anonymous" href="${escapeHtml(paths[panel])}">`)
    .join('\n  ');
}

/** The whole page for GET /. */
export function renderDashboardPage(options: DashboardPageOptions): string {
  const { query } = options;
  const since = dateValue(query, 'since');
  const until = dateValue(query, 'until');
  const type = escapeHtml(query.get('type') ?? '');
  const district = escapeHtml(query.get('district') ?? '');
  const city = escapeHtml(query.get('city')?.trim() ?? '');
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <meta name="color-scheme" content="light">
  <link rel="icon" href="data:,">
  <title>CivicOps-311 — 311 operations dashboard</title>
  <link rel="stylesheet" href="${escapeHtml(options.styleUrl)}">
  <script type="module" src="${escapeHtml(options.scriptUrl)}"></script>
  ${preloadLinks(query)}
</head>
<body data-ready="false" aria-busy="true">
  <a class="skip-link" href="#main">Skip to the figures</a>
  <header class="top" role="banner">
    <div class="brand">
      <p class="product">CivicOps-311</p>
      <h1>311 operations<span id="city-name"></span></h1>
    </div>
    <p class="as-of"><span id="as-of"></span> <span id="window-text"></span></p>
    <nav aria-label="Other pages"><a href="/docs">API docs</a></nav>
  </header>
  <form id="filters" class="filters" method="get" action="/" role="search" aria-label="Filters">
    ${city ? `<input type="hidden" name="city" value="${city}">` : ''}
    <div class="field" id="city-field" hidden>
      <label for="filter-city">City</label>
      <select id="filter-city"><option value="${city}">${city || 'This city'}</option></select>
    </div>
    <div class="field">
      <label for="filter-since">From</label>
      <input id="filter-since" name="since" type="date" value="${since}">
    </div>
    <div class="field">
      <label for="filter-until">To</label>
      <input id="filter-until" name="until" type="date" value="${until}">
    </div>
    <div class="field">
      <label for="filter-type">Request type</label>
      <select id="filter-type" name="type"><option value="">All request types</option>${type ? `<option value="${type}" selected>${type}</option>` : ''}</select>
    </div>
    <div class="field">
      <label for="filter-district">District</label>
      <select id="filter-district" name="district"><option value="">All districts</option>${district ? `<option value="${district}" selected>${district}</option>` : ''}</select>
    </div>
    <div class="actions">
      <button type="submit">Apply</button>
      <button type="button" id="filter-reset" class="secondary">Reset</button>
    </div>
    <p id="filter-note" class="filter-note" aria-live="polite"></p>
  </form>
  <div id="stale-banner" class="banner" role="status" hidden>
    <p><strong>Data notice:</strong> <span id="stale-text"></span> <a id="sign-in" href="/login" hidden>Sign in</a></p>
  </div>
  <main id="main" tabindex="-1">
    <section class="panel panel-wide" data-panel="summary" aria-labelledby="summary-title">
      <h2 id="summary-title">Headline figures</h2>
      <p class="panel-note">For the window, against the previous window of the same length and against the usual.</p>
      <p class="panel-status" hidden></p>
        <div class="panel-body"><ul id="summary-cards" class="cards"><li class="loading">Loading…</li></ul></div>
    </section>
    <section class="panel panel-wide" data-panel="sla-by-type" aria-labelledby="sla-by-type-title">
      <h2 id="sla-by-type-title">SLA attainment by request type</h2>
      <p class="panel-note">Worst first. Sort by any column with its header button.</p>
      <p class="panel-status" hidden></p>
        <div class="panel-body sla-layout">
        <div class="table-scroll" tabindex="0" role="region" aria-labelledby="sla-by-type-title">
          <table id="sla-table">
            <caption class="visually-hidden">SLA attainment, P90 hours to close and backlog by request type</caption>
            <thead><tr>${sortHeader('name', 'Request type')}${sortHeader('tickets', 'Tickets')}${sortHeader('attainment', 'Attained')}${sortHeader('p90', 'P90 to close')}${sortHeader('backlog', 'Backlog')}</tr></thead>
            <tbody id="sla-rows"></tbody>
          </table>
          <p id="sla-empty" class="empty" hidden>No tickets in this window.</p>
        </div>
        <div class="chart" data-chart="sla-by-type"></div>
      </div>
    </section>
    ${chartPanel('volume', 'Weekly volume', 'Tickets created each city week, with the usual band.')}
    ${chartPanel('backlog', 'Backlog over time', 'Open tickets at the end of each day.')}
    <section class="panel" data-panel="surges" aria-labelledby="surges-title">
      <h2 id="surges-title">Surging request types</h2>
      <p class="panel-note">The digest's rule: at least 10 in the last 7 days, at least twice the usual week, and Poisson tail below 0.01.</p>
      <p class="panel-status" hidden></p>
        <div class="panel-body">
        <ul id="surge-list" class="surge-list"></ul>
        <p id="surge-none" class="empty" hidden>No request type is surging.</p>
        <div class="chart" data-chart="surges"></div>
      </div>
    </section>
    ${chartPanel('forecast', 'Forecast', 'Expected tickets per day, with its interval.')}
    <section class="panel panel-wide" data-panel="worklist" aria-labelledby="worklist-title">
      <h2 id="worklist-title">Worklist</h2>
      <p class="panel-note" id="worklist-count">The open tickets to work on first.</p>
      <p class="panel-status" hidden></p>
        <div class="panel-body">
        <div class="table-scroll table-full" tabindex="0" role="region" aria-labelledby="worklist-title">
          <table>
            <caption class="visually-hidden">The 25 open tickets to work on first; each id opens the city's ticket page</caption>
            <thead><tr><th scope="col">#</th><th scope="col">Ticket</th><th scope="col">Request type</th><th scope="col">SLA</th><th scope="col">Time</th><th scope="col">Breach risk</th><th scope="col">Main reason</th></tr></thead>
            <tbody id="worklist-rows"></tbody>
          </table>
          <p id="worklist-empty" class="empty" hidden>No open tickets match.</p>
        </div>
      </div>
    </section>
    <section class="panel panel-wide" data-panel="model" aria-labelledby="model-title">
      <h2 id="model-title">Model card</h2>
      <p class="panel-note">The breach-risk model behind the worklist and the at-risk count.</p>
      <p class="panel-status" hidden></p>
      <div class="panel-body">
        <p id="model-stale" class="banner model-stale" role="status" hidden></p>
        <div class="model-layout">
          <dl id="model-facts" class="facts"></dl>
          <div class="chart" data-chart="calibration"></div>
        </div>
        <div class="model-tables">
          <section class="model-block" aria-labelledby="model-health-title">
            <h3 id="model-health-title">Model health</h3>
            <div id="model-health"></div>
          </section>
          <section class="model-block" aria-labelledby="model-reliability-title">
            <h3 id="model-reliability-title">Reliability (10 bins, test period)</h3>
            <div id="model-reliability"></div>
          </section>
          <section class="model-block" aria-labelledby="model-backtest-title">
            <h3 id="model-backtest-title">Rolling-origin backtest</h3>
            <div id="model-backtest"></div>
          </section>
        </div>
      </div>
    </section>
  </main>
  <footer class="foot"><p>Figures come from the warehouse's JSON API (<a href="/docs">/docs</a>); the same numbers as <code>civicops report --json</code>.</p></footer>
</body>
</html>
`;
}
