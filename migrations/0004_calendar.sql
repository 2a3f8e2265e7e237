-- The deadline clock of an application starts at submission, and again when a corrected
-- application comes back after 退回补充; recomputing deadlines after a calendar change starts
-- from here.
ALTER TABLE applications ADD COLUMN clock_from BIGINT;
UPDATE applications SET clock_from = submitted_at;
