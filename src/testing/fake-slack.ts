/**
 * A loopback fake of the Slack Web API (plus upload and response URLs) speaking the real wire
 * format, for tests. The pieces live in ./slack/: HTTP routing (slack-server.ts), one file per
 * method family (`*.methods.ts`, response-url.ts), the workspace state, the call recorder and
 * scripted per-method failures (slack-faults.ts). This module is the entry point tests import.
 */
export {
  RESPONSE_URL_METHOD,
  UPLOAD_URL_METHOD,
  type FakeMessage,
  type FakeSlack,
  type FakeSlackFault,
  type FakeSlackOptions,
  type FakeView,
  type RecordedCall,
  type RecordedUpload,
} from './slack/fake-slack.types.js';
export { startFakeSlack } from './slack/slack-server.js';
