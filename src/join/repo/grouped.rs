//! Joins written together: the joins that keep every rule, posted at the same time, in one
//! transaction (`server::group`) — on PostgreSQL one statement (`sql`), on SQLite a script of
//! one join each (`sqlite_row`) run one after another in one transaction on the writer. Each
//! row keeps the rules of a `receive::Direct` join: the phone's newest unused code is the one
//! typed, live and not worn out, the union takes applications; the application is written
//! from the code's row unless the person has an open one or the key made one; only then the
//! code is consumed and the status link, the receipt and the channel's count written. A row
//! the statement does not return wrote nothing, and its post takes the full path, which tells
//! why.
//!
//! Rows of one statement never share a phone, a person or a key (`exclusive`), so one code
//! never unlocks two applications. On PostgreSQL the code rows are locked in id order (`FOR
//! UPDATE`): a post of the same code elsewhere waits for this statement and then finds it
//! spent.
//!
//! On PostgreSQL every row of a table is found by index (`LATERAL … LIMIT 1`, `id = ANY
//! (ARRAY(…))`), whatever the planner believes of the tables' sizes: with joins it chose hash joins that read
//! all of `sms_codes` for each statement (seen under load, the statistics lagging behind a
//! growing table).
use super::receive::{Direct, Place};
use super::{ApplicationStatus, APPLICATION_COLUMNS};
use crate::server::outbox::Prepared;

/// The columns of a join's JSON row (besides the message's, `Prepared::RECORD`).
const RECORD: &str = "submission_key text, name text, id_cipher text, id_key_id bigint, id_blind text, id_masked text,
    birth_date text, sex text, phone text, org_id bigint, in_pool bigint, channel_id bigint, occupation text,
    plate text, consent_version text, consent_ip text, now bigint, due_at bigint, due_provisional bigint,
    id_blind_key bigint, purpose text, code_mac text, max_tries bigint, place text, token_hash text";

/// The statement: `$1` the rows (a JSON array); one row back for each join written: its
/// submission key, the application's id and the receipt's.
pub fn sql() -> String {
    let values = application_values("decode(r.id_cipher, 'hex')");
    let message = Prepared::insert_from_record("r", "r.now", "FROM app JOIN r USING (submission_key) RETURNING id, correlation_id");
    format!(
        "WITH r AS (SELECT * FROM json_to_recordset(CAST($1 AS json)) AS x({RECORD}, {})),
         code AS (SELECT c.id, s.submission_key
                  FROM (SELECT r.*, newest.id AS code_id FROM r
                        CROSS JOIN LATERAL (SELECT id FROM sms_codes WHERE phone = r.phone AND purpose = r.purpose
                                            AND used_at IS NULL ORDER BY created_at DESC, id DESC LIMIT 1) newest
                        LEFT JOIN LATERAL (SELECT kind, has_pool FROM orgs WHERE id = r.org_id LIMIT 1) o ON TRUE
                        WHERE CASE r.place WHEN 'channel' THEN TRUE
                                           WHEN 'union' THEN o.kind NOT IN ('city', 'county')
                                           ELSE o.has_pool <> 0 END
                        ORDER BY newest.id OFFSET 0) s
                  CROSS JOIN LATERAL (SELECT id FROM sms_codes c WHERE c.id = s.code_id AND c.used_at IS NULL
                                      AND c.code_mac = s.code_mac AND c.expires_at > s.now AND c.wrong_tries < s.max_tries
                                      LIMIT 1 FOR UPDATE) c),
         app AS (INSERT INTO applications ({APPLICATION_COLUMNS}) SELECT {values}
                 FROM code JOIN r USING (submission_key)
                 ON CONFLICT DO NOTHING RETURNING id, submission_key, join_code_id),
         used AS (UPDATE sms_codes SET used_at = (SELECT r.now FROM app JOIN r USING (submission_key)
                                                  WHERE app.join_code_id = sms_codes.id)
                  WHERE id = ANY (ARRAY(SELECT join_code_id FROM app))),
         link AS (INSERT INTO status_tokens (token_hash, application_id, created_at)
                  SELECT r.token_hash, app.id, r.now FROM app JOIN r USING (submission_key)),
         counted AS (UPDATE channels SET completed = completed + (SELECT COUNT(*) FROM app JOIN r USING (submission_key)
                                                                  WHERE r.channel_id = channels.id)
                     WHERE id = ANY (ARRAY(SELECT r.channel_id FROM app JOIN r USING (submission_key)
                                           WHERE r.channel_id IS NOT NULL))),
         message AS ({message})
         SELECT r.submission_key, app.id, message.id FROM app JOIN r USING (submission_key)
         JOIN message ON message.correlation_id = r.correlation_id",
        Prepared::RECORD
    )
}

/// The values of `APPLICATION_COLUMNS`, in order, from the join's row `r` and the code found
/// (`code`); `cipher` decodes the row's hex ID cipher (the databases name it differently).
fn application_values(cipher: &str) -> String {
    let pending = ApplicationStatus::Pending.as_str();
    format!(
        "r.submission_key, r.name, {cipher}, r.id_key_id, r.id_blind, r.id_masked, r.birth_date, r.sex, r.phone,
         r.org_id, r.in_pool, r.channel_id, r.occupation, r.plate, '{pending}', r.id_blind, r.consent_version, r.now,
         r.consent_ip, r.now, r.due_at, r.due_provisional, r.now, r.id_blind_key, code.id"
    )
}

/// SQLite's script for one join of a group (`server::group::Sql::EachRow`): its JSON row in
/// `$1`, the rules of a `receive::Direct` join, each statement only if the one before wrote its row
/// (`changes()`); its last statement yields the key and ids of a join it wrote, nothing else.
pub fn sqlite_row() -> String {
    let values = application_values("unhex(r.id_cipher)");
    // The row's fields as columns `r.…`, for every statement.
    let columns: Vec<String> = format!("{RECORD}, {}", Prepared::RECORD)
        .split(',')
        .filter_map(|c| c.split_whitespace().next())
        .map(|name| format!("json_extract($1, '$.{name}') AS {name}"))
        .collect();
    let r = format!("WITH r AS (SELECT {})", columns.join(", "));
    let message = Prepared::insert_from_record("r", "r.now", "FROM r WHERE changes() = 1");
    format!(
        "{r} INSERT INTO applications ({APPLICATION_COLUMNS}) SELECT {values}
         FROM r JOIN sms_codes code
         WHERE code.id = (SELECT id FROM sms_codes WHERE phone = r.phone AND purpose = r.purpose AND used_at IS NULL
                          ORDER BY created_at DESC, id DESC LIMIT 1)
           AND code.used_at IS NULL AND code.code_mac = r.code_mac AND code.expires_at > r.now
           AND code.wrong_tries < r.max_tries
           AND CASE r.place WHEN 'channel' THEN 1
                            WHEN 'union' THEN EXISTS (SELECT 1 FROM orgs WHERE id = r.org_id AND kind NOT IN ('city', 'county'))
                            ELSE EXISTS (SELECT 1 FROM orgs WHERE id = r.org_id AND has_pool <> 0) END
         ON CONFLICT DO NOTHING;
         {r} UPDATE sms_codes SET used_at = (SELECT now FROM r)
             WHERE changes() = 1 AND id = (SELECT a.join_code_id FROM applications a JOIN r USING (submission_key));
         {r} INSERT INTO status_tokens (token_hash, application_id, created_at)
             SELECT r.token_hash, a.id, r.now FROM r JOIN applications a USING (submission_key) WHERE changes() = 1;
         {r} {message};
         {r} UPDATE channels SET completed = completed + 1 WHERE id = (SELECT channel_id FROM r) AND changes() = 1;
         {r} SELECT r.submission_key, a.id, o.id FROM r JOIN applications a USING (submission_key)
             JOIN outbox o ON o.correlation_id = r.correlation_id"
    )
}

/// A join as the statement's JSON row.
pub fn row(d: &Direct<'_>) -> serde_json::Value {
    let a = &d.application;
    let place = match d.place {
        Place::Channel => "channel",
        Place::Union => "union",
        Place::Pool => "pool",
    };
    let mut row = serde_json::json!({
        "submission_key": a.submission_key,
        "name": a.name,
        "id_cipher": hex::encode(&a.id_cipher),
        "id_key_id": a.id_key_id,
        "id_blind": a.id_blind,
        "id_masked": a.id_masked,
        "birth_date": a.birth_date,
        "sex": a.sex.code(),
        "phone": a.phone,
        "org_id": a.org_id,
        "in_pool": a.in_pool as i64,
        "channel_id": a.channel_id,
        "occupation": a.occupation,
        "plate": a.plate,
        "consent_version": super::super::types::CONSENT_VERSION,
        "consent_ip": a.consent_ip,
        "now": a.now,
        "due_at": a.due_at,
        "due_provisional": a.due_provisional as i64,
        "id_blind_key": a.id_blind_key,
        "purpose": d.purpose,
        "code_mac": d.code_mac,
        "max_tries": d.max_wrong_tries,
        "place": place,
        "token_hash": d.status_token_hash,
    });
    if let Some(fields) = row.as_object_mut() {
        d.message.add_json(fields);
    }
    row
}

/// What two joins of one statement must not share: the phone (its code), the person (the blind
/// index) and the submission key.
pub fn exclusive(d: &Direct<'_>) -> Vec<String> {
    let a = &d.application;
    vec![format!("phone:{}", a.phone), format!("person:{}", a.id_blind), format!("key:{}", a.submission_key)]
}
