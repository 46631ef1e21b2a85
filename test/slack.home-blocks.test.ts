import { describe, expect, it } from 'vitest';
import { resolveDataClock } from '../src/analytics/data-clock.js';
import type { SlaPeriod, Trend, TypeSlaSummary } from '../src/analytics/sla-report.js';
import { summarizeForecastTotal, type ForecastTotal } from '../src/forecast/forecast-summary.js';
import type { WorkloadForecastResult } from '../src/forecast/forecast-workload.js';
import { describeForecastLine } from '../src/slack/blocks/forecast-line.js';
import {
  buildHomeErrorView,
  buildHomeView,
  HOME_WORKLIST_TICKETS,
  MAX_HOME_BLOCKS,
  type HomeViewInput,
} from '../src/slack/blocks/home-blocks.js';
import { buildTypeSlaMessage, SLA_AT_RISK_TICKETS } from '../src/slack/blocks/sla-blocks.js';
import { describeTimeLeft, fitMrkdwn } from '../src/slack/blocks/ticket-lines.js';
import type { TypeSlaSnapshot } from '../src/slack/listeners/shared/sla-snapshot.query.js';
import type { WorklistTicket } from '../src/worklist/build-worklist.js';
import { collectBlockText } from './slack.app.harness.js';

const timeZone = 'America/New_York';
const HOSTILE = '<!channel> Trash & <@U0EVIL> <https://evil.example|click> >';
/** A type name as long as any the city could send (dim_request_type has no length limit). */
const LONGEST_NAME = `${HOSTILE} ${'Very Long Request Type Name '.repeat(40)}`;

const trend = (current: number | null, previous: number | null): Trend => ({
  current,
  previous,
  change: current === null || previous === null ? null : current - previous,
  relativeChange: null,
});

function period(input: Partial<SlaPeriod>): SlaPeriod {
  return {
    since: new Date('2023-06-12T04:00:00Z'),
    until: new Date('2023-07-10T04:00:00Z'),
    tickets: 40,
    withKnownOutcome: 30,
    metSla: 12,
    breached: 18,
    attainment: 0.4,
    p50HoursToClose: 50,
    p90HoursToClose: 140,
    backlog: 22,
    backlogAt: new Date('2023-07-10T04:00:00Z'),
    ...input,
  };
}

function summary(name: string, attainment: number): TypeSlaSummary {
  const current = period({ attainment });
  return {
    typeKey: name.toLowerCase().replace(/[^a-z0-9]+/g, '_'),
    displayName: name,
    slaHours: 72,
    current,
    previous: period({}),
    trends: {
      tickets: trend(40, 40),
      attainment: trend(attainment, 0.4),
      p50HoursToClose: trend(50, 50),
      p90HoursToClose: trend(140, 140),
      backlog: trend(22, 22),
    },
  };
}

function ticket(index: number, overrides: Partial<WorklistTicket> = {}): WorklistTicket {
  return {
    rank: index + 1,
    ticket_id: `T${1000 + index}`,
    request_type: 'Road Repair',
    created_at: '2023-07-08T12:00:00.000Z',
    due_at: '2023-07-11T12:00:00.000Z',
    sla_hours: 72,
    hours_left: 5 - index,
    sla_status: 'at_risk',
    sla_breach_probability: 0.72,
    risk_level: 'High',
    top_factors: [],
    address: '123 NW 1st Ave',
    district: 'District 2',
    url: `https://311.example.gov/tickets/T${1000 + index}`,
    ...overrides,
  };
}

const forecast: ForecastTotal = {
  firstDay: '2023-07-10',
  lastDay: '2023-07-16',
  days: 7,
  expected: 84.4,
  low: 70,
  high: 99,
  keepFlatPerDay: 12.06,
  backlog: 300,
  stale: true,
};

function homeInput(overrides: Partial<HomeViewInput> = {}): HomeViewInput {
  return {
    headline: { ticketsLast7Days: 87, ticketsPrevious7Days: 75, attainment: 0.71, judged: 310, windowDays: 28, backlog: 412 },
    worstTypes: ['Graffiti', 'Abandoned Vehicle', 'Sidewalk Repair', 'Road Repair', 'Tree Trimming', 'Noise'].map((name, index) =>
      summary(name, 0.2 + index * 0.1),
    ),
    worklist: { kind: 'ranked', tickets: [ticket(0), ticket(1)], atRiskTotal: 17, breachedTotal: 140, modelVersion: '2023-07-10-gbt' },
    forecast,
    dataClock: resolveDataClock(new Date('2023-07-09T23:40:00Z'), new Date('2026-12-01T12:00:00Z')),
    timeZone,
    ...overrides,
  };
}

/** Every text of the view within Slack's limits, and the block count too. */
function expectWithinLimits(blocks: readonly Record<string, unknown>[]): void {
  expect(blocks.length).toBeLessThanOrEqual(MAX_HOME_BLOCKS);
  for (const block of blocks) {
    const text = (block.text as { text?: string } | undefined)?.text;
    if (block.type === 'header') expect(text?.length).toBeLessThanOrEqual(150);
    if (block.type === 'section') {
      if (text !== undefined) expect(text.length).toBeLessThanOrEqual(3000);
      const fields = (block.fields as { text: string }[] | undefined) ?? [];
      expect(fields.length).toBeLessThanOrEqual(10);
      for (const field of fields) expect(field.text.length).toBeLessThanOrEqual(2000);
    }
    if (block.type === 'context') {
      for (const element of block.elements as { text: string }[]) expect(element.text.length).toBeLessThanOrEqual(3000);
    }
    if (typeof block.block_id === 'string') expect(block.block_id.length).toBeLessThanOrEqual(255);
  }
}

describe('Home tab view (pure)', () => {
  it('shows the data age, the headline figures, the five worst types, the worklist with links and the forecast line', () => {
    const view = buildHomeView(homeInput());
    expect(view.type).toBe('home');
    expect(view.blocks[0]?.type).toBe('header');
    const text = collectBlockText(view.blocks);
    expect(text).toContain('As of Jul 9, 2023, 7:40 PM (data ends Jul 9, 2023, 7:40 PM)');
    expect(text).toContain('*Tickets, last 7 days*\n*87*\n↑ +16% vs the week before');
    expect(text).toContain('*SLA attainment, last 28 days*\n*71%*\n310 tickets judged');
    expect(text).toContain('*Backlog*\n*412* open');
    expect(text).toContain('*At risk now*\n*17* at risk\n140 already past SLA');
    expect(text).toContain('1. *Graffiti* — 20% within 72 h · 18 breached · 22 open');
    expect(text).toContain('5. *Tree Trimming*');
    expect(text).not.toContain('Noise');
    expect(text).toContain('top 2 of 17 at risk');
    expect(text).toContain(
      '*1.* <https://311.example.gov/tickets/T1000|T1000> · Road Repair · 123 NW 1st Ave\ndue in 5 h · 72% breach risk · High',
    );
    expect(text).toContain('Next 7 days (Jul 10–16, 2023): ~84 tickets expected (80%: 70–99); close ≥ 13/day to keep the backlog flat');
    expect(text).toContain('open it again to refresh');
    expectWithinLimits(view.blocks as unknown as Record<string, unknown>[]);
  });

  it('says "as of" without a warning when the data is current', () => {
    const now = new Date('2023-07-10T12:00:00Z');
    const view = buildHomeView(homeInput({ dataClock: resolveDataClock(new Date('2023-07-10T11:00:00Z'), now) }));
    const text = collectBlockText(view.blocks);
    expect(text).toContain('As of Jul 10, 2023, 8:00 AM (America/New_York).');
    expect(text).not.toContain('data ends');
  });

  it('without a model the worklist says to run civicops train', () => {
    const text = collectBlockText(buildHomeView(homeInput({ worklist: { kind: 'no_model' } })).blocks);
    expect(text).toContain('No model trained yet (run `civicops train`; it also runs nightly)');
    expect(text).toContain('No model trained yet\n(run `civicops train`)');
  });

  it('stays within Block Kit limits with 1,000 tickets, the longest type names and hostile text, escaping every piece of data', () => {
    const tickets = Array.from({ length: 1_000 }, (_, index) =>
      ticket(index, {
        ticket_id: `${HOSTILE}${'9'.repeat(200)}${index}`,
        request_type: LONGEST_NAME,
        address: `${HOSTILE} ${'Street '.repeat(500)}`,
        url: `https://311.example.gov/tickets/${index}?a=1&b=<2>|x`,
      }),
    );
    const worstTypes = Array.from({ length: 50 }, (_, index) => summary(`${LONGEST_NAME} ${index}`, index / 100));
    const view = buildHomeView(
      homeInput({
        worstTypes,
        worklist: { kind: 'ranked', tickets, atRiskTotal: 1_000, breachedTotal: 5_000, modelVersion: HOSTILE.repeat(20) },
      }),
    );
    expectWithinLimits(view.blocks as unknown as Record<string, unknown>[]);
    expect(view.blocks.length).toBeLessThan(30);
    const text = collectBlockText(view.blocks);
    // Only the first 10 tickets are listed.
    expect(text.match(/ · 72% breach risk · High/g)).toHaveLength(HOME_WORKLIST_TICKETS);
    expect(text).toContain('top 10 of 1,000 at risk');
    // No raw control sequence survives: every <…> left is one of our links.
    expect(text).not.toContain('<!channel>');
    expect(text).not.toContain('<@U0EVIL>');
    expect(text).not.toContain('<https://evil.example');
    expect(text).toContain('&lt;!channel&gt; Trash &amp; &lt;@U0EVIL&gt;');
    for (const link of text.match(/<[^>]*>/g) ?? [])
      expect(link).toMatch(/^<https:\/\/311\.example\.gov\/tickets\/\d+\?a=1&amp;b=&lt;2&gt;%7Cx\|/);
    // Cuts never leave half an entity behind.
    expect(text).not.toMatch(/&[a-z]{0,3}…/);
  });

  it('an error view carries the message and a retry hint', () => {
    const view = buildHomeErrorView(':x: Something went wrong (reference `abcd1234`).');
    expect(view.type).toBe('home');
    expect(collectBlockText(view.blocks)).toContain('reference `abcd1234`');
    expect(collectBlockText(view.blocks)).toContain('Open this tab again to retry.');
  });
});

describe('forecast line and total', () => {
  const result = (expected: number[], dispersion: number | null): WorkloadForecastResult =>
    ({
      as_of: '2023-07-09',
      stale: false,
      horizon_days: expected.length,
      horizon: expected.map((value, index) => ({ date: `2023-07-${10 + index}`, weekday: 'x', expected: value, low: 0, high: 0 })),
      model: { dispersion_size: dispersion },
      closures: { keep_backlog_flat_per_day: expected.reduce((a, b) => a + b, 0) / expected.length },
      backlog: { open: 5, at: '2023-07-10T04:00:00Z' },
    }) as unknown as WorkloadForecastResult;

  it('gives the 80% range of the week total, narrower than the sum of daily ranges', () => {
    const poisson = summarizeForecastTotal(result([10, 10, 10, 10, 10, 10, 10], null));
    expect(poisson.expected).toBeCloseTo(70, 10);
    // Poisson(70): 10th percentile 59, 90th 81.
    expect([poisson.low, poisson.high]).toEqual([59, 81]);
    const spread = summarizeForecastTotal(result([10, 10, 10, 10, 10, 10, 10], 5));
    expect(spread.low).toBeLessThan(poisson.low);
    expect(spread.high).toBeGreaterThan(poisson.high);
    expect(summarizeForecastTotal(result([0, 0, 0], null))).toMatchObject({ expected: 0, low: 0, high: 0 });
  });

  it('reads as one sentence with the days, the range and the closures needed', () => {
    expect(describeForecastLine({ ...forecast, keepFlatPerDay: 4.25 })).toBe(
      'Next 7 days (Jul 10–16, 2023): ~84 tickets expected (80%: 70–99); close ≥ 4.3/day to keep the backlog flat',
    );
    expect(describeForecastLine({ ...forecast, firstDay: '2023-12-28', lastDay: '2024-01-03' })).toContain('(Dec 28, 2023 – Jan 3, 2024)');
  });
});

describe('/sla "At risk now" section (pure)', () => {
  const snapshot = {
    report: { ...summary('Road Repair', 0.5), scopeTypeKey: 'road_repair', timeZone, weeklyVolume: [], dailyVolume: [] },
    recentVolume: { last7Days: 10, usualWeekly: 8, ratio: 1.25, surging: false },
    weeks: [],
    windowDays: 28,
    now: new Date('2023-07-10T12:00:00Z'),
  } as TypeSlaSnapshot;
  const options = { shareable: true, timeZone };

  it('lists up to five tickets, breached first, each linked with the time left and the probability', () => {
    const tickets = [
      ticket(0, { hours_left: -75, sla_status: 'breached', sla_breach_probability: 0.91 }),
      ticket(1, { hours_left: -7.4, sla_status: 'breached' }),
      ...Array.from({ length: 6 }, (_, index) => ticket(index + 2, { hours_left: 5 })),
    ];
    const message = buildTypeSlaMessage(snapshot, options, {
      kind: 'tickets',
      tickets,
      breachedTotal: 2,
      atRiskTotal: 6,
      asOf: new Date('2023-07-09T23:40:00Z'),
      stale: true,
    });
    const section = message.blocks.find((block) => block.block_id === 'sla_at_risk');
    const text = collectBlockText([section]);
    expect(text).toContain('*At risk now* — 2 past SLA, 6 at risk (as of Jul 9, 2023, where the data ends)');
    expect(text).toContain('• <https://311.example.gov/tickets/T1000|T1000> — 3 d overdue — 91%');
    expect(text).toContain('• <https://311.example.gov/tickets/T1001|T1001> — 7 h overdue — 72%');
    expect(text).toContain('• <https://311.example.gov/tickets/T1002|T1002> — due in 5 h — 72%');
    expect(text.match(/^• /gm)).toHaveLength(SLA_AT_RISK_TICKETS);
    // The section comes before the footnote and adds no button.
    expect(message.blocks.at(-1)?.type).toBe('actions');
  });

  it('says so without a model, and leaves the card as it was without the section', () => {
    const noModel = buildTypeSlaMessage(snapshot, options, { kind: 'no_model' });
    expect(collectBlockText(noModel.blocks)).toContain('*At risk now:* no model trained yet (run `civicops train`)');
    const without = buildTypeSlaMessage(snapshot, options);
    expect(without.blocks.some((block) => block.block_id === 'sla_at_risk')).toBe(false);
    expect(noModel.blocks).toHaveLength(without.blocks.length + 1);
  });

  it("keeps the SLA and the city in a header whose type name is the longest a type may be, within Slack's 150 characters", () => {
    const longName = `${'Abandoned Vehicle on Private Property '.repeat(4)}`.slice(0, 140);
    const long = { ...snapshot, report: { ...snapshot.report, displayName: longName } } as TypeSlaSnapshot;
    const message = buildTypeSlaMessage(long, { ...options, city: 'san-francisco' });
    const header = (message.blocks[0] as { text: { text: string } }).text.text;
    expect(header.length).toBeLessThanOrEqual(150);
    expect(header).toMatch(/^Abandoned Vehicle on Private Property .*… — SLA \d+ h \(san-francisco\)$/);
    expectWithinLimits(message.blocks as unknown as Record<string, unknown>[]);
    const share = JSON.stringify(message.blocks.at(-1));
    expect(share).toContain('san-francisco');
    // The longest city name a profile may have (58 characters) with a 200-character type name.
    const longestCity = `${'a'.repeat(28)}-${'b'.repeat(29)}`;
    const longer = { ...snapshot, report: { ...snapshot.report, displayName: 'Pothole '.repeat(25) } } as TypeSlaSnapshot;
    const longestHeader = (buildTypeSlaMessage(longer, { ...options, city: longestCity }).blocks[0] as { text: { text: string } }).text
      .text;
    expect(longestHeader.length).toBeLessThanOrEqual(150);
    expect(longestHeader.endsWith(`… — SLA ${snapshot.report.slaHours} h (${longestCity})`)).toBe(true);
  });

  it('formats time left in hours, then days, and cuts mrkdwn without splitting entities or links', () => {
    expect(describeTimeLeft(0.4)).toBe('due in under 1 h');
    expect(describeTimeLeft(47.4)).toBe('due in 47 h');
    expect(describeTimeLeft(72)).toBe('due in 3 d');
    expect(describeTimeLeft(-30_000)).toBe('1,250 d overdue');
    expect(fitMrkdwn('abc &amp; def', 7)).toBe('abc…');
    expect(fitMrkdwn('see <https://x.example/long|link> now', 20)).toBe('see…');
    expect(fitMrkdwn('short', 10)).toBe('short');
  });
});
