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
