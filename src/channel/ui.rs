//! The printable A4 poster of a join channel: its QR code, short link and the four steps.
use super::PosterView;
use crate::i18n::{Lang, T};
use leptos::prelude::*;

#[component]
pub fn PosterPage(view: PosterView, lang: Lang) -> impl IntoView {
    view! {
        <article class="poster-sheet">
            <p class="poster-org">{view.channel.org_name.clone()}</p>
            <h1>{T::PosterTitle.get(lang)}</h1>
            <p class="poster-channel">{view.channel.name.clone()}</p>
            <div class="qr" inner_html=view.qr_svg.clone() role="img" aria-label=view.link.clone()></div>
            <p class="poster-link">{view.link.clone()}</p>
            <p class="poster-steps">{T::PosterSteps.get(lang)}</p>
            <p class="poster-foot">{T::AppName.get(lang)}" · "{T::Channel.get(lang)}" "{view.channel.code.to_string()}</p>
        </article>
        <p class="no-print center hint">{T::PosterPrint.get(lang)}</p>
    }
}
