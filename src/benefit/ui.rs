//! Benefit pages: server-rendered plain forms that work without JavaScript — the city admin's
//! registration and figures, the merchant's counter, the member's benefits and coupon code.
use super::{
    BenefitsAdminView, CampaignView, CouponCodeView, CouponState, MerchantHomeView, MyBenefitsView, RedeemView, RedemptionItem, Scenario,
};
use crate::admin::ui::{notice_view, AdminFrame};
use crate::admin::AdminInfo;
use crate::i18n::{Lang, T};
use leptos::prelude::*;

/// A labelled input; its error, if it is the one named, right under it.
fn field(id: &'static str, label: T, value: String, kind: &'static str, error: Option<(&'static str, T)>, lang: Lang) -> impl IntoView {
    let err = error.filter(|(f, _)| *f == id).map(|(_, t)| t.get(lang));
    let described = format!("{id}-error");
    view! {
        <div class="field">
            <label for=id>{label.get(lang)}</label>
            <input id=id name=id type=kind value=value aria-invalid=err.map(|_| "true") aria-describedby=err.map(|_| described.clone())/>
            {err.map(|e| view! { <p class="error" id=described.clone() role="alert">{e}</p> })}
        </div>
    }
}

#[component]
pub fn BenefitsAdminPage(view: BenefitsAdminView, lang: Lang) -> impl IntoView {
    let t = move |k: T| k.get(lang);
    let e = view.field_error;
    let i = view.input.clone();
    view! {
        <AdminFrame admin=view.admin.clone() lang=lang>
            <h1>{t(T::BenefitsAdmin)}</h1>
            {notice_view(view.notice, lang)}
            {e.filter(|(f, _)| *f == "merchants" || *f == "kind").map(|(_, m)| view! { <p class="notice error" role="alert">{m.get(lang)}</p> })}
            <h2>{t(T::Campaigns)}</h2>
            <ul class="queue" aria-label=t(T::Campaigns)>
                {view.campaigns.into_iter().map(|c| view! {
                    <li class="item">
                        <div class="who"><a href=format!("/admin/benefits/{}", c.id)><strong>{c.title}</strong></a><span>{t(c.kind.label())}</span>
                            {c.welcome.then(|| view! { <span class="escalated">{t(T::WelcomePack)}</span> })}</div>
                        <div class="when"><span>{format!("{} {}/{}", t(T::Claimed), c.claimed, c.stock)}</span><span>{c.window}</span></div>
                    </li>
                }).collect_view()}
            </ul>
            <details class="filter-box" open=e.is_some()>
                <summary>{t(T::NewCampaign)}</summary>
                <form method="post" action="/admin/benefits/campaigns" class="decide">
                    <div class="field">
                        <label for="kind">{t(T::CampaignKindLabel)}</label>
                        <select id="kind" name="kind">
                            <option value="coupon" selected=i.kind != "gift_pack">{t(T::KindCoupon)}</option>
                            <option value="gift_pack" selected=i.kind == "gift_pack">{t(T::KindGiftPack)}</option>
                        </select>
                    </div>
                    {field("title", T::CampaignTitle, i.title.clone(), "text", e, lang)}
                    <div class="field">
                        <label for="description">{t(T::CampaignDescription)}</label>
                        <textarea id="description" name="description" maxlength="500">{i.description.clone()}</textarea>
                    </div>
                    <fieldset class="field">
                        <legend>{t(T::CampaignMerchants)}</legend>
                        {view.merchants.iter().map(|m| {
                            let checked = i.merchants.contains(&m.id.to_string());
                            view! { <label class="check"><input type="checkbox" name="merchants" value=m.id.to_string() checked=checked/>{m.name.clone()}</label> }
                        }).collect_view()}
                    </fieldset>
                    {field("stock", T::Issued, i.stock.clone(), "number", e, lang)}
                    {field("per_member", T::PerMember, i.per_member.clone(), "number", e, lang)}
                    {field("claim_from", T::ClaimFrom, i.claim_from.clone(), "date", e, lang)}
                    {field("claim_until", T::ClaimUntil, i.claim_until.clone(), "date", e, lang)}
                    {field("redeem_until", T::RedeemUntil, i.redeem_until.clone(), "date", e, lang)}
                    <div class="field">
                        <label for="target_org">{t(T::TargetUnion)}</label>
                        <select id="target_org" name="target_org">
                            <option value="">{t(T::AllUnions)}</option>
                            {view.orgs.iter().map(|o| view! {
                                <option value=o.id.to_string() selected=i.target_org == o.id.to_string()>{format!("{}{}", "· ".repeat((o.depth).max(0) as usize), o.name)}</option>
                            }).collect_view()}
                        </select>
                    </div>
                    {field("occupation", T::TargetOccupation, i.occupation.clone(), "text", e, lang)}
                    {field("new_member_days", T::TargetNewDays, i.new_member_days.clone(), "number", e, lang)}
                    <label class="check"><input type="checkbox" name="welcome" value="1" checked=i.welcome == "1"/>{t(T::WelcomeFlag)}</label>
                    <button type="submit" class="primary">{t(T::Save)}</button>
                </form>
            </details>
            <h2>{t(T::Merchants)}</h2>
            <ul class="queue" aria-label=t(T::Merchants)>
                {view.merchants.iter().map(|m| view! {
                    <li class="item"><div class="who"><strong>{m.name.clone()}</strong><span>{t(m.scenario.label())}</span>
                        <span>{m.partner.clone().unwrap_or_default()}</span></div>
                        <div class="when"><span>{format!("{} {}", t(T::Staff), m.staff)}</span></div></li>
                }).collect_view()}
            </ul>
            <details class="filter-box">
                <summary>{t(T::NewMerchant)}</summary>
                <form method="post" action="/admin/benefits/merchants" class="decide">
                    <div class="field"><label for="m-name">{t(T::Name)}</label><input id="m-name" name="name" maxlength="60" required/></div>
                    <div class="field"><label for="m-scenario">{t(T::Scenario)}</label>
                        <select id="m-scenario" name="scenario">
                            {Scenario::ALL.map(|s| view! { <option value=s.as_str()>{t(s.label())}</option> }).collect_view()}
                        </select></div>
                    <div class="field"><label for="m-partner">{t(T::Partner)}</label>
                        <select id="m-partner" name="partner">
                            <option value="">"—"</option>
                            {view.partners.iter().map(|(id, n)| view! { <option value=id.to_string()>{n.clone()}</option> }).collect_view()}
                        </select></div>
                    <button type="submit" class="primary">{t(T::Save)}</button>
                </form>
            </details>
            <details class="filter-box">
                <summary>{t(T::NewPartner)}</summary>
                <form method="post" action="/admin/benefits/partners" class="row-form">
                    <label for="p-name">{t(T::Name)}</label><input id="p-name" name="name" maxlength="60" required/>
                    <button type="submit" class="secondary">{t(T::Save)}</button>
                </form>
            </details>
            <details class="filter-box">
                <summary>{t(T::NewStaff)}</summary>
                <form method="post" action="/admin/benefits/staff" class="decide">
                    <div class="field"><label for="s-merchant">{t(T::Merchant)}</label>
                        <select id="s-merchant" name="merchant">
                            {view.merchants.iter().map(|m| view! { <option value=m.id.to_string()>{m.name.clone()}</option> }).collect_view()}
                        </select></div>
                    <StaffFields lang=lang/>
                    <label class="check"><input type="checkbox" name="manager" value="1"/>{t(T::RoleMerchantManager)}</label>
                    <button type="submit" class="primary">{t(T::Save)}</button>
                </form>
            </details>
        </AdminFrame>
    }
}

#[component]
fn StaffFields(lang: Lang) -> impl IntoView {
    let t = move |k: T| k.get(lang);
    view! {
        <div class="field"><label for="s-username">{t(T::Username)}</label><input id="s-username" name="username" autocomplete="off" required/></div>
        <div class="field"><label for="s-password">{t(T::Password)}</label><input id="s-password" name="password" type="password" autocomplete="new-password" required/></div>
    }
}

/// Redemptions with, where allowed, the reversal form (a reason is required).
fn redemption_list(items: Vec<RedemptionItem>, reverse_at: Option<&'static str>, lang: Lang) -> impl IntoView {
    let t = move |k: T| k.get(lang);
    view! {
        <ul class="queue" aria-label=t(T::Redemptions)>
            {items.into_iter().map(|r| {
                let reason_id = format!("reason-{}", r.id);
                let form = match (&reverse_at, &r.reversed) {
                    (Some(prefix), None) => Some(view! {
                        <form method="post" action=format!("{prefix}/{}/reverse", r.id) class="row-form">
                            <label for=reason_id.clone()>{t(T::ReverseReason)}</label>
                            <input id=reason_id.clone() name="reason" maxlength="200"/>
                            <button type="submit" class="secondary">{t(T::Reverse)}</button>
                        </form>
                    }),
                    _ => None,
                };
                view! {
                    <li class="item">
                        <div class="who"><strong>{r.name_masked}</strong><span>{r.campaign}</span><span>{r.merchant}</span></div>
                        <div class="when"><span>{r.at}</span>{r.reversed.map(|x| view! { <span class="escalated">{format!("{} {x}", t(T::Reversed))}</span> })}</div>
                        <div class="acts">{form}</div>
                    </li>
                }
            }).collect_view()}
        </ul>
    }
}

#[component]
pub fn CampaignPage(view: CampaignView, lang: Lang) -> impl IntoView {
    let t = move |k: T| k.get(lang);
    let c = view.campaign.clone();
    let export = format!("/admin/benefits/{}/export", c.id);
    view! {
        <AdminFrame admin=view.admin.clone() lang=lang>
            <h1>{c.title.clone()}<small class="count">{format!(" {}", t(c.kind.label()))}</small></h1>
            {notice_view(view.notice, lang)}
            <dl class="facts">
                <dt>{t(T::Issued)}</dt><dd data-figure="issued">{c.stock}</dd>
                <dt>{t(T::Claimed)}</dt><dd data-figure="claimed">{c.claimed}</dd>
                <dt>{t(T::Redeemed)}</dt><dd data-figure="redeemed">{view.redeemed}</dd>
                <dt>{t(T::CampaignMerchants)}</dt><dd>{view.merchants.join("、")}</dd>
            </dl>
            <p><a class="button secondary" href=format!("{export}?format=csv")>{t(T::ExportCsv)}</a>" "
               <a class="button secondary" href=format!("{export}?format=xlsx")>{t(T::ExportXlsx)}</a></p>
            <table class="figures">
                <thead><tr><th scope="col">{t(T::Day)}</th><th scope="col">{t(T::Merchant)}</th><th scope="col">{t(T::Claimed)}</th><th scope="col">{t(T::Redeemed)}</th></tr></thead>
                <tbody>
                    {view.lines.into_iter().map(|l| view! {
                        <tr><td>{l.day}</td><td>{l.merchant.unwrap_or_else(|| "—".into())}</td><td>{l.claimed}</td><td>{l.redeemed}</td></tr>
                    }).collect_view()}
                </tbody>
            </table>
            <h2>{t(T::Redemptions)}</h2>
            {redemption_list(view.redemptions, Some("/admin/benefits/redemptions"), lang)}
        </AdminFrame>
    }
}

/// The frame of the merchant screens: who is signed in, at which merchant, sign-out.
#[component]
fn MerchantFrame(admin: AdminInfo, merchant: String, lang: Lang, children: Children) -> impl IntoView {
    let t = move |k: T| k.get(lang);
    view! {
        <nav class="admin-nav" aria-label=t(T::MerchantTitle)>
            <span class="me">{format!("{} · {}", admin.display_name, merchant)}</span>
            <a href="/merchant">{t(T::MerchantTitle)}</a>
            <a href="/merchant/redeem">{t(T::RedeemTitle)}</a>
            <form method="post" action="/admin/logout" class="inline">
                <button type="submit" class="link">{t(T::SignOut)}</button>
            </form>
        </nav>
        <section class="card wide">{children()}</section>
    }
}

#[component]
pub fn MerchantHomePage(view: MerchantHomeView, lang: Lang) -> impl IntoView {
    let t = move |k: T| k.get(lang);
    let reverse = view.manager.then_some("/merchant/redemptions");
    view! {
        <MerchantFrame admin=view.admin.clone() merchant=view.merchant.clone() lang=lang>
            <h1>{view.merchant.clone()}</h1>
            {notice_view(view.notice, lang)}
            <p><a class="button primary" href="/merchant/redeem">{t(T::RedeemTitle)}</a></p>
            <h2>{t(T::Redemptions)}</h2>
            {redemption_list(view.redemptions, reverse, lang)}
            {view.manager.then(|| view! {
                <h2>{t(T::Staff)}</h2>
                <ul class="steps">{view.staff.iter().map(|(u, r, d)| view! { <li>{format!("{u} · {r}{}", if *d { " ×" } else { "" })}</li> }).collect_view()}</ul>
                <form method="post" action="/merchant/staff" class="decide">
                    <StaffFields lang=lang/>
                    <button type="submit" class="secondary">{t(T::NewStaff)}</button>
                </form>
            })}
        </MerchantFrame>
    }
}

#[component]
pub fn RedeemPage(view: RedeemView, lang: Lang) -> impl IntoView {
    let t = move |k: T| k.get(lang);
    let notice = view.notice.map(|(m, ok)| match (&view.wait_until, m) {
        (Some(until), T::RedeemWait) => (T::RedeemWait.fill(lang, &[until]), ok),
        _ => (m.get(lang).to_string(), ok),
    });
    view! {
        <MerchantFrame admin=view.admin.clone() merchant=view.merchant.clone() lang=lang>
            <h1>{t(T::RedeemTitle)}</h1>
            {notice.map(|(text, ok)| view! { <p class=if ok { "notice ok" } else { "notice error" } role=if ok { "status" } else { "alert" }>{text}</p> })}
            {match view.found {
                Some(f) => view! {
                    <dl class="facts">
                        <dt>{t(T::Campaign)}</dt><dd>{f.campaign}</dd>
                        <dt>{t(T::CampaignKindLabel)}</dt><dd>{t(f.kind.label())}</dd>
                        <dt>{t(T::CampaignDescription)}</dt><dd>{f.description}</dd>
                        <dt>{t(T::Member)}</dt><dd data-name>{f.name_masked}</dd>
                    </dl>
                    <form method="post" action="/merchant/redeem">
                        <input type="hidden" name="code" value=f.code/>
                        <button type="submit" class="primary">{t(T::RedeemConfirm)}</button>
                    </form>
                    <a class="button secondary" href="/merchant/redeem">{t(T::Cancel)}</a>
                }.into_any(),
                None => view! {
                    <form method="post" action="/merchant/redeem" class="decide">
                        <div class="field">
                            <label for="digits">{t(T::RedeemDigits)}</label>
                            <input id="digits" name="digits" inputmode="numeric" autocomplete="off" maxlength="12" value=view.digits.clone() autofocus/>
                            <p class="hint">{t(T::RedeemHint)}</p>
                        </div>
                        <button type="submit" class="primary">{t(T::RedeemLookUp)}</button>
                    </form>
                }.into_any(),
            }}
        </MerchantFrame>
    }
}

fn state_class(s: CouponState) -> &'static str {
    match s {
        CouponState::Unused => "coupon unused",
        CouponState::Redeemed => "coupon redeemed",
        CouponState::Expired => "coupon expired",
        CouponState::Void => "coupon void",
    }
}

#[component]
pub fn MyBenefitsPage(view: MyBenefitsView, lang: Lang) -> impl IntoView {
    let t = move |k: T| k.get(lang);
    let none_open = view.open.is_empty();
    let none_mine = view.coupons.is_empty();
    view! {
        <crate::member::ui::MemberNav lang=lang/>
        <section class="card">
            <h1>{t(T::MyBenefits)}</h1>
            {notice_view(view.notice, lang)}
            <h2>{t(T::OpenToMe)}</h2>
            {none_open.then(|| view! { <p class="hint">{t(T::NothingOpen)}</p> })}
            <ul class="queue" aria-label=t(T::OpenToMe)>
                {view.open.into_iter().map(|c| {
                    let label = format!("{} {}", t(T::Claim), c.title);
                    view! {
                        <li class="item" data-campaign=c.id>
                            <div class="who"><strong>{c.title.clone()}</strong><span>{t(c.kind.label())}</span><span>{c.description}</span></div>
                            <div class="when"><span>{T::StockLeft.fill(lang, &[&c.left.to_string()])}</span><span>{T::ClaimedOf.fill(lang, &[&c.mine.to_string(), &c.per_member.to_string()])}</span>
                                <span>{format!("{} {}", t(T::ClaimUntil), c.until)}</span><span>{c.merchants}</span></div>
                            <form method="post" action=format!("/me/benefits/{}/claim", c.id) class="acts">
                                <button type="submit" class="primary" aria-label=label>{t(T::Claim)}</button>
                            </form>
                        </li>
                    }
                }).collect_view()}
            </ul>
            <h2>{t(T::MyCoupons)}</h2>
            {none_mine.then(|| view! { <p class="hint">{t(T::NoCoupons)}</p> })}
            <ul class="queue" aria-label=t(T::MyCoupons)>
                {view.coupons.into_iter().map(|c| view! {
                    <li class=state_class(c.state) data-coupon=c.id>
                        <div class="who"><strong>{c.title}</strong><span>{t(c.kind.label())}</span><span class="state">{t(c.state.label())}</span></div>
                        <div class="when"><span>{format!("{} {}", t(T::RedeemUntil), c.redeem_until)}</span><span>{c.merchants}</span></div>
                        {(c.state == CouponState::Unused).then(|| view! {
                            <a class="button primary" href=format!("/me/benefits/coupons/{}", c.id)>{t(T::UseCoupon)}</a>
                        })}
                    </li>
                }).collect_view()}
            </ul>
        </section>
    }
}

#[component]
pub fn CouponCodePage(view: CouponCodeView, lang: Lang) -> impl IntoView {
    let t = move |k: T| k.get(lang);
    let c = view.coupon;
    let usable = c.state == CouponState::Unused;
    let action = format!("/me/benefits/coupons/{}/code", c.id);
    view! {
        <crate::member::ui::MemberNav lang=lang/>
        <section class="card">
            <h1>{c.title.clone()}</h1>
            <p class="state">{t(c.state.label())}</p>
            <p>{format!("{} {} · {}", t(T::RedeemUntil), c.redeem_until, c.merchants)}</p>
            {view.code.map(|(svg, digits, until)| { let raw = digits.replace(' ', ""); view! {
                <div class="qr" inner_html=svg role="img" aria-label=t(T::RedeemQr)></div>
                <p class="digits" data-digits=raw>{digits}</p>
                <p class="hint">{T::CodeValidUntil.fill(lang, &[&until])}</p>
            }})}
            {usable.then(|| view! {
                <form method="post" action=action>
                    <button type="submit" class="primary">{t(T::ShowCode)}</button>
                </form>
            })}
        </section>
    }
}
