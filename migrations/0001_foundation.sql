-- The foundation: the organisation tree, join channels, applications, one-time codes, the SMS
-- outbox and the working-day calendar. One portable script for SQLite and PostgreSQL: the runner
-- replaces @ID@ and @BLOB@, everything else is common SQL. Times are Unix seconds (BIGINT),
-- flags are 0/1 (BIGINT), so both databases read the same values.

-- Unions of any depth. `org_closure` holds every (ancestor, descendant) pair, the node itself
-- included, so "is X inside Y's subtree" is one primary-key lookup.
CREATE TABLE orgs (
    id @ID@,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    region_code TEXT NOT NULL,
    parent_id BIGINT REFERENCES orgs (id),
    depth BIGINT NOT NULL,
    -- county federations and the city run a turnover pool (周转池)
    has_pool BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);
CREATE INDEX orgs_parent ON orgs (parent_id);

CREATE TABLE org_closure (
    ancestor_id BIGINT NOT NULL REFERENCES orgs (id),
    descendant_id BIGINT NOT NULL REFERENCES orgs (id),
    distance BIGINT NOT NULL,
    PRIMARY KEY (ancestor_id, descendant_id)
);
CREATE INDEX org_closure_descendant ON org_closure (descendant_id, distance);

-- A poster's QR code leads to /j/<code>: the channel fixes the union and the occupation.
CREATE TABLE channels (
    id @ID@,
    code TEXT NOT NULL UNIQUE,
    org_id BIGINT NOT NULL REFERENCES orgs (id),
    name TEXT NOT NULL,
    occupation TEXT NOT NULL,
    active BIGINT NOT NULL DEFAULT 1,
    scans BIGINT NOT NULL DEFAULT 0,
    completed BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);
CREATE INDEX channels_org ON channels (org_id);

-- The ID number is stored only encrypted (`id_cipher`, key `id_key_id`, the submission key as
-- associated data) plus a keyed blind index for duplicate checks. `open_key` carries the blind
-- index while the application is open or approved and is NULL after a rejection, so the unique
-- index allows at most one open application or membership per person, even under races.
CREATE TABLE applications (
    id @ID@,
    submission_key TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    id_cipher @BLOB@ NOT NULL,
    id_key_id BIGINT NOT NULL,
    id_blind TEXT NOT NULL,
    id_masked TEXT NOT NULL,
    birth_date TEXT NOT NULL,
    sex TEXT NOT NULL,
    phone TEXT NOT NULL,
    org_id BIGINT NOT NULL REFERENCES orgs (id),
    in_pool BIGINT NOT NULL,
    channel_id BIGINT REFERENCES channels (id),
    occupation TEXT,
    plate TEXT,
    status TEXT NOT NULL,
    open_key TEXT UNIQUE,
    consent_version TEXT NOT NULL,
    consent_at BIGINT NOT NULL,
    consent_ip TEXT NOT NULL,
    submitted_at BIGINT NOT NULL,
    due_at BIGINT NOT NULL,
    due_provisional BIGINT NOT NULL,
    decided_at BIGINT
);
CREATE INDEX applications_queue ON applications (org_id, status, due_at);
CREATE INDEX applications_blind ON applications (id_blind);

-- Status links /s/<token>: only a SHA-256 of the 128-bit token is kept.
CREATE TABLE status_tokens (
    token_hash TEXT PRIMARY KEY,
    application_id BIGINT NOT NULL REFERENCES applications (id),
    created_at BIGINT NOT NULL
);
CREATE INDEX status_tokens_application ON status_tokens (application_id);

-- One-time SMS codes (an HMAC of phone, purpose and code, never the code) and the send history
-- the per-phone and per-IP limits are counted from, so they hold across instances.
CREATE TABLE sms_codes (
    id @ID@,
    phone TEXT NOT NULL,
    purpose TEXT NOT NULL,
    code_mac TEXT NOT NULL,
    ip TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    wrong_tries BIGINT NOT NULL DEFAULT 0,
    used_at BIGINT
);
CREATE INDEX sms_codes_phone ON sms_codes (phone, purpose, created_at);
CREATE INDEX sms_codes_ip ON sms_codes (ip, created_at);

-- Self-hosted picture checks asked of a network that has sent too many codes.
CREATE TABLE captchas (
    id TEXT PRIMARY KEY,
    answer_mac TEXT NOT NULL,
    ip TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    solved_at BIGINT
);

-- The transactional outbox: a message is written with the change that causes it, then delivered
-- by the dispatcher at most once. `sending` rows whose lease ran out have an unknown outcome and
-- are reconciled through the provider, never blindly resent.
CREATE TABLE outbox (
    id @ID@,
    correlation_id TEXT NOT NULL UNIQUE,
    to_phone TEXT NOT NULL,
    template TEXT NOT NULL,
    params TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    lease_owner TEXT,
    lease_until BIGINT,
    last_error TEXT,
    provider TEXT,
    provider_message_id TEXT,
    created_at BIGINT NOT NULL,
    sent_at BIGINT
);
CREATE INDEX outbox_due ON outbox (status, next_attempt_at);

-- Admin overrides on top of the shipped holiday schedules, and settings such as office hours.
CREATE TABLE calendar_overrides (
    day TEXT PRIMARY KEY,
    is_off_day BIGINT NOT NULL,
    note TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
