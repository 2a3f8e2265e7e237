//! Pool and transfer pages: server-rendered plain forms that work without JavaScript, a card
//! list on a phone and the same list wider on a desk.
use super::{days_left, MemberTransferView, PoolView, TransferItem, TransferStatus, TransfersView};
use crate::admin::ui::{notice_view, AdminFrame};
use crate::i18n::{Lang, T};
use leptos::prelude::*;

fn in_pool(name: &str, pool: bool, lang: Lang) -> String {
    if pool {
        format!("{name}{}", T::InParens.fill(lang, &[T::TurnoverPool.get(lang)]))
    } else {
        name.to_string()
    }
}

#[component]
pub fn PoolPage(view: PoolView, lang: Lang) -> impl IntoView {
    let t = move |k: T| k.get(lang);
    let can_place = view.admin.can_place();
    view! {
        <AdminFrame admin=view.admin.clone() lang=lang>
            <h1>{t(T::PoolTitle)}<small class="count">{format!(" {}", view.total)}</small></h1>
            {notice_view(view.notice, lang)}
            {view.sections.into_iter().map(|s| {
                let select_id = format!("to-{}", s.pool_id);
                let empty = s.members.is_empty();
                view! {
                    <section class="pool" aria-label=s.pool_name.clone()>
                        <h2>{s.pool_name.clone()}</h2>
                        {empty.then(|| view! { <p class="hint">{t(T::PoolEmpty)}</p> })}
                        {(!empty).then(|| view! {
                            <form method="post" action="/admin/pool/place" class="place">
                                {can_place.then(|| view! {
                                    <div class="field">
                                        <label for=select_id.clone()>{t(T::PlaceInto)}</label>
                                        <select id=select_id.clone() name="to">
                                            <option value="">{t(T::ChooseUnion)}</option>
                                            {s.choices.iter().map(|o| view! {
                                                <option value=o.id.to_string()>{format!("{}{}", "· ".repeat((o.depth - 1).max(0) as usize), o.name)}</option>
                                            }).collect_view()}
                                        </select>
                                    </div>
                                })}
                                <ul class="queue" aria-label=s.pool_name.clone()>
                                    {s.members.into_iter().map(|m| {
                                        let label = format!("{} {} {}", t(T::Place), m.name_masked, m.member_no);
                                        view! {
                                            <li class="item" data-member=m.member_id>
                                                <div class="who">
                                                    <strong>{m.name_masked.clone()}</strong>
                                                    <span>{m.phone_masked.clone()}</span>
                                                    <span>{m.member_no.clone()}</span>
                                                </div>
                                                <div class="when"><span>{T::DaysInPool.fill(lang, &[&m.days_in_pool.to_string()])}</span></div>
                                                <div class="acts">
                                                    {m.pending.then(|| view! { <span class="escalated">{t(T::TransferPendingBadge)}</span> })}
                                                    {(can_place && !m.pending).then(|| view! {
                                                        <button type="submit" name="member" value=m.member_id.to_string() class="approve" aria-label=label>{t(T::Place)}</button>
                                                    })}
                                                    <a class="button secondary" href=format!("/admin/members/{}/transfer", m.member_id)>{t(T::TransferAction)}</a>
                                                </div>
                                            </li>
                                        }
                                    }).collect_view()}
                                </ul>
                            </form>
                        })}
                    </section>
                }
            }).collect_view()}
        </AdminFrame>
    }
}

/// One transfer as a card: who, from → to, when, and what can be done with it here.
fn transfer_card(item: TransferItem, lang: Lang, acts: AnyView) -> impl IntoView {
    let t = move |k: T| k.get(lang);
    let pending = item.status == TransferStatus::Pending;
    let overdue = pending && item.secs_left < 0;
    let when = if pending {
        days_left(item.secs_left, lang)
    } else {
        format!("{} {}", t(item.status.label()), item.decided_at.clone().unwrap_or_default())
    };
    view! {
        <li class="item" class:overdue=overdue data-id=item.id>
            <div class="who">
                <strong>{item.name_masked.clone()}</strong>
                <span>{item.phone_masked.clone()}</span>
                <span>{item.member_no.clone()}</span>
            </div>
            <div class="where">
                <span>{format!("{} → {}", in_pool(&item.from_name, item.from_pool, lang), item.to_name)}</span>
                <small>{t(item.kind.label())}</small>
            </div>
            <div class="when">
                <span>{item.created_at.clone()}</span>
                <span class="due">{when}</span>
                {item.escalation.map(|l| view! { <span class="escalated">{format!("{} {l}", t(T::Escalated))}</span> })}
                {item.reason.clone().map(|r| view! { <span>{T::LabelValue.fill(lang, &[t(T::Reason), &r])}</span> })}
            </div>
            <div class="acts">{acts}</div>
        </li>
    }
}

#[component]
pub fn TransfersPage(view: TransfersView, lang: Lang) -> impl IntoView {
    let t = move |k: T| k.get(lang);
    let can_place = view.admin.can_place();
    let empty = move |v: bool| v.then(|| view! { <p class="hint">{t(T::NoTransfers)}</p> });
    let (no_in, no_out, no_history) = (view.incoming.is_empty(), view.outgoing.is_empty(), view.history.is_empty());
    view! {
        <AdminFrame admin=view.admin.clone() lang=lang>
            <h1>{t(T::TransfersTitle)}</h1>
            {notice_view(view.notice, lang)}
            {(!view.requests.is_empty()).then(|| view! {
                <h2>{t(T::MemberRequests)}<small class="count">{format!(" {}", view.requests.len())}</small></h2>
                <ul class="queue" aria-label=t(T::MemberRequests)>
                    {view.requests.clone().into_iter().map(|r| view! {
                        <li class="item plain member-request">
                            <div class="who"><strong>{r.name_masked}</strong><span>{r.member_no}</span></div>
                            <div>{T::LabelValue.fill(lang, &[t(T::RequestedUnion), &r.to_name])}</div>
                            <div>{T::LabelValue.fill(lang, &[t(T::Reason), &r.reason])}</div>
                            <div class="when">{r.created_at}</div>
                            {can_place.then(|| view! {
                                <div class="acts"><a class="button secondary" href=format!("/admin/members/{}/transfer", r.member_id)>{t(T::ProposeForRequest)}</a></div>
                            })}
                        </li>
                    }).collect_view()}
                </ul>
            })}
            <h2>{t(T::IncomingTransfers)}<small class="count">{format!(" {}", view.incoming.len())}</small></h2>
            {empty(no_in)}
            <ul class="queue" aria-label=t(T::IncomingTransfers)>
                {view.incoming.into_iter().map(|item| {
                    let id = item.id;
                    let reason_id = format!("reason-{id}");
                    let acts = can_place.then(|| view! {
                        <form method="post" action=format!("/admin/transfers/{id}/accept") class="inline">
                            <button type="submit" class="approve">{t(T::AcceptTransfer)}</button>
                        </form>
                        <form method="post" action=format!("/admin/transfers/{id}/decline") class="row-form">
                            <label for=reason_id.clone()>{t(T::DeclineReason)}</label>
                            <input id=reason_id.clone() name="reason" maxlength="200"/>
                            <button type="submit" class="secondary">{t(T::DeclineTransfer)}</button>
                        </form>
                    }).into_any();
                    transfer_card(item, lang, acts)
                }).collect_view()}
            </ul>
            <h2>{t(T::OutgoingTransfers)}<small class="count">{format!(" {}", view.outgoing.len())}</small></h2>
            {empty(no_out)}
            <ul class="queue" aria-label=t(T::OutgoingTransfers)>
                {view.outgoing.into_iter().map(|item| {
                    let id = item.id;
                    let acts = can_place.then(|| view! {
                        <form method="post" action=format!("/admin/transfers/{id}/cancel") class="inline">
                            <button type="submit" class="secondary">{t(T::WithdrawTransfer)}</button>
                        </form>
                    }).into_any();
                    transfer_card(item, lang, acts)
                }).collect_view()}
            </ul>
            <h2>{t(T::TransferHistory)}</h2>
            {empty(no_history)}
            <ul class="queue" aria-label=t(T::TransferHistory)>
                {view.history.into_iter().map(|item| transfer_card(item, lang, ().into_any())).collect_view()}
            </ul>
        </AdminFrame>
    }
}

#[component]
pub fn MemberTransferPage(view: MemberTransferView, lang: Lang) -> impl IntoView {
    let t = move |k: T| k.get(lang);
    let m = view.member.clone();
    let id = m.id;
    let action = format!("/admin/members/{id}/transfer");
    let open = view.admin.can_place() && !m.transferred_out && view.pending.is_none();
    let history = view.history.clone();
    view! {
        <AdminFrame admin=view.admin.clone() lang=lang>
            <h1>{t(T::MemberTransferTitle)}<small class="count">{format!(" {} {}", m.name_masked, m.member_no)}</small></h1>
            {notice_view(view.notice, lang)}
            <dl class="facts">
                <dt>{t(T::Member)}</dt><dd>{m.member_no.clone()}</dd>
                <dt>{t(T::Union)}</dt><dd>{in_pool(&m.org_name, m.in_pool, lang)}</dd>
                <dt>{t(T::Phone)}</dt><dd>{m.phone_masked.clone()}</dd>
                <dt>{t(T::JoinedAt)}</dt><dd>{m.joined_at.clone()}</dd>
            </dl>
            {m.transferred_out.then(|| view! { <p class="notice" role="status">{t(T::MemberTransferredOut)}</p> })}
            {view.pending.clone().map(|p| view! {
                <p class="notice" role="status">{t(T::AlreadyPendingTransfer)}</p>
                <ul class="queue">{transfer_card(p, lang, ().into_any())}</ul>
            })}
            {open.then(|| view! {
                <form method="get" action=action.clone() class="row-form">
                    <label for="q">{t(T::FindUnion)}</label>
                    <div class="row">
                        <input id="q" name="q" type="search" value=view.q.clone() maxlength="30"/>
                        <button type="submit" class="secondary">{t(T::Find)}</button>
                    </div>
                </form>
                <form method="post" action=action.clone() class="decide">
                    <fieldset class="field">
                        <legend>{t(T::ReceivingUnion)}</legend>
                        {view.matches.iter().map(|o| {
                            let text = match &o.parent { Some(p) => format!("{}{}", o.name, T::InParens.fill(lang, &[p])), None => o.name.clone() };
                            view! { <label class="check"><input type="radio" name="to" value=o.id.to_string()/>{text}</label> }
                        }).collect_view()}
                        {(!view.q.is_empty() && view.matches.is_empty()).then(|| view! { <p class="hint">{t(T::NoUnionFound)}</p> })}
                        <p class="hint">{t(T::PoolsOfCity)}</p>
                        {view.pools.iter().map(|o| view! {
                            <label class="check"><input type="radio" name="to" value=o.id.to_string()/>{in_pool(&o.name, true, lang)}</label>
                        }).collect_view()}
                        <label class="check"><input type="radio" name="to" value="outside"/>{t(T::OutsideCity)}</label>
                        <label for="outside_to">{t(T::OutsideWhere)}</label>
                        <input id="outside_to" name="outside_to" maxlength="60" value=view.outside_to.clone()/>
                    </fieldset>
                    <button type="submit" class="primary">{t(T::ProposeTransfer)}</button>
                </form>
            })}
            {(!history.is_empty()).then(|| view! {
                <h2>{t(T::UnionHistory)}</h2>
                <ul class="steps">
                    {history.into_iter().map(|h| view! {
                        <li>{in_pool(&h.name, h.in_pool, lang)}<span>{format!("{} – {}", h.since, h.until.unwrap_or_default())}</span></li>
                    }).collect_view()}
                </ul>
            })}
        </AdminFrame>
    }
}
