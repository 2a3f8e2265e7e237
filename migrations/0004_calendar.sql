-- The deadline clock of an application starts at submission, and again when a corrected
-- application comes back after 退回补充; recomputing deadlines after a calendar change starts
-- from here.
ALTER TABLE applications ADD COLUMN clock_from BIGINT;
UPDATE applications SET clock_from = submitted_at;

-- When the outbox last tried a message: a send with an unknown outcome is looked up at the
-- provider from that moment on (delivery reports lag; asking too early would read as "never
-- sent" and send twice).
ALTER TABLE outbox ADD COLUMN last_attempt_at BIGINT;
