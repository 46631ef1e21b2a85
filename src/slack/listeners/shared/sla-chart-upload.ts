import type { WebClient } from '@slack/web-api';
import type { ChartRenderer } from '../../../charts/chart-renderer.js';
import { buildTypeTrendChart } from '../../../charts/type-trend-chart.js';
import { SlackPostError } from '../../web-client.js';
import type { TypeSlaSnapshot } from './sla-snapshot.query.js';

/**
 * Renders the /sla trend chart (weekly tickets and attainment, 12 weeks) to PNG and uploads it
 * to a channel with files.uploadV2. Only for replies the channel sees: Slack has no ephemeral
 * file upload, so a private /sla reply carries a text sparkline instead.
 * Throws ChartRenderError or SlackPostError (e.g. `not_in_channel` when the bot is not invited).
 */
export async function uploadTypeTrendChart(
  client: WebClient,
  renderer: ChartRenderer,
  snapshot: TypeSlaSnapshot,
  channelId: string,
): Promise<void> {
  const { report } = snapshot;
  const spec = buildTypeTrendChart({
    title: `${report.displayName}: weekly tickets and SLA attainment`,
    weeks: snapshot.weeks.map((week) => ({ weekStart: week.weekStart, count: week.count, attainment: week.attainment })),
  });
  const png = await renderer.render(spec);
  const slug = report.typeKey.replace(/[^a-z0-9]+/gi, '-').toLowerCase() || 'type';
  try {
    await client.files.uploadV2({
      channel_id: channelId,
      file: png,
      filename: `sla-${slug}.png`,
      title: `${report.displayName} — weekly tickets and SLA attainment`,
      alt_text: `Bar chart of ${report.displayName} tickets per week with a line for the share closed within ${report.slaHours} hours`,
    });
  } catch (error) {
    throw new SlackPostError('files.uploadV2', error);
  }
}
