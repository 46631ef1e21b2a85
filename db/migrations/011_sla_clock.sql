-- SLA clock per policy row (issue #15). 'wall' counts real elapsed hours: the SLA as before,
-- due = created_at + sla_hours. 'business' counts only the city's business hours, from
-- business_day_start to business_day_end (city-local wall time) Monday to Friday, skipping the
-- holidays of data/holidays/<city>.json (US federal holidays plus the city's own days); a ticket
-- created on a weekend, a holiday or after hours starts counting at the next opening.
-- Existing rows, the '*' default included, keep 'wall', so every figure stays as it was.
alter table sla_policy
  add column clock text not null default 'wall' check (clock in ('wall', 'business')),
  add column business_day_start time not null default '08:00',
  add column business_day_end time not null default '17:00';

alter table sla_policy
  add constraint sla_policy_business_day_check check (business_day_start < business_day_end);
