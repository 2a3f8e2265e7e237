//! Member values the pages render: the sign-in form and 我的.
use crate::i18n::T;
use crate::join::Captcha;
use serde::{Deserialize, Serialize};

/// What a sign-in post asks for.
pub mod intent {
    pub const SEND_CODE: &str = "send_code";
    pub const SIGN_IN: &str = "sign_in";
}

/// The sign-in form as posted (also echoed back, so the input is kept).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct LoginForm {
    pub phone: String,
    pub code: String,
    pub captcha_id: String,
    pub captcha_answer: String,
    pub intent: String,
    pub next: String,
}

/// The sign-in page: the kept phone number, the errors beside their fields, a notice.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginView {
    pub next: String,
    pub phone: String,
    pub phone_error: Option<T>,
    pub code_error: Option<T>,
    pub captcha_error: Option<T>,
    pub captcha: Option<Captcha>,
    /// "A code was sent" — the same words for a member's number and any other.
    pub notice: Option<T>,
}

/// One of my applications or requests, with its status in words.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MyItem {
    pub what: T,
    pub detail: String,
    pub status: T,
    pub at: String,
}

/// 我的: the member card and what is going on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MeView {
    pub name_masked: String,
    pub member_no: String,
    pub union: String,
    pub member_since: String,
    /// The unions belonged to, oldest first; empty for a member who never moved.
    pub history: Vec<crate::transfer::UnionSpell>,
    pub applications: Vec<MyItem>,
    pub requests: Vec<MyItem>,
    pub notice: Option<T>,
}

/// One code of the card and the minute it starts (Unix seconds).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CardCode {
    pub starts_at: i64,
    pub svg: String,
}

/// The e-member card: the current code and the next few (shown in turn by the clock on the
/// page, or the page reloads itself each minute without JavaScript).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CardView {
    pub name_masked: String,
    pub union: String,
    /// False for a member transferred out of the city: no code is shown.
    pub valid: bool,
    pub codes: Vec<CardCode>,
    pub server_now: i64,
}

/// What a scanned card code says — to anyone, without signing in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum CardCheck {
    Valid {
        union: String,
        name_masked: String,
    },
    /// A genuine code whose minute has passed (a screenshot, an old page).
    Expired,
    /// Not a code of ours (forged, mistyped).
    Unknown,
    /// A genuine card of someone who is no longer a member.
    NotMember,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CardCheckView {
    pub check: CardCheck,
    pub checked_at: String,
}
