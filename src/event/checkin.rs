//! Tickets and check-in at the door. A confirmed member's ticket is a QR of
//! `/admin/events/ticket/{token}`: a 128-bit random token made when the member shows the
//! ticket, stored only as a MAC (showing it again makes a new one; the old stops working). The
//! organiser's staff scan it with the phone's camera: the page (a GET, which changes nothing)
//! shows the event and the masked name; the 签到 button posts, and one conditional write
//! checks the ticket in once. A phone checks in for one event at a time (the "door", chosen on
//! the event's page); a ticket of another event, of a cancelled sign-up, or of an event outside
//! the admin's subtree is refused — the last as the one not-found page with an audit row.
use super::repo;
use super::service::EventResult;
use super::{SignupStatus, TicketState};
use crate::admin::repo::AdminRow;
use crate::calendar::format_local;
use crate::domain::PersonName;
use crate::server::audit::{self, Action, Outcome, Target};
use crate::server::crypto::random_token;
use crate::server::state::AppState;

fn mac(state: &AppState, token: &str) -> String {
    state.keys.mac(&["event-ticket", token])
}

/// The ticket a token leads to, with the MAC it is stored under: made under the active key, or
/// under another key of the ring for a ticket shown just before a key change.
async fn find(conn: &mut crate::server::db::Conn, state: &AppState, token: &str) -> sqlx::Result<Option<(String, repo::TicketHit)>> {
    for m in state.keys.macs(&["event-ticket", token]) {
        if let Some(hit) = repo::ticket(&mut *conn, &m).await? {
            return Ok(Some((m, hit)));
        }
    }
    Ok(None)
}

/// A token of the shape `random_token` makes (22 URL-safe characters), else `None`.
pub fn parse_token(t: &str) -> Option<&str> {
    (t.len() == 22 && t.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')).then_some(t)
}

/// A new ticket token for the member's confirmed sign-up of the event (replacing any earlier
/// one); `None` when they hold no confirmed, unchecked sign-up.
pub async fn new_ticket(state: &AppState, member_id: i64, event_id: i64) -> EventResult<Option<String>> {
    let mut tx = state.db.begin_write().await?;
    let Some((signup, SignupStatus::Confirmed, _, None)) = repo::live_signup(&mut tx, event_id, member_id).await? else { return Ok(None) };
    let token = random_token();
    if !repo::set_ticket(&mut tx, signup, member_id, &mac(state, &token)).await? {
        return Ok(None);
    }
    tx.commit().await?;
    Ok(Some(token))
}

/// What a scanned ticket is, for the page.
pub struct Scanned {
    pub event_id: i64,
    pub event_title: String,
    pub event_when: String,
    pub name_masked: String,
    pub state: TicketState,
}

/// Looks a ticket up (changing nothing). `Ok(None)`: unknown (never made, or replaced by a
/// newer one) or of an event outside the admin's subtree — one answer, the latter audited.
pub async fn look(state: &AppState, me: &AdminRow, ip: &str, token: &str, door: Option<i64>) -> EventResult<Option<Scanned>> {
    let mut conn = state.db.pool.acquire().await?;
    let Some((_, hit)) = find(&mut conn, state, token).await? else { return Ok(None) };
    let Some(e) = repo::event(&mut conn, hit.event_id).await? else { return Ok(None) };
    if !repo::within(&mut conn, e.org_id, me.org_id).await? {
        drop(conn);
        let entry = me.audit(Action::EventCheckIn, Target::Event(e.id), ip, Outcome::NotFound, "ticket outside the subtree");
        audit::record_alone(state, state.now(), entry).await?;
        return Ok(None);
    }
    let state_now = match (hit.status, hit.checked_in_at, door) {
        (SignupStatus::Confirmed, Some(at), _) => TicketState::Already(format_local(at)),
        (SignupStatus::Confirmed, None, Some(d)) if d == e.id => TicketState::Ready,
        (SignupStatus::Confirmed, None, Some(d)) => {
            let other = repo::event(&mut conn, d).await?.map(|o| o.title).unwrap_or_default();
            TicketState::OtherEvent(other)
        }
        (SignupStatus::Confirmed, None, None) => TicketState::NoDoor,
        _ => TicketState::Cancelled,
    };
    Ok(Some(Scanned {
        event_id: e.id,
        event_title: e.title.clone(),
        event_when: super::service::item(&e, state.now()).when,
        name_masked: PersonName::mask_stored(&hit.name),
        state: state_now,
    }))
}

/// Checks the ticket in for the door's event: one conditional write; audited. Returns what the
/// page shows afterwards (`None` as in `look`).
pub async fn check_in(state: &AppState, me: &AdminRow, ip: &str, token: &str, door: Option<i64>) -> EventResult<Option<Scanned>> {
    let Some(mut scanned) = look(state, me, ip, token, door).await? else { return Ok(None) };
    if scanned.state != TicketState::Ready {
        return Ok(Some(scanned));
    }
    let now = state.now();
    let mut tx = state.db.begin_write().await?;
    let Some((stored, hit)) = find(&mut tx, state, token).await? else { return Ok(None) };
    let done = repo::check_in(&mut tx, &stored, scanned.event_id, me.id, now).await?;
    let outcome = if done { Outcome::Ok } else { Outcome::Refused };
    audit::record(&mut tx, state, now, me.audit(Action::EventCheckIn, Target::EventSignup(hit.signup_id), ip, outcome, "")).await?;
    tx.commit().await?;
    if done {
        scanned.state = TicketState::Done;
        Ok(Some(scanned))
    } else {
        // Someone else's check-in (or a cancellation) came first: say what it is now.
        look(state, me, ip, token, door).await
    }
}
