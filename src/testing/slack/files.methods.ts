/**
 * Slack's external upload flow: `files.getUploadURLExternal` hands out an upload URL on the fake,
 * the client POSTs the bytes there (handleUploadUrl, recorded under UPLOAD_URL_METHOD), then
 * `files.completeUploadExternal` shares the files, optionally into a channel or thread.
 */
import type { IncomingMessage } from 'node:http';
import { countThreadReply } from './chat.methods.js';
import { UPLOAD_URL_METHOD, type RecordedUpload } from './fake-slack.types.js';
import type { ParsedRequest } from './request-body.js';
import type { MethodTable } from './slack-api.js';
import { optionalString, readBlocks, requireString, SlackApiFailure, type MethodArgs } from './slack-args.js';
import type { SlackFaultBook } from './slack-faults.js';
import type { ChannelState, PendingFile, SlackWorkspace } from './slack-workspace.js';

export function createFilesMethods(workspace: SlackWorkspace): MethodTable {
  return {
    'files.getUploadURLExternal': (args) => {
      const filename = requireString(args, 'filename');
      const declaredLength = Number(requireString(args, 'length'));
      if (!Number.isInteger(declaredLength) || declaredLength <= 0) {
        throw new SlackApiFailure('invalid_arguments', ['[ERROR] length must be a positive integer']);
      }
      const file: PendingFile = { id: workspace.nextId('F'), filename, declaredLength, altText: optionalString(args, 'alt_text') };
      workspace.files.set(file.id, file);
      return { json: { ok: true, upload_url: `${workspace.baseUrl}/upload/v1/${file.id}`, file_id: file.id } };
    },
    'files.completeUploadExternal': (args) => {
      const list = args.files;
      if (!Array.isArray(list) || list.length === 0) {
        throw new SlackApiFailure('invalid_arguments', ['[ERROR] missing required field: files']);
      }
      const channelValue = optionalString(args, 'channel_id') ?? optionalString(args, 'channels');
      const channel = channelValue === undefined ? undefined : workspace.resolveChannel(channelValue);
      if (channelValue !== undefined && !channel) throw new SlackApiFailure('channel_not_found');
      if (channel && !channel.isMember) throw new SlackApiFailure('not_in_channel');
      const threadTs = optionalString(args, 'thread_ts');
      if (threadTs !== undefined && !channel) throw new SlackApiFailure('invalid_arguments', ['[ERROR] thread_ts requires channel_id']);
      const completed = list.map((entry: unknown) => completeFile(workspace, entry, channel?.id));
      if (channel) shareFiles(workspace, args, channel, threadTs, completed);
      return { json: { ok: true, files: completed } };
    },
  };
}

/** One entry of `files`: a file whose bytes reached the upload URL, as Slack describes it. */
function completeFile(workspace: SlackWorkspace, entry: unknown, channelId: string | undefined): Record<string, unknown> {
  const id = typeof entry === 'object' && entry !== null ? (entry as { id?: unknown }).id : undefined;
  const file = typeof id === 'string' ? workspace.files.get(id) : undefined;
  // A file whose bytes never reached the upload URL cannot be completed.
  if (!file?.upload) throw new SlackApiFailure('file_not_found');
  const title = (entry as { title?: unknown }).title;
  return buildFileJson(workspace, file, typeof title === 'string' ? title : undefined, channelId);
}

/** The message that shares completed files into a channel (or thread), with the initial comment. */
function shareFiles(
  workspace: SlackWorkspace,
  args: MethodArgs,
  channel: ChannelState,
  threadTs: string | undefined,
  completed: Record<string, unknown>[],
): void {
  if (threadTs !== undefined) countThreadReply(workspace, channel.id, threadTs);
  workspace.messages.push({
    channel: channel.id,
    ts: workspace.nextTs(),
    text: optionalString(args, 'initial_comment') ?? '',
    blocks: readBlocks(args),
    threadTs,
    replyCount: 0,
    fileIds: completed.map((file) => String(file.id)),
  });
}

/**
 * A POST to an upload URL: WebClient sends multipart/form-data with one file part, curl-style
 * clients the raw bytes. Answers plain text as Slack's upload host does.
 */
export function handleUploadUrl(
  workspace: SlackWorkspace,
  faults: SlackFaultBook,
  fileId: string,
  request: IncomingMessage,
  parsed: ParsedRequest,
): { status: number; text: string } {
  const fault = faults.take(UPLOAD_URL_METHOD, { ...parsed.body, file_id: fileId });
  if (fault) return { status: fault.status ?? 500, text: fault.error ?? 'upload_failed' };
  const file = workspace.files.get(fileId);
  if (!file) return { status: 404, text: 'Not Found' };
  const part = parsed.fileParts.find((candidate) => candidate.filename !== undefined) ?? parsed.fileParts[0];
  const bytes = part ? part.data : parsed.rawBytes;
  const upload: RecordedUpload = {
    fileId,
    filename: file.filename,
    declaredLength: file.declaredLength,
    contentType: request.headers['content-type'] ?? '',
    byteLength: bytes.length,
    firstBytes: Buffer.from(bytes.subarray(0, 16)),
    bytes,
    at: new Date(),
  };
  file.upload = upload;
  workspace.uploads.push(upload);
  return { status: 200, text: `OK - ${bytes.length}` };
}

function buildFileJson(
  workspace: SlackWorkspace,
  file: PendingFile,
  title: string | undefined,
  channelId: string | undefined,
): Record<string, unknown> {
  const { teamId, botUserId } = workspace;
  const extension = /\.([a-z0-9]+)$/i.exec(file.filename)?.[1]?.toLowerCase() ?? 'binary';
  const created = Math.floor(Date.now() / 1000);
  const name = encodeURIComponent(file.filename);
  return {
    id: file.id,
    created,
    timestamp: created,
    name: file.filename,
    title: title ?? file.filename,
    mimetype: guessMimeType(extension, file.upload?.firstBytes),
    filetype: extension,
    pretty_type: extension.toUpperCase(),
    user: botUserId,
    user_team: teamId,
    editable: false,
    size: file.upload?.byteLength ?? file.declaredLength,
    mode: 'hosted',
    is_external: false,
    external_type: '',
    is_public: channelId !== undefined,
    public_url_shared: false,
    display_as_bot: false,
    username: '',
    url_private: `https://files.slack.com/files-pri/${teamId}-${file.id}/${name}`,
    permalink: `https://civicops-test.slack.com/files/${botUserId}/${file.id}/${name}`,
    alt_txt: file.altText,
    channels: channelId ? [channelId] : [],
    groups: [],
    ims: [],
    comments_count: 0,
  };
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const MIME_TYPES: Record<string, string> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  svg: 'image/svg+xml',
  csv: 'text/csv',
  txt: 'text/plain',
  json: 'application/json',
  pdf: 'application/pdf',
};

function guessMimeType(extension: string, firstBytes: Buffer | undefined): string {
  if (firstBytes?.subarray(0, 8).equals(PNG_SIGNATURE)) return 'image/png';
  return MIME_TYPES[extension] ?? 'application/octet-stream';
}
