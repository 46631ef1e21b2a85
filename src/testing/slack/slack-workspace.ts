/**
 * The state of the fake workspace: its identity, channels, messages, views, pending files and
 * uploads, issued and used trigger ids and what was POSTed to response URLs, plus Slack-shaped
 * ids and timestamps. Method handlers read and change it; tests read it through FakeSlack.
 */
import { randomBytes } from 'node:crypto';
import type { FakeMessage, FakeView, RecordedUpload } from './fake-slack.types.js';

export interface ChannelState {
  id: string;
  name: string;
  isMember: boolean;
  created: number;
}

/** A file announced by files.getUploadURLExternal; `upload` is set once its bytes arrive. */
export interface PendingFile {
  id: string;
  filename: string;
  declaredLength: number;
  altText?: string;
  upload?: RecordedUpload;
}

export interface SlackWorkspace {
  readonly teamId: string;
  readonly botUserId: string;
  readonly botId: string;
  readonly appId: string;
  /** `http://127.0.0.1:PORT`, for URLs the fake hands out. */
  readonly baseUrl: string;
  readonly channels: Map<string, ChannelState>;
  readonly messages: FakeMessage[];
  readonly views: Map<string, FakeView>;
  readonly files: Map<string, PendingFile>;
  readonly uploads: RecordedUpload[];
  readonly usedTriggerIds: Set<string>;
  /** Trigger ids the fake issued, with their issue time by `now()`. */
  readonly issuedTriggerIds: Map<string, number>;
  /** The fake's clock (epoch ms), which ages issued trigger ids. */
  readonly now: () => number;
  readonly responses: Map<string, Record<string, unknown>[]>;
  /** Adds (or replaces) a channel; `isMember: false` makes posts there answer `not_in_channel`. */
  addChannel(channel: { id: string; name: string; isMember?: boolean }): void;
  /** A channel by id, `#name` or name; unknown channel-shaped ids are created unless strict. */
  resolveChannel(value: unknown): ChannelState | undefined;
  /** A non-ephemeral message by channel and ts. */
  findMessage(channelId: string, ts: string): FakeMessage | undefined;
  /** Slack message timestamps: seconds.microseconds, unique and strictly increasing per workspace. */
  nextTs(): string;
  /** An id such as `V0001AB12CD` (views) or `F0002…` (files). */
  nextId(prefix: string): string;
  /** Empties every store and restores the seed channels. */
  reset(): void;
}

export function createSlackWorkspace(options: {
  baseUrl: string;
  seedChannels: { id: string; name: string; isMember?: boolean }[];
  strictChannels: boolean;
  now?: () => number;
}): SlackWorkspace {
  const channels = new Map<string, ChannelState>();
  const messages: FakeMessage[] = [];
  const views = new Map<string, FakeView>();
  const files = new Map<string, PendingFile>();
  const uploads: RecordedUpload[] = [];
  const usedTriggerIds = new Set<string>();
  const issuedTriggerIds = new Map<string, number>();
  const responses = new Map<string, Record<string, unknown>[]>();
  let lastTsMicros = 0n;
  let idCounter = 0;

  const addChannel = (channel: { id: string; name: string; isMember?: boolean }): void => {
    channels.set(channel.id, {
      id: channel.id,
      name: channel.name,
      isMember: channel.isMember ?? true,
      created: Math.floor(Date.now() / 1000),
    });
  };
  const seed = (): void => {
    channels.clear();
    for (const channel of options.seedChannels) addChannel(channel);
  };
  seed();

  return {
    teamId: 'T0CIVIC311',
    botUserId: 'U0CIVICBOT',
    botId: 'B0CIVIC311',
    appId: 'A0CIVIC311',
    baseUrl: options.baseUrl,
    channels,
    messages,
    views,
    files,
    uploads,
    usedTriggerIds,
    issuedTriggerIds,
    now: options.now ?? Date.now,
    responses,
    addChannel,
    resolveChannel: (value) => resolveChannel(channels, addChannel, options.strictChannels, value),
    findMessage: (channelId, ts) =>
      messages.find((message) => message.channel === channelId && message.ts === ts && message.ephemeralTo === undefined),
    nextTs: () => {
      const nowMicros = BigInt(Date.now()) * 1000n;
      lastTsMicros = nowMicros > lastTsMicros + 100n ? nowMicros - (nowMicros % 100n) : lastTsMicros + 100n;
      const seconds = lastTsMicros / 1_000_000n;
      const micros = lastTsMicros % 1_000_000n;
      return `${seconds}.${micros.toString().padStart(6, '0')}`;
    },
    nextId: (prefix) => {
      idCounter += 1;
      return `${prefix}0${idCounter.toString(36).toUpperCase().padStart(4, '0')}${randomBytes(3).toString('hex').toUpperCase()}`;
    },
    reset: () => {
      messages.length = 0;
      views.clear();
      files.clear();
      uploads.length = 0;
      usedTriggerIds.clear();
      issuedTriggerIds.clear();
      responses.clear();
      seed();
    },
  };
}

function resolveChannel(
  channels: Map<string, ChannelState>,
  addChannel: (channel: { id: string; name: string; isMember?: boolean }) => void,
  strict: boolean,
  value: unknown,
): ChannelState | undefined {
  if (typeof value !== 'string' || value === '') return undefined;
  const known = channels.get(value);
  if (known) return known;
  const name = value.startsWith('#') ? value.slice(1) : value;
  for (const channel of channels.values()) if (channel.name === name) return channel;
  if (strict) return undefined;
  if (/^[CGD][A-Z0-9]{6,}$/.test(value)) {
    addChannel({ id: value, name: value.toLowerCase() });
    return channels.get(value);
  }
  if (/^[UW][A-Z0-9]{6,}$/.test(value)) {
    // Posting to a user id lands in the bot's DM with them, which Slack reports as a D… channel.
    const dmId = `D${value.slice(1)}`;
    if (!channels.has(dmId)) addChannel({ id: dmId, name: dmId.toLowerCase() });
    return channels.get(dmId);
  }
  return undefined;
}
