-- Rosters out and in: export jobs run in the background and are fetched once done, by their
-- requester only, within an hour; import batches hold a validated upload between its report
-- and its confirmation, sealed (no clear ID number at rest).

-- Where an application came from: the join form, or an enterprise union's roster import.
ALTER TABLE applications ADD COLUMN source TEXT NOT NULL DEFAULT 'join';

-- One export. `filters` is the screen's filter as JSON with any search already resolved (a
-- phone, a name or the blind index of an ID number — never an ID number in clear). The
-- download token is kept only as a SHA-256. A worker claims a queued job with a conditional
-- UPDATE and keeps a lease on it, so two instances never run the same job.
CREATE TABLE export_jobs (
    id @ID@,
    admin_id BIGINT NOT NULL REFERENCES admins (id),
    org_id BIGINT NOT NULL REFERENCES orgs (id),
    kind TEXT NOT NULL,
    filters TEXT NOT NULL,
    format TEXT NOT NULL,
    reveal BIGINT NOT NULL DEFAULT 0,
    reason TEXT,
    status TEXT NOT NULL,
    rows_done BIGINT NOT NULL DEFAULT 0,
    rows_total BIGINT NOT NULL DEFAULT 0,
    file_name TEXT,
    token_hash TEXT NOT NULL,
    lease_owner TEXT,
    lease_until BIGINT,
    created_at BIGINT NOT NULL,
    finished_at BIGINT,
    expires_at BIGINT NOT NULL
);
CREATE INDEX export_jobs_status ON export_jobs (status, id);

-- One validated upload. `rows_sealed` is the valid rows as sealed JSON (the batch key is the
-- associated data); `report` lists every row's number, masked name and problems.
CREATE TABLE import_batches (
    id @ID@,
    batch_key TEXT NOT NULL UNIQUE,
    admin_id BIGINT NOT NULL REFERENCES admins (id),
    org_id BIGINT NOT NULL REFERENCES orgs (id),
    file_sha256 TEXT NOT NULL,
    total_rows BIGINT NOT NULL,
    valid_rows BIGINT NOT NULL,
    rows_sealed TEXT NOT NULL,
    report TEXT NOT NULL,
    status TEXT NOT NULL,
    imported BIGINT NOT NULL DEFAULT 0,
    skipped BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    imported_at BIGINT
);
CREATE INDEX import_batches_admin ON import_batches (admin_id, id);
