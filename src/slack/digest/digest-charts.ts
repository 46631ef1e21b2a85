import { buildSlaChart } from '../../charts/sla-chart.js';
import { buildSurgeChart } from '../../charts/surge-chart.js';
import type { ChartSpec } from '../../charts/chart-spec.js';
import { buildVolumeChart } from '../../charts/volume-chart.js';
import type { Digest } from './build-digest.js';

/** One chart of the digest, with the file name and alt text it is uploaded under. */
export interface DigestChart {
  name: 'volume' | 'surges' | 'sla';
  filename: string;
  title: string;
  altText: string;
  spec: ChartSpec;
}

/**
 * The digest's charts (pure): daily intake with its 7-day mean and usual level, the busiest
 * types against their usual week (surges marked), and SLA attainment of the worst types.
 * A chart with nothing to show (no types judged, no intake) is left out rather than drawn empty.
 */
export function digestCharts(digest: Digest): DigestChart[] {
  const charts: DigestChart[] = [];
  const firstDay = digest.daily[0]?.date ?? digest.date;
  charts.push({
    name: 'volume',
    filename: `digest-volume-${digest.date}.png`,
    title: `Daily intake, ${firstDay} to ${digest.date}`,
    altText: `Tickets created per day from ${firstDay} to ${digest.date}, with the 7-day average and the usual level for each weekday.`,
    spec: buildVolumeChart({
      title: 'Tickets created per day',
      days: digest.daily.map((day) => ({ date: day.date, count: day.count })),
      rolling7d: digest.daily.map((day) => day.rolling7dMean),
      usual: digest.daily.map((day) => day.usual),
      timeZone: digest.timeZone,
    }),
  });
  if (digest.surges.busiest.length > 0) {
    charts.push({
      name: 'surges',
      filename: `digest-surges-${digest.date}.png`,
      title: `Last 7 days against the usual week, to ${digest.date}`,
      altText: `Tickets in the 7 days to ${digest.date} per request type next to its usual week; ${digest.surges.surging.length} surging.`,
      spec: buildSurgeChart({
        title: `Last 7 days vs usual week (to ${digest.date})`,
        types: digest.surges.busiest.map((type) => ({
          name: type.displayName,
          last7d: type.last7Days,
          usualWeekly: type.usualWeekly,
          surging: type.surging,
        })),
      }),
    });
  }
  const judged = digest.sla.worstTypes.filter((type): type is typeof type & { attainment: number } => type.attainment !== null);
  if (judged.length > 0) {
    charts.push({
      name: 'sla',
      filename: `digest-sla-${digest.date}.png`,
      title: `SLA attainment, tickets created ${digest.sla.firstDay} to ${digest.sla.lastDay}`,
      altText: `Share of tickets closed within the SLA for the ${judged.length} worst request types, tickets created ${digest.sla.firstDay} to ${digest.sla.lastDay}.`,
      spec: buildSlaChart({
        title: `SLA attainment, worst types (${digest.sla.firstDay} to ${digest.sla.lastDay})`,
        types: judged.map((type) => ({
          name: type.displayName,
          attainment: type.attainment,
          p90Hours: type.p90Hours,
          tickets: type.judged,
        })),
        slaHours: digest.slaHours,
      }),
    });
  }
  return charts;
}
