-- Keys rotation (`ejia keys rotate`) and the national algorithms.
--
-- Every data key the database has seen: its suite (`xchacha20poly1305` or `sm4-gcm`) and its
-- audit key, sealed under the active data key (rotation seals it again), so the audit rows a
-- key MAC'd stay verifiable after the key has left EJIA_DATA_KEY. The audit key is an HMAC key
-- derived from the data key: it opens nothing. `legacy` marks the key that made the values
-- stored before key ids were recorded with them (NULL below): the lowest id at the first start.
CREATE TABLE data_keys (
    key_id BIGINT PRIMARY KEY,
    alg TEXT NOT NULL,
    audit_key TEXT NOT NULL,
    legacy BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);

-- The key whose blind-index key made `id_blind` (and `open_key`); NULL: the legacy key. All
-- applications of one person carry the same index: a writer adding one first moves the
-- person's rows indexed under another key to the active one, and rotation moves a person at once.
ALTER TABLE applications ADD COLUMN id_blind_key BIGINT;

-- The key whose audit key MAC'd the row (and the head); NULL: the legacy key.
ALTER TABLE audit_log ADD COLUMN key_id BIGINT;
ALTER TABLE audit_head ADD COLUMN key_id BIGINT;
