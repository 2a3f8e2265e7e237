//! The pages of my data and rights: everything stored about me, the download, corrections, a
//! new phone number, and leaving (a confirmation step). Plain forms: they work without JavaScript.
use super::ui::{FieldError, MemberNav};
use super::{DataView, LeaveView, LEAVE_WORD};
use crate::i18n::{Lang, T};
use leptos::prelude::*;

#[component]
pub fn DataPage(view: DataView, lang: Lang) -> impl IntoView {
    let t = move |k: T| k.get(lang);
    let d = view.data;
    let f = view.forms;
    let row = move |k: T, v: String| view! { <dt>{t(k)}</dt><dd>{v}</dd> };
    let items = d
        .applications
        .iter()
        .chain(d.transfers.iter())
        .map(|i| format!("{} · {} · {} · {}", i.what, i.union, i.status, i.at))
        .collect::<Vec<_>>();
    view! {
        <MemberNav lang=lang/>
        <section class="card">
            <h1>{t(T::MyDataTitle)}</h1>
            {view.notice.map(|n| view! { <p class="notice ok" role="status">{t(n)}</p> })}
            <p class="intro">{t(T::MyDataIntro)}</p>
            <dl class="facts my-data">
                {row(T::Name, d.name.clone())}
                {row(T::Phone, d.phone.clone())}
                {row(T::IdNumber, d.id_number_masked.clone())}
                {row(T::Sex, d.sex.clone())}
                {row(T::BirthYear, d.birth_year.clone())}
                {row(T::Plate, d.plate.clone().unwrap_or_default())}
                {row(T::CardUnion, d.union.clone())}
                {row(T::MemberNo, d.member_no.clone())}
                {row(T::MemberSince, d.member_since.clone())}
                {row(T::ConsentGiven, format!("{} · v{} · {}", d.consent_at, d.consent_version, d.consent_ip))}
            </dl>
            <ul class="hint">{items.into_iter().map(|i| view! { <li>{i}</li> }).collect_view()}</ul>
            <p><a class="button secondary" href="/me/data.json" download="my-data.json">{t(T::DownloadMyData)}</a></p>

            <h2>{t(T::CorrectMyData)}</h2>
            <form method="post" action="/me/data/correct" novalidate>
                <div class="field">
                    <label for="name">{t(T::Name)}</label>
                    <input id="name" name="name" autocomplete="name" maxlength="50" value=f.name.clone()
                        aria-invalid=if f.name_error.is_some() { "true" } else { "false" } aria-describedby="name-error"/>
                    <FieldError id="name-error" error=f.name_error lang=lang/>
                </div>
                <div class="field">
                    <label for="plate">{t(T::Plate)}<small>{T::InParens.fill(lang, &[t(T::Optional)])}</small></label>
                    <input id="plate" name="plate" autocomplete="off" maxlength="20" value=f.plate.clone()
                        aria-invalid=if f.plate_error.is_some() { "true" } else { "false" } aria-describedby="plate-error"/>
                    <FieldError id="plate-error" error=f.plate_error lang=lang/>
                </div>
                <button type="submit" class="primary">{t(T::SaveCorrection)}</button>
            </form>

            <h2>{t(T::ChangePhone)}</h2>
            {f.code_sent.then(|| view! { <p class="notice ok" role="status">{t(T::CodeSentToNew)}</p> })}
            <form method="post" action="/me/data/phone" novalidate>
                <div class="field">
                    <label for="new-phone">{t(T::NewPhone)}</label>
                    <div class="row">
                        <input id="new-phone" name="phone" type="tel" inputmode="numeric" autocomplete="tel" maxlength="20" value=f.new_phone.clone()
                            aria-invalid=if f.phone_error.is_some() { "true" } else { "false" } aria-describedby="new-phone-error"/>
                        <button type="submit" name="intent" value="send_code" class="secondary code-button">{t(T::GetCode)}</button>
                    </div>
                    <FieldError id="new-phone-error" error=f.phone_error lang=lang/>
                </div>
                <div class="field">
                    <label for="phone-code">{t(T::Code)}</label>
                    <input id="phone-code" name="code" inputmode="numeric" autocomplete="one-time-code" maxlength="10"
                        aria-invalid=if f.code_error.is_some() { "true" } else { "false" } aria-describedby="phone-code-error"/>
                    <FieldError id="phone-code-error" error=f.code_error lang=lang/>
                </div>
                <button type="submit" name="intent" value="change" class="primary">{t(T::ChangePhone)}</button>
            </form>

            <h2>{t(T::AskTransfer)}</h2>
            <p class="hint">{t(T::AskTransferIntro)}</p>
            <form method="post" action="/me/data/transfer" novalidate>
                <div class="field">
                    <label for="transfer-to">{t(T::TransferTo)}</label>
                    <select id="transfer-to" name="to" aria-describedby="transfer-error">
                        <option value="">{t(T::ChooseUnion)}</option>
                        {view.unions.into_iter().map(|u| {
                            let selected = u.id.to_string() == f.transfer_to;
                            let label = match u.parent { Some(p) => format!("{}（{p}）", u.name), None => u.name };
                            view! { <option value=u.id.to_string() selected=selected>{label}</option> }
                        }).collect_view()}
                    </select>
                </div>
                <div class="field">
                    <label for="transfer-reason">{t(T::TransferReason)}</label>
                    <textarea id="transfer-reason" name="reason" maxlength="200" rows="3">{f.transfer_reason.clone()}</textarea>
                    <FieldError id="transfer-error" error=f.transfer_error lang=lang/>
                </div>
                <button type="submit" class="primary">{t(T::SendRequest)}</button>
            </form>

            <h2>{t(T::LeaveTitle)}</h2>
            <p class="hint">{t(T::LeaveExplain)}</p>
            <a class="button secondary" href="/me/leave">{t(T::LeaveTitle)}</a>
        </section>
    }
}

#[component]
pub fn LeavePage(view: LeaveView, lang: Lang) -> impl IntoView {
    let t = move |k: T| k.get(lang);
    if view.done {
        return view! {
            <section class="card">
                <h1>{t(T::LeaveDoneTitle)}</h1>
                <p class="notice ok" role="status">{t(T::LeaveDone)}</p>
                <a class="button secondary" href="/">{t(T::BackHome)}</a>
            </section>
        }
        .into_any();
    }
    view! {
        <MemberNav lang=lang/>
        <section class="card">
            <h1>{t(T::LeaveTitle)}</h1>
            <p>{t(T::LeaveExplain)}</p>
            <form method="post" action="/me/leave" novalidate>
                <div class="field">
                    <label for="confirm">{T::LeaveTypeWord.fill(lang, &[LEAVE_WORD])}</label>
                    <input id="confirm" name="confirm" autocomplete="off" maxlength="10"
                        aria-invalid=if view.error.is_some() { "true" } else { "false" } aria-describedby="confirm-error"/>
                    <FieldError id="confirm-error" error=view.error lang=lang/>
                </div>
                <button type="submit" class="primary danger">{t(T::LeaveConfirm)}</button>
            </form>
            <p><a href="/me/data">{t(T::LeaveCancel)}</a></p>
        </section>
    }
    .into_any()
}
