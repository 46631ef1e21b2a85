-- Each ticket's SLA deadline, stored (issue #15): the instant it becomes late under its type's
-- policy and clock (sla_policy.clock, migration 011). Reports, the worklist and the label compare
-- against it instead of recomputing created_at + hours per query, and a business clock (hours
-- counted only on the city's working days, holidays off) is computed once, in TypeScript
-- (analytics/sla-clock.ts), when a ticket is upserted or its type's policy changes.
-- Null means not computed yet; readers then fall back to created_at + the type's hours.
alter table fact_ticket add column sla_due_at timestamptz;

-- Existing tickets are left null on purpose: readers fall back to created_at + the type's hours,
-- the deadline every report used so far, so no figure changes. Rewriting every row here took 104 s
-- on 500,000 tickets and left the table needing a VACUUM (sla-by-type p95 3.1 s until then); on a
-- city of New York's size it would hold the migration's lock for many minutes. New and changed
-- tickets get their deadline at upsert, and business-clock types are filled at start-up
-- (warehouse/sla-due.repository.ts).
