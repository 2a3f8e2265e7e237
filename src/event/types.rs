//! Event values the pages render: the kinds the service hall links to, who may sign up, a
//! sign-up's state as its member sees it, and the views of the member's and the admin's pages.
use crate::admin::AdminInfo;
use crate::i18n::T;
use serde::{Deserialize, Serialize};

/// The longest title, place (characters).
pub const MAX_TITLE: usize = 60;
pub const MAX_PLACE: usize = 80;
pub const MAX_DESCRIPTION: usize = 1000;
/// The largest capacity an event may have.
pub const MAX_CAPACITY: i64 = 100_000;

/// What an event is; the service hall links to `/events?kind=<as_str>`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum EventKind {
    /// 文体活动
    Event,
    /// 培训报名
    Training,
    /// 技能竞赛
    Contest,
    /// 疗休养
    Trip,
    /// 健康体检
    Checkup,
}

impl EventKind {
    pub const ALL: [EventKind; 5] = [EventKind::Event, EventKind::Training, EventKind::Contest, EventKind::Trip, EventKind::Checkup];

    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Event => "event",
            EventKind::Training => "training",
            EventKind::Contest => "contest",
            EventKind::Trip => "trip",
            EventKind::Checkup => "checkup",
        }
    }
    pub fn parse(s: &str) -> Option<EventKind> {
        EventKind::ALL.into_iter().find(|k| k.as_str() == s.trim())
    }
    pub fn label(self) -> T {
        match self {
            EventKind::Event => T::EventKindEvent,
            EventKind::Training => T::EventKindTraining,
            EventKind::Contest => T::EventKindContest,
            EventKind::Trip => T::EventKindTrip,
            EventKind::Checkup => T::EventKindCheckup,
        }
    }
}

/// Who may sign up.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Audience {
    /// Members of the organiser's union and the unions below it.
    Subtree,
    /// Every member.
    All,
}

impl Audience {
    pub fn as_str(self) -> &'static str {
        match self {
            Audience::Subtree => "subtree",
            Audience::All => "all",
        }
    }
    pub fn parse(s: &str) -> Option<Audience> {
        [Audience::Subtree, Audience::All].into_iter().find(|a| a.as_str() == s.trim())
    }
}

/// A sign-up as stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SignupStatus {
    Confirmed,
    Waiting,
    Cancelled,
}

impl SignupStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            SignupStatus::Confirmed => "confirmed",
            SignupStatus::Waiting => "waiting",
            SignupStatus::Cancelled => "cancelled",
        }
    }
    pub fn parse(s: &str) -> Option<SignupStatus> {
        [SignupStatus::Confirmed, SignupStatus::Waiting, SignupStatus::Cancelled].into_iter().find(|x| x.as_str() == s)
    }
    pub fn label(self) -> T {
        match self {
            SignupStatus::Confirmed => T::EventConfirmed,
            SignupStatus::Waiting => T::EventWaiting,
            SignupStatus::Cancelled => T::EventCancelled,
        }
    }
}

/// An event as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventRow {
    pub id: i64,
    pub org_id: i64,
    pub org_name: String,
    pub kind: EventKind,
    pub title: String,
    pub description: String,
    pub place: String,
    pub starts_at: i64,
    pub ends_at: i64,
    pub signup_until: i64,
    pub capacity: i64,
    pub confirmed: i64,
    pub audience: Audience,
}

/// An event as the pages show it (times written out in China time).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventItem {
    pub id: i64,
    pub kind: EventKind,
    pub title: String,
    pub description: String,
    pub place: String,
    pub organiser: String,
    /// "2026-12-05 09:00 – 11:30"
    pub when: String,
    pub signup_until: String,
    pub capacity: i64,
    pub confirmed: i64,
    pub audience: Audience,
    /// Sign-up still open (before the deadline).
    pub open: bool,
}

impl EventItem {
    pub fn left(&self) -> i64 {
        (self.capacity - self.confirmed).max(0)
    }
}

/// The member's own sign-up of an event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MySignup {
    pub id: i64,
    pub status: SignupStatus,
    /// While waiting: the place on the waiting list (1 = next to move up).
    pub position: Option<i64>,
    pub checked_in: Option<String>,
}

/// `/events`: the events of a kind (or all), and the member's own sign-ups on them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventsView {
    pub kind: Option<EventKind>,
    pub events: Vec<(EventItem, Option<MySignup>)>,
    pub signed_in: bool,
}

/// `/events/{id}`: an event, the member's sign-up, the buttons, and the ticket's QR once shown.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventDetailView {
    pub event: EventItem,
    pub signed_in: bool,
    /// May this member sign up (audience)? `None` without a session.
    pub eligible: Option<bool>,
    pub mine: Option<MySignup>,
    pub notice: Option<(T, bool)>,
    /// The ticket: the QR as an SVG drawn on the server and the link it holds, written out for
    /// a door whose camera fails (shown after the member asks for it).
    pub ticket_qr: Option<(String, String)>,
}

/// What the admin typed into the event form, kept for a re-render.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct EventInput {
    pub org: String,
    pub kind: String,
    pub title: String,
    pub description: String,
    pub place: String,
    pub starts_at: String,
    pub ends_at: String,
    pub signup_until: String,
    pub capacity: String,
    pub audience: String,
}

/// An event's figures.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Figures {
    pub capacity: i64,
    pub confirmed: i64,
    pub waiting: i64,
    pub checked_in: i64,
    /// Confirmed and not checked in, once the event has ended (before that: 0).
    pub no_shows: i64,
    /// Checked in per confirmed, in percent (one decimal), once anyone is confirmed.
    pub rate: Option<String>,
}

impl Figures {
    pub fn of(capacity: i64, confirmed: i64, waiting: i64, checked_in: i64, ended: bool) -> Figures {
        let rate = (confirmed > 0).then(|| format!("{:.1}%", checked_in as f64 * 100.0 / confirmed as f64));
        Figures { capacity, confirmed, waiting, checked_in, no_shows: if ended { (confirmed - checked_in).max(0) } else { 0 }, rate }
    }
}

/// `/admin/events`: the events of the admin's subtree with their figures, and the form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventsAdminView {
    pub admin: AdminInfo,
    pub can_create: bool,
    pub events: Vec<(EventItem, Figures)>,
    pub orgs: Vec<crate::org::OrgChoice>,
    pub input: EventInput,
    pub notice: Option<(T, bool)>,
    pub field_error: Option<(&'static str, T)>,
}

/// A sign-up as the admin's lists show it: masked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignupLine {
    pub name_masked: String,
    pub phone_masked: String,
    pub status: SignupStatus,
    pub position: Option<i64>,
    pub promoted: bool,
    pub checked_in: Option<String>,
}

/// `/admin/events/{id}`: the registrations, the waiting list, attendance.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventAdminView {
    pub admin: AdminInfo,
    pub event: EventItem,
    pub figures: Figures,
    pub confirmed: Vec<SignupLine>,
    pub waiting: Vec<SignupLine>,
    /// Is this the event the admin's phone checks tickets in for?
    pub door_here: bool,
    pub notice: Option<(T, bool)>,
}

/// What a scanned ticket is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TicketState {
    /// Confirmed and not yet checked in: the 签到 button.
    Ready,
    /// Checked in already, at this time.
    Already(String),
    /// Just checked in.
    Done,
    /// The sign-up was cancelled, or moved back: no entry.
    Cancelled,
    /// A ticket of another event than the one this phone checks in for.
    OtherEvent(String),
    /// No event chosen for this phone yet: a button to check in for the ticket's event.
    NoDoor,
}

/// `/admin/events/ticket/{token}`: a scanned ticket.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TicketView {
    pub admin: AdminInfo,
    /// The token as the check-in form carries it again.
    pub token: String,
    pub event_id: i64,
    pub event_title: String,
    pub event_when: String,
    pub name_masked: String,
    pub state: TicketState,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for k in EventKind::ALL {
            assert_eq!(EventKind::parse(k.as_str()), Some(k));
        }
        assert_eq!(EventKind::parse("party"), None);
        assert_eq!(Audience::parse("all"), Some(Audience::All));
        assert_eq!(SignupStatus::parse("waiting"), Some(SignupStatus::Waiting));
    }

    #[test]
    fn figures_count_no_shows_after_the_end() {
        let f = Figures::of(10, 8, 3, 6, false);
        assert_eq!((f.no_shows, f.rate.as_deref()), (0, Some("75.0%")));
        let f = Figures::of(10, 8, 3, 6, true);
        assert_eq!(f.no_shows, 2);
        assert_eq!(Figures::of(10, 0, 0, 0, true).rate, None);
    }
}
