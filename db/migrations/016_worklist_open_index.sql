-- The worklist (#12) reads every ticket open at an instant, with its id, on each request: the two
-- disjoint ranges of 013's indexes (never closed; leaving the backlog after the instant), which did
-- not hold the ticket id, so each open ticket cost a heap visit (18,597 never-closed tickets spread
-- over the whole table: 1.5 s cold on 500,000 tickets; 8,356 closing later: 270 ms warm). 013's two
-- indexes are replaced by the same ones holding the id and the district too (the worklist's filter);
-- every reader of the old ones (backlog, forecast counts) stays index-only on the new ones.
drop index if exists fact_ticket_effective_close_idx;
create index fact_ticket_effective_close_idx on fact_ticket ((
  case
    when closed_at is not null then greatest(closed_at, created_at)
    when is_open then null
    else greatest(coalesce(archived_at, created_at), created_at)
  end
)) include (created_at, closed_at, is_open, archived_at, type_key, ticket_id, commission_district);

drop index if exists fact_ticket_never_closed_idx;
create index fact_ticket_never_closed_idx on fact_ticket (created_at) include (type_key, ticket_id, commission_district)
  where is_open and closed_at is null;

-- The open tickets' stored probabilities, read on each request, without their wide rows (the reasons
-- are jsonb): 27,000 rows of ticket_score were 1,477 heap pages, 140 ms of a worklist request.
create index if not exists ticket_score_probability_idx on ticket_score (model_version, ticket_id)
  include (created_at, type_key, probability);
