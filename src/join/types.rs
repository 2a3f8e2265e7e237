//! The join form as typed, its field errors and the outcomes of a post — shared by the island
//! in the browser, the server function and the plain no-JavaScript POST handler.
use crate::channel::ChannelInfo;
use crate::i18n::{Lang, T};
use crate::org::OrgOption;
use serde::{Deserialize, Serialize};

/// The notice version a ticked consent box refers to (stored with the application).
pub const CONSENT_VERSION: &str = "2026-11-v1";
/// Seconds before another code may be asked for the same phone.
pub const RESEND_SECS: u32 = 60;
/// The longest value any field accepts; longer input is refused with a message, not a fault.
pub const MAX_FIELD_CHARS: usize = 100;

/// Where an application stands. Stored as its `as_str` text; compared only as this type.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ApplicationStatus {
    #[default]
    Pending,
    Approved,
    Rejected,
    /// 退回补充: back with the applicant for a correction; the clock stops.
    Returned,
}

impl ApplicationStatus {
    pub const ALL: [ApplicationStatus; 4] =
        [ApplicationStatus::Pending, ApplicationStatus::Approved, ApplicationStatus::Rejected, ApplicationStatus::Returned];

    pub fn as_str(self) -> &'static str {
        match self {
            ApplicationStatus::Pending => "pending",
            ApplicationStatus::Approved => "approved",
            ApplicationStatus::Rejected => "rejected",
            ApplicationStatus::Returned => "returned",
        }
    }

    pub fn parse(s: &str) -> Option<ApplicationStatus> {
        ApplicationStatus::ALL.into_iter().find(|st| st.as_str() == s)
    }

    pub fn label(self) -> T {
        match self {
            ApplicationStatus::Pending => T::StatusPending,
            ApplicationStatus::Approved => T::StatusApproved,
            ApplicationStatus::Rejected => T::StatusRejected,
            ApplicationStatus::Returned => T::StatusReturned,
        }
    }

    pub fn is_pending(self) -> bool {
        self == ApplicationStatus::Pending
    }
}

/// The secret of a status link (`/s/<token>`): 128 random bits, base64url, 22 characters. Only
/// its hash is stored; the field is private, so a token is either fresh or parsed.
#[derive(Clone, PartialEq, Eq)]
pub struct StatusToken(String);

impl StatusToken {
    /// A token as it came in a link; `None` for anything that cannot be one (nothing is looked up).
    pub fn parse(s: &str) -> Option<StatusToken> {
        (s.len() == 22 && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')).then(|| StatusToken(s.to_string()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// The status page's path.
    pub fn path(&self) -> String {
        format!("/s/{}", self.0)
    }
}

/// Never printed: a token in a log would be a key in the log.
impl std::fmt::Debug for StatusToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StatusToken(…)")
    }
}

#[cfg(feature = "ssr")]
impl StatusToken {
    pub fn fresh() -> StatusToken {
        StatusToken(crate::server::crypto::random_token())
    }
    /// What is stored and looked up.
    pub fn hash(&self) -> String {
        crate::server::crypto::token_hash(&self.0)
    }
}

/// What a button asks for.
pub mod intent {
    pub const SUBMIT: &str = "submit";
    pub const SEND_CODE: &str = "send_code";
    pub const SEARCH: &str = "search";
}

/// The form exactly as typed: every field raw, parsed only by `validate`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct JoinForm {
    pub name: String,
    pub id_number: String,
    pub phone: String,
    pub code: String,
    /// A union id, `none` for 暂无固定单位, or empty.
    pub workplace: String,
    pub workplace_query: String,
    /// The union id of the chosen turnover pool (with `workplace = none`).
    pub county: String,
    pub plate: String,
    /// `yes` when the consent box is ticked.
    pub consent: String,
    /// The public code of the join channel, if any.
    pub channel: String,
    pub intent: String,
    /// A random key set when the form is first shown: a double submit makes one application.
    pub submission: String,
    pub captcha_id: String,
    pub captcha_answer: String,
}

pub const NO_FIXED_WORKPLACE: &str = "none";

impl JoinForm {
    /// Cuts every field to a sane length, so oversized input can never reach the rules.
    pub fn clamp(mut self) -> JoinForm {
        for f in [
            &mut self.name,
            &mut self.id_number,
            &mut self.phone,
            &mut self.code,
            &mut self.workplace,
            &mut self.workplace_query,
            &mut self.county,
            &mut self.plate,
            &mut self.consent,
            &mut self.channel,
            &mut self.intent,
            &mut self.submission,
            &mut self.captcha_id,
            &mut self.captcha_answer,
        ] {
            if f.chars().count() > MAX_FIELD_CHARS {
                *f = f.chars().take(MAX_FIELD_CHARS).collect();
            }
        }
        self
    }
}

/// The form's fields, listed once: their ids in the page, labels, keyboards and typed values
/// all come from here.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Field {
    Name,
    IdNumber,
    Phone,
    Code,
    Workplace,
    County,
    Plate,
    Consent,
    Captcha,
}

/// How a text field's input is typed on a phone: its `type`, the keyboard (`inputmode`), what
/// autofill may offer (`autocomplete`), the longest input and whether to spell-check it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct InputKind {
    pub input_type: Option<&'static str>,
    pub inputmode: Option<&'static str>,
    pub autocomplete: &'static str,
    pub maxlength: Option<&'static str>,
    pub spellcheck: Option<&'static str>,
}

impl Field {
    /// Every field, in the order of the page.
    pub const ALL: [Field; 9] = [
        Field::Name,
        Field::IdNumber,
        Field::Phone,
        Field::Captcha,
        Field::Code,
        Field::Workplace,
        Field::County,
        Field::Plate,
        Field::Consent,
    ];

    /// The input's `id` (and `name`) in the page.
    pub fn input_id(self) -> &'static str {
        match self {
            Field::Name => "name",
            Field::IdNumber => "id_number",
            Field::Phone => "phone",
            Field::Code => "code",
            Field::Workplace => "workplace_query",
            Field::County => "county",
            Field::Plate => "plate",
            Field::Consent => "consent",
            Field::Captcha => "captcha_answer",
        }
    }

    /// The `id` of the line that shows the field's error (its `aria-describedby`).
    pub fn error_id(self) -> String {
        format!("{}-err", self.input_id())
    }

    /// The field's label.
    pub fn label(self) -> T {
        match self {
            Field::Name => T::Name,
            Field::IdNumber => T::IdNumber,
            Field::Phone => T::Phone,
            Field::Code => T::Code,
            Field::Workplace => T::Workplace,
            Field::County => T::County,
            Field::Plate => T::Plate,
            Field::Consent => T::Consent,
            Field::Captcha => T::CaptchaDigitsLabel,
        }
    }

    /// The keyboard and autofill of a text field (the select and check boxes take none).
    pub fn input_kind(self) -> InputKind {
        let off = InputKind { autocomplete: "off", ..InputKind::default() };
        match self {
            Field::Name => InputKind { autocomplete: "name", ..off },
            Field::IdNumber => InputKind { inputmode: Some("text"), maxlength: Some("24"), spellcheck: Some("false"), ..off },
            Field::Phone => {
                InputKind { input_type: Some("tel"), inputmode: Some("numeric"), autocomplete: "tel", maxlength: Some("20"), ..off }
            }
            Field::Code => InputKind { inputmode: Some("numeric"), autocomplete: "one-time-code", maxlength: Some("6"), ..off },
            Field::Captcha => InputKind { inputmode: Some("numeric"), maxlength: Some("8"), ..off },
            Field::Plate => InputKind { maxlength: Some("12"), ..off },
            Field::Workplace => InputKind { input_type: Some("search"), autocomplete: "organization", ..off },
            Field::County | Field::Consent => off,
        }
    }

    /// What was typed into the field.
    pub fn value_in(self, form: &JoinForm) -> &str {
        match self {
            Field::Name => &form.name,
            Field::IdNumber => &form.id_number,
            Field::Phone => &form.phone,
            Field::Code => &form.code,
            Field::Workplace => &form.workplace_query,
            Field::County => &form.county,
            Field::Plate => &form.plate,
            Field::Consent => &form.consent,
            Field::Captcha => &form.captcha_answer,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    pub field: Field,
    pub text: T,
}

/// A self-hosted picture check: an SVG of a small sum.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Captcha {
    pub id: String,
    pub svg: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum JoinOutcome {
    /// Field problems; nothing was written (except a counted wrong code try).
    Invalid { errors: Vec<FieldError>, captcha: Option<Captcha> },
    /// A code is on its way; another may be asked after `resend_after` seconds.
    CodeSent { resend_after: u32 },
    /// Workplaces matching the search (the no-JavaScript search).
    Matches { options: Vec<OrgOption> },
    /// The application exists; go to its status page.
    Submitted { status_path: String },
    /// The ID has an open application: the status link went again to the phone on file.
    AlreadyApplied,
}

/// A turnover pool to choose under 暂无固定单位.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PoolOption {
    pub org: OrgOption,
    /// The city's pool, offered as 其他/外地.
    pub is_city: bool,
}

/// Everything the join form needs to render, on the server and again when the island wakes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JoinView {
    pub lang: Lang,
    /// Where the form posts: `/join` or `/j/<code>`.
    pub action: String,
    pub values: JoinForm,
    pub outcome: Option<JoinOutcome>,
    pub channel: Option<ChannelInfo>,
    pub pools: Vec<PoolOption>,
    /// The chosen workplace, named, when one is chosen.
    pub chosen: Option<OrgOption>,
}

#[cfg(test)]
mod field_tests {
    use super::*;
    use crate::i18n::Lang;

    #[test]
    fn each_field_has_its_own_input_and_label() {
        let ids: std::collections::HashSet<_> = Field::ALL.iter().map(|f| f.input_id()).collect();
        assert_eq!(ids.len(), Field::ALL.len());
        let labels: std::collections::HashSet<_> = Field::ALL.iter().map(|f| f.label().get(Lang::Zh)).collect();
        assert_eq!(labels.len(), Field::ALL.len());
        assert_eq!(Field::Code.error_id(), "code-err");
    }

    #[test]
    fn values_come_from_the_matching_form_field() {
        let form = JoinForm {
            name: "n".into(),
            id_number: "i".into(),
            phone: "p".into(),
            code: "c".into(),
            workplace_query: "w".into(),
            county: "k".into(),
            plate: "l".into(),
            consent: "yes".into(),
            captcha_answer: "a".into(),
            ..JoinForm::default()
        };
        let values: Vec<_> = Field::ALL.iter().map(|f| f.value_in(&form)).collect();
        assert_eq!(values, ["n", "i", "p", "a", "c", "w", "k", "l", "yes"]);
    }
}

#[cfg(test)]
mod status_tests {
    use super::{ApplicationStatus, StatusToken};

    #[test]
    fn status_tokens_are_22_url_safe_characters() {
        let t = StatusToken::parse("AbCdEfGhIjKlMnOpQrSt-_").unwrap();
        assert_eq!(StatusToken::parse(t.as_str()), Some(t.clone()));
        assert_eq!(t.path(), "/s/AbCdEfGhIjKlMnOpQrSt-_");
        assert_eq!(format!("{t:?}"), "StatusToken(…)");
        for bad in ["", "short", "AbCdEfGhIjKlMnOpQrSt-/", "AbCdEfGhIjKlMnOpQrSt-_x", "AbCdEfGhIjKlMnOpQrSt%2"] {
            assert_eq!(StatusToken::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn statuses_round_trip_through_their_stored_text() {
        for st in ApplicationStatus::ALL {
            assert_eq!(ApplicationStatus::parse(st.as_str()), Some(st));
        }
        assert_eq!(ApplicationStatus::parse("Pending"), None);
        assert_eq!(ApplicationStatus::parse(""), None);
    }
}
