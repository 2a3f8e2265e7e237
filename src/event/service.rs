//! The event rules. Signing up, cancelling and moving up the waiting list each run in one
//! transaction that first writes the event row (`repo::lock_event`), so on PostgreSQL they
//! queue behind each other per event and on SQLite the write gate already does; inside it a
//! place is taken or given back by one conditional write whose row count is checked. A
//! cancelled place goes to the first on the waiting list in the same transaction, with its SMS
//! in the outbox. Creating events (a union's managers, the city admin; inside their subtree) is
//! here too; tickets and check-in are in `checkin`.
use super::repo::{self, NewEvent};
use super::{Audience, EventInput, EventItem, EventKind, EventRow, Figures, MySignup, SignupStatus};
use super::{MAX_CAPACITY, MAX_DESCRIPTION, MAX_PLACE, MAX_TITLE};
use crate::admin::repo::AdminRow;
use crate::calendar::{format_local, local_to_unix};
use crate::domain::Ymd;
use crate::i18n::T;
use crate::server::audit::{self, Action, Outcome, Target};
use crate::server::db::Conn;
use crate::server::outbox;
use crate::server::sms::Template;
use crate::server::state::AppState;

/// A fault of ours in the event area (a refusal is an outcome, not this).
#[derive(Debug, thiserror::Error)]
pub enum EventError {
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

pub type EventResult<T> = Result<T, EventError>;

impl From<EventError> for crate::server::error::AppError {
    fn from(e: EventError) -> crate::server::error::AppError {
        match e {
            EventError::Db(e) => crate::server::error::AppError::Db(e),
        }
    }
}

pub fn item(e: &EventRow, now: i64) -> EventItem {
    let end = format_local(e.ends_at);
    let start = format_local(e.starts_at);
    // The same day: "2026-12-05 09:00 – 11:30".
    let end = if end.get(..10) == start.get(..10) { end.get(11..).unwrap_or_default().to_string() } else { end };
    EventItem {
        id: e.id,
        kind: e.kind,
        title: e.title.clone(),
        description: e.description.clone(),
        place: e.place.clone(),
        organiser: e.org_name.clone(),
        when: format!("{start} – {end}"),
        signup_until: format_local(e.signup_until),
        capacity: e.capacity,
        confirmed: e.confirmed,
        audience: e.audience,
        open: now <= e.signup_until,
    }
}

/// May a member of union `member_org` sign up for this event?
pub async fn eligible(conn: &mut Conn, e: &EventRow, member_org: i64) -> sqlx::Result<bool> {
    match e.audience {
        Audience::All => Ok(true),
        Audience::Subtree => repo::within(conn, member_org, e.org_id).await,
    }
}

/// The member's sign-up as the pages show it (with the waiting-list position).
pub async fn my_signup(conn: &mut Conn, event_id: i64, member_id: i64) -> sqlx::Result<Option<MySignup>> {
    let Some((id, status, queue_no, checked_in)) = repo::live_signup(conn, event_id, member_id).await? else { return Ok(None) };
    let position = match (status, queue_no) {
        (SignupStatus::Waiting, Some(q)) => Some(repo::position(conn, event_id, q).await?),
        _ => None,
    };
    Ok(Some(MySignup { id, status, position, checked_in: checked_in.map(format_local) }))
}

/// What a sign-up answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignedUp {
    Confirmed,
    /// Full: on the waiting list at this position.
    Waiting(i64),
    /// The member holds a live sign-up already.
    Already,
    /// Past the sign-up deadline.
    Closed,
    /// No such event, or one whose audience leaves this member out: the same answer.
    NotEligible,
    /// The member has left the union.
    Gone,
}

impl SignedUp {
    pub fn text(self) -> T {
        match self {
            SignedUp::Confirmed => T::EventSignedUp,
            SignedUp::Waiting(_) => T::EventOnWaitingList,
            SignedUp::Already => T::EventAlready,
            SignedUp::Closed => T::EventClosed,
            SignedUp::NotEligible | SignedUp::Gone => T::EventNotEligible,
        }
    }
}

/// One sign-up: a place while one is left, else the end of the waiting list.
pub async fn sign_up(state: &AppState, member_id: i64, event_id: i64) -> EventResult<SignedUp> {
    let now = state.now();
    {
        let mut conn = state.db.pool.acquire().await?;
        let Some((org, live, _)) = repo::member(&mut conn, member_id).await? else { return Ok(SignedUp::Gone) };
        if !live {
            return Ok(SignedUp::Gone);
        }
        let Some(e) = repo::event(&mut conn, event_id).await? else { return Ok(SignedUp::NotEligible) };
        if !eligible(&mut conn, &e, org).await? {
            return Ok(SignedUp::NotEligible);
        }
        if now > e.signup_until {
            return Ok(SignedUp::Closed);
        }
        if repo::live_signup(&mut conn, event_id, member_id).await?.is_some() {
            return Ok(SignedUp::Already);
        }
    }
    let mut tx = state.db.begin_write().await?;
    if !repo::lock_event(&mut tx, event_id).await? {
        return Ok(SignedUp::NotEligible);
    }
    if repo::live_signup(&mut tx, event_id, member_id).await?.is_some() {
        return Ok(SignedUp::Already);
    }
    let answer = if repo::take_place(&mut tx, event_id).await? {
        if repo::insert_signup(&mut tx, event_id, member_id, SignupStatus::Confirmed, None, now).await?.is_none() {
            return Ok(SignedUp::Already); // dropped: the place taken is rolled back
        }
        SignedUp::Confirmed
    } else {
        let queue_no = repo::next_queue_no(&mut tx, event_id).await?;
        if repo::insert_signup(&mut tx, event_id, member_id, SignupStatus::Waiting, Some(queue_no), now).await?.is_none() {
            return Ok(SignedUp::Already);
        }
        SignedUp::Waiting(repo::position(&mut tx, event_id, queue_no).await?)
    };
    tx.commit().await?;
    Ok(answer)
}

/// What a cancellation answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cancelled {
    /// Cancelled; `Some(member)` when the first on the waiting list moved up into the place.
    Done(Option<i64>),
    /// No live sign-up of this member (already cancelled, or never made).
    NotFound,
    /// Checked in, or the event has begun: too late.
    TooLate,
}

/// Cancels the member's live sign-up. A confirmed place goes to the first on the waiting list
/// in the same transaction (with its SMS through the outbox), or back to the event.
pub async fn cancel(state: &AppState, member_id: i64, event_id: i64) -> EventResult<Cancelled> {
    let now = state.now();
    let mut tx = state.db.begin_write().await?;
    if !repo::lock_event(&mut tx, event_id).await? {
        return Ok(Cancelled::NotFound);
    }
    let Some(e) = repo::event(&mut tx, event_id).await? else { return Ok(Cancelled::NotFound) };
    let Some((signup, status, _, checked_in)) = repo::live_signup(&mut tx, event_id, member_id).await? else {
        return Ok(Cancelled::NotFound);
    };
    if checked_in.is_some() || now >= e.starts_at {
        return Ok(Cancelled::TooLate);
    }
    if !repo::cancel(&mut tx, signup, status, now).await? {
        return Ok(Cancelled::NotFound);
    }
    let mut moved_up = None;
    if status == SignupStatus::Confirmed {
        match repo::first_waiting(&mut tx, event_id).await? {
            Some((next, next_member)) => {
                if !repo::promote(&mut tx, next, now).await? {
                    return Err(sqlx::Error::Protocol(format!("waiting sign-up {next} changed under the event lock")).into());
                }
                if let Some((_, true, phone)) = repo::member(&mut tx, next_member).await? {
                    let link = format!("{}/events/{event_id}", state.config.public_url);
                    let params = serde_json::json!({ "title": e.title, "start": format_local(e.starts_at), "link": link });
                    outbox::enqueue(&mut tx, now, &phone, Template::EventPromoted, params).await?;
                }
                moved_up = Some(next_member);
            }
            None => {
                if !repo::give_place(&mut tx, event_id).await? {
                    return Err(sqlx::Error::Protocol(format!("event {event_id} had no place to give back")).into());
                }
            }
        }
    }
    tx.commit().await?;
    Ok(Cancelled::Done(moved_up))
}

// ---- creating events ----

fn text_of(input: &str, max: usize) -> Option<String> {
    let n: String = input.trim().chars().take(max + 1).collect();
    (!n.is_empty() && n.chars().count() <= max).then_some(n)
}

/// `2026-12-05T09:00` (as a datetime-local input sends it) or `2026-12-05 09:00`, China time.
pub fn when(input: &str) -> Option<i64> {
    let s = input.trim().replace('T', " ");
    let (date, time) = s.split_once(' ')?;
    let date = Ymd::parse(date)?;
    let (h, m) = time.trim().split_once(':')?;
    let (h, m): (u32, u32) = (h.parse().ok()?, m.get(..2).unwrap_or(m).parse().ok()?);
    (h < 24 && m < 60).then(|| local_to_unix(date, h, m))
}

/// Parses the event form and creates the event (audited); `Err((field, text))` names the field
/// to show the text next to. The organiser must be inside the admin's subtree.
pub async fn create(state: &AppState, me: &AdminRow, ip: &str, f: &EventInput) -> EventResult<Result<i64, (&'static str, T)>> {
    let org_id = match f.org.trim() {
        "" => me.org_id,
        o => match o.parse::<i64>() {
            Ok(o) if crate::org::repo::is_within(&state.db.pool, o, me.org_id).await? => o,
            _ => return Ok(Err(("org", T::FormMalformed))),
        },
    };
    let Some(kind) = EventKind::parse(&f.kind) else { return Ok(Err(("kind", T::FormMalformed))) };
    let Some(title) = text_of(&f.title, MAX_TITLE) else { return Ok(Err(("title", T::EventTitleNeeded))) };
    let Some(place) = text_of(&f.place, MAX_PLACE) else { return Ok(Err(("place", T::EventPlaceNeeded))) };
    let description: String = f.description.trim().chars().take(MAX_DESCRIPTION).collect();
    let Some(starts_at) = when(&f.starts_at) else { return Ok(Err(("starts_at", T::EventTimeInvalid))) };
    let Some(ends_at) = when(&f.ends_at).filter(|e| *e > starts_at) else { return Ok(Err(("ends_at", T::EventEndInvalid))) };
    let Some(signup_until) = when(&f.signup_until).filter(|s| *s <= starts_at) else {
        return Ok(Err(("signup_until", T::EventDeadlineInvalid)));
    };
    let Some(capacity) = f.capacity.trim().parse::<i64>().ok().filter(|n| (1..=MAX_CAPACITY).contains(n)) else {
        return Ok(Err(("capacity", T::NumberNeeded)));
    };
    let audience = Audience::parse(&f.audience).unwrap_or(Audience::Subtree);
    let e = NewEvent {
        org_id,
        kind,
        title: &title,
        description: &description,
        place: &place,
        starts_at,
        ends_at,
        signup_until,
        capacity,
        audience,
        created_by: Some(me.id),
    };
    let now = state.now();
    let mut tx = state.db.begin_write().await?;
    let id = repo::insert_event(&mut tx, &e, now).await?;
    audit::record(&mut tx, state, now, me.audit(Action::EventSetup, Target::Event(id), ip, Outcome::Ok, &title)).await?;
    tx.commit().await?;
    Ok(Ok(id))
}

/// An event's figures from its sign-ups.
pub async fn figures(conn: &mut Conn, e: &EventRow, now: i64) -> sqlx::Result<Figures> {
    let (confirmed, waiting, checked_in) = repo::counts(conn, e.id).await?;
    Ok(Figures::of(e.capacity, confirmed, waiting, checked_in, now > e.ends_at))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_parse() {
        let day = Ymd::new(2026, 12, 5).unwrap();
        assert_eq!(when("2026-12-05T09:30"), Some(local_to_unix(day, 9, 30)));
        assert_eq!(when("2026-12-05 18:00"), Some(local_to_unix(day, 18, 0)));
        assert_eq!(when("2026-12-05"), None);
        assert_eq!(when("2026-12-05T24:00"), None);
        assert_eq!(when("2026-02-30T10:00"), None);
    }

    #[test]
    fn texts_are_bounded() {
        assert_eq!(text_of("  工会篮球赛 ", 60).as_deref(), Some("工会篮球赛"));
        assert_eq!(text_of("", 60), None);
        assert_eq!(text_of(&"长".repeat(61), 60), None);
    }
}
