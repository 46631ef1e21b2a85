-- Scheduled and manual job runs (issue 7): one row per attempt, including attempts that found the
-- job's advisory lock taken by another replica. `civicops status` and GET /healthz read the newest
-- rows of each job to flag one that is failing or overdue.
create table if not exists job_run (
  job_run_id   bigserial primary key,
  job          text        not null,
  -- schedule: a cron tick; manual: `civicops jobs run`; chained: started by another job (alerts after ingest).
  trigger      text        not null check (trigger in ('schedule', 'manual', 'chained')),
  -- interrupted: stopped by shutdown (work checkpointed) or found abandoned by a crashed process.
  status       text        not null default 'running'
               check (status in ('running', 'succeeded', 'failed', 'skipped_locked', 'interrupted')),
  started_at   timestamptz not null default now(),
  finished_at  timestamptz,
  counts       jsonb       not null default '{}'::jsonb,
  error        text,
  -- Which replica ran it (hostname:pid), so an operator can tell replicas apart in status output.
  runner       text        not null
);

create index if not exists job_run_job_started_idx on job_run (job, started_at desc, job_run_id desc);
