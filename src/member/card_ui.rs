//! The card pages: the member's card with its rotating QR code, and the public check. The only
//! script is `CardClock`, a tiny island that shows the code of the current minute out of those
//! already on the page (so a weak network does not matter) and counts down; without
//! JavaScript the page reloads itself at the change of the minute.
use super::{CardCheck, CardCheckView, CardView};
use crate::i18n::{Lang, T};
use leptos::prelude::*;

#[component]
pub fn CardPage(view: CardView, lang: Lang) -> impl IntoView {
    let t = move |k: T| k.get(lang);
    let first = view.codes.first().map(|c| c.starts_at).unwrap_or(view.server_now);
    let count = view.codes.len();
    let left = (first + 60 - view.server_now).clamp(1, 60);
    let codes = view
        .codes
        .into_iter()
        .enumerate()
        .map(|(i, c)| view! { <div class="qr card-qr" id=format!("card-code-{i}") hidden={i > 0} inner_html=c.svg></div> })
        .collect_view();
    view! {
        <super::ui::MemberNav lang=lang/>
        <section class="card member-card center">
            <h1>{t(T::CardTitle)}</h1>
            <p class="member-card-union">{view.union}</p>
            <p class="member-card-name">{view.name_masked}</p>
            {if view.valid {
                view! {
                    // Without JavaScript: a fresh page (and code) at the change of the minute.
                    <noscript><meta http-equiv="refresh" content=left.to_string()/></noscript>
                    {codes}
                    <CardClock first=first count=count server_now=view.server_now lang=lang/>
                    <p class="hint">{t(T::CardHint)}</p>
                }
                .into_any()
            } else {
                view! { <p class="notice error" role="alert">{t(T::CardNotValid)}</p> }.into_any()
            }}
        </section>
    }
}

/// Shows the code of the current minute (by the server's time, carried over from the page) and
/// counts down to the next; reloads when the page's codes run out.
#[island]
pub fn CardClock(first: i64, count: usize, server_now: i64, lang: Lang) -> impl IntoView {
    let left = RwSignal::new((first + 60 - server_now).clamp(1, 60));
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        let loaded = js_sys::Date::now();
        let tick = move || {
            let now = server_now + ((js_sys::Date::now() - loaded) / 1000.0) as i64;
            let current = (now.div_euclid(60) - first.div_euclid(60)).max(0) as usize;
            let Some(window) = web_sys::window() else { return };
            if current >= count {
                let _ = window.location().reload();
                return;
            }
            if let Some(doc) = window.document() {
                for i in 0..count {
                    if let Some(el) = doc.get_element_by_id(&format!("card-code-{i}")) {
                        let _ = if i == current { el.remove_attribute("hidden") } else { el.set_attribute("hidden", "") };
                    }
                }
            }
            left.set(60 - now.rem_euclid(60));
        };
        tick();
        let _ = set_interval_with_handle(tick, std::time::Duration::from_secs(1));
    });
    #[cfg(not(feature = "hydrate"))]
    let _ = count;
    view! { <p class="countdown" aria-live="off">{move || T::CardChangesIn.fill(lang, &[&left.get().to_string()])}</p> }
}

#[component]
pub fn CardCheckPage(view: CardCheckView, lang: Lang) -> impl IntoView {
    let t = move |k: T| k.get(lang);
    let body = match view.check {
        CardCheck::Valid { union, name_masked } => view! {
            <p class="verdict ok" role="status">{t(T::CardValid)}</p>
            <dl class="facts">
                <dt>{t(T::Name)}</dt><dd>{name_masked}</dd>
                <dt>{t(T::CardUnion)}</dt><dd>{union}</dd>
            </dl>
        }
        .into_any(),
        CardCheck::Expired => view! {
            <p class="verdict bad" role="alert">{t(T::CardExpired)}</p>
            <p class="hint">{t(T::CardExpiredWhy)}</p>
        }
        .into_any(),
        CardCheck::Unknown => view! {
            <p class="verdict bad" role="alert">{t(T::CardUnknown)}</p>
            <p class="hint">{t(T::CardUnknownWhy)}</p>
        }
        .into_any(),
        CardCheck::NotMember => view! {
            <p class="verdict bad" role="alert">{t(T::CardNotMember)}</p>
        }
        .into_any(),
    };
    view! {
        <section class="card center">
            <h1>{t(T::CardCheckTitle)}</h1>
            {body}
            <p class="hint">{T::CardCheckedAt.fill(lang, &[&view.checked_at])}</p>
        </section>
    }
}
