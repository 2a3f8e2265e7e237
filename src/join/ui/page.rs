//! The join page (server-rendered; only the form inside it is an island).
use super::form::JoinFormIsland;
use crate::i18n::T;
use crate::join::JoinView;
use leptos::prelude::*;

#[component]
pub fn JoinPage(view: JoinView) -> impl IntoView {
    let lang = view.lang;
    view! {
        <section class="card">
            <h1>{T::JoinTitle.get(lang)}</h1>
            <p class="intro">{T::JoinIntro.get(lang)}</p>
            <JoinFormIsland view=view/>
        </section>
    }
}
