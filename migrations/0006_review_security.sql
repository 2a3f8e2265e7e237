-- Review security: a shorter ID mask, sign-in throttling that counts before it verifies, and
-- an audit trail with a signed head that PostgreSQL also refuses to change.

-- Masks keep the first two and the last two characters (34**************3X): beside the sex
-- and an age band they no longer narrow the number down.
UPDATE applications SET id_masked = substr(id_masked, 1, 2) || '**************' || substr(id_masked, 17, 2)
    WHERE length(id_masked) = 18;

-- The audit chain's head: how many rows, the last row's id and hash, MAC'd with a key that
-- is not in the database; updated in the transaction of every append, so deleting the newest
-- rows is seen. Rows up to `legacy_last_id` predate the keyed chain (plain SHA-256); the
-- first keyed append seals the head (`mac` is empty until then).
CREATE TABLE audit_head (
    id BIGINT PRIMARY KEY,
    row_count BIGINT NOT NULL,
    last_id BIGINT NOT NULL,
    last_hash TEXT NOT NULL,
    legacy_last_id BIGINT NOT NULL,
    mac TEXT NOT NULL
);
INSERT INTO audit_head (id, row_count, last_id, last_hash, legacy_last_id, mac)
    SELECT 1, 0, 0, '', COALESCE(MAX(id), 0), '' FROM audit_log;

-- Failed sign-ins are counted per address for the audit cap.
CREATE INDEX audit_log_ip ON audit_log (ip, at);

-- postgres-only
-- The table refuses UPDATE and DELETE (an owner can still switch the trigger off; the
-- keyed chain and the signed head catch that).
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END;
$$;
CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
