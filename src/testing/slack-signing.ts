/**
 * Slack request signing and realistic inbound payloads, for tests and benchmarks that drive the
 * app's /slack/events endpoint the way Slack does (same headers, same form encoding).
 */
import { createHmac, randomBytes } from 'node:crypto';

/** Headers Slack attaches to every request it sends to an app. */
export interface SlackSignedHeaders {
  'x-slack-signature': string;
  'x-slack-request-timestamp': string;
  'content-type': string;
}

/**
 * Signs a request body exactly as Slack does: `v0=` + hex(HMAC-SHA256(signingSecret, `v0:{ts}:{body}`)).
 * `timestamp` is in Unix seconds and defaults to now (Bolt rejects anything older than 5 minutes).
 * The content type is JSON when the body looks like a JSON document (Events API), otherwise form-encoded
 * (slash commands and interactions).
 */
export function signSlackRequest(input: {
  body: string;
  signingSecret: string;
  timestamp?: number;
  contentType?: string;
}): SlackSignedHeaders {
  const timestamp = input.timestamp ?? Math.floor(Date.now() / 1000);
  const digest = createHmac('sha256', input.signingSecret).update(`v0:${timestamp}:${input.body}`).digest('hex');
  const looksLikeJson = input.body.trimStart().startsWith('{');
  return {
    'x-slack-signature': `v0=${digest}`,
    'x-slack-request-timestamp': String(timestamp),
    'content-type': input.contentType ?? (looksLikeJson ? 'application/json' : 'application/x-www-form-urlencoded'),
  };
}

/** A trigger id shaped like Slack's (`<digits>.<digits>.<hex>`); valid for one views.open on the fake. */
export function createTriggerId(): string {
  const seconds = Math.floor(Date.now() / 1000);
  return `${seconds}${randomBytes(2).readUInt16BE()}.${1_000_000_000 + randomBytes(3).readUIntBE(0, 3)}.${randomBytes(16).toString('hex')}`;
}

/** Defaults for identifiers shared by the payload builders (a fake workspace). */
export const FAKE_WORKSPACE = Object.freeze({
  teamId: 'T0CIVIC311',
  teamDomain: 'civicops-test',
  apiAppId: 'A0CIVIC311',
  userId: 'U0OPSLEAD1',
  userName: 'ops.lead',
  channelId: 'C0CIVIC311',
  channelName: 'sla-ops',
  verificationToken: 'fake-verification-token',
});

export interface SlashCommandInput {
  command: string;
  text?: string;
  userId?: string;
  userName?: string;
  channelId?: string;
  channelName?: string;
  responseUrl: string;
  triggerId?: string;
  teamId?: string;
  teamDomain?: string;
  apiAppId?: string;
}

/**
 * The form-encoded body Slack POSTs for a slash command, fields in Slack's order
 * (token, team_id, team_domain, channel_id, channel_name, user_id, user_name, command, text,
 * api_app_id, is_enterprise_install, response_url, trigger_id).
 */
export function slashCommandBody(input: SlashCommandInput): string {
  const params = new URLSearchParams([
    ['token', FAKE_WORKSPACE.verificationToken],
    ['team_id', input.teamId ?? FAKE_WORKSPACE.teamId],
    ['team_domain', input.teamDomain ?? FAKE_WORKSPACE.teamDomain],
    ['channel_id', input.channelId ?? FAKE_WORKSPACE.channelId],
    ['channel_name', input.channelName ?? FAKE_WORKSPACE.channelName],
    ['user_id', input.userId ?? FAKE_WORKSPACE.userId],
    ['user_name', input.userName ?? FAKE_WORKSPACE.userName],
    ['command', input.command],
    ['text', input.text ?? ''],
    ['api_app_id', input.apiAppId ?? FAKE_WORKSPACE.apiAppId],
    ['is_enterprise_install', 'false'],
    ['response_url', input.responseUrl],
    ['trigger_id', input.triggerId ?? createTriggerId()],
  ]);
  return params.toString();
}

/** The form-encoded body Slack POSTs for interactions: a single `payload` field holding JSON. */
export function interactionBody(payload: object): string {
  return new URLSearchParams([['payload', JSON.stringify(payload)]]).toString();
}

/** A `block_actions` payload as Slack sends it when a user clicks a button or picks a menu option. */
export function blockActionsPayload(input: {
  actionId: string;
  value?: string;
  blockId?: string;
  selectedOption?: { text: string; value: string };
  responseUrl: string;
  triggerId?: string;
  userId?: string;
  channelId?: string;
  messageTs?: string;
  messageBlocks?: unknown[];
}): Record<string, unknown> {
  const actionTs = `${(Date.now() / 1000).toFixed(6)}`;
  const action: Record<string, unknown> = input.selectedOption
    ? {
        type: 'static_select',
        action_id: input.actionId,
        block_id: input.blockId ?? 'actions',
        selected_option: { text: { type: 'plain_text', text: input.selectedOption.text, emoji: true }, value: input.selectedOption.value },
        action_ts: actionTs,
      }
    : {
        type: 'button',
        action_id: input.actionId,
        block_id: input.blockId ?? 'actions',
        text: { type: 'plain_text', text: input.actionId, emoji: true },
        value: input.value ?? '',
        action_ts: actionTs,
      };
  const channelId = input.channelId ?? FAKE_WORKSPACE.channelId;
  const messageTs = input.messageTs ?? '1700000000.000100';
  return {
    type: 'block_actions',
    user: {
      id: input.userId ?? FAKE_WORKSPACE.userId,
      username: FAKE_WORKSPACE.userName,
      name: FAKE_WORKSPACE.userName,
      team_id: FAKE_WORKSPACE.teamId,
    },
    api_app_id: FAKE_WORKSPACE.apiAppId,
    token: FAKE_WORKSPACE.verificationToken,
    container: { type: 'message', message_ts: messageTs, channel_id: channelId, is_ephemeral: false },
    trigger_id: input.triggerId ?? createTriggerId(),
    team: { id: FAKE_WORKSPACE.teamId, domain: FAKE_WORKSPACE.teamDomain },
    enterprise: null,
    is_enterprise_install: false,
    channel: { id: channelId, name: FAKE_WORKSPACE.channelName },
    message: { type: 'message', ts: messageTs, text: '', blocks: input.messageBlocks ?? [] },
    state: { values: {} },
    response_url: input.responseUrl,
    actions: [action],
  };
}

/**
 * A `view_submission` payload. `values` is the modal's `state.values`
 * (block_id → action_id → element state, e.g. `{ type: 'plain_text_input', value: 'x' }`).
 */
export function viewSubmissionPayload(input: {
  callbackId: string;
  values: Record<string, Record<string, Record<string, unknown>>>;
  privateMetadata?: string;
  viewId?: string;
  userId?: string;
  triggerId?: string;
}): Record<string, unknown> {
  return {
    type: 'view_submission',
    team: { id: FAKE_WORKSPACE.teamId, domain: FAKE_WORKSPACE.teamDomain },
    user: {
      id: input.userId ?? FAKE_WORKSPACE.userId,
      username: FAKE_WORKSPACE.userName,
      name: FAKE_WORKSPACE.userName,
      team_id: FAKE_WORKSPACE.teamId,
    },
    api_app_id: FAKE_WORKSPACE.apiAppId,
    token: FAKE_WORKSPACE.verificationToken,
    trigger_id: input.triggerId ?? createTriggerId(),
    view: {
      id: input.viewId ?? 'V0FAKEVIEW1',
      team_id: FAKE_WORKSPACE.teamId,
      type: 'modal',
      callback_id: input.callbackId,
      private_metadata: input.privateMetadata ?? '',
      blocks: [],
      state: { values: input.values },
      hash: '1700000000.fakehash',
      app_id: FAKE_WORKSPACE.apiAppId,
      bot_id: 'B0CIVIC311',
    },
    response_urls: [],
    is_enterprise_install: false,
    enterprise: null,
  };
}

/**
 * The JSON body Slack POSTs to the Events API request URL: an `event_callback` envelope around
 * one event (token, team_id, api_app_id, event, type, event_id, event_time, authorizations).
 */
export function eventCallbackBody(event: Record<string, unknown>, options: { eventId?: string; teamId?: string } = {}): string {
  const teamId = options.teamId ?? FAKE_WORKSPACE.teamId;
  return JSON.stringify({
    token: FAKE_WORKSPACE.verificationToken,
    team_id: teamId,
    context_team_id: teamId,
    context_enterprise_id: null,
    api_app_id: FAKE_WORKSPACE.apiAppId,
    event,
    type: 'event_callback',
    event_id: options.eventId ?? `Ev${randomBytes(5).toString('hex').toUpperCase()}`,
    event_time: Math.floor(Date.now() / 1000),
    authorizations: [{ enterprise_id: null, team_id: teamId, user_id: 'U0CIVICBOT', is_bot: true, is_enterprise_install: false }],
    is_ext_shared_channel: false,
  });
}

/** An `app_home_opened` event as Slack sends it when someone opens the app's Home (or Messages) tab. */
export function appHomeOpenedEvent(input: { userId?: string; tab?: 'home' | 'messages'; view?: Record<string, unknown> } = {}) {
  const userId = input.userId ?? FAKE_WORKSPACE.userId;
  return {
    type: 'app_home_opened',
    user: userId,
    channel: `D${userId.slice(1)}`,
    tab: input.tab ?? 'home',
    event_ts: `${(Date.now() / 1000).toFixed(6)}`,
    ...(input.view ? { view: input.view } : {}),
  };
}
