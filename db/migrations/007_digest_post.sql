-- The daily digest, posted at most once per day across replicas (issue: the advisory lock only
-- stops two digest runs overlapping; two replicas ticking a few seconds apart both posted). A run
-- claims the day here before posting (insert ... on conflict do nothing); ts is null while the
-- post is under way and set once Slack accepted the message. A failed post deletes the claim so
-- the next tick retries; a claim left by a process killed mid-post may be taken over once stale.
create table if not exists digest_post (
  date        date primary key,
  channel     text,
  ts          text,
  claimed_at  timestamptz not null default now(),
  posted_at   timestamptz
);
