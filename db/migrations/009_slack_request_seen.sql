-- Slack requests already handled, shared by every replica (issue 13). Slack re-sends a request it
-- thinks was not acknowledged (X-Slack-Retry-Num 1–3, within about five minutes) and a double click
-- delivers one action twice; behind a load balancer the copy can reach another replica, so the
-- per-process memory is not enough. A replica claims a request's identity here
-- (insert ... on conflict do nothing returning) before running it; only the one whose insert
-- returned a row goes on. Rows older than the retry window are deleted as new requests arrive.
create table if not exists slack_request_seen (
  request_key  text primary key,
  seen_at      timestamptz not null
);

create index if not exists slack_request_seen_seen_at_idx on slack_request_seen (seen_at);
