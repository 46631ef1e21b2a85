import type { App, ViewSubmitAction } from '@slack/bolt';
import { z } from 'zod';
import type { TicketToScore } from '../../../model/scorer.js';
import {
  COMMISSION_DISTRICTS,
  MAX_DESCRIPTION_CHARS,
  SCORE_FIELD,
  SCORE_MODAL_CALLBACK_ID,
  buildScoreFailureView,
  buildScoreResultView,
  buildScoringProgressView,
} from '../../blocks/score-modal.js';
import type { ScoredTicketDetails } from '../../blocks/score-blocks.js';
import { SlackPostError } from '../../web-client.js';
import type { SlackListenerDeps } from '../shared/listener-deps.js';
import { describeErrorForSlack } from '../shared/reply-errors.js';
import { resolveTypeOptionValue } from '../shared/request-type-options.js';

/** Where a ticket is, from the optional "address or coordinates" field. */
export type ParsedLocation =
  | { kind: 'none' }
  | { kind: 'coordinates'; latitude: number; longitude: number }
  | { kind: 'address'; address: string }
  | { kind: 'invalid'; message: string };

const COORDINATES = /^\s*([-+]?\d+(?:\.\d+)?)\s*(?:,|\s)\s*([-+]?\d+(?:\.\d+)?)\s*$/;

/**
 * "29.65, -82.32" → coordinates (checked against the valid ranges); text with letters → a street
 * address; digits and punctuation that are not two numbers → invalid, with a message for the form.
 */
export function parseLocationText(text: string | null | undefined): ParsedLocation {
  const trimmed = (text ?? '').trim();
  if (trimmed === '') return { kind: 'none' };
  if (/[a-z]/i.test(trimmed)) return { kind: 'address', address: trimmed };
  const match = COORDINATES.exec(trimmed);
  if (!match) return { kind: 'invalid', message: 'Enter coordinates as "latitude, longitude" in decimal degrees, e.g. 29.6516, -82.3248.' };
  const latitude = Number(match[1]);
  const longitude = Number(match[2]);
  if (latitude < -90 || latitude > 90)
    return { kind: 'invalid', message: `Latitude must be between -90 and 90 (got ${match[1]}). Is it "latitude, longitude"?` };
  if (longitude < -180 || longitude > 180) return { kind: 'invalid', message: `Longitude must be between -180 and 180 (got ${match[2]}).` };
  return { kind: 'coordinates', latitude, longitude };
}

/** One input's state: a menu's selected option or a text field's value. */
const elementStateSchema = z.object({
  selected_option: z.object({ value: z.string(), text: z.object({ text: z.string() }).optional() }).nullish(),
  value: z.string().nullish(),
});
type ElementState = z.infer<typeof elementStateSchema>;
const field = (id: string) =>
  z
    .object({ [id]: elementStateSchema })
    .transform((block) => block[id])
    .optional();

/** The modal's state.values as Slack sends them (block_id → action_id → element state). */
const scoreFormStateSchema = z.object({
  [SCORE_FIELD.requestType]: field(SCORE_FIELD.requestType),
  [SCORE_FIELD.district]: field(SCORE_FIELD.district),
  [SCORE_FIELD.location]: field(SCORE_FIELD.location),
  [SCORE_FIELD.description]: field(SCORE_FIELD.description),
});

/** A valid form, ready to score. */
export interface ScoreFormInput {
  /** Type key from the menu, or the text typed when the menu was not available. */
  requestType: string;
  /** What the person saw: the menu option's label, or the typed text. */
  requestTypeLabel: string;
  details: ScoredTicketDetails;
}

export type ScoreFormResult = { ok: true; input: ScoreFormInput } | { ok: false; errors: Record<string, string> };

function readValue(state: ElementState | undefined): string | undefined {
  const value = state?.selected_option?.value ?? state?.value;
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

/** Validates a /score submission; errors are keyed by block_id, as `response_action: 'errors'` wants. */
export function parseScoreSubmission(values: unknown): ScoreFormResult {
  const parsed = scoreFormStateSchema.safeParse(values);
  if (!parsed.success) return { ok: false, errors: { [SCORE_FIELD.requestType]: 'The form could not be read; please open /score again.' } };
  const state = parsed.data;
  const errors: Record<string, string> = {};
  const requestType = readValue(state.request_type);
  if (!requestType) errors[SCORE_FIELD.requestType] = 'Pick a request type.';
  const district = readValue(state.district);
  if (!district || !(COMMISSION_DISTRICTS as readonly string[]).includes(district))
    errors[SCORE_FIELD.district] = 'Pick a commission district (1–4).';
  const location = parseLocationText(readValue(state.location));
  if (location.kind === 'invalid') errors[SCORE_FIELD.location] = location.message;
  const description = readValue(state.description);
  if (description && description.length > MAX_DESCRIPTION_CHARS)
    errors[SCORE_FIELD.description] = `Keep the description under ${MAX_DESCRIPTION_CHARS} characters.`;
  if (Object.keys(errors).length > 0 || !requestType) return { ok: false, errors };
  return {
    ok: true,
    input: {
      requestType,
      requestTypeLabel: state.request_type?.selected_option?.text?.text ?? requestType,
      details: {
        commissionDistrict: district,
        ...(location.kind === 'coordinates' ? { latitude: location.latitude, longitude: location.longitude } : {}),
        ...(location.kind === 'address' ? { address: location.address } : {}),
        ...(description ? { description } : {}),
      },
    },
  };
}

function toTicketToScore(input: ScoreFormInput): TicketToScore {
  const { details } = input;
  return {
    requestType: input.requestType,
    commissionDistrict: details.commissionDistrict,
    latitude: details.latitude,
    longitude: details.longitude,
    description: details.description,
  };
}

/**
 * Submission of the /score form: field errors go back into the form; a valid form is answered
 * at once with a "scoring…" view, then the model's result replaces it (views.update), so the
 * ack never waits on the model or the warehouse.
 */
export function register(app: App, deps: SlackListenerDeps): void {
  app.view<ViewSubmitAction>(SCORE_MODAL_CALLBACK_ID, async ({ ack, view, body, client }) => {
    const form = parseScoreSubmission(view.state.values);
    if (!form.ok) {
      await ack({ response_action: 'errors', errors: form.errors });
      return;
    }
    await ack({ response_action: 'update', view: buildScoringProgressView(form.input.requestTypeLabel) });
    let result: ReturnType<typeof buildScoreResultView>;
    try {
      const requestType = await resolveTypeOptionValue(deps.warehouse.db, form.input.requestType);
      const score = await deps.scorer.scoreTicket(toTicketToScore({ ...form.input, requestType }));
      result = buildScoreResultView(score, form.input.details);
    } catch (error) {
      result = buildScoreFailureView(describeErrorForSlack(error, deps.logger, { view: SCORE_MODAL_CALLBACK_ID, user: body.user.id }));
    }
    try {
      await client.views.update({ view_id: view.id, view: result });
    } catch (error) {
      deps.logger.error({ err: new SlackPostError('views.update', error), user: body.user.id }, 'could not show the /score result');
    }
  });
}
