//! The service hall's rules: who may ask for what, which union handles it, one request from a
//! form (answers sealed, files kept, the member told by SMS, the union's clock started), the
//! steps a handling union takes (one conditional write each, audited, SMS as the service says),
//! a member's supplement when more is needed, and who sees what of a request.
use super::fields::{self, Answers, FieldKind};
use super::files;
use super::repo::{self, Asker, Request, Service};
use super::types::*;
use crate::admin::repo::AdminRow;
use crate::admin::Role;
use crate::calendar::format_local;
use crate::i18n::T;
use crate::server::audit::{self, Action, Outcome, Target};
use crate::server::outbox;
use crate::server::sms::Template;
use crate::server::state::AppState;
use std::collections::BTreeMap;

#[derive(Debug, thiserror::Error)]
pub enum HallError {
    #[error(transparent)]
    Db(#[from] sqlx::Error),
    #[error("attachment storage: {0}")]
    Files(#[from] std::io::Error),
    #[error("sealed answers: {0}")]
    Seal(anyhow::Error),
}

pub type HallResult<T> = Result<T, HallError>;

impl From<HallError> for crate::server::error::AppError {
    fn from(e: HallError) -> Self {
        match e {
            HallError::Db(e) => crate::server::error::AppError::Db(e),
            other => crate::server::error::AppError::Internal(anyhow::Error::new(other)),
        }
    }
}

/// Who is asking.
pub enum Asking<'a> {
    /// A member for themselves.
    Member(&'a Asker),
    /// An admin for a member (the member's union must lie in the admin's subtree).
    ForMember { admin: &'a AdminRow, ip: &'a str, member: &'a Asker },
    /// An admin for a walk-in (services open to anyone).
    Walkin { admin: &'a AdminRow, ip: &'a str, name: crate::domain::PersonName, phone: crate::domain::Phone },
}

impl Asking<'_> {
    fn owner(&self) -> String {
        match self {
            Asking::Member(m) => format!("m:{}", m.member_id),
            Asking::ForMember { admin, .. } | Asking::Walkin { admin, .. } => format!("a:{}", admin.id),
        }
    }
    fn member(&self) -> Option<&Asker> {
        match self {
            Asking::Member(m) | Asking::ForMember { member: m, .. } => Some(m),
            Asking::Walkin { .. } => None,
        }
    }
}

/// A form as posted.
#[derive(Default)]
pub struct Posted {
    pub values: Answers,
    /// Uploaded files by field: (bytes, too large).
    pub files: BTreeMap<String, Vec<(Vec<u8>, bool)>>,
    pub kept: Vec<String>,
    pub submission: String,
}

/// What a post led to.
pub enum Asked {
    /// The request exists (made now, or by the same post before).
    Made(i64),
    /// The form again with errors next to fields and everything kept.
    Invalid { values: Answers, errors: BTreeMap<String, T>, kept: Vec<KeptFile> },
    /// This asker may not ask for this service.
    Refused(T),
}

/// May this member ask for this service? The reason when not.
pub fn refusal(service: &Service, member: Option<&Asker>) -> Option<T> {
    if !service.active || service.link.is_some() {
        return Some(T::HallNotAForm);
    }
    match member {
        None if service.audience == Audience::Member => Some(T::HallMembersOnly),
        Some(m) if !service.occupations.is_empty() && !m.occupation.as_ref().is_some_and(|o| service.occupations.contains(o)) => {
            Some(T::HallOtherOccupations)
        }
        _ => None,
    }
}

/// The union that handles this service's requests for someone of `org`.
pub async fn handling_union(state: &AppState, service: &Service, org: i64) -> HallResult<i64> {
    let pool = &state.db.pool;
    Ok(match service.handler {
        Handler::Own => org,
        Handler::County => repo::ancestor_of_kind(pool, org, "county").await?,
        Handler::City => repo::root_of(pool, org).await?,
        Handler::Named => match service.handler_org_id {
            Some(id) => id,
            None => repo::root_of(pool, org).await?,
        },
    })
}

/// Checks and makes a request.
pub async fn ask(state: &AppState, service: &Service, asking: Asking<'_>, posted: Posted) -> HallResult<Asked> {
    if let Some(t) = refusal(service, asking.member()) {
        return Ok(Asked::Refused(t));
    }
    let owner = asking.owner();
    let today = state.today();
    let mut errors: BTreeMap<String, T> = BTreeMap::new();
    let answers = match fields::check_all(&service.fields, &posted.values, today) {
        Ok(a) => Some(a),
        Err(bad) => {
            errors.extend(bad);
            None
        }
    };
    // Files: kept ones (bound to this asker) and new uploads, checked by their content.
    let mut kept: Vec<KeptFile> = Vec::new();
    for token in posted.kept.iter().take(fields::FIELDS_MAX * FILES_PER_FIELD) {
        let (field_key, token) = token.split_once(':').unwrap_or(("", token));
        let is_file_field = service.fields.iter().any(|f| f.key == field_key && f.kind == FieldKind::Attachment);
        if let (true, Some((sha, mime, size))) = (is_file_field, files::parse_kept(&state.keys, token, &owner)) {
            kept.push(KeptFile {
                field: field_key.to_string(),
                token: files::kept_token(&state.keys, &sha, mime, size, &owner),
                mime: mime.into(),
                size: size as i64,
            });
        }
    }
    for f in service.fields.iter().filter(|f| f.kind == FieldKind::Attachment) {
        for (bytes, too_large) in posted.files.get(&f.key).map(Vec::as_slice).unwrap_or(&[]) {
            if *too_large || bytes.len() > FILE_MAX_BYTES {
                errors.insert(f.key.clone(), T::HallFileTooLarge);
                continue;
            }
            let Some(mime) = files::sniff(bytes) else {
                errors.insert(f.key.clone(), T::HallFileType);
                continue;
            };
            let sha = files::store(state, bytes).await?;
            let token = files::kept_token(&state.keys, &sha, mime, bytes.len(), &owner);
            if !kept.iter().any(|k| k.field == f.key && k.token == token) {
                kept.push(KeptFile { field: f.key.clone(), token, mime: mime.into(), size: bytes.len() as i64 });
            }
        }
        let count = kept.iter().filter(|k| k.field == f.key).count();
        if count > FILES_PER_FIELD {
            errors.insert(f.key.clone(), T::HallTooManyFiles);
        } else if count == 0 && f.required {
            errors.entry(f.key.clone()).or_insert(T::HallFileNeeded);
        }
    }
    let (Some(answers), true) = (answers, errors.is_empty()) else {
        let values = posted.values.iter().map(|(k, v)| (k.clone(), v.chars().take(fields::TEXT_MAX).collect())).collect();
        return Ok(Asked::Invalid { values, errors, kept });
    };
    let key = posted.submission.trim();
    if key.len() < 16 || key.len() > 64 {
        return Ok(Asked::Refused(T::HallFormExpired));
    }

    let now = state.now();
    let org_of_asker = match &asking {
        Asking::Member(m) | Asking::ForMember { member: m, .. } => m.org_id,
        Asking::Walkin { admin, .. } => admin.org_id,
    };
    let org_id = handling_union(state, service, org_of_asker).await?;
    let due_at = state.calendar.get().working_days_after(now, service.promise_days.clamp(1, 60) as u32).due_at;
    let (member_id, name_masked, phone, filed_by, ip) = match &asking {
        Asking::Member(m) => (Some(m.member_id), crate::domain::PersonName::mask_stored(&m.name), None, None, ""),
        Asking::ForMember { admin, ip, member } => {
            (Some(member.member_id), crate::domain::PersonName::mask_stored(&member.name), None, Some(admin.id), *ip)
        }
        Asking::Walkin { admin, ip, name, phone } => (None, name.masked(), Some(phone.as_str().to_string()), Some(admin.id), *ip),
    };
    let mut tx = state.db.begin_write().await?;
    let new = repo::NewRequest {
        service_id: service.id,
        member_id,
        org_id,
        name_masked: &name_masked,
        phone: phone.as_deref(),
        filed_by,
        submission_key: key,
        due_at,
    };
    let Some(id) = repo::insert_request(&mut tx, &new, now).await? else {
        drop(tx);
        // The same form posted twice: the first post's request, if it is this asker's.
        return Ok(match repo::request_by_key(&state.db.pool, key).await? {
            Some((id, m)) if m == member_id => Asked::Made(id),
            _ => Asked::Refused(T::HallFormExpired),
        });
    };
    let json = serde_json::to_string(&answers).expect("answers serialise");
    repo::set_answers(&mut tx, id, &state.keys.seal_text(&json, &identity(id))).await?;
    repo::insert_step(&mut tx, id, Step::Received, "", filed_by, now).await?;
    for k in &kept {
        let (sha, mime, size) = files::parse_kept(&state.keys, &k.token, &owner).expect("made above");
        repo::insert_file(&mut tx, id, &k.field, &sha, mime, size as i64, now).await?;
    }
    let target_phone = match &asking {
        Asking::Member(m) | Asking::ForMember { member: m, .. } => m.phone.clone(),
        Asking::Walkin { phone, .. } => phone.as_str().to_string(),
    };
    let sent = notify(state, &mut tx, service, id, Step::Received, &target_phone, member_id.is_some(), now).await?;
    let entry = audit::Entry {
        admin_id: filed_by,
        org_id: Some(org_id),
        action: Action::ServiceAsk,
        target: Target::ServiceRequest(id),
        ip: if ip.is_empty() { "member" } else { ip },
        outcome: Outcome::Ok,
        detail: &service.code,
    };
    audit::record(&mut tx, state, now, entry).await?;
    tx.commit().await?;
    if sent {
        state.outbox_notify.notify_one();
    }
    Ok(Asked::Made(id))
}

/// The associated data answers are sealed with: the request's own row.
fn identity(id: i64) -> String {
    format!("hall_request:{id}")
}

/// The SMS for a step, when the service sends one for it. True when one was queued.
#[allow(clippy::too_many_arguments)]
async fn notify(
    state: &AppState,
    tx: &mut crate::server::db::WriteTx,
    service: &Service,
    id: i64,
    step: Step,
    phone: &str,
    member: bool,
    now: i64,
) -> sqlx::Result<bool> {
    if !service.sms_steps.contains(&step) || phone.is_empty() {
        return Ok(false);
    }
    // A member follows it in 我的; a walk-in by calling the union (no link to a page they cannot open).
    let link = if member { format!("{}/me/requests/{id}", state.config.public_url) } else { String::new() };
    let params =
        serde_json::json!({ "service": service.name, "no": request_no(id), "step": step.label().get(crate::i18n::Lang::Zh), "link": link });
    outbox::enqueue(tx, now, phone, Template::ServiceProgress, params).await?;
    Ok(true)
}

/// The answers of a request, opened; empty when erased.
pub fn open_answers(state: &AppState, r: &Request) -> HallResult<Answers> {
    if r.answers.is_empty() {
        return Ok(Answers::new());
    }
    let json = state.keys.open_text(&r.answers, &identity(r.id)).map_err(HallError::Seal)?;
    serde_json::from_str(&json).map_err(|e| HallError::Seal(e.into()))
}

/// The answers as lines, in the form's order (a field removed since is shown under its key).
pub fn answer_lines(service: &Service, answers: &Answers, reveal: bool) -> Vec<AnswerLine> {
    let mut lines: Vec<AnswerLine> = service
        .fields
        .iter()
        .filter(|f| f.kind != FieldKind::Attachment)
        .filter_map(|f| {
            let v = answers.get(&f.key)?;
            Some(AnswerLine { label: f.label.clone(), kind: f.kind, value: fields::shown(f.kind, v, reveal) })
        })
        .collect();
    for (k, v) in answers {
        if !service.fields.iter().any(|f| &f.key == k) {
            let kind = FieldKind::Text;
            let label = if k == SUPPLEMENT_KEY { T::Supplement.get(crate::i18n::Lang::Zh).to_string() } else { k.clone() };
            lines.push(AnswerLine { label, kind, value: v.clone() });
        }
    }
    lines
}

/// Where a supplement's text lies among the answers.
pub const SUPPLEMENT_KEY: &str = "_supplement";

pub fn line(r: &Request, now: i64) -> RequestLine {
    RequestLine {
        id: r.id,
        no: request_no(r.id),
        service: r.service_name.clone(),
        step: r.step,
        created: format_local(r.created_at),
        due: format_local(r.due_at),
        overdue: r.step.is_open() && r.due_at < now,
        union: r.org_name.clone(),
        name_masked: r.name_masked.clone(),
        sensitive: r.sensitive,
    }
}

pub async fn step_lines(state: &AppState, id: i64) -> HallResult<Vec<StepLine>> {
    Ok(repo::steps(&state.db.pool, id)
        .await?
        .into_iter()
        .map(|(step, note, at, org)| StepLine { step, note, at: format_local(at), by: org.unwrap_or_default() })
        .collect())
}

pub fn file_lines(service: &Service, files: &[repo::FileRec], href: impl Fn(i64) -> String) -> Vec<FileLine> {
    files
        .iter()
        .map(|(id, field, _, mime, size)| FileLine {
            id: *id,
            label: service.fields.iter().find(|f| &f.key == field).map(|f| f.label.clone()).unwrap_or_else(|| field.clone()),
            mime: mime.clone(),
            size: *size,
            href: href(*id),
        })
        .collect()
}

/// What the handling union may do and see of a request.
pub struct Access {
    /// May see the answers and files (a hardship file: managers only).
    pub answers: bool,
    /// May take steps.
    pub steps: bool,
}

/// None when the request lies outside this admin's subtree.
pub async fn access(state: &AppState, admin: &AdminRow, r: &Request) -> HallResult<Option<Access>> {
    if !crate::org::repo::is_within(&state.db.pool, r.org_id, admin.org_id).await? {
        return Ok(None);
    }
    let manager = admin.has(Role::Manager) || admin.has(Role::CityAdmin);
    let answers = if r.sensitive { manager } else { admin.can_view() };
    let steps = if r.sensitive { manager } else { admin.can_review() || manager };
    Ok(Some(Access { answers, steps }))
}

/// What taking a step led to.
pub enum Stepped {
    Done,
    /// Someone else moved it first, or this step does not follow the current one.
    Stale,
    NoteNeeded,
    NotAllowed,
}

/// A step taken by the handling union: one conditional write, a step row, an audit row and
/// the SMS (if the service sends one for this step), in one transaction.
pub async fn take_step(state: &AppState, admin: &AdminRow, ip: &str, r: &Request, to: Step, note: &str) -> HallResult<Stepped> {
    let Some(access) = access(state, admin, r).await? else { return Ok(Stepped::NotAllowed) };
    if !access.steps {
        return Ok(Stepped::NotAllowed);
    }
    if !r.step.next().contains(&to) {
        return Ok(Stepped::Stale);
    }
    let note: String = note.trim().chars().filter(|c| !c.is_control() || *c == '\n').take(500).collect();
    if to.needs_note() && note.is_empty() {
        return Ok(Stepped::NoteNeeded);
    }
    let now = state.now();
    let mut tx = state.db.begin_write().await?;
    if !repo::advance(&mut tx, r.id, r.step, to, now, None).await? {
        return Ok(Stepped::Stale);
    }
    repo::insert_step(&mut tx, r.id, to, &note, Some(admin.id), now).await?;
    audit::record(&mut tx, state, now, admin.audit(Action::ServiceStep, Target::ServiceRequest(r.id), ip, Outcome::Ok, to.as_str()))
        .await?;
    let service = repo::service_by_id(&mut tx, r.service_id).await?.expect("a request's service stays");
    let phone = match r.member_id {
        Some(m) => crate::member::repo::phone_of(&mut tx, m).await?.unwrap_or_default(),
        None => r.phone.clone().unwrap_or_default(),
    };
    let sent = notify(state, &mut tx, &service, r.id, to, &phone, r.member_id.is_some(), now).await?;
    tx.commit().await?;
    if sent {
        state.outbox_notify.notify_one();
    }
    Ok(Stepped::Done)
}

/// What a member's supplement led to.
pub enum Supplemented {
    Done,
    Empty,
    Stale,
}

/// The member answers "more needed": the text joins the sealed answers, the request goes back
/// to the union (accepted if it had been, else received) and the promise runs again.
pub async fn supplement(state: &AppState, member_id: i64, r: &Request, text: &str) -> HallResult<Supplemented> {
    let text: String = text.trim().chars().filter(|c| !c.is_control() || *c == '\n').take(fields::TEXT_MAX).collect();
    if text.is_empty() {
        return Ok(Supplemented::Empty);
    }
    if r.step != Step::MoreNeeded || r.member_id != Some(member_id) {
        return Ok(Supplemented::Stale);
    }
    let steps = repo::steps(&state.db.pool, r.id).await?;
    let back = if steps.iter().any(|(s, ..)| *s == Step::Accepted) { Step::Accepted } else { Step::Received };
    let mut answers = open_answers(state, r)?;
    let all = match answers.get(SUPPLEMENT_KEY) {
        Some(before) => format!("{before}\n---\n{text}"),
        None => text,
    };
    answers.insert(SUPPLEMENT_KEY.into(), all.chars().take(fields::TEXT_MAX * 4).collect());
    let now = state.now();
    let mut tx = state.db.begin_write().await?;
    let service = repo::service_by_id(&mut tx, r.service_id).await?.expect("a request's service stays");
    let due = state.calendar.get().working_days_after(now, service.promise_days.clamp(1, 60) as u32).due_at;
    if !repo::advance(&mut tx, r.id, Step::MoreNeeded, back, now, Some(due)).await? {
        return Ok(Supplemented::Stale);
    }
    let json = serde_json::to_string(&answers).expect("answers serialise");
    repo::set_answers(&mut tx, r.id, &state.keys.seal_text(&json, &identity(r.id))).await?;
    repo::insert_step(&mut tx, r.id, back, "", None, now).await?;
    let entry = audit::Entry {
        admin_id: None,
        org_id: Some(r.org_id),
        action: Action::ServiceAsk,
        target: Target::ServiceRequest(r.id),
        ip: "member",
        outcome: Outcome::Ok,
        detail: "supplement",
    };
    audit::record(&mut tx, state, now, entry).await?;
    tx.commit().await?;
    Ok(Supplemented::Done)
}
