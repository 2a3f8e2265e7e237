//! The member's rights over their data (PIPL): see it all, download it, correct name and plate,
//! move to a new phone (with a code sent to the new number), and withdraw — erased in one
//! transaction (see `erase`), the figures kept without the person, the audit trail saying that
//! it happened and not who.
use super::auth::{MemberResult, SignedMember};
use super::types::{DataForms, MyData, MyItem, MyItemData};
use super::{erase, repo};
use crate::calendar::format_local;
use crate::i18n::{Lang, T};
use crate::join::codes::{self, CodeRequest, Issue, Purpose, Verify};
use crate::join::validate;
use crate::org::tally;
use crate::server::audit;
use crate::server::crypto::{random_token, token_hash};
use crate::server::state::AppState;

/// The person's applications, and the transfers and transfer requests of the membership, each
/// in words: shared by 我的 and the data page (and its download).
pub async fn my_items(pool: &sqlx::AnyPool, member: &SignedMember) -> MemberResult<(Vec<MyItem>, Vec<MyItem>)> {
    let applications = repo::applications_of(pool, member.application_id)
        .await?
        .into_iter()
        .map(|(union, status, at)| MyItem {
            what: T::MeApplication,
            detail: union,
            status: crate::join::ApplicationStatus::parse(&status).map_or(T::None2, |s| s.label()),
            at: format_local(at),
        })
        .collect();
    let asked = crate::transfer::requests::of_member(pool, member.member_id).await?.into_iter().map(|(to, status, at)| MyItem {
        what: T::MeTransferRequest,
        detail: to,
        status: match status.as_str() {
            "open" => T::RequestOpen,
            "proposed" => T::RequestProposed,
            _ => T::RequestCancelled,
        },
        at: format_local(at),
    });
    let requests = repo::transfers_of(pool, member.member_id)
        .await?
        .into_iter()
        .map(|(kind, to, status, at)| MyItem {
            what: crate::transfer::TransferKind::parse(&kind).map_or(T::MeTransfer, |k| k.label()),
            detail: to.unwrap_or_default(),
            status: crate::transfer::TransferStatus::parse(&status).map_or(T::None2, |s| s.label()),
            at: format_local(at),
        })
        .chain(asked)
        .collect();
    Ok((applications, requests))
}

/// Everything stored about the member, in plain words.
pub async fn my_data(state: &AppState, member: &SignedMember) -> MemberResult<Option<MyData>> {
    let pool = &state.db.pool;
    let Some(p) = repo::person(pool, member.member_id).await? else { return Ok(None) };
    let zh = |t: T| t.get(Lang::Zh).to_string();
    let words = |i: MyItem| MyItemData { what: zh(i.what), union: i.detail, status: zh(i.status), at: i.at };
    let (applications, requests) = my_items(pool, member).await?;
    let applications = applications.into_iter().map(words).collect();
    let transfers = requests.into_iter().map(words).collect();
    let sessions = repo::sessions_of(pool, member.member_id)
        .await?
        .into_iter()
        .map(|(created, seen, ip)| format!("{} – {} ({ip})", format_local(created), format_local(seen)))
        .collect();
    Ok(Some(MyData {
        name: p.name,
        phone: p.phone,
        id_number_masked: p.id_masked,
        sex: crate::domain::id_number::Sex::from_code(&p.sex).map(|s| zh(s.label())).unwrap_or_default(),
        birth_year: p.birth_date.chars().take(4).collect(),
        plate: p.plate,
        occupation: p.occupation,
        union: p.union_name,
        in_pool: p.in_pool != 0,
        member_no: p.member_no,
        member_status: zh(if p.status == "active" { T::MemberActive } else { T::MemberMovedOut }),
        member_since: format_local(p.joined_at),
        source: zh(if p.source == "import" { T::SourceImport } else { T::SourceJoin }),
        consent_version: p.consent_version,
        consent_at: format_local(p.consent_at),
        consent_ip: p.consent_ip,
        submitted_at: format_local(p.submitted_at),
        union_history: crate::transfer::repo::moves::history(pool, member.member_id).await?,
        applications,
        transfers,
        sessions,
    }))
}

/// Corrects name and plate (parsed by the domain types); the form comes back with errors.
pub async fn correct(state: &AppState, member: &SignedMember, forms: &mut DataForms) -> MemberResult<bool> {
    let (name, plate) = (validate::name(&forms.name), validate::plate(&forms.plate));
    forms.name_error = name.as_ref().err().copied();
    forms.plate_error = plate.as_ref().err().copied();
    let (Ok(name), Ok(plate)) = (name, plate) else { return Ok(false) };
    let mut tx = state.db.begin_write().await?;
    let done = repo::correct(&mut tx, member.member_id, name.as_str(), plate.as_ref().map(|p| p.as_str())).await?;
    tx.commit().await?;
    Ok(done)
}

/// Sends a code to the new number, unless it is the member's own or another person's.
pub async fn send_phone_code(state: &AppState, member: &SignedMember, forms: &mut DataForms) -> MemberResult<()> {
    let phone = match validate::phone(&forms.new_phone) {
        Ok(p) => p,
        Err(t) => {
            forms.phone_error = Some(t);
            return Ok(());
        }
    };
    let now = state.now();
    let mut tx = state.db.begin_write().await?;
    if repo::phone_of(&mut tx, member.member_id).await?.as_deref() == Some(phone.as_str()) {
        forms.phone_error = Some(T::PhoneSameAsNow);
        return Ok(());
    }
    // Whether the number is someone else's is said only to whoever holds it (after its code):
    // asked here, it would let any member look numbers up, unsent and uncounted.
    let request = CodeRequest { purpose: Purpose::PhoneChange, phone: &phone, ip: &member.ip, captcha_solved: false, deliver: true };
    match codes::issue(&mut tx, state.db.backend, &state.keys, &state.config.limits, request, now).await? {
        Issue::Sent => forms.code_sent = true,
        Issue::Refused(t) => forms.code_error = Some(t),
        Issue::NeedCaptcha => forms.code_error = Some(T::ErrIpLimit),
    }
    tx.commit().await?;
    if forms.code_sent {
        state.outbox_notify.notify_one();
    }
    Ok(())
}

/// Moves the member to the new number with the code sent there; the old number no longer signs
/// in, its codes and messages are erased, and every session ends (one on a lost old phone
/// too): `Some(token)` is this device's new session.
pub async fn change_phone(state: &AppState, member: &SignedMember, forms: &mut DataForms, code: &str) -> MemberResult<Option<String>> {
    let (phone, code) = match (validate::phone(&forms.new_phone), validate::code(code)) {
        (Ok(p), Ok(c)) => (p, c),
        (p, c) => {
            forms.phone_error = p.err();
            forms.code_error = c.err();
            return Ok(None);
        }
    };
    let now = state.now();
    let mut tx = state.db.begin_write().await?;
    codes::lock(&mut tx, state.db.backend, codes::LOCK_PHONE, phone.as_str()).await?;
    let code_id = match codes::verify(&mut tx, &state.keys, Purpose::PhoneChange, &phone, &code, now).await? {
        Verify::Ok { code_id } => code_id,
        other => {
            tx.commit().await?;
            forms.code_error = other.error_text();
            return Ok(None);
        }
    };
    if repo::phone_taken(&mut tx, phone.as_str(), member.member_id).await? {
        forms.phone_error = Some(T::PhoneTaken);
        return Ok(None);
    }
    let old = repo::phone_of(&mut tx, member.member_id).await?;
    if !codes::mark_used(&mut tx, code_id, now).await? || !repo::set_phone(&mut tx, member.member_id, phone.as_str()).await? {
        forms.code_error = Some(T::ErrCodeMissing);
        return Ok(None);
    }
    if let Some(old) = old {
        erase::phone(&mut tx, &old).await?;
    }
    repo::delete_sessions_of(&mut tx, member.member_id).await?;
    let token = random_token();
    repo::create_session(&mut tx, &token_hash(&token), member.member_id, &member.ip, now).await?;
    tx.commit().await?;
    Ok(Some(token))
}

/// Withdraws the member: false when they had left already (a second tap, another device).
pub async fn withdraw(state: &AppState, member: &SignedMember) -> MemberResult<bool> {
    let now = state.now();
    let mut tx = state.db.begin_write().await?;
    let Some(leaving) = erase::mark_left(&mut tx, member.member_id, now).await? else { return Ok(false) };
    if leaving.active {
        tally::members(&mut tx, &[tally::MemberDelta::removed(leaving.org_id, leaving.in_pool)]).await?;
    }
    for phone in erase::applications(&mut tx, leaving.application_id).await? {
        erase::phone(&mut tx, &phone).await?;
    }
    erase::member_rows(&mut tx, member.member_id, now).await?;
    crate::transfer::requests::settle(&mut tx, member.member_id, "cancelled", now).await?;
    // That it happened, and to which (now anonymous) row — no name, number or address.
    let entry = audit::Entry {
        admin_id: None,
        org_id: Some(leaving.org_id),
        action: audit::Action::MemberLeft,
        target: audit::Target::Member(member.member_id),
        ip: "",
        outcome: audit::Outcome::Ok,
        detail: "",
    };
    audit::record(&mut tx, state, now, entry).await?;
    tx.commit().await?;
    // The erased bytes leave the database files too (SQLite: secure_delete and a checkpoint).
    if let Err(e) = state.db.checkpoint().await {
        tracing::warn!(error = %e, "checkpoint after an erasure failed; the next one will do");
    }
    tracing::info!(member_id = member.member_id, "member left; personal data erased");
    Ok(true)
}

/// Asks the member's union for a transfer to the chosen union.
pub async fn ask_transfer(state: &AppState, member: &SignedMember, forms: &mut DataForms) -> MemberResult<bool> {
    use crate::transfer::requests::{self, Requested};
    let Ok(to) = forms.transfer_to.parse::<i64>() else {
        forms.transfer_error = Some(T::ChooseUnion);
        return Ok(false);
    };
    match requests::request(state, member.member_id, to, &forms.transfer_reason).await.map_err(|e| match e {
        crate::transfer::service::TransferError::Db(e) => super::auth::MemberError::Db(e),
    })? {
        Requested::Done => Ok(true),
        Requested::Refused(t) => {
            forms.transfer_error = Some(t);
            Ok(false)
        }
    }
}
