//! Member pages: sign-in and 我的. Plain server-rendered forms: they work with JavaScript off.
use super::{LoginView, MeView, MyItem};
use crate::i18n::{Lang, T};
use leptos::prelude::*;

/// The line under a field that says what is wrong with it (empty: hidden).
#[component]
pub fn FieldError(id: &'static str, error: Option<T>, lang: Lang) -> impl IntoView {
    view! { <p class="err" id=id role="alert">{error.map(|e| e.get(lang))}</p> }
}

#[component]
pub fn LoginPage(view: LoginView, lang: Lang) -> impl IntoView {
    let t = move |k: T| k.get(lang);
    let invalid = |e: &Option<T>| if e.is_some() { "true" } else { "false" };
    view! {
        <section class="card">
            <h1>{t(T::MeLogin)}</h1>
            <p class="intro">{t(T::MeLoginIntro)}</p>
            {view.notice.map(|n| view! { <p class="notice ok" role="status">{t(n)}</p> })}
            <form method="post" action="/me/login" novalidate>
                <input type="hidden" name="next" value=view.next.clone()/>
                <div class="field">
                    <label for="phone">{t(T::Phone)}</label>
                    <div class="row">
                        <input id="phone" name="phone" type="tel" inputmode="numeric" autocomplete="tel" maxlength="20"
                            value=view.phone.clone() aria-invalid=invalid(&view.phone_error) aria-describedby="phone-error"/>
                        <button type="submit" name="intent" value="send_code" class="secondary code-button" formnovalidate>{t(T::GetCode)}</button>
                    </div>
                    <FieldError id="phone-error" error=view.phone_error lang=lang/>
                </div>
                {view.captcha.clone().map(|c| view! {
                    <div class="field captcha">
                        <input type="hidden" name="captcha_id" value=c.id.clone()/>
                        <div class="captcha-img" inner_html=c.svg.clone()></div>
                        <label for="captcha_answer">{t(T::CaptchaDigitsLabel)}</label>
                        <input id="captcha_answer" name="captcha_answer" inputmode="numeric" autocomplete="off" maxlength="10"
                            aria-describedby="captcha-error"/>
                    </div>
                })}
                <FieldError id="captcha-error" error=view.captcha_error lang=lang/>
                <div class="field">
                    <label for="code">{t(T::Code)}</label>
                    <input id="code" name="code" inputmode="numeric" autocomplete="one-time-code" maxlength="10"
                        aria-invalid=invalid(&view.code_error) aria-describedby="code-error"/>
                    <FieldError id="code-error" error=view.code_error lang=lang/>
                </div>
                <button type="submit" name="intent" value="sign_in" class="primary">{t(T::MeSignIn)}</button>
            </form>
            <p class="hint">{t(T::MeLoginHint)}</p>
        </section>
    }
}

/// The frame of the signed-in member's pages: where to go, and sign-out.
#[component]
pub fn MemberNav(lang: Lang) -> impl IntoView {
    let t = move |k: T| k.get(lang);
    view! {
        <nav class="admin-nav" aria-label=t(T::MeTitle)>
            <a href="/me">{t(T::MeTitle)}</a>
            <a href="/me/card">{t(T::CardTitle)}</a>
            <a href="/me/benefits">{t(T::MeBenefits)}</a>
            <a href="/hall">{t(T::HallTitle)}</a>
            <a href="/me/requests">{t(T::MyServices)}</a>
            <a href="/me/data">{t(T::MyDataTitle)}</a>
            <form method="post" action="/me/logout" class="inline">
                <button type="submit" class="link">{t(T::SignOut)}</button>
            </form>
        </nav>
    }
}

fn items(list: Vec<MyItem>, lang: Lang) -> impl IntoView {
    let t = move |k: T| k.get(lang);
    if list.is_empty() {
        return view! { <p class="hint">{t(T::MeNothing)}</p> }.into_any();
    }
    view! {
        <ul class="queue">
            {list.into_iter().map(|i| view! {
                <li class="item plain">
                    <div><strong>{t(i.what)}</strong><span>{i.detail}</span></div>
                    <div><span class="status-badge">{t(i.status)}</span><span class="when">{i.at}</span></div>
                </li>
            }).collect_view()}
        </ul>
    }
    .into_any()
}

#[component]
pub fn MePage(view: MeView, lang: Lang) -> impl IntoView {
    let t = move |k: T| k.get(lang);
    let history = (!view.history.is_empty()).then(|| {
        view! {
            <h2>{t(T::UnionHistory)}</h2>
            <ol class="steps">
                {view.history.clone().into_iter().map(|h| view! {
                    <li class=if h.until.is_none() { "current" } else { "done" }>
                        {h.name}
                        <span>{format!("{} – {}", h.since, h.until.clone().unwrap_or_else(|| t(T::UntilNow).to_string()))}</span>
                    </li>
                }).collect_view()}
            </ol>
        }
    });
    view! {
        <MemberNav lang=lang/>
        <section class="card">
            <h1>{t(T::MeTitle)}</h1>
            {view.notice.map(|n| view! { <p class="notice ok" role="status">{t(n)}</p> })}
            <div class="member-card">
                <p class="member-card-union">{view.union.clone()}</p>
                <dl class="facts">
                    <dt>{t(T::Name)}</dt><dd>{view.name_masked.clone()}</dd>
                    <dt>{t(T::MemberNo)}</dt><dd class="member-no">{view.member_no.clone()}</dd>
                    <dt>{t(T::MemberSince)}</dt><dd>{view.member_since.clone()}</dd>
                </dl>
                <a class="button primary" href="/me/card">{t(T::ShowCard)}</a>
            </div>
            {history}
            <h2>{t(T::MyApplications)}</h2>
            {items(view.applications, lang)}
            <h2>{t(T::MyRequests)}</h2>
            {items(view.requests, lang)}
            <p><a class="button secondary" href="/me/benefits">{t(T::MeBenefits)}</a></p>
            <p><a href="/me/data">{t(T::MyDataTitle)}</a></p>
        </section>
    }
}
