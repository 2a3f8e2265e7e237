-- The worker-library alliance (职工书屋联盟): libraries run by unions, one catalogue shared by
-- all of them (titles by ISBN), copies with a barcode held at a library, and loans. A member
-- borrows at any library and returns at any other; the copy then stays where it was returned.

-- A library belongs to the union that runs it: that union's admins (its subtree) work the
-- counter. `loan_days`: how long a loan runs (the due date is today + loan_days).
CREATE TABLE libraries (
    id @ID@,
    org_id BIGINT NOT NULL REFERENCES orgs (id),
    name TEXT NOT NULL UNIQUE,
    address TEXT NOT NULL DEFAULT '',
    loan_days BIGINT NOT NULL DEFAULT 30,
    created_at BIGINT NOT NULL
);
CREATE INDEX libraries_org ON libraries (org_id);

-- The one catalogue of the alliance: a title is its ISBN-13 (kept normalised, unique).
CREATE TABLE book_titles (
    id @ID@,
    isbn TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    author TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

-- A copy on a shelf. `library_id` is where it is held now: a return at another library of the
-- alliance moves it there. `origin_library_id` is the library that added it (kept for the
-- record, never moved). `on_loan` is 1 while a loan is open: lending is one conditional write
-- (on_loan = 0 → 1) whose row count is checked, and the unique index on open loans below
-- backs it up.
CREATE TABLE book_copies (
    id @ID@,
    title_id BIGINT NOT NULL REFERENCES book_titles (id),
    barcode TEXT NOT NULL UNIQUE,
    library_id BIGINT NOT NULL REFERENCES libraries (id),
    origin_library_id BIGINT NOT NULL REFERENCES libraries (id),
    on_loan BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);
CREATE INDEX book_copies_title ON book_copies (title_id, library_id);
CREATE INDEX book_copies_library ON book_copies (library_id);

-- A loan: lent at one library, returned at any (`returned_library_id`). `lent_day` is the
-- local day (days since 1970-01-01 in China) for the figures; `due_day` the last day of the
-- loan. The SMS reminders: `remind_at` (two days before the due day) and `overdue_at` (the day
-- after it); `reminded_at` / `overdue_sent_at` are set by one conditional write each, in the
-- transaction that queues the message, so each goes out once however many instances run.
CREATE TABLE loans (
    id @ID@,
    copy_id BIGINT NOT NULL REFERENCES book_copies (id),
    title_id BIGINT NOT NULL REFERENCES book_titles (id),
    member_id BIGINT NOT NULL REFERENCES members (id),
    library_id BIGINT NOT NULL REFERENCES libraries (id),
    lent_by BIGINT NOT NULL REFERENCES admins (id),
    lent_at BIGINT NOT NULL,
    lent_day BIGINT NOT NULL,
    due_day BIGINT NOT NULL,
    remind_at BIGINT NOT NULL,
    overdue_at BIGINT NOT NULL,
    reminded_at BIGINT,
    overdue_sent_at BIGINT,
    returned_at BIGINT,
    returned_day BIGINT,
    returned_library_id BIGINT REFERENCES libraries (id),
    returned_by BIGINT REFERENCES admins (id)
);
-- One open loan per copy, whatever happens above.
CREATE UNIQUE INDEX loans_open_copy ON loans (copy_id) WHERE returned_at IS NULL;
CREATE INDEX loans_member ON loans (member_id, lent_at);
CREATE INDEX loans_library ON loans (library_id, lent_day);
CREATE INDEX loans_returned ON loans (returned_library_id, returned_day);
CREATE INDEX loans_remind ON loans (remind_at) WHERE returned_at IS NULL AND reminded_at IS NULL;
CREATE INDEX loans_overdue ON loans (overdue_at) WHERE returned_at IS NULL AND overdue_sent_at IS NULL;
