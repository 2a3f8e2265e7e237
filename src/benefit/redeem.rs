//! Redemption at the counter. The member's coupon page makes a one-time code: a QR carrying a
//! 128-bit token and 8 digits to read out, valid `CODE_SECS`, stored only as MACs (a new code
//! replaces the old; the digits are unique among stored codes). Staff type the digits (or scan
//! the QR, whose link only reads the token: a GET writes nothing): a code of a campaign their
//! merchant takes part in shows the campaign and the masked name; any other code does not exist
//! for them. Confirming spends the code with one conditional
//! DELETE (two confirms at once: one wins). Wrong digits are counted per staff account and per
//! merchant and stop typing for a while. A manager of the merchant, or the city admin, reverses
//! a mistaken redemption with a reason. Every redemption and reversal is audited.
use super::repo::codes::{self, CodeHit};
use super::service::BenefitResult;
use super::{CouponState, RedeemFound, CODE_SECS, DIGITS, WRONG_PER_MERCHANT, WRONG_PER_STAFF, WRONG_WINDOW_SECS};
use crate::admin::repo::AdminRow;
use crate::admin::Role;
use crate::server::audit::{self, Action, Outcome, Target};
use crate::server::crypto::random_token;
use crate::server::state::AppState;
use rand::Rng;

/// A code as staff give it: typed digits or a scanned token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CodeInput {
    Digits(String),
    Token(String),
}

impl CodeInput {
    /// Eight digits (spaces and dashes ignored), or a token of the QR's size.
    pub fn parse_digits(typed: &str) -> Option<CodeInput> {
        let d: String = typed.chars().filter(|c| !c.is_whitespace() && *c != '-').collect();
        (d.len() == DIGITS && d.bytes().all(|b| b.is_ascii_digit())).then_some(CodeInput::Digits(d))
    }
    pub fn parse_token(t: &str) -> Option<CodeInput> {
        (t.len() == 22 && t.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')).then(|| CodeInput::Token(t.to_string()))
    }
    /// As the confirm form carries it: `d:<digits>` / `t:<token>`.
    pub fn carried(&self) -> String {
        match self {
            CodeInput::Digits(d) => format!("d:{d}"),
            CodeInput::Token(t) => format!("t:{t}"),
        }
    }
    pub fn from_carried(s: &str) -> Option<CodeInput> {
        match s.split_at_checked(2)? {
            ("d:", d) => CodeInput::parse_digits(d),
            ("t:", t) => CodeInput::parse_token(t),
            _ => None,
        }
    }
    /// Whether it is a token, and its MAC under each key of the ring (active first).
    fn macs(&self, state: &AppState) -> (bool, Vec<String>) {
        match self {
            CodeInput::Digits(d) => (false, state.keys.macs(&["redeem-digits", d])),
            CodeInput::Token(t) => (true, state.keys.macs(&["redeem-token", t])),
        }
    }
}

fn digits_mac(state: &AppState, digits: &str) -> String {
    state.keys.mac(&["redeem-digits", digits])
}

/// The code as stored, if it is one of a campaign `merchant` takes part in: looked up under
/// each key of the ring, so a code made just before a key change still works for its minutes.
async fn find(conn: &mut crate::server::db::Conn, state: &AppState, code: &CodeInput, merchant: i64) -> sqlx::Result<Option<CodeHit>> {
    let (by_token, macs) = code.macs(state);
    for mac in macs {
        if let Some(hit) = codes::find(&mut *conn, by_token, &mac, merchant).await? {
            return Ok(Some(hit));
        }
    }
    Ok(None)
}

/// A fresh code: (token for the QR, digits, valid until).
pub struct NewCode {
    pub token: String,
    pub digits: String,
    pub expires_at: i64,
}

/// Makes a new code for the member's coupon, replacing any earlier one; `None` when the coupon
/// is not theirs or cannot be redeemed (used, void, expired, member left).
pub async fn new_code(state: &AppState, member_id: i64, coupon_id: i64) -> BenefitResult<Option<NewCode>> {
    let now = state.now();
    let Some(coupon) = super::service::my_coupon(state, member_id, coupon_id).await? else { return Ok(None) };
    if coupon.state != super::CouponState::Unused {
        return Ok(None);
    }
    let mut tx = state.db.begin_write().await?;
    let token = random_token();
    let token_mac = state.keys.mac(&["redeem-token", &token]);
    let expires_at = now + CODE_SECS;
    // 10^8 digits and a few thousand live codes at most: a clash is rare; draw again.
    for _ in 0..8 {
        let digits = format!("{:08}", rand::thread_rng().gen_range(0..100_000_000u32));
        // Unique under every key of the ring, not only the active one (the primary key's part).
        let others = state.keys.macs(&["redeem-digits", &digits]).split_off(1);
        if codes::digits_live(&mut tx, &others, now).await? {
            continue;
        }
        if codes::put_code(&mut tx, coupon_id, &digits_mac(state, &digits), &token_mac, now, expires_at).await? {
            tx.commit().await?;
            return Ok(Some(NewCode { token, digits, expires_at }));
        }
    }
    Err(sqlx::Error::Protocol("no free redemption digits after 8 draws".into()).into())
}

/// What a code answered at the counter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Looked {
    Found(RedeemFound),
    /// Unknown, used, or of a campaign this merchant is not in: one answer.
    NotFound,
    Expired,
    /// The coupon cannot be redeemed any more (void, past its last day, member left).
    NotUsable,
    /// Too many wrong codes: typing may start again at this time.
    Wait(i64),
    /// Confirmed: the redemption's id.
    Redeemed(i64),
}

async fn stopped_until(conn: &mut crate::server::db::Conn, staff: i64, merchant: i64, now: i64) -> sqlx::Result<Option<i64>> {
    let since = now - WRONG_WINDOW_SECS;
    let (by_staff, by_merchant) = codes::failures(conn, staff, merchant, since).await?;
    let mut until = None;
    if by_staff >= WRONG_PER_STAFF {
        until = codes::nth_failure_at(conn, false, staff, since, WRONG_PER_STAFF - 1).await?.map(|at| at + WRONG_WINDOW_SECS);
    }
    if by_merchant >= WRONG_PER_MERCHANT {
        let m = codes::nth_failure_at(conn, true, merchant, since, WRONG_PER_MERCHANT - 1).await?.map(|at| at + WRONG_WINDOW_SECS);
        until = until.max(m);
    }
    Ok(until)
}

fn found(hit: &CodeHit, code: &CodeInput) -> RedeemFound {
    RedeemFound {
        campaign: hit.campaign.clone(),
        kind: hit.kind,
        description: hit.description.clone(),
        name_masked: hit.name_masked.clone(),
        code: code.carried(),
    }
}

/// What a scanned QR's token is, for the GET its link opens: a read on the pool and nothing
/// else — no lock, no wrong-code count, no audit row. A GET must not change state, and a phone
/// camera (or a link preview) may open the link any number of times. A 128-bit token cannot be
/// guessed, so the lookup needs no throttle; the confirm POST goes through [`at_counter`], which
/// counts a wrong code and honours a stop.
pub async fn peek(state: &AppState, staff: &AdminRow, code: &CodeInput) -> BenefitResult<Looked> {
    let Some(merchant) = staff.merchant_id else { return Ok(Looked::NotFound) };
    let now = state.now();
    let mut conn = state.db.pool.acquire().await?;
    let Some(hit) = find(&mut conn, state, code, merchant).await? else { return Ok(Looked::NotFound) };
    Ok(usable(&hit, now).unwrap_or_else(|| Looked::Found(found(&hit, code))))
}

/// Why a code that exists cannot be redeemed now, if it cannot.
fn usable(hit: &CodeHit, now: i64) -> Option<Looked> {
    if hit.expires_at <= now {
        return Some(Looked::Expired);
    }
    if hit.coupon_status != CouponState::Unused || !hit.member_live || now > hit.redeem_until {
        return Some(Looked::NotUsable);
    }
    None
}

/// Looks a code up for staff (`confirm`: and redeems it). The wrong-code count is read, and a
/// wrong code recorded, in the same write transaction under a lock on the merchant, so a burst
/// of guesses stops at the limit.
pub async fn at_counter(state: &AppState, staff: &AdminRow, ip: &str, code: &CodeInput, confirm: bool) -> BenefitResult<Looked> {
    let Some(merchant) = staff.merchant_id else { return Ok(Looked::NotFound) };
    let now = state.now();
    let mut tx = state.db.begin_write().await?;
    crate::join::repo::codes::lock(&mut tx, state.db.backend, "benefit-counter", &merchant.to_string()).await?;
    if let Some(until) = stopped_until(&mut tx, staff.id, merchant, now).await? {
        return Ok(Looked::Wait(until));
    }
    let Some(hit) = find(&mut tx, state, code, merchant).await? else {
        codes::record_failure(&mut tx, staff.id, merchant, now).await?;
        audit::record(&mut tx, state, now, staff.audit(Action::Redeem, Target::Merchant(merchant), ip, Outcome::NotFound, "")).await?;
        tx.commit().await?;
        return Ok(Looked::NotFound);
    };
    if let Some(refused) = usable(&hit, now) {
        return Ok(refused);
    }
    if !confirm {
        return Ok(Looked::Found(found(&hit, code)));
    }
    if !codes::spend_code(&mut tx, &hit.digits_mac, now).await? {
        return Ok(Looked::NotFound);
    }
    let Some(id) = codes::redeem(&mut tx, &hit, merchant, staff.id, now).await? else { return Ok(Looked::NotUsable) };
    let detail = format!("coupon:{} campaign:{}", hit.coupon_id, hit.campaign_id);
    audit::record(&mut tx, state, now, staff.audit(Action::Redeem, Target::Redemption(id), ip, Outcome::Ok, &detail)).await?;
    tx.commit().await?;
    Ok(Looked::Redeemed(id))
}

/// What a reversal came to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reversal {
    /// Reversed: the campaign is the redemption's own, as the reversal returned it.
    Done { campaign: i64 },
    /// No reason given: nothing done (the redemption's campaign, for the page to show again).
    NeedsReason { campaign: i64 },
    /// No such redemption for them, or reversed already.
    NotFound,
}

/// Reverses a redemption: the merchant's manager (at its own merchant) or the city admin, with
/// a reason. A reversal, or a refusal of one that is not theirs or done already, is audited.
pub async fn reverse(state: &AppState, me: &AdminRow, ip: &str, id: i64, reason: &str) -> BenefitResult<Reversal> {
    let reason: String = reason.trim().chars().take(200).collect();
    let scope = if me.has(Role::CityAdmin) {
        None
    } else if me.has(Role::MerchantManager) && me.merchant_id.is_some() {
        me.merchant_id
    } else {
        return Ok(Reversal::NotFound);
    };
    if reason.is_empty() {
        let mut conn = state.db.pool.acquire().await?;
        return Ok(match codes::reversible_campaign(&mut conn, id, scope).await? {
            Some(campaign) => Reversal::NeedsReason { campaign },
            None => Reversal::NotFound,
        });
    }
    let now = state.now();
    let mut tx = state.db.begin_write().await?;
    let done = codes::reverse(&mut tx, id, scope, me.id, &reason, now).await?;
    let outcome = if done.is_some() { Outcome::Ok } else { Outcome::NotFound };
    audit::record(&mut tx, state, now, me.audit(Action::RedeemReverse, Target::Redemption(id), ip, outcome, &reason)).await?;
    tx.commit().await?;
    Ok(match done {
        Some(r) => Reversal::Done { campaign: r.campaign_id },
        None => Reversal::NotFound,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_parse_once() {
        assert_eq!(CodeInput::parse_digits(" 1234 5678 "), Some(CodeInput::Digits("12345678".into())));
        assert_eq!(CodeInput::parse_digits("1234-567"), None);
        assert_eq!(CodeInput::parse_digits("1234567a"), None);
        let t = CodeInput::parse_token("abcdefghijklmnopqrstuv").unwrap();
        assert_eq!(CodeInput::from_carried(&t.carried()), Some(t));
        assert_eq!(CodeInput::from_carried("d:12345678"), Some(CodeInput::Digits("12345678".into())));
        assert_eq!(CodeInput::from_carried("x:1"), None);
        assert_eq!(CodeInput::from_carried("t:short"), None);
    }
}
