-- Review: admin accounts bound to one union, their sessions (in the database, so every
-- instance shares them), login throttling, members made by approval, decisions with their
-- undo, escalations, and the hash-chained audit trail.

CREATE TABLE admins (
    id @ID@,
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    org_id BIGINT NOT NULL REFERENCES orgs (id),
    -- comma-separated: reviewer, manager, city_admin, leader
    roles TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    phone TEXT,
    disabled BIGINT NOT NULL DEFAULT 0,
    created_by BIGINT REFERENCES admins (id),
    created_at BIGINT NOT NULL,
    last_active_at BIGINT
);
CREATE INDEX admins_org ON admins (org_id);

-- Only a SHA-256 of the session token is stored; the row dies at logout or when disabled.
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    admin_id BIGINT NOT NULL REFERENCES admins (id),
    created_at BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    ip TEXT NOT NULL
);
CREATE INDEX sessions_admin ON sessions (admin_id);

-- Failed logins by username and by IP, counted over a window: slow down, then ask a picture
-- check; never a permanent lock-out.
CREATE TABLE login_failures (
    id @ID@,
    username TEXT NOT NULL,
    ip TEXT NOT NULL,
    at BIGINT NOT NULL
);
CREATE INDEX login_failures_user ON login_failures (username, at);
CREATE INDEX login_failures_ip ON login_failures (ip, at);

-- A member is made by approving an application; pool members wait in a county's pool.
CREATE TABLE members (
    id @ID@,
    application_id BIGINT NOT NULL UNIQUE REFERENCES applications (id),
    org_id BIGINT NOT NULL REFERENCES orgs (id),
    member_no TEXT NOT NULL UNIQUE,
    in_pool BIGINT NOT NULL,
    joined_at BIGINT NOT NULL
);
CREATE INDEX members_org ON members (org_id);

CREATE TABLE member_counters (
    org_id BIGINT PRIMARY KEY REFERENCES orgs (id),
    last_no BIGINT NOT NULL
);

-- Every decision, and its undo as a compensating record (never a deletion of the decision).
CREATE TABLE decisions (
    id @ID@,
    application_id BIGINT NOT NULL REFERENCES applications (id),
    admin_id BIGINT NOT NULL REFERENCES admins (id),
    action TEXT NOT NULL,
    reason TEXT,
    outbox_id BIGINT,
    created_at BIGINT NOT NULL,
    undone_at BIGINT
);
CREATE INDEX decisions_application ON decisions (application_id, created_at);

ALTER TABLE applications ADD COLUMN decided_by BIGINT;
ALTER TABLE applications ADD COLUMN decision_reason TEXT;

-- Append-only, hash-chained: each row's hash covers its content and the previous hash.
CREATE TABLE audit_log (
    id @ID@,
    at BIGINT NOT NULL,
    admin_id BIGINT,
    org_id BIGINT,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    ip TEXT NOT NULL,
    outcome TEXT NOT NULL,
    detail TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
