/**
 * The /score modal (pure builders): the input form, the "scoring…" view shown while the model
 * runs, and the result or failure view that replaces it.
 */
import { createHash } from 'node:crypto';
import type { KnownBlock, ModalView, PlainTextOption } from '@slack/web-api';
import type { TicketScore } from '../../model/scorer.js';
import type { RequestType } from '../../warehouse/request-type.repository.js';
import { escapeMrkdwn, truncateText } from './alert-blocks.js';
import { buildScoreResultBlocks, type ScoredTicketDetails } from './score-blocks.js';

/** callback_id of the form; its view_submission is handled by the score-modal listener. */
export const SCORE_MODAL_CALLBACK_ID = 'score_ticket';
/** block_id and action_id of each input (the same string for both). */
export const SCORE_FIELD = {
  requestType: 'request_type',
  district: 'district',
  location: 'location',
  description: 'description',
} as const;
export const COMMISSION_DISTRICTS = ['1', '2', '3', '4'] as const;
export const MAX_DESCRIPTION_CHARS = 3000;

const TITLE = { type: 'plain_text' as const, text: 'Breach risk' };

/** Slack's limits on an option: 75 characters of text, 150 of value. */
export const MAX_OPTION_TEXT_CHARS = 75;
export const MAX_OPTION_VALUE_CHARS = 150;
/** Prefix of an option value that stands for a type key too long to be a value itself. */
export const HASHED_OPTION_PREFIX = 'sha256:';

/**
 * The option value of a type: its key, never cut (a cut key names no type, or the wrong one);
 * a key longer than Slack allows becomes a stable hash of it, which the listener maps back.
 */
export function toTypeOptionValue(typeKey: string): string {
  if (typeKey.length <= MAX_OPTION_VALUE_CHARS && !typeKey.startsWith(HASHED_OPTION_PREFIX)) return typeKey;
  return `${HASHED_OPTION_PREFIX}${createHash('sha256').update(typeKey).digest('base64url')}`;
}

/** A type as a menu option: the name cut to 75 characters (only what is shown), the value whole. */
export function toTypeOption(type: RequestType): PlainTextOption {
  return {
    text: { type: 'plain_text', text: truncateText(type.displayName, MAX_OPTION_TEXT_CHARS) },
    value: toTypeOptionValue(type.typeKey),
  };
}

/** Types a static menu can hold (Slack's limit); with more, the menu searches as you type. */
export const MAX_STATIC_OPTIONS = 100;

/**
 * The form: request type (a menu of the types when they fit in 100, an `external_select` that
 * searches every type as you type when they do not, or a text field when the list is not
 * available), commission district 1–4, optional address or "lat, lon", optional description.
 */
export function buildScoreModal(input: { requestTypes: readonly RequestType[] | undefined }): ModalView {
  const types = input.requestTypes ?? [];
  const typeElement: KnownBlock =
    types.length > MAX_STATIC_OPTIONS
      ? {
          type: 'input',
          block_id: SCORE_FIELD.requestType,
          label: { type: 'plain_text', text: 'Request type' },
          element: {
            type: 'external_select',
            action_id: SCORE_FIELD.requestType,
            placeholder: { type: 'plain_text', text: 'Type to search, e.g. road' },
            // 0: the menu lists types as soon as it opens, before anything is typed.
            min_query_length: 0,
          },
        }
      : types.length > 0
        ? {
            type: 'input',
            block_id: SCORE_FIELD.requestType,
            label: { type: 'plain_text', text: 'Request type' },
            element: {
              type: 'static_select',
              action_id: SCORE_FIELD.requestType,
              placeholder: { type: 'plain_text', text: 'Pick a type' },
              options: types.map(toTypeOption),
            },
          }
        : {
            type: 'input',
            block_id: SCORE_FIELD.requestType,
            label: { type: 'plain_text', text: 'Request type' },
            hint: { type: 'plain_text', text: 'As people say it, e.g. "road repair" or "streetlight".' },
            element: { type: 'plain_text_input', action_id: SCORE_FIELD.requestType, max_length: 120 },
          };
  return {
    type: 'modal',
    callback_id: SCORE_MODAL_CALLBACK_ID,
    title: TITLE,
    submit: { type: 'plain_text', text: 'Score' },
    close: { type: 'plain_text', text: 'Cancel' },
    blocks: [
      {
        type: 'section',
        text: { type: 'mrkdwn', text: 'How likely is a new ticket like this to miss its SLA? Fill in what you know.' },
      },
      typeElement,
      {
        type: 'input',
        block_id: SCORE_FIELD.district,
        label: { type: 'plain_text', text: 'Commission district' },
        element: {
          type: 'static_select',
          action_id: SCORE_FIELD.district,
          placeholder: { type: 'plain_text', text: 'District' },
          options: COMMISSION_DISTRICTS.map((district) => ({
            text: { type: 'plain_text', text: `District ${district}` },
            value: district,
          })),
        },
      },
      {
        type: 'input',
        block_id: SCORE_FIELD.location,
        optional: true,
        label: { type: 'plain_text', text: 'Address or coordinates' },
        hint: {
          type: 'plain_text',
          text: 'Coordinates as "latitude, longitude", e.g. 29.6516, -82.3248 (only coordinates are used by the model).',
        },
        element: { type: 'plain_text_input', action_id: SCORE_FIELD.location, max_length: 200 },
      },
      {
        type: 'input',
        block_id: SCORE_FIELD.description,
        optional: true,
        label: { type: 'plain_text', text: 'Description' },
        element: { type: 'plain_text_input', action_id: SCORE_FIELD.description, multiline: true, max_length: MAX_DESCRIPTION_CHARS },
      },
    ],
  };
}

/** Shown the moment the form is accepted, while the model scores (so the ack never waits on it). */
export function buildScoringProgressView(requestTypeLabel: string): ModalView {
  return {
    type: 'modal',
    callback_id: `${SCORE_MODAL_CALLBACK_ID}_result`,
    title: TITLE,
    close: { type: 'plain_text', text: 'Close' },
    blocks: [
      {
        type: 'section',
        text: { type: 'mrkdwn', text: `:hourglass_flowing_sand: Scoring a *${escapeMrkdwn(truncateText(requestTypeLabel, 100))}* ticket…` },
      },
    ],
  };
}

/** The result, replacing the progress view. */
export function buildScoreResultView(score: TicketScore, details: ScoredTicketDetails): ModalView {
  return {
    type: 'modal',
    callback_id: `${SCORE_MODAL_CALLBACK_ID}_result`,
    title: TITLE,
    close: { type: 'plain_text', text: 'Done' },
    blocks: buildScoreResultBlocks(score, details),
  };
}

/** A failure the person can act on (no model yet, unknown type...), replacing the progress view. */
export function buildScoreFailureView(message: string): ModalView {
  return {
    type: 'modal',
    callback_id: `${SCORE_MODAL_CALLBACK_ID}_result`,
    title: TITLE,
    close: { type: 'plain_text', text: 'Close' },
    blocks: [{ type: 'section', text: { type: 'mrkdwn', text: truncateText(message, 3000) } }],
  };
}
