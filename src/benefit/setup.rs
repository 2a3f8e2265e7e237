//! Registration by the city admin: partner institutions, merchants with their scenario, staff
//! accounts bound to a merchant (also by the merchant's own manager), and campaigns — each
//! parsed once from its form and audited.
use super::repo::{self, NewCampaign};
use super::service::BenefitResult;
use super::{CampaignInput, CampaignKind, Scenario};
use crate::admin::repo::AdminRow;
use crate::admin::service::NewAdminInput;
use crate::admin::Role;
use crate::calendar::local_to_unix;
use crate::domain::Ymd;
use crate::i18n::T;
use crate::server::audit::{self, Action, Outcome, Target};
use crate::server::state::AppState;

fn name_of(input: &str) -> Option<String> {
    let n: String = input.trim().chars().take(61).collect();
    (!n.is_empty() && n.chars().count() <= 60).then_some(n)
}

async fn audited(state: &AppState, me: &AdminRow, ip: &str, target: Target, detail: &str) -> BenefitResult<()> {
    audit::record_alone(state, state.now(), me.audit(Action::BenefitSetup, target, ip, Outcome::Ok, detail)).await?;
    Ok(())
}

pub async fn add_partner(state: &AppState, me: &AdminRow, ip: &str, name: &str) -> BenefitResult<Result<i64, T>> {
    let Some(name) = name_of(name) else { return Ok(Err(T::BenefitNameNeeded)) };
    let mut tx = state.db.begin_write().await?;
    let Some(id) = repo::insert_partner(&mut tx, &name, state.now()).await? else { return Ok(Err(T::BenefitNameTaken)) };
    tx.commit().await?;
    audited(state, me, ip, Target::Partner(id), &name).await?;
    Ok(Ok(id))
}

pub async fn add_merchant(
    state: &AppState,
    me: &AdminRow,
    ip: &str,
    name: &str,
    scenario: &str,
    partner: &str,
) -> BenefitResult<Result<i64, T>> {
    let Some(name) = name_of(name) else { return Ok(Err(T::BenefitNameNeeded)) };
    let Some(scenario) = Scenario::parse(scenario) else { return Ok(Err(T::ChooseScenario)) };
    let partner = match partner.trim() {
        "" => None,
        p => match p.parse::<i64>() {
            Ok(p) if repo::partners(&state.db.pool).await?.iter().any(|(id, _)| *id == p) => Some(p),
            _ => return Ok(Err(T::FormMalformed)),
        },
    };
    let mut tx = state.db.begin_write().await?;
    let Some(id) = repo::insert_merchant(&mut tx, &name, scenario, partner, state.now()).await? else {
        return Ok(Err(T::BenefitNameTaken));
    };
    tx.commit().await?;
    audited(state, me, ip, Target::Merchant(id), &name).await?;
    Ok(Ok(id))
}

/// A staff account of a merchant: the city admin adds staff or managers; a merchant's manager
/// adds staff to its own merchant. The admin area's rules create it (and audit it).
pub async fn add_staff(
    state: &AppState,
    me: &AdminRow,
    ip: &str,
    merchant_id: i64,
    username: String,
    password: String,
    manager: bool,
) -> BenefitResult<Result<i64, T>> {
    if repo::merchant_name(&state.db.pool, merchant_id).await?.is_none() {
        return Ok(Err(T::FormMalformed));
    }
    let role = if manager { Role::MerchantManager } else { Role::MerchantStaff };
    let input =
        NewAdminInput { username, display_name: String::new(), phone: String::new(), org_id: me.org_id, roles: vec![role], password };
    Ok(crate::admin::service::create_merchant_account(state, me, ip, input, merchant_id).await?)
}

/// `2026-12-01` (start of that day, China time) or `2026-12-01 18:00`.
fn when(input: &str, end_of_day: bool) -> Option<i64> {
    let s = input.trim().replace('T', " ");
    let (date, time) = s.split_once(' ').unwrap_or((&s, ""));
    let date = Ymd::parse(date)?;
    let (h, m) = match time.trim() {
        "" if end_of_day => (23, 59),
        "" => (0, 0),
        t => {
            let (h, m) = t.split_once(':')?;
            let (h, m): (u32, u32) = (h.parse().ok()?, m.get(..2).unwrap_or(m).parse().ok()?);
            (h < 24 && m < 60).then_some((h, m))?
        }
    };
    Some(local_to_unix(date, h, m) + if end_of_day && time.trim().is_empty() { 59 } else { 0 })
}

/// Parses the campaign form; `Err((field, text))` names the field to show the text next to.
pub async fn add_campaign(state: &AppState, me: &AdminRow, ip: &str, f: &CampaignInput) -> BenefitResult<Result<i64, (&'static str, T)>> {
    let Some(kind) = CampaignKind::parse(&f.kind) else { return Ok(Err(("kind", T::FormMalformed))) };
    let Some(title) = name_of(&f.title) else { return Ok(Err(("title", T::BenefitNameNeeded))) };
    let description: String = f.description.trim().chars().take(500).collect();
    let known: Vec<i64> = repo::merchants(&state.db.pool).await?.into_iter().map(|m| m.id).collect();
    let merchants: Vec<i64> = f.merchants.iter().filter_map(|m| m.parse().ok()).filter(|m| known.contains(m)).collect();
    if merchants.is_empty() {
        return Ok(Err(("merchants", T::ChooseMerchants)));
    }
    let number = |s: &str, max: i64| s.trim().parse::<i64>().ok().filter(|n| (1..=max).contains(n));
    let Some(stock) = number(&f.stock, 10_000_000) else { return Ok(Err(("stock", T::NumberNeeded))) };
    let Some(per_member) = number(&f.per_member, 100) else { return Ok(Err(("per_member", T::NumberNeeded))) };
    let (Some(from), Some(until), Some(redeem_until)) =
        (when(&f.claim_from, false), when(&f.claim_until, true), when(&f.redeem_until, true))
    else {
        return Ok(Err(("claim_from", T::WindowInvalid)));
    };
    if until < from || redeem_until < until {
        return Ok(Err(("claim_from", T::WindowInvalid)));
    }
    let target_org_id = match f.target_org.trim() {
        "" => None,
        o => match o.parse::<i64>() {
            Ok(o) if crate::org::repo::get(&state.db.pool, o).await?.is_some() => Some(o),
            _ => return Ok(Err(("target_org", T::FormMalformed))),
        },
    };
    let occupation: String = f.occupation.trim().chars().take(30).collect();
    let new_member_days = match f.new_member_days.trim() {
        "" => None,
        d => match number(d, 3650) {
            Some(d) => Some(d),
            None => return Ok(Err(("new_member_days", T::NumberNeeded))),
        },
    };
    let c = NewCampaign {
        kind,
        title: &title,
        description: &description,
        stock,
        per_member,
        claim_from: from,
        claim_until: until,
        redeem_until,
        target_org_id,
        target_occupation: (!occupation.is_empty()).then_some(occupation.as_str()),
        new_member_days,
        welcome: f.welcome == "1",
        created_by: Some(me.id),
    };
    let now = state.now();
    let mut tx = state.db.begin_write().await?;
    let id = repo::insert_campaign(&mut tx, &c, &merchants, now).await?;
    audit::record(&mut tx, state, now, me.audit(Action::BenefitSetup, Target::Campaign(id), ip, Outcome::Ok, &title)).await?;
    tx.commit().await?;
    Ok(Ok(id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_times_parse() {
        let day = Ymd::new(2026, 12, 1).unwrap();
        assert_eq!(when("2026-12-01", false), Some(local_to_unix(day, 0, 0)));
        assert_eq!(when("2026-12-01", true), Some(local_to_unix(day, 23, 59) + 59));
        assert_eq!(when("2026-12-01T18:30", false), Some(local_to_unix(day, 18, 30)));
        assert_eq!(when("2026-13-01", false), None);
        assert_eq!(when("2026-12-01 25:00", false), None);
    }
}
