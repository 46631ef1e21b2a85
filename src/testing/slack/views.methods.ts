/**
 * `views.open` (one view per trigger id, within 3 s of the fake issuing it), `views.update` (by
 * view id or external id, with hash checks) and `views.publish` (one Home tab per user, with
 * Slack's Block Kit limits checked).
 */
import { randomBytes } from 'node:crypto';
import { TRIGGER_ID_LIFETIME_MS, type FakeView } from './fake-slack.types.js';
import type { MethodTable } from './slack-api.js';
import { checkBlocks, optionalString, requireString, SlackApiFailure, type MethodArgs } from './slack-args.js';
import type { SlackWorkspace } from './slack-workspace.js';

export function createViewsMethods(workspace: SlackWorkspace): MethodTable {
  // A user's Home tab keeps its view id across publishes, as in Slack.
  const homeViewIds = new Map<string, string>();
  return {
    'views.open': (args) => {
      const triggerId = requireString(args, 'trigger_id');
      if (!/^\d+\.\d+\.[0-9a-f]+$/.test(triggerId)) throw new SlackApiFailure('invalid_trigger_id');
      // A trigger id opens exactly one view; a second views.open with it is a bug in the caller.
      if (workspace.usedTriggerIds.has(triggerId)) throw new SlackApiFailure('exchanged_trigger_id');
      // Slack's trigger ids live 3 s; ids the fake did not issue (built by a test) have no issue time.
      const issuedAt = workspace.issuedTriggerIds.get(triggerId);
      if (issuedAt !== undefined && workspace.now() - issuedAt > TRIGGER_ID_LIFETIME_MS) {
        throw new SlackApiFailure('expired_trigger_id');
      }
      const view = readView(args);
      workspace.usedTriggerIds.add(triggerId);
      const externalId = typeof view.external_id === 'string' ? view.external_id : undefined;
      const stored: FakeView = { id: workspace.nextId('V'), externalId, hash: newViewHash(), view };
      workspace.views.set(stored.id, stored);
      return { json: { ok: true, view: buildViewJson(workspace, stored) } };
    },
    'views.update': (args) => {
      const viewId = optionalString(args, 'view_id');
      const externalId = optionalString(args, 'external_id');
      if (!viewId && !externalId) {
        throw new SlackApiFailure('invalid_arguments', ['[ERROR] missing required field: view_id or external_id']);
      }
      const view = readView(args);
      const stored = viewId
        ? workspace.views.get(viewId)
        : [...workspace.views.values()].find((candidate) => candidate.externalId === externalId);
      if (!stored) throw new SlackApiFailure('not_found');
      const hash = optionalString(args, 'hash');
      if (hash !== undefined && hash !== stored.hash) throw new SlackApiFailure('hash_conflict');
      stored.view = view;
      stored.hash = newViewHash();
      return { json: { ok: true, view: buildViewJson(workspace, stored) } };
    },
    'views.publish': (args) => {
      const userId = requireString(args, 'user_id');
      if (!/^[UW][A-Z0-9]{2,}$/.test(userId)) throw new SlackApiFailure('invalid_arguments', ['invalid `user_id`']);
      const view = readView(args);
      if (view.type !== 'home') {
        throw new SlackApiFailure('invalid_arguments', ['[ERROR] must be one of: home [json-pointer:/view/type]']);
      }
      if (JSON.stringify(view).length > MAX_VIEW_JSON_CHARS) throw new SlackApiFailure('view_too_large');
      checkBlockLimits(view.blocks as unknown[], '/view/blocks');
      const knownId = homeViewIds.get(userId);
      const existing = knownId === undefined ? undefined : workspace.views.get(knownId);
      const hash = optionalString(args, 'hash');
      if (existing && hash !== undefined && hash !== existing.hash) throw new SlackApiFailure('hash_conflict');
      const externalId = typeof view.external_id === 'string' ? view.external_id : undefined;
      const stored: FakeView = existing ?? { id: workspace.nextId('V'), externalId, hash: '', view };
      stored.view = view;
      stored.externalId = externalId;
      stored.hash = newViewHash();
      workspace.views.set(stored.id, stored);
      homeViewIds.set(userId, stored.id);
      return { json: { ok: true, view: buildViewJson(workspace, stored) } };
    },
  };
}

/** Slack's limit on a view's JSON (views.publish answers `view_too_large` above it). */
const MAX_VIEW_JSON_CHARS = 250_000;

/**
 * Block Kit limits readView's checkBlocks (block count, types, section texts) leaves out, answered
 * like it (`invalid_blocks` with a JSON pointer): a header's text at most 150 characters, at most
 * 10 fields in a section, at most 10 elements in a context, a block_id at most 255 characters.
 */
function checkBlockLimits(blocks: readonly unknown[], pointer: string): void {
  const fail = (message: string, path: string): never => {
    throw new SlackApiFailure('invalid_blocks', [`[ERROR] ${message} [json-pointer:${pointer}/${path}]`]);
  };
  blocks.forEach((candidate, index) => {
    const block = candidate as { type: string; block_id?: unknown; text?: { text?: unknown }; fields?: unknown; elements?: unknown };
    if (typeof block.block_id === 'string' && block.block_id.length > 255) fail('must be less than 256 characters', `${index}/block_id`);
    if (block.type === 'header') {
      const text = block.text?.text;
      if (typeof text !== 'string' || text.length === 0) fail('missing required field: text', `${index}/text`);
      else if (text.length > 150) fail('must be less than 151 characters', `${index}/text/text`);
    }
    if (block.type === 'section' && Array.isArray(block.fields) && block.fields.length > 10) {
      fail('no more than 10 items allowed', `${index}/fields`);
    }
    if (block.type === 'context') {
      const elements = Array.isArray(block.elements) ? block.elements : [];
      if (elements.length === 0) fail('missing required field: elements', `${index}/elements`);
      if (elements.length > 10) fail('no more than 10 items allowed', `${index}/elements`);
    }
  });
}

function newViewHash(): string {
  return `${Math.floor(Date.now() / 1000)}.${randomBytes(4).toString('hex')}`;
}

/** The `view` argument as Slack checks it: a modal (with a title) or home tab of at most 100 blocks. */
function readView(args: MethodArgs): Record<string, unknown> {
  const view = args.view;
  if (typeof view !== 'object' || view === null || Array.isArray(view)) {
    throw new SlackApiFailure('invalid_arguments', ['[ERROR] missing required field: view']);
  }
  const record = view as Record<string, unknown>;
  if (record.type !== 'modal' && record.type !== 'home') {
    throw new SlackApiFailure('invalid_arguments', ['[ERROR] must be one of: modal, home [json-pointer:/view/type]']);
  }
  if (record.type === 'modal' && (typeof record.title !== 'object' || record.title === null)) {
    throw new SlackApiFailure('invalid_arguments', ['[ERROR] missing required field: title [json-pointer:/view]']);
  }
  if (!Array.isArray(record.blocks)) {
    throw new SlackApiFailure('invalid_arguments', ['[ERROR] missing required field: blocks [json-pointer:/view]']);
  }
  if (record.blocks.length > 100) {
    throw new SlackApiFailure('invalid_arguments', ['[ERROR] no more than 100 items allowed [json-pointer:/view/blocks]']);
  }
  checkBlocks(record.blocks, 100, '/view/blocks');
  return record;
}

function buildViewJson(workspace: SlackWorkspace, stored: FakeView): Record<string, unknown> {
  const { teamId, appId, botId } = workspace;
  return {
    id: stored.id,
    team_id: teamId,
    type: stored.view.type,
    blocks: stored.view.blocks,
    private_metadata: stored.view.private_metadata ?? '',
    callback_id: stored.view.callback_id ?? '',
    state: { values: {} },
    hash: stored.hash,
    title: stored.view.title,
    clear_on_close: stored.view.clear_on_close ?? false,
    notify_on_close: stored.view.notify_on_close ?? false,
    close: stored.view.close ?? null,
    submit: stored.view.submit ?? null,
    previous_view_id: null,
    root_view_id: stored.id,
    app_id: appId,
    external_id: stored.externalId ?? '',
    app_installed_team_id: teamId,
    bot_id: botId,
  };
}
