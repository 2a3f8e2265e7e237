-- Join security. Sending limits per network count an "ip key" (IPv4 as is, IPv6 by its /64,
-- IPv4-mapped IPv6 as IPv4), so addresses rotated inside one IPv6 network share one count.
-- Rows written before this migration count under their full address (they age out in an hour).
ALTER TABLE sms_codes ADD COLUMN ip_key TEXT;
UPDATE sms_codes SET ip_key = ip;
CREATE INDEX sms_codes_ip_key ON sms_codes (ip_key, created_at);

-- The code that created an application: a twin post of the same form (same submission key,
-- phone and code) finds its application again; a replayed key with anything else does not.
ALTER TABLE applications ADD COLUMN join_code_id BIGINT;

-- Outbox parameters are sealed from now on and emptied once a message is final; messages that
-- are already final keep nothing readable either.
UPDATE outbox SET params = '{}' WHERE status IN ('sent', 'cancelled', 'failed');
