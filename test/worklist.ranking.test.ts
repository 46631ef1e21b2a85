import { describe, expect, it } from 'vitest';
import {
  classifySlaStatus,
  compareWorklist,
  hoursLeft,
  placeOnWorklist,
  rankWorklist,
  slaDeadline,
  urgencyOf,
  type RankableTicket,
} from '../src/analytics/worklist-ranking.js';
import { toCityParts } from '../src/shared/city-time.js';
import { cityTime } from './helpers/ticket-fixtures.js';

const HOUR = 3_600_000;
const rules = { mediumThreshold: 0.4 };
const asOf = cityTime('2023-07-10 12:00');

/** A ticket created `ageHours` before asOf with a 72 h SLA unless told. */
function ticket(ticketId: string, ageHours: number, probability: number, hours = 72): RankableTicket {
  return { ticketId, createdAt: new Date(asOf.getTime() - ageHours * HOUR), sla: { hours }, probability };
}

const localClock = (instant: Date) => {
  const p = toCityParts(instant, 'America/New_York');
  return `${p.year}-${String(p.month).padStart(2, '0')}-${String(p.day).padStart(2, '0')} ${String(p.hour).padStart(2, '0')}:${String(p.minute).padStart(2, '0')}`;
};

describe('SLA deadline', () => {
  it('is the SLA hours after creation, and hours left turn negative once it passes', () => {
    const created = cityTime('2023-07-03 09:00');
    const due = slaDeadline(created, { hours: 72 });
    expect(due.getTime() - created.getTime()).toBe(72 * HOUR);
    expect(hoursLeft(due, cityTime('2023-07-06 08:00'))).toBe(1);
    expect(hoursLeft(due, cityTime('2023-07-06 21:00'))).toBe(-12);
  });

  it('runs 72 real hours across the spring-forward: Friday 09:00 is due Monday 10:00 on the city clock', () => {
    // US DST starts Sunday 2024-03-10 02:00 in America/New_York.
    const created = cityTime('2024-03-08 09:00');
    const due = slaDeadline(created, { hours: 72 });
    expect(due.getTime() - created.getTime()).toBe(72 * HOUR);
    expect(localClock(due)).toBe('2024-03-11 10:00');
  });

  it('runs 72 real hours across the fall-back: Friday 09:00 is due Monday 08:00 on the city clock', () => {
    // US DST ends Sunday 2024-11-03 02:00 in America/New_York.
    const created = cityTime('2024-11-01 09:00');
    const due = slaDeadline(created, { hours: 72 });
    expect(due.getTime() - created.getTime()).toBe(72 * HOUR);
    expect(localClock(due)).toBe('2024-11-04 08:00');
  });
});

describe('status of an open ticket', () => {
  it('is breached past the deadline (not at it), at risk above the Medium threshold or within 24 h, else on track', () => {
    expect(classifySlaStatus(0.1, -0.01, rules)).toBe('breached');
    expect(classifySlaStatus(0.1, 0, rules)).toBe('at_risk');
    expect(classifySlaStatus(0.1, 24, rules)).toBe('at_risk');
    expect(classifySlaStatus(0.1, 24.5, rules)).toBe('on_track');
    expect(classifySlaStatus(0.4, 60, rules)).toBe('at_risk');
    expect(classifySlaStatus(0.39, 60, rules)).toBe('on_track');
  });

  it('urgency is the probability per hour left, the hours floored at 1', () => {
    expect(urgencyOf(0.6, 12)).toBeCloseTo(0.05);
    expect(urgencyOf(0.6, 0.2)).toBe(0.6);
    expect(placeOnWorklist(ticket('X', 100, 0.3), asOf, rules)).toMatchObject({ slaStatus: 'breached', urgency: 0.3, hoursLeft: -28 });
  });
});

describe('worklist order', () => {
  const tickets = [
    ticket('ON-TRACK', 10, 0.2), // 62 h left, p 0.2 → on track
    ticket('AT-RISK-LATER', 12, 0.8), // 60 h left → urgency 0.0133
    ticket('AT-RISK-SOON', 66, 0.3), // 6 h left (due within 24 h) → 0.05
    ticket('AT-RISK-SOONER', 70, 0.5), // 2 h left → 0.25
    ticket('BREACHED-LIKELY', 80, 0.9), // 8 h overdue
    ticket('BREACHED-OLD', 500, 0.35), // long overdue, low probability
    ticket('BREACHED-MID', 73, 0.6),
  ];

  it('puts breached tickets first by probability, then at-risk and on-track ones by probability per hour left', () => {
    const ranked = rankWorklist(tickets, { asOf, status: 'all', rules });
    expect(ranked.map((entry) => entry.ticketId)).toEqual([
      'BREACHED-LIKELY',
      'BREACHED-MID',
      'BREACHED-OLD',
      'AT-RISK-SOONER',
      'AT-RISK-SOON',
      'AT-RISK-LATER',
      'ON-TRACK',
    ]);
    expect(ranked.map((entry) => entry.slaStatus)).toEqual([
      'breached',
      'breached',
      'breached',
      'at_risk',
      'at_risk',
      'at_risk',
      'on_track',
    ]);
  });

  it('breaks ties by the earlier deadline, then by ticket id, whatever the input order', () => {
    const tied = [
      ticket('B', 80, 0.5), // breached, same p, due later than A2
      ticket('A2', 90, 0.5),
      ticket('A1', 90, 0.5),
      ticket('C', 30, 0.42), // 42 h left → 0.01
      ticket('D', 51, 0.21), // 21 h left → 0.01, due earlier than C
    ];
    const orders = [tied, [...tied].reverse(), [tied[2], tied[4], tied[0], tied[3], tied[1]]].map((input) =>
      rankWorklist(input, { asOf, status: 'all', rules }).map((entry) => entry.ticketId),
    );
    expect(orders[0]).toEqual(['A1', 'A2', 'B', 'D', 'C']);
    expect(orders[1]).toEqual(orders[0]);
    expect(orders[2]).toEqual(orders[0]);
    const [a1, a2] = rankWorklist([tied[1], tied[2]], { asOf, status: 'all', rules });
    expect(compareWorklist(a1, a2)).toBeLessThan(0);
  });

  it('filters by status and then cuts at the limit', () => {
    const breached = rankWorklist(tickets, { asOf, status: 'breached', rules });
    expect(breached.map((entry) => entry.ticketId)).toEqual(['BREACHED-LIKELY', 'BREACHED-MID', 'BREACHED-OLD']);
    const atRisk = rankWorklist(tickets, { asOf, status: 'at_risk', rules, limit: 2 });
    expect(atRisk.map((entry) => entry.ticketId)).toEqual(['AT-RISK-SOONER', 'AT-RISK-SOON']);
    expect(rankWorklist(tickets, { asOf, status: 'all', rules, limit: 0 })).toEqual([]);
    expect(rankWorklist([], { asOf, status: 'all', rules })).toEqual([]);
  });

  it("uses each type's own SLA: a 24 h ticket of 30 h age is breached, a 72 h one is not", () => {
    const ranked = rankWorklist([ticket('LONG', 30, 0.5, 72), ticket('SHORT', 30, 0.5, 24)], { asOf, status: 'all', rules });
    expect(ranked.map((entry) => [entry.ticketId, entry.slaStatus, entry.hoursLeft])).toEqual([
      ['SHORT', 'breached', -6],
      ['LONG', 'at_risk', 42],
    ]);
  });
});
