import type { RespondFn } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import { InputError, UnknownRequestTypeError } from '../../../shared/errors.js';
import { buildDidYouMeanMessage, buildTypeSlaMessage, buildWorstTypesMessage } from '../../blocks/sla-blocks.js';
import { describeSlackFailure } from '../../web-client.js';
import type { SlackListenerDeps } from './listener-deps.js';
import { describeSlackRefusal } from './reply-errors.js';
import { loadSlaAtRisk } from './sla-at-risk.js';
import { uploadTypeTrendChart } from './sla-chart-upload.js';
import { loadTypeSlaSnapshot, loadWorstTypesSnapshot } from './sla-snapshot.query.js';

/** One /sla answer to produce: from the command, the Share button or a "did you mean" pick. */
export interface SlaRequest {
  /** Request type as typed or picked; empty for the five worst types. */
  typeText: string;
  /** Post for the whole channel (with the chart) instead of privately. */
  inChannel: boolean;
  /** Where the command or button was used (the chart goes there). */
  channelId: string | undefined;
  /** Who asked; named on shared posts. */
  userId: string;
  /** Replace the private message the button was on (did-you-mean) instead of adding one. */
  replaceOriginal: boolean;
  /** What to repeat after fixing a Slack refusal (default "send the command again"). */
  again?: string;
  /** Another city of the warehouse (`city:NAME`); undefined for the app's own. */
  city?: string;
}

/** The deps of the city a request names: the app's own, or another city's through `forCity`. */
async function depsOfCity(deps: SlackListenerDeps, city: string | undefined): Promise<SlackListenerDeps> {
  if (city === undefined || city === deps.config.city.name) return deps;
  if (!deps.forCity) throw new InputError(`This app answers for ${deps.config.city.name} only; send the command without city:${city}.`);
  return deps.forCity(city);
}

/**
 * Loads the /sla numbers and sends them through the response_url: privately with a Share
 * button, or to the channel followed by the trend chart. An unknown type gets "did you mean"
 * buttons (always private). Runs after ack(), so a slow warehouse never delays the ack.
 */
export async function answerSlaRequest(
  appDeps: SlackListenerDeps,
  io: { client: WebClient; respond: RespondFn },
  request: SlaRequest,
): Promise<void> {
  const deps = await depsOfCity(appDeps, request.city);
  const { config, warehouse } = deps;
  const city = deps === appDeps ? undefined : config.city.name;
  const options = { now: deps.now(), slaHours: config.slaHours, timeZone: config.cityTimeZone };
  const messageOptions = {
    shareable: !request.inChannel,
    sharedBy: request.inChannel ? request.userId : undefined,
    timeZone: config.cityTimeZone,
    city,
  };
  const visibility = request.inChannel ? ('in_channel' as const) : ('ephemeral' as const);

  if (request.typeText.trim() === '') {
    const message = buildWorstTypesMessage(await loadWorstTypesSnapshot(warehouse.db, options), messageOptions);
    await io.respond({ response_type: visibility, replace_original: request.replaceOriginal && !request.inChannel, ...message });
    return;
  }

  let snapshot: Awaited<ReturnType<typeof loadTypeSlaSnapshot>>;
  try {
    snapshot = await loadTypeSlaSnapshot(warehouse.db, request.typeText, options);
  } catch (error) {
    if (!(error instanceof UnknownRequestTypeError)) throw error;
    const message = buildDidYouMeanMessage({
      requested: error.requested,
      suggestions: error.suggestions,
      inChannel: request.inChannel,
      city,
    });
    await io.respond({ response_type: 'ephemeral', replace_original: request.replaceOriginal, ...message });
    return;
  }
  await io.respond({
    response_type: visibility,
    replace_original: request.replaceOriginal && !request.inChannel,
    ...buildTypeSlaMessage(snapshot, messageOptions, await loadSlaAtRisk(deps, snapshot.report.typeKey)),
  });
  if (!request.inChannel || !request.channelId || snapshot.weeks.length === 0) return;
  try {
    await uploadTypeTrendChart(io.client, deps.chartRenderer, snapshot, request.channelId);
  } catch (error) {
    // The numbers are already posted; the chart is extra, so tell the person why it is missing.
    deps.logger.warn({ err: error, channel: request.channelId }, 'could not upload the /sla chart');
    const refusal = describeSlackRefusal(error, { channelId: request.channelId, again: request.again ?? 'send the command again' });
    await io.respond({
      response_type: 'ephemeral',
      replace_original: false,
      text: refusal ?? `:warning: Posted without the chart (${describeSlackFailure(error).message}).`,
    });
  }
}
