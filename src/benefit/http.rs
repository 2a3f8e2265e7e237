//! Benefit HTTP: the city admin's registration and figures (`/admin/benefits…`), the merchant's
//! screens (`/merchant…`, merchant accounts only, their own merchant only) and the member's
//! benefits (`/me/benefits…`, a live member session). Plain forms that work without
//! JavaScript: a post answers 303 (Post/Redirect/Get) or the same page with the reason.
use super::redeem::{self, CodeInput, Looked, Reversal};
use super::{repo, setup};
use super::{BenefitsAdminView, CampaignInput, CampaignListItem, CampaignView, MerchantHomeView, RedeemView};
use crate::admin::auth::{Allowed, CityAdmin, MerchantManager, Requirement};
use crate::admin::repo::AdminRow;
use crate::admin::{AdminInfo, Role};
use crate::calendar::format_local;
use crate::i18n::T;
use crate::server::error::{AppError, AppResult};
use crate::server::state::AppState;
use crate::server::web::{Form, Page};
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

/// The merchant screens: an account bound to a merchant, staff or manager.
pub struct MerchantSide;

impl Requirement for MerchantSide {
    const NAME: &'static str = "merchant";
    const FOR_MERCHANTS: bool = true;
    fn allows(a: &AdminInfo) -> bool {
        a.merchant_id.is_some() && (a.has(Role::MerchantStaff) || a.has(Role::MerchantManager))
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct Done {
    pub(super) done: String,
}

pub(super) fn done_notice(done: &str) -> Option<(T, bool)> {
    let t = match done {
        "partner" | "merchant" | "staff" | "campaign" => T::BenefitSaved,
        "redeemed" => T::RedeemDone,
        "reversed" => T::ReverseDone,
        _ => return None,
    };
    Some((t, true))
}

// ---- the city admin ----

async fn admin_view(
    state: &AppState,
    me: &AdminRow,
    input: CampaignInput,
    notice: Option<(T, bool)>,
    field_error: Option<(&'static str, T)>,
) -> AppResult<Response> {
    let pool = &state.db.pool;
    let campaigns = repo::campaigns(pool)
        .await?
        .into_iter()
        .map(|c| CampaignListItem {
            id: c.id,
            title: c.title,
            kind: c.kind,
            stock: c.stock,
            claimed: c.claimed,
            window: format!("{} – {}", format_local(c.claim_from), format_local(c.claim_until)),
            welcome: c.welcome,
        })
        .collect();
    let view = BenefitsAdminView {
        admin: me.info(),
        partners: repo::partners(pool).await?,
        merchants: repo::merchants(pool).await?,
        campaigns,
        orgs: crate::org::repo::subtree(pool, me.org_id).await?,
        input,
        notice,
        field_error,
    };
    Ok(Page::ok(view).no_store().into_response())
}

pub async fn admin_get(State(state): State<AppState>, me: Allowed<CityAdmin>, Query(q): Query<Done>) -> AppResult<Response> {
    admin_view(&state, &me.admin, CampaignInput::default(), done_notice(&q.done), None).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct NameForm {
    name: String,
    scenario: String,
    partner: String,
}

async fn after(state: &AppState, me: &AdminRow, result: Result<i64, T>, done: &str) -> AppResult<Response> {
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/admin/benefits?done={done}")).into_response()),
        Err(t) => admin_view(state, me, CampaignInput::default(), Some((t, false)), None).await,
    }
}

pub async fn partner_post(State(state): State<AppState>, me: Allowed<CityAdmin>, Form(f): Form<NameForm>) -> AppResult<Response> {
    let result = setup::add_partner(&state, &me.admin, &me.ip, &f.name).await?;
    after(&state, &me.admin, result, "partner").await
}

pub async fn merchant_post(State(state): State<AppState>, me: Allowed<CityAdmin>, Form(f): Form<NameForm>) -> AppResult<Response> {
    let result = setup::add_merchant(&state, &me.admin, &me.ip, &f.name, &f.scenario, &f.partner).await?;
    after(&state, &me.admin, result, "merchant").await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct StaffForm {
    merchant: String,
    username: String,
    password: String,
    manager: String,
}

pub async fn staff_post(State(state): State<AppState>, me: Allowed<CityAdmin>, Form(f): Form<StaffForm>) -> AppResult<Response> {
    let merchant = f.merchant.parse().unwrap_or(-1);
    let result = setup::add_staff(&state, &me.admin, &me.ip, merchant, f.username, f.password, f.manager == "1").await?;
    after(&state, &me.admin, result, "staff").await
}

pub async fn campaign_post(State(state): State<AppState>, me: Allowed<CityAdmin>, Form(f): Form<CampaignInput>) -> AppResult<Response> {
    match setup::add_campaign(&state, &me.admin, &me.ip, &f).await? {
        Ok(id) => Ok(Redirect::to(&format!("/admin/benefits/{id}?done=campaign")).into_response()),
        Err((field, t)) => admin_view(&state, &me.admin, f, None, Some((field, t))).await,
    }
}

async fn campaign_view(state: &AppState, me: &AdminRow, id: i64, notice: Option<(T, bool)>) -> AppResult<Response> {
    let mut conn = state.db.pool.acquire().await?;
    let Some(campaign) = repo::campaign(&mut conn, id).await? else { return Err(AppError::NotFound) };
    let lines = repo::figures(&state.db.pool, id).await?;
    let view = CampaignView {
        admin: me.info(),
        merchants: repo::merchant_names(&mut conn, id).await?,
        redeemed: lines.iter().map(|l| l.redeemed).sum(),
        lines,
        redemptions: repo::codes::redemptions(&mut conn, None, Some(id)).await?,
        campaign,
        notice,
    };
    Ok(Page::ok(view).no_store().into_response())
}

pub async fn campaign_get(
    State(state): State<AppState>,
    me: Allowed<CityAdmin>,
    Path(id): Path<i64>,
    Query(q): Query<Done>,
) -> AppResult<Response> {
    campaign_view(&state, &me.admin, id, done_notice(&q.done)).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct FormatQuery {
    format: String,
}

/// The figures as a file (.csv by default, or .xlsx), written by the roster's export writer:
/// every cell text, formula starts neutralised, a BOM for the Chinese.
pub async fn export(
    State(state): State<AppState>,
    me: Allowed<CityAdmin>,
    Path(id): Path<i64>,
    Query(q): Query<FormatQuery>,
) -> AppResult<Response> {
    use crate::roster::export::FileWriter;
    use crate::roster::ExportFormat;
    let format = ExportFormat::parse(&q.format).unwrap_or(ExportFormat::Csv);
    let mut conn = state.db.pool.acquire().await?;
    let Some(c) = repo::campaign(&mut conn, id).await? else { return Err(AppError::NotFound) };
    let lines = repo::figures(&state.db.pool, id).await?;
    let entry = me.admin.audit(
        crate::server::audit::Action::Export,
        crate::server::audit::Target::Campaign(id),
        &me.ip,
        crate::server::audit::Outcome::Ok,
        format.as_str(),
    );
    crate::server::audit::record_alone(&state, state.now(), entry).await?;
    let zh = |t: T| t.get(crate::i18n::Lang::Zh);
    let dir = state.config.data_dir.join("exports");
    std::fs::create_dir_all(&dir).map_err(anyhow::Error::from)?;
    let path = dir.join(format!("benefit-{}.{}", crate::server::crypto::random_token(), format.as_str()));
    let write = || -> Result<Vec<u8>, crate::roster::export::WriteError> {
        let header = [zh(T::Campaign), zh(T::Day), zh(T::Merchant), zh(T::Issued), zh(T::Claimed), zh(T::Redeemed)];
        let mut w = FileWriter::create(format, &path, &dir, &header)?;
        let stock = c.stock.to_string();
        for l in &lines {
            let (claimed, redeemed) = (l.claimed.to_string(), l.redeemed.to_string());
            let merchant = l.merchant.clone().unwrap_or_default();
            w.row([c.title.as_str(), &l.day, &merchant, &stock, &claimed, &redeemed])?;
        }
        w.finish()?;
        Ok(std::fs::read(&path)?)
    };
    let bytes = write();
    let _ = std::fs::remove_file(&path);
    let bytes = bytes.map_err(|e| AppError::Internal(anyhow::anyhow!("writing figures: {e}")))?;
    let disposition = format!("attachment; filename=\"campaign-{id}.{}\"", format.as_str());
    let mut res = bytes.into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(format.content_type()));
    h.insert(header::CONTENT_DISPOSITION, HeaderValue::from_str(&disposition).map_err(anyhow::Error::from)?);
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(res)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ReverseForm {
    reason: String,
}

/// The city admin's reversal; the page it goes back to is the campaign the reversal itself
/// returned (the form names none).
pub async fn admin_reverse(
    State(state): State<AppState>,
    me: Allowed<CityAdmin>,
    Path(id): Path<i64>,
    Form(f): Form<ReverseForm>,
) -> AppResult<Response> {
    match redeem::reverse(&state, &me.admin, &me.ip, id, &f.reason).await? {
        Reversal::Done { campaign } => Ok(Redirect::to(&format!("/admin/benefits/{campaign}?done=reversed")).into_response()),
        Reversal::NeedsReason { campaign } => campaign_view(&state, &me.admin, campaign, Some((T::ReverseNeedsReason, false))).await,
        Reversal::NotFound => Err(AppError::NotFound),
    }
}

// ---- the merchant ----

async fn merchant_home(state: &AppState, me: &AdminRow, notice: Option<(T, bool)>) -> AppResult<Response> {
    let merchant_id = me.merchant_id.ok_or(AppError::NotFound)?;
    let manager = me.has(Role::MerchantManager);
    let mut conn = state.db.pool.acquire().await?;
    let staff = if manager {
        sqlx::query_as::<_, (String, String, i64)>("SELECT username, roles, disabled FROM admins WHERE merchant_id = $1 ORDER BY username")
            .bind(merchant_id)
            .fetch_all(&mut *conn)
            .await?
            .into_iter()
            .map(|(u, roles, disabled)| (u, roles, disabled != 0))
            .collect()
    } else {
        Vec::new()
    };
    let view = MerchantHomeView {
        admin: me.info(),
        merchant: repo::merchant_name(&state.db.pool, merchant_id).await?.unwrap_or_default(),
        manager,
        redemptions: repo::codes::redemptions(&mut conn, Some(merchant_id), None).await?,
        staff,
        notice,
    };
    Ok(Page::ok(view).no_store().into_response())
}

pub async fn merchant_get(State(state): State<AppState>, me: Allowed<MerchantSide>, Query(q): Query<Done>) -> AppResult<Response> {
    merchant_home(&state, &me.admin, done_notice(&q.done)).await
}

pub async fn merchant_staff_post(
    State(state): State<AppState>,
    me: Allowed<MerchantManager>,
    Form(f): Form<StaffForm>,
) -> AppResult<Response> {
    let merchant = me.admin.merchant_id.ok_or(AppError::NotFound)?;
    match setup::add_staff(&state, &me.admin, &me.ip, merchant, f.username, f.password, false).await? {
        Ok(_) => Ok(Redirect::to("/merchant?done=staff").into_response()),
        Err(t) => merchant_home(&state, &me.admin, Some((t, false))).await,
    }
}

pub async fn merchant_reverse(
    State(state): State<AppState>,
    me: Allowed<MerchantManager>,
    Path(id): Path<i64>,
    Form(f): Form<ReverseForm>,
) -> AppResult<Response> {
    match redeem::reverse(&state, &me.admin, &me.ip, id, &f.reason).await? {
        Reversal::Done { .. } => Ok(Redirect::to("/merchant?done=reversed").into_response()),
        Reversal::NeedsReason { .. } => merchant_home(&state, &me.admin, Some((T::ReverseNeedsReason, false))).await,
        Reversal::NotFound => Err(AppError::NotFound),
    }
}

async fn redeem_view(state: &AppState, me: &AdminRow, digits: String, looked: Option<Looked>) -> AppResult<Response> {
    let merchant = repo::merchant_name(&state.db.pool, me.merchant_id.unwrap_or(-1)).await?.unwrap_or_default();
    let (mut found, mut notice, mut wait_until) = (None, None, None);
    match looked {
        None => {}
        Some(Looked::Found(f)) => found = Some(f),
        Some(Looked::NotFound) => notice = Some((T::RedeemNotFound, false)),
        Some(Looked::Expired) => notice = Some((T::RedeemExpired, false)),
        Some(Looked::NotUsable) => notice = Some((T::RedeemNotUsable, false)),
        Some(Looked::Wait(until)) => {
            notice = Some((T::RedeemWait, false));
            wait_until = format_local(until).get(11..).map(str::to_string);
        }
        Some(Looked::Redeemed(_)) => notice = Some((T::RedeemDone, true)),
    }
    Ok(Page::ok(RedeemView { admin: me.info(), merchant, digits, found, notice, wait_until }).no_store().into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct TokenQuery {
    t: String,
    /// `redeemed` after a confirmed redemption (Post/Redirect/Get): the success line.
    done: String,
}

/// The typing form; with `?t=` (the QR scanned by the phone's camera) the coupon to confirm.
/// A GET changes nothing: the token is only read (no lock, no wrong-code count, no audit row);
/// redeeming takes the confirm POST.
pub async fn redeem_get(State(state): State<AppState>, me: Allowed<MerchantSide>, Query(q): Query<TokenQuery>) -> AppResult<Response> {
    let looked = match CodeInput::parse_token(&q.t) {
        Some(code) => Some(redeem::peek(&state, &me.admin, &code).await?),
        // The id is not shown: the line only says the last confirm went through.
        None if q.t.is_empty() && q.done == "redeemed" => Some(Looked::Redeemed(0)),
        None if q.t.is_empty() => None,
        None => Some(Looked::NotFound),
    };
    redeem_view(&state, &me.admin, String::new(), looked).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct RedeemForm {
    digits: String,
    /// Set by the confirm button: the code as looked up.
    code: String,
}

pub async fn redeem_post(State(state): State<AppState>, me: Allowed<MerchantSide>, Form(f): Form<RedeemForm>) -> AppResult<Response> {
    if !f.code.is_empty() {
        let Some(code) = CodeInput::from_carried(&f.code) else {
            return redeem_view(&state, &me.admin, String::new(), Some(Looked::NotFound)).await;
        };
        return match redeem::at_counter(&state, &me.admin, &me.ip, &code, true).await? {
            Looked::Redeemed(_) => Ok(Redirect::to("/merchant/redeem?done=redeemed").into_response()),
            other => redeem_view(&state, &me.admin, String::new(), Some(other)).await,
        };
    }
    let typed: String = f.digits.chars().take(20).collect();
    let looked = match CodeInput::parse_digits(&typed) {
        Some(code) => redeem::at_counter(&state, &me.admin, &me.ip, &code, false).await?,
        None => Looked::NotFound,
    };
    redeem_view(&state, &me.admin, typed, Some(looked)).await
}
