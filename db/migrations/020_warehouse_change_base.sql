-- The warehouse's version (migration 015) is the number of committed warehouse_change rows, read on
-- every dashboard request; with an ingest every 15 minutes the table gains some 500 rows a day, so
-- counting it would cost more each month. Old rows are folded into this one-row base from time to
-- time (compactWarehouseChanges): the version is base + the rows left, which folding never changes.
create table warehouse_change_base (
  only_row boolean primary key default true check (only_row),
  folded bigint not null default 0
);
insert into warehouse_change_base (only_row, folded) values (true, 0);
