-- The turnover pool and membership transfers (会籍接转). One joining, transfers follow the job:
-- the sending side proposes, the receiving union accepts or declines within five working days
-- (reminder, escalation one level up per further working day, accepted automatically after 30
-- days). The member keeps the member number; the unions a member belonged to are kept.

-- A member is `active` or `transferred_out` (left for a union outside the city: the member row
-- stays, at the last union, for the registry). `pooled_since`: when the member entered the
-- pool they are in (NULL when not pooled).
ALTER TABLE members ADD COLUMN status TEXT NOT NULL DEFAULT 'active';
ALTER TABLE members ADD COLUMN pooled_since BIGINT;
UPDATE members SET pooled_since = joined_at WHERE in_pool = 1;

-- Pooled members of a pool, oldest first; also the oldest per pool for the command centre.
CREATE INDEX members_pooled ON members (org_id, pooled_since, joined_at) WHERE in_pool = 1;

-- kind: pool (a placement out of a turnover pool), job_change (union to union), out_of_city
-- (to the city federation's registry: `to_org_id` NULL, `outside_to` says where).
-- status: pending, accepted, declined, auto_accepted, cancelled.
CREATE TABLE transfers (
    id @ID@,
    member_id BIGINT NOT NULL REFERENCES members (id),
    kind TEXT NOT NULL,
    from_org_id BIGINT NOT NULL REFERENCES orgs (id),
    from_pool BIGINT NOT NULL,
    to_org_id BIGINT REFERENCES orgs (id),
    to_pool BIGINT NOT NULL DEFAULT 0,
    outside_to TEXT,
    status TEXT NOT NULL,
    proposed_by BIGINT NOT NULL REFERENCES admins (id),
    note TEXT,
    reason TEXT,
    created_at BIGINT NOT NULL,
    due_at BIGINT NOT NULL,
    decided_at BIGINT,
    decided_by BIGINT REFERENCES admins (id)
);
-- At most one pending transfer per member: the unique index holds under races, on both
-- databases (a second proposal fails on it and is answered as refused).
CREATE UNIQUE INDEX transfers_one_pending ON transfers (member_id) WHERE status = 'pending';
-- Waiting lists and the engine: pending transfers by receiving union and by deadline.
CREATE INDEX transfers_pending_to ON transfers (to_org_id, due_at) WHERE status = 'pending';
-- Monthly counts and history: decided transfers by time, and by either union.
CREATE INDEX transfers_decided ON transfers (decided_at, status);
CREATE INDEX transfers_from ON transfers (from_org_id, created_at);
CREATE INDEX transfers_to ON transfers (to_org_id, created_at);
CREATE INDEX transfers_member ON transfers (member_id, created_at);

-- Reminders (level 0) and escalations (督办, level 1, 2, …) of a pending transfer: one row
-- each, so two workers never record or send a step twice.
CREATE TABLE transfer_steps (
    id @ID@,
    transfer_id BIGINT NOT NULL REFERENCES transfers (id),
    level BIGINT NOT NULL,
    org_id BIGINT NOT NULL REFERENCES orgs (id),
    created_at BIGINT NOT NULL,
    UNIQUE (transfer_id, level)
);

-- The unions a member belonged to. Written when a member moves: the union left (from the
-- joining or the last move until now) and the union joined (open: `until_at` NULL). A member
-- who never moved has no rows: the members row says it all. `org_id` NULL with `outside_to`:
-- transferred out of the city.
CREATE TABLE member_unions (
    id @ID@,
    member_id BIGINT NOT NULL REFERENCES members (id),
    org_id BIGINT REFERENCES orgs (id),
    in_pool BIGINT NOT NULL,
    outside_to TEXT,
    since_at BIGINT NOT NULL,
    until_at BIGINT,
    transfer_id BIGINT REFERENCES transfers (id)
);
CREATE INDEX member_unions_member ON member_unions (member_id, since_at);

-- The command centre's transfer figures per union and day, kept in the transaction of each
-- move for every union up the tree: placements out of a pool (at the receiving side), members
-- moved in from outside the union's subtree, members moved out of it.
CREATE TABLE org_moves (
    org_id BIGINT NOT NULL REFERENCES orgs (id),
    day BIGINT NOT NULL,
    placed BIGINT NOT NULL DEFAULT 0,
    moved_in BIGINT NOT NULL DEFAULT 0,
    moved_out BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (org_id, day)
);
