-- The command centre's running totals. Every union's row covers its whole subtree and is kept
-- in the transaction of the change (an approval, an undo, a transfer, an import), so a
-- dashboard reads one row per union shown, however many members there are.
CREATE TABLE org_tallies (
    org_id BIGINT PRIMARY KEY REFERENCES orgs (id),
    members BIGINT NOT NULL DEFAULT 0,
    pooled BIGINT NOT NULL DEFAULT 0
);

-- Per union and day (China's calendar day, counted from 1970-01-01): members joined,
-- decisions made, decisions made by their deadline.
CREATE TABLE org_daily (
    org_id BIGINT NOT NULL REFERENCES orgs (id),
    day BIGINT NOT NULL,
    joined BIGINT NOT NULL DEFAULT 0,
    decided BIGINT NOT NULL DEFAULT 0,
    on_time BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (org_id, day)
);

-- Chasing (督办) by hand from the overdue list: who chased which application when; at most
-- once an hour per application.
CREATE TABLE chases (
    id @ID@,
    application_id BIGINT NOT NULL REFERENCES applications (id),
    admin_id BIGINT NOT NULL REFERENCES admins (id),
    org_id BIGINT NOT NULL REFERENCES orgs (id),
    created_at BIGINT NOT NULL
);
CREATE INDEX chases_application ON chases (application_id, created_at);

-- Pooled members, oldest first, per pool.
CREATE INDEX members_pool ON members (in_pool, org_id, joined_at);
-- Pending applications past their deadline, oldest first.
CREATE INDEX applications_due ON applications (status, due_at);

-- What is already there.
INSERT INTO org_tallies (org_id, members, pooled)
    SELECT c.ancestor_id, COUNT(*), SUM(m.in_pool) FROM org_closure c JOIN members m ON m.org_id = c.descendant_id
    GROUP BY c.ancestor_id;
INSERT INTO org_daily (org_id, day, joined, decided, on_time)
    SELECT c.ancestor_id, (a.decided_at + 28800) / 86400,
           SUM(CASE WHEN a.status = 'approved' THEN 1 ELSE 0 END), COUNT(*),
           SUM(CASE WHEN a.decided_at <= a.due_at THEN 1 ELSE 0 END)
    FROM org_closure c JOIN applications a ON a.org_id = c.descendant_id
    WHERE a.decided_at IS NOT NULL
    GROUP BY c.ancestor_id, (a.decided_at + 28800) / 86400;
