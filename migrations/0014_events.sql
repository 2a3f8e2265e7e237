-- Events and training (文体活动, 技能提升): an event organised by a union, the members' sign-ups
-- with a waiting list, and check-in at the door by a ticket whose token is kept only as a MAC.

-- kind: event (文体活动), training (培训), contest (技能竞赛), trip (疗休养), checkup (健康体检).
-- audience: subtree (members of the organiser's subtree only) or all (every member).
-- `confirmed` counts confirmed sign-ups; a sign-up takes a place by one conditional UPDATE
-- (confirmed < capacity). `queued` hands out waiting-list numbers in order. Every sign-up,
-- cancellation and promotion first writes the event row (`version`), so on PostgreSQL they
-- queue behind each other on that row lock; on SQLite the write gate already does.
CREATE TABLE events (
    id @ID@,
    org_id BIGINT NOT NULL REFERENCES orgs (id),
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    place TEXT NOT NULL,
    starts_at BIGINT NOT NULL,
    ends_at BIGINT NOT NULL,
    signup_until BIGINT NOT NULL,
    capacity BIGINT NOT NULL,
    confirmed BIGINT NOT NULL DEFAULT 0,
    queued BIGINT NOT NULL DEFAULT 0,
    version BIGINT NOT NULL DEFAULT 0,
    audience TEXT NOT NULL,
    created_by BIGINT REFERENCES admins (id),
    created_at BIGINT NOT NULL
);
CREATE INDEX events_org ON events (org_id, starts_at);
CREATE INDEX events_kind ON events (kind, starts_at);

-- status: confirmed, waiting, cancelled. `queue_no` orders the waiting list (kept after a move
-- up, for the record). `ticket_mac`: a MAC of the ticket's 128-bit token, made when the member
-- shows the ticket (a new one replaces the old); spent tokens stay to be told apart.
-- A member holds at most one live (confirmed or waiting) sign-up per event: the unique index
-- decides under races.
CREATE TABLE event_signups (
    id @ID@,
    event_id BIGINT NOT NULL REFERENCES events (id),
    member_id BIGINT NOT NULL REFERENCES members (id),
    status TEXT NOT NULL,
    queue_no BIGINT,
    signed_at BIGINT NOT NULL,
    confirmed_at BIGINT,
    promoted BIGINT NOT NULL DEFAULT 0,
    cancelled_at BIGINT,
    ticket_mac TEXT UNIQUE,
    checked_in_at BIGINT,
    checked_in_by BIGINT REFERENCES admins (id)
);
CREATE UNIQUE INDEX event_signups_live ON event_signups (event_id, member_id) WHERE status <> 'cancelled';
CREATE INDEX event_signups_event ON event_signups (event_id, status, queue_no);
CREATE INDEX event_signups_member ON event_signups (member_id);
