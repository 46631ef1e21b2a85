import { describe, expect, it } from 'vitest';
import { describeFeatures, explainFactor, FEATURE_NAMES } from '../src/features/feature-catalog.js';
import { assembleFeatures, locationCellOf, reporterIdentity, type ContextCounts } from '../src/features/assemble-features.js';

describe('feature catalog', () => {
  it('never uses anything known only after creation', () => {
    for (const name of FEATURE_NAMES) expect(name).not.toMatch(/status|closed|close[dA]t|acknowledg|reopen|lastUpdate|minutesTo|daysTo/i);
  });

  it('labels every feature', () => {
    const labels = describeFeatures();
    expect(Object.keys(labels).sort()).toEqual([...FEATURE_NAMES].sort());
    for (const name of FEATURE_NAMES) expect(labels[name].length).toBeGreaterThan(5);
  });

  it('turns feature values into sentences a dispatcher can read', () => {
    expect(explainFactor('typeBreachRate', 0.41, { typeName: 'Road Repair' })).toBe(
      'Road Repair tickets breached the SLA 41% of the time.',
    );
    expect(explainFactor('typeBacklogRatio', 2.3, { typeName: 'Road Repair' })).toBe('The backlog of Road Repair is 2.3× its usual level.');
    expect(explainFactor('globalBreachRate90d', 0.2)).toContain('20% of tickets closed in the last 90 days');
    expect(explainFactor('typeMedianHoursToClose', 72, { typeName: 'Road Repair' })).toContain('3.0 days');
    expect(explainFactor('dayOfWeek', 6)).toBe('Filed on a Saturday.');
    expect(explainFactor('typeMedianHoursToClose', Number.NaN)).toContain('unknown');
  });

  it('treats placeholder reporter names as unknown, not as one prolific reporter', () => {
    expect(reporterIdentity('An anonymous SeeClickFix user')).toBeNull();
    expect(reporterIdentity(' Guest ')).toBeNull();
    expect(reporterIdentity('City of Gainesville Neighbor')).toBeNull();
    expect(reporterIdentity(null)).toBeNull();
    expect(reporterIdentity(' andy k ')).toBe('andy k');
  });

  it('shrinks a type breach rate toward the global rate and keeps ratios finite for quiet types', () => {
    const counts: ContextCounts = {
      requestTypeCode: 0,
      hourOfDay: 9,
      dayOfWeek: 1,
      month: 1,
      reporterPriorTickets: 0,
      typePriorTickets: 0,
      typeVolume7d: 0,
      totalVolume7d: 0,
      typeVolumePrior8w: 0,
      typeBacklog: 0,
      totalBacklog: 0,
      typeBacklogWeeklySum: 0,
      typeClosed: 5,
      typeBreached: 5,
      typeMedianCloseMs: 3_600_000,
      globalClosed: 100,
      globalBreached: 20,
      globalClosed90d: 0,
      globalBreached90d: 0,
      locationTickets30d: 3,
    };
    const out = new Float64Array(FEATURE_NAMES.length);
    assembleFeatures(counts, { latitude: 1, longitude: 2, commissionDistrict: 3, policeSector: Number.NaN, descriptionLength: 0 }, out);
    const value = (name: (typeof FEATURE_NAMES)[number]) => out[FEATURE_NAMES.indexOf(name)];
    expect(value('typeBreachRate')).toBeCloseTo((5 + 20 * 0.2) / 25, 12);
    expect(value('typeVolumeRatio')).toBe(1);
    expect(value('typeBacklogRatio')).toBe(1);
    expect(value('globalBreachRate90d')).toBeNaN();
    expect(value('hasDescription')).toBe(0);
    expect(value('typeMedianHoursToClose')).toBe(1);
    expect(value('locationTickets30d')).toBe(3);
  });

  it('puts coordinates in 4-decimal location cells, and a ticket without both coordinates in none', () => {
    expect(locationCellOf(29.65191234, -82.32501234)).toBe('296519,-823250');
    expect(locationCellOf(29.65194999, -82.32504999)).toBe(locationCellOf(29.65191234, -82.32501234));
    expect(locationCellOf(29.65195001, -82.325)).not.toBe(locationCellOf(29.65194999, -82.325));
    // Ties go up for negative coordinates too (floor(x + 0.5), as the SQL reference rounds).
    expect(locationCellOf(0.00005, -0.00005)).toBe('1,0');
    expect(locationCellOf(null, -82.3)).toBeNull();
    expect(locationCellOf(29.6, undefined)).toBeNull();
    expect(locationCellOf(Number.NaN, -82.3)).toBeNull();
    expect(explainFactor('locationTickets30d', 2)).toBe('2 tickets were filed at this location in the 30 days before.');
    expect(explainFactor('locationTickets30d', Number.NaN)).toContain('unknown');
  });
});
