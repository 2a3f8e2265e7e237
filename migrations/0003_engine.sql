-- The one-working-day engine: each reminder (level 0) and escalation (督办, level 1, 2, …: one
-- level up the tree per further working day) is one row; the unique key makes a second worker's
-- attempt a no-op, so nothing is sent or recorded twice, even with several instances.
CREATE TABLE escalations (
    id @ID@,
    application_id BIGINT NOT NULL REFERENCES applications (id),
    level BIGINT NOT NULL,
    org_id BIGINT NOT NULL REFERENCES orgs (id),
    created_at BIGINT NOT NULL,
    UNIQUE (application_id, level)
);
CREATE INDEX escalations_org ON escalations (org_id, created_at);
