-- Legal aid (法律援助): workstations run by a union, lawyers (admin accounts with the role
-- `lawyer`, bound to the workstation's union), a duty rota by weekday with bookable slots,
-- members' bookings with their reminder mark, and written questions with their answers.

-- One workstation per union (e.g. the freight industry federation's).
CREATE TABLE legal_stations (
    id @ID@,
    org_id BIGINT NOT NULL UNIQUE REFERENCES orgs (id),
    name TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

-- Who is on duty on each weekday (1 = Monday … 7 = Sunday). A day off in the calendar has no
-- duty whatever the rota says.
CREATE TABLE legal_rota (
    station_id BIGINT NOT NULL REFERENCES legal_stations (id),
    weekday BIGINT NOT NULL,
    lawyer_id BIGINT NOT NULL REFERENCES admins (id),
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (station_id, weekday)
);

-- The slots of a weekday: start in minutes after midnight (China time) and seats.
CREATE TABLE legal_rota_slots (
    station_id BIGINT NOT NULL REFERENCES legal_stations (id),
    weekday BIGINT NOT NULL,
    start_min BIGINT NOT NULL,
    capacity BIGINT NOT NULL,
    PRIMARY KEY (station_id, weekday, start_min)
);

-- A slot on a date, written when it is first booked (INSERT … ON CONFLICT DO NOTHING, so two
-- first bookings make one row). A seat is taken by one conditional UPDATE (booked < capacity)
-- whose row count is checked; a cancellation gives it back.
CREATE TABLE legal_slots (
    id @ID@,
    station_id BIGINT NOT NULL REFERENCES legal_stations (id),
    starts_at BIGINT NOT NULL,
    weekday BIGINT NOT NULL,
    start_min BIGINT NOT NULL,
    lawyer_id BIGINT NOT NULL REFERENCES admins (id),
    capacity BIGINT NOT NULL,
    booked BIGINT NOT NULL DEFAULT 0,
    UNIQUE (station_id, starts_at)
);

-- status: booked, cancelled. `reminded_at` is set by the one conditional UPDATE that also
-- queues the reminder SMS, so the reminder goes once however many workers run.
CREATE TABLE legal_bookings (
    id @ID@,
    slot_id BIGINT NOT NULL REFERENCES legal_slots (id),
    member_id BIGINT NOT NULL REFERENCES members (id),
    topic TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    cancelled_at BIGINT,
    reminded_at BIGINT
);
-- A member holds a slot at most once.
CREATE UNIQUE INDEX legal_bookings_once ON legal_bookings (slot_id, member_id) WHERE status = 'booked';
CREATE INDEX legal_bookings_member ON legal_bookings (member_id, status);
CREATE INDEX legal_bookings_remind ON legal_bookings (status, reminded_at);

-- A written question, assigned to the lawyer on duty when it was asked; answered once (a
-- conditional UPDATE on answered_at IS NULL).
CREATE TABLE legal_questions (
    id @ID@,
    station_id BIGINT NOT NULL REFERENCES legal_stations (id),
    member_id BIGINT NOT NULL REFERENCES members (id),
    lawyer_id BIGINT NOT NULL REFERENCES admins (id),
    category TEXT NOT NULL,
    question TEXT NOT NULL,
    asked_at BIGINT NOT NULL,
    answer TEXT,
    answered_by BIGINT REFERENCES admins (id),
    answered_at BIGINT
);
CREATE INDEX legal_questions_member ON legal_questions (member_id, asked_at);
CREATE INDEX legal_questions_station ON legal_questions (station_id, answered_at);
