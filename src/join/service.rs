//! The join rules on the server — one core for both paths (the island's server function and
//! the plain no-JavaScript POST): send a code, search workplaces, submit an application.
//! Validation problems are outcomes, not errors; an `Err` is a fault of ours.
use super::captcha;
use super::codes::{self, Issue, Verify};
use super::repo::{self, NewApplication};
use super::types::*;
use super::validate::{self, ParsedJoin, WorkplaceChoice};
use crate::channel::{self, ChannelInfo};
use crate::i18n::{Lang, T};
use crate::org;
use crate::server::crypto::random_token;
use crate::server::db::is_unique_violation;
use crate::server::events::{Change, ChangeKind};
use crate::server::outbox;
use crate::server::sms::Template;
use crate::server::state::AppState;

/// A fault of ours while joining (a problem with the input is a `JoinOutcome`, not this).
#[derive(Debug, thiserror::Error)]
pub enum JoinError {
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

pub type JoinResult<T> = Result<T, JoinError>;

fn invalid(field: Field, text: T) -> JoinOutcome {
    JoinOutcome::Invalid { errors: vec![FieldError { field, text }], captcha: None }
}

/// Runs what the pressed button asks for.
pub async fn handle(state: &AppState, form: JoinForm, ip: &str) -> JoinResult<JoinOutcome> {
    let form = form.clamp();
    match form.intent.as_str() {
        intent::SEND_CODE => send_code(state, &form, ip).await,
        intent::SEARCH => {
            Ok(JoinOutcome::Matches { options: org::repo::search_workplaces(&state.db.pool, &form.workplace_query, 10).await? })
        }
        _ => submit(state, &form, ip).await,
    }
}

pub async fn send_code(state: &AppState, form: &JoinForm, ip: &str) -> JoinResult<JoinOutcome> {
    let phone = match validate::phone(&form.phone) {
        Ok(p) => p,
        Err(t) => return Ok(invalid(Field::Phone, t)),
    };
    let now = state.now();
    let mut tx = state.db.begin_write().await?;
    let captcha_solved = match captcha::check_posted(&mut tx, &state.keys, &form.captcha_id, &form.captcha_answer, ip, now).await? {
        Ok(solved) => solved,
        Err(fresh) => {
            tx.commit().await?;
            return Ok(JoinOutcome::Invalid {
                errors: vec![FieldError { field: Field::Captcha, text: T::CaptchaWrong }],
                captcha: Some(fresh),
            });
        }
    };
    let request = codes::CodeRequest { purpose: codes::Purpose::Join, phone: &phone, ip, captcha_solved, deliver: true };
    let issued = codes::issue(&mut tx, state.db.backend, &state.keys, &state.config.limits, request, now).await?;
    let outcome = match issued {
        Issue::Sent => JoinOutcome::CodeSent { resend_after: RESEND_SECS },
        Issue::Refused(text) => invalid(Field::Code, text),
        Issue::NeedCaptcha => JoinOutcome::Invalid {
            errors: vec![FieldError { field: Field::Captcha, text: T::CaptchaNeeded }],
            captcha: Some(captcha::create(&mut tx, &state.keys, ip, now).await?),
        },
    };
    tx.commit().await?;
    if matches!(outcome, JoinOutcome::CodeSent { .. }) {
        state.outbox_notify.notify_one();
        tracing::info!(phone = %phone.masked(), "join code issued");
    }
    Ok(outcome)
}

/// The union an application goes to, and whether it waits in that union's turnover pool, from
/// the choice and what `prior` read of the chosen union (`None`: no such union).
fn route(choice: WorkplaceChoice, channel: Option<&ChannelInfo>, chosen: Option<(org::OrgKind, bool)>) -> Result<(i64, bool), FieldError> {
    match (choice, channel, chosen) {
        (WorkplaceChoice::Channel, Some(c), _) => Ok((c.org_id, false)),
        (WorkplaceChoice::Union(id), _, Some((kind, _))) if !kind.is_federation() => Ok((id, false)),
        (WorkplaceChoice::Union(_), _, _) => Err(FieldError { field: Field::Workplace, text: T::ErrWorkplace }),
        (WorkplaceChoice::Pool(id), _, Some((_, true))) => Ok((id, true)),
        (WorkplaceChoice::Pool(_), _, _) => Err(FieldError { field: Field::County, text: T::ErrCounty }),
        (WorkplaceChoice::Channel, None, _) => Err(FieldError { field: Field::Workplace, text: T::ErrWorkplace }),
    }
}

/// The union id `prior` looks up for a choice.
fn chosen_id(choice: WorkplaceChoice) -> Option<i64> {
    match choice {
        WorkplaceChoice::Union(id) | WorkplaceChoice::Pool(id) => Some(id),
        WorkplaceChoice::Channel => None,
    }
}

pub async fn submit(state: &AppState, form: &JoinForm, ip: &str) -> JoinResult<JoinOutcome> {
    let channel = match form.channel.trim() {
        "" => None,
        code => match channel::ChannelCode::parse(code) {
            Some(code) => channel::repo::active_by_code(&state.db.pool, &code).await?,
            None => None,
        },
    };
    if !form.channel.trim().is_empty() && channel.is_none() {
        return Ok(invalid(Field::Workplace, T::ErrChannel));
    }
    let parsed = match validate::submission(form, state.today(), channel.is_some()) {
        Ok(p) => p,
        Err(errors) => return Ok(JoinOutcome::Invalid { errors, captcha: None }),
    };
    let key = if form.submission.len() >= 16 { form.submission.clone() } else { random_token() };
    // A race with a twin submit or another application of the same person ends in a unique
    // violation; the second pass then finds what the winner wrote.
    for _ in 0..2 {
        match try_submit(state, &parsed, &key, channel.as_ref(), ip).await {
            Err(JoinError::Db(e)) if is_unique_violation(&e) => continue,
            other => return other,
        }
    }
    try_submit(state, &parsed, &key, channel.as_ref(), ip).await
}

async fn new_status_link(conn: &mut crate::server::db::Conn, application_id: i64, now: i64) -> sqlx::Result<StatusToken> {
    let token = StatusToken::fresh();
    repo::add_status_token(conn, application_id, &token.hash(), now).await?;
    Ok(token)
}

async fn try_submit(
    state: &AppState,
    p: &ParsedJoin,
    key: &str,
    channel: Option<&(i64, ChannelInfo)>,
    ip: &str,
) -> JoinResult<JoinOutcome> {
    let now = state.now();
    let backend = state.db.backend;
    let mut w = Written::new(state, p, key, now);
    if let Some(outcome) = try_direct(state, p, &w, channel, ip).await? {
        return Ok(outcome);
    }
    // Twin posts of one form wait for each other here, so the second sees the first's
    // application; posts for one phone (its code and its tries) go one at a time. PostgreSQL
    // only: SQLite's write gate already serialises them.
    let mut tx = state.db.begin_write_locked(&[("ejia/submission", key), (codes::LOCK_PHONE, p.phone.as_str())]).await?;
    // The chosen union, the post's earlier application and the phone's live code, in one read.
    let purpose = codes::Purpose::Join.as_str();
    let prior = repo::receive::prior(&mut tx, key, p.phone.as_str(), purpose, chosen_id(p.workplace)).await?;
    // A union that is not there (or not a workplace) is said first, as a field error; the
    // transaction ends unwritten.
    let (org_id, in_pool) = match route(p.workplace, channel.map(|(_, c)| c), prior.workplace) {
        Ok(r) => r,
        Err(e) => return Ok(JoinOutcome::Invalid { errors: vec![e], captcha: None }),
    };
    // The code is checked before anything is looked up: without it a post learns nothing.
    if let Some((existing, made_with)) = prior.by_key {
        // The same form sent twice (a double tap, a retry after a lost answer) carries the phone
        // and code the application was made with: same application, a fresh link to it.
        if let Some(code_id) = made_with {
            if codes::twin_matches(&mut tx, &state.keys, code_id, &p.phone, &p.code, now).await? {
                let token = new_status_link(&mut tx, existing, now).await?;
                tx.commit().await?;
                return Ok(JoinOutcome::Submitted { status_path: token.path() });
            }
        }
        // Anything else with a spent key is a post of its own, judged like any other.
        w = Written::new(state, p, &random_token(), now);
    }
    let check = codes::Check { purpose: codes::Purpose::Join, phone: &p.phone, code: &p.code, now };
    let code_id = match codes::judge(&mut tx, &state.keys, check, prior.live_code).await? {
        Verify::Ok { code_id } => code_id,
        other => {
            tx.commit().await?; // keeps the counted wrong try
            return Ok(invalid(Field::Code, other.error_text().unwrap_or(T::ErrCodeWrong)));
        }
    };
    // The person's rows indexed under another key of the ring move to the active key first, so
    // the check below and the `open_key` unique index see them (see `repo::rekey`).
    repo::rekey::person(&mut tx, &w.older_blinds, &w.blind, w.blind_key).await?;
    let receipt = outbox::Prepared::new(&tx, p.phone.as_str(), Template::Received, &w.receipt_params(state, p))?
        .handed_to(state.outbox_handoff.reserve(now));
    // One code unlocks one thing: consumed here with what it unlocks, or nothing is written.
    let received = repo::receive::receive(
        &mut tx,
        backend,
        repo::receive::Receipt {
            code_id,
            application: w.application(p, (org_id, in_pool), channel, ip, Some(code_id)),
            status_token_hash: &w.token.hash(),
            message: &receipt,
        },
    )
    .await?;
    if !received.code_consumed {
        return Ok(invalid(Field::Code, T::ErrCodeMissing));
    }
    let Some(application_id) = received.application_id else {
        // The person has an open application or membership. Say only that one exists; the
        // link goes to the phone already on file.
        let Some((existing, phone_on_file)) = repo::open_by_blind_index(&mut tx, &w.blind).await? else {
            // Closed by another writer between the two statements (rare): nothing is kept, and
            // the driver sees the busy page and sends again.
            return Err(JoinError::Db(sqlx::Error::RowNotFound));
        };
        let token = new_status_link(&mut tx, existing, now).await?;
        outbox::enqueue(
            &mut tx,
            now,
            &phone_on_file,
            Template::StatusLinkAgain,
            serde_json::json!({ "link": state.status_url(token.as_str()) }),
        )
        .await?;
        tx.commit().await?;
        state.outbox_notify.notify_one();
        return Ok(JoinOutcome::AlreadyApplied);
    };
    if let Some((channel_id, _)) = channel {
        channel::repo::count_completed(&mut tx, *channel_id).await?;
    }
    tx.commit().await?;
    let handed = received.message_id.is_some_and(|id| receipt.hand(id));
    Ok(received_now(state, application_id, &w, (org_id, in_pool), handed).await)
}

/// A post that keeps every rule: the whole join in one round trip and one transaction with the
/// other joins posted at the same time (`server::group`, `repo::grouped`), instead of the four
/// round trips of the full path. `None`: nothing was written; the full path takes the post and
/// tells what failed.
/// Not with several keys in the ring: the person's rows may first need re-keying.
async fn try_direct(
    state: &AppState,
    p: &ParsedJoin,
    w: &Written,
    channel: Option<&(i64, ChannelInfo)>,
    ip: &str,
) -> JoinResult<Option<JoinOutcome>> {
    use repo::receive::Place;
    if !w.older_blinds.is_empty() {
        return Ok(None);
    }
    let (place, org_id, in_pool) = match (p.workplace, channel) {
        (WorkplaceChoice::Channel, Some((_, c))) => (Place::Channel, c.org_id, false),
        (WorkplaceChoice::Union(id), _) => (Place::Union, id, false),
        (WorkplaceChoice::Pool(id), _) => (Place::Pool, id, true),
        (WorkplaceChoice::Channel, None) => return Ok(None),
    };
    let purpose = codes::Purpose::Join.as_str();
    let code_mac = state.keys.mac(&[purpose, p.phone.as_str(), p.code.as_str()]);
    let receipt = outbox::Prepared::for_db(&state.db, p.phone.as_str(), Template::Received, &w.receipt_params(state, p))?
        .handed_to(state.outbox_handoff.reserve(w.now));
    let direct = repo::receive::Direct {
        application: w.application(p, (org_id, in_pool), channel, ip, None),
        place,
        purpose,
        code_mac: &code_mac,
        max_wrong_tries: codes::MAX_WRONG_TRIES,
        status_token_hash: &w.token.hash(),
        message: &receipt,
    };
    let (row, exclusive) = (repo::grouped::row(&direct), repo::grouped::exclusive(&direct));
    let notify = state.outbox_notify.clone();
    // After the commit, in the group's task (so also when this post stops waiting): the receipt
    // goes to the dispatcher.
    let after: crate::server::group::After = Box::new(move |ids: &[i64]| {
        if !ids.get(1).is_some_and(|&id| receipt.hand(id)) {
            notify.notify_one();
        }
    });
    let entry = crate::server::group::Entry { key: w.key.clone(), exclusive, row, after: Some(after) };
    Ok(match state.joins.write(entry).await.as_deref() {
        Some(&[application_id, _]) => Some(received_now(state, application_id, w, (org_id, in_pool), true).await),
        _ => None,
    })
}

/// After an application is committed: the receipt is on its way (handed to the dispatcher, or
/// the dispatcher woken to claim it), the boards told, the log written.
async fn received_now(state: &AppState, application_id: i64, w: &Written, (org_id, in_pool): (i64, bool), handed: bool) -> JoinOutcome {
    if !handed {
        state.outbox_notify.notify_one();
    }
    state.events.publish(&state.db, &[Change { org_id, kind: ChangeKind::Join }]).await;
    tracing::info!(application_id, id = %w.id_masked, org_id, in_pool, "application received");
    JoinOutcome::Submitted { status_path: w.token.path() }
}

/// What a new application is written with, sealed and computed once.
struct Written {
    key: String,
    /// The blind index under the active key, and under each other key of the ring.
    blind: String,
    older_blinds: Vec<String>,
    id_masked: String,
    key_id: i64,
    cipher: Vec<u8>,
    blind_key: i64,
    deadline: crate::calendar::Deadline,
    token: StatusToken,
    now: i64,
}

impl Written {
    fn new(state: &AppState, p: &ParsedJoin, key: &str, now: i64) -> Written {
        let (key_id, cipher) = state.keys.seal_id(&p.id_number, &format!("application:{key}"));
        // Active first (`Keyring::blind_indexes`).
        let mut older_blinds = state.keys.blind_indexes(&p.id_number);
        let blind = older_blinds.remove(0);
        Written {
            key: key.to_string(),
            blind,
            older_blinds,
            id_masked: p.id_number.masked(),
            key_id,
            cipher,
            blind_key: state.keys.active_id(),
            deadline: state.deadline(now),
            token: StatusToken::fresh(),
            now,
        }
    }

    fn receipt_params(&self, state: &AppState, p: &ParsedJoin) -> serde_json::Value {
        serde_json::json!({
            "name": p.name.masked(),
            "due": crate::calendar::format_local(self.deadline.due_at),
            "link": state.status_url(self.token.as_str()),
        })
    }

    fn application<'a>(
        &'a self,
        p: &'a ParsedJoin,
        (org_id, in_pool): (i64, bool),
        channel: Option<&'a (i64, ChannelInfo)>,
        ip: &'a str,
        join_code_id: Option<i64>,
    ) -> NewApplication<'a> {
        NewApplication {
            submission_key: &self.key,
            name: p.name.as_str(),
            id_cipher: self.cipher.clone(),
            id_key_id: self.key_id,
            id_blind: &self.blind,
            id_blind_key: self.blind_key,
            id_masked: &self.id_masked,
            birth_date: p.id_number.birth_date().to_string(),
            sex: p.id_number.sex(),
            phone: p.phone.as_str(),
            org_id,
            in_pool,
            channel_id: channel.map(|(id, _)| *id),
            occupation: channel.map(|(_, c)| c.occupation.as_str()),
            plate: p.plate.as_ref().map(|x| x.as_str()),
            consent_ip: ip,
            now: self.now,
            due_at: self.deadline.due_at,
            due_provisional: self.deadline.provisional,
            join_code_id,
        }
    }
}

/// Builds what the join page renders: the channel, the pools, the named choice and the echo.
pub async fn view(
    state: &AppState,
    lang: Lang,
    channel_code: Option<&str>,
    mut values: JoinForm,
    outcome: Option<JoinOutcome>,
) -> JoinResult<Option<JoinView>> {
    let channel = match channel_code {
        Some(code) => match channel::ChannelCode::parse(code) {
            Some(code) => match channel::repo::active_by_code(&state.db.pool, &code).await? {
                Some((_, c)) => Some(c),
                None => return Ok(None),
            },
            None => return Ok(None),
        },
        None => None,
    };
    values.channel = channel.as_ref().map(|c| c.code.to_string()).unwrap_or_default();
    if values.submission.len() < 16 {
        values.submission = random_token();
    }
    let pools = org::repo::pools(&state.db.pool)
        .await?
        .into_iter()
        .map(|(org, kind)| PoolOption { org, is_city: kind == org::OrgKind::City })
        .collect();
    let chosen = match values.workplace.parse::<i64>() {
        Ok(id) => org::repo::get(&state.db.pool, id).await?.map(|o| org::OrgOption { id: o.id, name: o.name, parent: None }),
        Err(_) => None,
    };
    let action = match &channel {
        Some(c) => format!("/j/{}", c.code),
        None => "/join".to_string(),
    };
    Ok(Some(JoinView { lang, action, values, outcome, channel, pools, chosen }))
}

/// A returned application comes back corrected: pending again, with a fresh working day.
pub async fn resubmit(
    state: &AppState,
    application_id: i64,
    name: &crate::domain::PersonName,
    plate: Option<&crate::domain::PlateNumber>,
    ip: &str,
) -> JoinResult<()> {
    let now = state.now();
    let deadline = state.deadline(now);
    let mut tx = state.db.begin_write().await?;
    let resubmitted = repo::resubmit(&mut tx, application_id, name, plate, now, &deadline).await?;
    if resubmitted {
        crate::server::audit::record(
            &mut tx,
            state,
            now,
            crate::server::audit::Entry {
                admin_id: None,
                org_id: None,
                action: crate::server::audit::Action::Resubmit,
                target: crate::server::audit::Target::Application(application_id),
                ip,
                outcome: crate::server::audit::Outcome::Ok,
                detail: "",
            },
        )
        .await?;
    }
    let org_id = repo::org_of(&mut tx, application_id).await?;
    tx.commit().await?;
    if resubmitted {
        // Pending again: the command centre counts it.
        state.events.publish(&state.db, &[Change { org_id, kind: ChangeKind::Join }]).await;
    }
    Ok(())
}
