-- The member's own side: sign-in sessions, the e-member card's secret id, and leaving.

-- A member who withdrew: personal data erased, the row kept (without it) for the figures.
-- NULL while a member.
ALTER TABLE members ADD COLUMN left_at BIGINT;

-- The e-member card's secret id (16 random bytes, hex), made on first use; a card code is this
-- id, a minute window and a MAC over both. Not personal data: it is kept after leaving so an
-- old card can be told "no longer a member" rather than "unknown".
ALTER TABLE members ADD COLUMN card_key TEXT;
CREATE UNIQUE INDEX members_card_key ON members (card_key);

-- Member sessions, apart from admin sessions: only a SHA-256 of the 128-bit token is stored;
-- the rows die at sign-out, on timeouts and when the member leaves.
CREATE TABLE member_sessions (
    token_hash TEXT PRIMARY KEY,
    member_id BIGINT NOT NULL REFERENCES members (id),
    created_at BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    ip TEXT NOT NULL
);
CREATE INDEX member_sessions_member ON member_sessions (member_id);

-- Signing in looks a member up by phone.
CREATE INDEX applications_phone ON applications (phone);

-- A member's own ask for a transfer (会籍接转): it goes to the member's union, whose admins
-- propose the transfer as usual (the receiving union then accepts or declines). `status`: open,
-- proposed (a transfer was proposed for the member), cancelled (the member left). At most one
-- open request per member: the unique index decides under races. `reason` is the member's own
-- words, erased when they leave.
CREATE TABLE transfer_requests (
    id @ID@,
    member_id BIGINT NOT NULL REFERENCES members (id),
    from_org_id BIGINT NOT NULL REFERENCES orgs (id),
    to_org_id BIGINT NOT NULL REFERENCES orgs (id),
    reason TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    handled_at BIGINT
);
CREATE UNIQUE INDEX transfer_requests_one_open ON transfer_requests (member_id) WHERE status = 'open';
CREATE INDEX transfer_requests_from ON transfer_requests (from_org_id, status);
