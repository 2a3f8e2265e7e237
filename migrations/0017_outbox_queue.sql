-- The dispatcher takes the due messages in the order they fell due (`ORDER BY next_attempt_at,
-- id LIMIT 16`): with the id in the index the first 16 are read off it, instead of every due
-- message being read and sorted on each claim (a backlog of thousands during a join burst).
CREATE INDEX outbox_queue ON outbox (status, next_attempt_at, id);
DROP INDEX outbox_due;
