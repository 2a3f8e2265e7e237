//! The service hall's values: who may ask, who handles, the steps of a request, and the views
//! of the member's, the handling union's and the city admin's screens.
use super::fields::{FieldDef, FieldKind};
use crate::admin::AdminInfo;
use crate::i18n::T;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The largest attachment: a phone photo shrunk in the browser is far below; a scanned PDF fits.
pub const FILE_MAX_BYTES: usize = 5 * 1024 * 1024;
/// Files one field takes.
pub const FILES_PER_FIELD: usize = 5;
/// The largest whole form post (files and answers).
pub const POST_MAX_BYTES: usize = 26 * 1024 * 1024;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Audience {
    /// Members only (optionally of some occupations).
    Member,
    /// Members, and walk-ins an admin files for.
    Anyone,
}

impl Audience {
    pub fn as_str(self) -> &'static str {
        match self {
            Audience::Member => "member",
            Audience::Anyone => "anyone",
        }
    }
    pub fn parse(s: &str) -> Option<Audience> {
        [Audience::Member, Audience::Anyone].into_iter().find(|a| a.as_str() == s.trim())
    }
    pub fn label(self) -> T {
        match self {
            Audience::Member => T::AudienceMember,
            Audience::Anyone => T::AudienceAnyone,
        }
    }
}

/// Which union handles a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Handler {
    /// The member's own union.
    Own,
    /// The county federation above the member's union.
    County,
    /// The city federation.
    City,
    /// One named union.
    Named,
}

impl Handler {
    pub const ALL: [Handler; 4] = [Handler::Own, Handler::County, Handler::City, Handler::Named];
    pub fn as_str(self) -> &'static str {
        match self {
            Handler::Own => "own",
            Handler::County => "county",
            Handler::City => "city",
            Handler::Named => "named",
        }
    }
    pub fn parse(s: &str) -> Option<Handler> {
        Handler::ALL.into_iter().find(|h| h.as_str() == s.trim())
    }
    pub fn label(self) -> T {
        match self {
            Handler::Own => T::HandlerOwn,
            Handler::County => T::HandlerCounty,
            Handler::City => T::HandlerCity,
            Handler::Named => T::HandlerNamed,
        }
    }
}

/// The steps of a request: received → accepted → in progress → done / declined / more needed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Step {
    Received,
    Accepted,
    InProgress,
    MoreNeeded,
    Done,
    Declined,
}

impl Step {
    pub const ALL: [Step; 6] = [Step::Received, Step::Accepted, Step::InProgress, Step::MoreNeeded, Step::Done, Step::Declined];
    /// The steps a handling union takes (received is the member's).
    pub const TAKEN: [Step; 5] = [Step::Accepted, Step::InProgress, Step::MoreNeeded, Step::Done, Step::Declined];

    pub fn as_str(self) -> &'static str {
        match self {
            Step::Received => "received",
            Step::Accepted => "accepted",
            Step::InProgress => "in_progress",
            Step::MoreNeeded => "more_needed",
            Step::Done => "done",
            Step::Declined => "declined",
        }
    }
    pub fn parse(s: &str) -> Option<Step> {
        Step::ALL.into_iter().find(|k| k.as_str() == s.trim())
    }
    pub fn label(self) -> T {
        match self {
            Step::Received => T::StepReceived,
            Step::Accepted => T::StepAccepted,
            Step::InProgress => T::StepInProgress,
            Step::MoreNeeded => T::StepMoreNeeded,
            Step::Done => T::StepDone,
            Step::Declined => T::StepDeclined,
        }
    }
    /// The button that takes this step.
    pub fn action(self) -> T {
        match self {
            Step::Received => T::StepReceived,
            Step::Accepted => T::DoAccept,
            Step::InProgress => T::DoStart,
            Step::MoreNeeded => T::DoAskMore,
            Step::Done => T::DoComplete,
            Step::Declined => T::DoDecline,
        }
    }
    pub fn is_final(self) -> bool {
        matches!(self, Step::Done | Step::Declined)
    }
    /// Steps the deadline runs for (the union owes an answer).
    pub fn is_open(self) -> bool {
        matches!(self, Step::Received | Step::Accepted | Step::InProgress)
    }
    /// The steps a union may take from this one.
    pub fn next(self) -> &'static [Step] {
        match self {
            Step::Received => &[Step::Accepted, Step::MoreNeeded, Step::Declined],
            Step::Accepted => &[Step::InProgress, Step::Done, Step::MoreNeeded, Step::Declined],
            Step::InProgress => &[Step::Done, Step::MoreNeeded, Step::Declined],
            Step::MoreNeeded | Step::Done | Step::Declined => &[],
        }
    }
    /// A step whose note the member must be given (what is missing, why not).
    pub fn needs_note(self) -> bool {
        matches!(self, Step::MoreNeeded | Step::Declined)
    }
}

/// A service as a card in the hall.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ServiceCard {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub summary: String,
    pub module: String,
    pub promise_days: i64,
    /// Where the card leads: the service's own pages, or its form.
    pub href: String,
    pub sensitive: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ModuleCard {
    pub code: String,
    pub name: String,
    pub services: Vec<ServiceCard>,
}

/// `/hall`: the modules and their services, or what a search found.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct HallView {
    pub modules: Vec<ModuleCard>,
    /// Module tabs: (code, name).
    pub tabs: Vec<(String, String)>,
    pub module: String,
    pub q: String,
    pub signed_in: bool,
}

/// A file kept from an earlier post of the same form (so a field error does not cost the photo).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct KeptFile {
    pub field: String,
    /// `<sha256>.<mac>`: names the stored file, bound to this asker.
    pub token: String,
    pub mime: String,
    pub size: i64,
}

/// Who an admin files for: a member by number, or a walk-in by name and phone.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct OnBehalf {
    pub member_no: String,
    pub walkin_name: String,
    pub walkin_phone: String,
}

/// A service's form (`/hall/{code}`, and `/admin/hall/file/{code}` for an admin filing).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ServiceFormView {
    pub service: ServiceCard,
    pub fields: Vec<FieldDef>,
    pub audience: Audience,
    pub values: BTreeMap<String, String>,
    pub errors: BTreeMap<String, T>,
    pub kept: Vec<KeptFile>,
    /// The form's one-time key (a post sent twice makes one request).
    pub submission: String,
    /// Why this person may not ask (not signed in, another occupation, …), if so.
    pub refusal: Option<T>,
    pub notice: Option<T>,
    /// Where the form posts.
    pub action: String,
    /// Set when an admin files for someone.
    pub on_behalf: Option<OnBehalf>,
    pub admin: Option<AdminInfo>,
}

/// A request as a line in a list.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RequestLine {
    pub id: i64,
    pub no: String,
    pub service: String,
    pub step: Step,
    pub created: String,
    pub due: String,
    pub overdue: bool,
    pub union: String,
    pub name_masked: String,
    pub sensitive: bool,
}

/// `/me/requests`: my requests.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct MyRequestsView {
    pub items: Vec<RequestLine>,
    pub notice: Option<T>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StepLine {
    pub step: Step,
    pub note: String,
    pub at: String,
    /// Who took it (the union's name; never an officer's name to the member).
    pub by: String,
}

/// An answer as a screen shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AnswerLine {
    pub label: String,
    pub kind: FieldKind,
    pub value: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FileLine {
    pub id: i64,
    pub label: String,
    pub mime: String,
    pub size: i64,
    pub href: String,
}

/// `/me/requests/{id}`: one of my requests, its steps and answers; a supplement when asked.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MyRequestView {
    pub line: RequestLine,
    pub steps: Vec<StepLine>,
    pub answers: Vec<AnswerLine>,
    pub files: Vec<FileLine>,
    pub notice: Option<(T, bool)>,
    pub supplement_error: Option<T>,
    pub supplement: String,
}

/// The handling union's queue filters (all optional, as typed).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct QueueFilter {
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub service: String,
    #[serde(default)]
    pub org: String,
    #[serde(default)]
    pub overdue: String,
}

/// `/admin/hall`: the requests of the admin's subtree.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HallQueueView {
    pub admin: AdminInfo,
    pub filter: QueueFilter,
    pub items: Vec<RequestLine>,
    pub total: i64,
    pub services: Vec<(String, String)>,
    pub orgs: Vec<crate::org::OrgChoice>,
}

/// `/admin/hall/{id}`: a request as its handling union sees it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HallRequestView {
    pub admin: AdminInfo,
    pub line: RequestLine,
    pub member_no: Option<String>,
    pub steps: Vec<StepLine>,
    /// None when the answers are sealed from this admin (a hardship file, not a manager).
    pub answers: Option<Vec<AnswerLine>>,
    pub files: Vec<FileLine>,
    pub next: Vec<Step>,
    pub revealed: bool,
    pub can_reveal: bool,
    pub notice: Option<(T, bool)>,
}

/// A service as the catalogue editor lists it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ServiceRow {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub module: String,
    pub handler: Handler,
    pub promise_days: i64,
    pub fields: usize,
    pub link: Option<String>,
    pub active: bool,
    pub sensitive: bool,
    pub requests: i64,
}

/// `/admin/services`: the catalogue.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CatalogueView {
    pub admin: AdminInfo,
    pub services: Vec<ServiceRow>,
    pub notice: Option<T>,
}

/// One row of the field editor, as typed.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct FieldRow {
    pub key: String,
    pub label: String,
    pub kind: String,
    pub required: bool,
    pub options: String,
    pub hint: String,
}

/// The service editor's form, as typed (kept on an error).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ServiceForm {
    pub module: String,
    pub code: String,
    pub name: String,
    pub summary: String,
    pub audience: String,
    pub occupations: String,
    pub handler: String,
    pub handler_org: String,
    pub promise_days: String,
    pub sms_steps: Vec<String>,
    pub link: String,
    pub sensitive: bool,
    pub active: bool,
    pub fields: Vec<FieldRow>,
}

/// `/admin/services/new`, `/admin/services/{id}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ServiceEditView {
    pub admin: AdminInfo,
    pub id: Option<i64>,
    pub form: ServiceForm,
    pub modules: Vec<(String, String)>,
    pub unions: Vec<crate::org::OrgChoice>,
    pub errors: BTreeMap<String, T>,
}

/// A request's number as the member and the union say it: FW and six digits.
pub fn request_no(id: i64) -> String {
    format!("FW{id:06}")
}
