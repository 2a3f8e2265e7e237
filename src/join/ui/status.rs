//! The status page behind an SMS link: masked data and the progress, no login.
use crate::i18n::{Lang, T};
use crate::join::types::ApplicationStatus;
use leptos::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusView {
    pub name_masked: String,
    pub id_masked: String,
    pub phone_masked: String,
    pub status: ApplicationStatus,
    pub org_name: String,
    pub in_pool: bool,
    pub submitted_at: String,
    pub due_at: String,
    pub due_provisional: bool,
    pub decided_at: Option<String>,
    /// Why it was rejected or returned.
    pub reason: Option<String>,
    /// The path the correction form posts to (`/s/<token>`).
    pub path: String,
    /// An error about the correction just sent.
    pub error: Option<T>,
    /// The link has expired (90 days after the decision): nothing else is filled in.
    pub expired: bool,
}

impl StatusView {
    /// What an expired link shows: no data at all.
    pub fn expired() -> StatusView {
        StatusView {
            name_masked: String::new(),
            id_masked: String::new(),
            phone_masked: String::new(),
            status: ApplicationStatus::Pending,
            org_name: String::new(),
            in_pool: false,
            submitted_at: String::new(),
            due_at: String::new(),
            due_provisional: false,
            decided_at: None,
            reason: None,
            path: String::new(),
            error: None,
            expired: true,
        }
    }
}

#[component]
pub fn StatusPage(view: Option<StatusView>, lang: Lang) -> impl IntoView {
    let Some(v) = view else {
        return view! {
            <section class="card">
                <h1>{T::StatusTitle.get(lang)}</h1>
                <p class="notice error" role="alert">{T::StatusNotFound.get(lang)}</p>
                <a class="button secondary" href="/">{T::BackHome.get(lang)}</a>
            </section>
        }
        .into_any();
    };
    if v.expired {
        return view! {
            <section class="card">
                <h1>{T::StatusTitle.get(lang)}</h1>
                <p class="notice error" role="alert">{T::StatusLinkExpired.get(lang)}</p>
                <a class="button secondary" href="/">{T::BackHome.get(lang)}</a>
            </section>
        }
        .into_any();
    }
    let status_text = v.status.label();
    let decided = !v.status.is_pending();
    let org = if v.in_pool { T::InParens.fill(lang, &[T::TurnoverPool.get(lang)]) } else { String::new() };
    let org = format!("{}{org}", v.org_name);
    view! {
        <section class="card">
            <h1>{T::StatusTitle.get(lang)}</h1>
            <p class="status-badge" data-status=v.status.as_str()>{status_text.get(lang)}</p>
            <ol class="steps" aria-label=T::StatusTitle.get(lang)>
                <li class="done">{T::StepSubmitted.get(lang)}<span>{v.submitted_at.clone()}</span></li>
                <li class=if decided { "done" } else { "current" }>{T::StepReview.get(lang)}<span>{org.clone()}</span></li>
                <li class=if decided { "done" } else { "" }>{T::StepResult.get(lang)}<span>{v.decided_at.clone().unwrap_or_default()}</span></li>
            </ol>
            <dl class="facts">
                <dt>{T::Name.get(lang)}</dt><dd>{v.name_masked}</dd>
                <dt>{T::IdNumber.get(lang)}</dt><dd>{v.id_masked}</dd>
                <dt>{T::Phone.get(lang)}</dt><dd>{v.phone_masked}</dd>
                <dt>{T::ReviewingUnion.get(lang)}</dt><dd>{org}</dd>
                <dt>{T::DueBy.get(lang)}</dt>
                <dd>{v.due_at}{v.due_provisional.then(|| T::Provisional.get(lang))}</dd>
            </dl>
            {v.reason.clone().map(|r| view! { <p class="notice error">{T::LabelValue.fill(lang, &[T::Reason.get(lang), &r])}</p> })}
            {(v.status == ApplicationStatus::Returned).then(|| view! {
                <form method="post" action=v.path.clone() class="correct">
                    <h2>{T::CorrectTitle.get(lang)}</h2>
                    {v.error.map(|e| view! { <p class="notice error" role="alert">{e.get(lang)}</p> })}
                    <div class="field">
                        <label for="name">{T::Name.get(lang)}</label>
                        <input id="name" name="name" autocomplete="name"/>
                    </div>
                    <div class="field">
                        <label for="plate">{T::Plate.get(lang)}<small>{T::InParens.fill(lang, &[T::Optional.get(lang)])}</small></label>
                        <input id="plate" name="plate" autocomplete="off" maxlength="12"/>
                    </div>
                    <button type="submit" class="primary">{T::Resubmit.get(lang)}</button>
                </form>
            })}
            <p class="hint">{T::SmsWillTell.get(lang)}</p>
        </section>
    }
    .into_any()
}
