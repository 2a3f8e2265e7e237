//! The live part of the command centre: an island holding the board in a signal. The server
//! renders it with the figures of the moment (that is the whole page without JavaScript); in
//! the browser it listens to `/admin/command/live?org=…` (server-sent events, counts only) and
//! redraws on every snapshot. A dropped connection is reopened by the browser, and the server
//! starts every connection with a fresh snapshot.
use super::{Board, Figures, UnionLine};
use crate::i18n::{Lang, T};
use leptos::prelude::*;

fn number(n: i64) -> String {
    n.to_string()
}

/// The figures of one union as a list of labelled numbers.
#[component]
fn FigureList(f: Figures, lang: Lang) -> impl IntoView {
    let t = move |k: T| k.get(lang);
    let rate = f.on_time_percent().map(|p| format!("{p}%")).unwrap_or_else(|| "—".into());
    let pool = match f.pool_days {
        Some(d) if f.pooled > 0 => format!("{} ({})", f.pooled, T::FigPoolDays.fill(lang, &[&d.to_string()])),
        _ => number(f.pooled),
    };
    let cells: Vec<(T, String, bool)> = vec![
        (T::FigMembers, number(f.members), false),
        (T::FigToday, number(f.joined_today), false),
        (T::FigWeek, number(f.joined_week), false),
        (T::FigMonth, number(f.joined_month), false),
        (T::FigPending, number(f.pending), false),
        (T::FigOverdue, number(f.overdue), f.overdue > 0),
        (T::FigOnTime, rate, false),
        (T::FigPooled, pool, false),
        (T::FigTransfers, number(f.transfers_waiting), false),
        (T::FigPlaced, number(f.placed_month), false),
        (T::FigTransferIn, number(f.transferred_in_month), false),
        (T::FigTransferOut, number(f.transferred_out_month), false),
    ];
    view! {
        <dl class="figures">
            {cells.into_iter().map(|(k, v, alert)| view! {
                <div class="figure" class:alert=alert data-k=format!("{k:?}")><dt>{t(k)}</dt><dd>{v}</dd></div>
            }).collect_view()}
        </dl>
    }
}

/// Joins per day as bars, drawn as SVG on the server (and redrawn live): no chart script.
#[component]
pub fn JoinsChart(daily: Vec<(u8, u8, i64)>, lang: Lang) -> impl IntoView {
    let max = daily.iter().map(|d| d.2).max().unwrap_or(0);
    let total: i64 = daily.iter().map(|d| d.2).sum();
    let (w, h, gap) = (10.0_f64, 60.0_f64, 2.0_f64);
    let width = daily.len() as f64 * w;
    let summary = T::ChartSummary.fill(lang, &[&total.to_string(), &max.to_string()]);
    let first = daily.first().map(|d| format!("{}/{}", d.0, d.1)).unwrap_or_default();
    let last = daily.last().map(|d| format!("{}/{}", d.0, d.1)).unwrap_or_default();
    view! {
        <figure class="chart">
            <figcaption>{T::JoinsPerDay.get(lang)}</figcaption>
            <svg viewBox=format!("0 0 {width} {}", h + 14.0) role="img" aria-label=summary.clone() preserveAspectRatio="none">
                {daily.iter().enumerate().map(|(i, (m, d, n))| {
                    let bh = if max > 0 { (*n as f64 / max as f64) * h } else { 0.0 };
                    let bh = if *n > 0 { bh.max(1.5) } else { 0.0 };
                    view! {
                        <rect x=format!("{:.1}", i as f64 * w + gap / 2.0) y=format!("{:.1}", h - bh) width=format!("{:.1}", w - gap) height=format!("{bh:.1}")>
                            <title>{format!("{m}/{d}: {n}")}</title>
                        </rect>
                    }
                }).collect_view()}
                <text x="0" y=h + 12.0 class="axis">{first}</text>
                <text x=width y=h + 12.0 class="axis end">{last}</text>
            </svg>
            <p class="hint">{summary}</p>
        </figure>
    }
}

#[component]
fn UnionTable(lines: Vec<UnionLine>, lang: Lang) -> impl IntoView {
    let t = move |k: T| k.get(lang);
    if lines.is_empty() {
        return view! { <p class="hint">{t(T::NoSubUnions)}</p> }.into_any();
    }
    view! {
        <ul class="unions">
            {lines.into_iter().map(|u| {
                let name = if u.has_children {
                    view! { <a href=format!("/admin/command?org={}", u.id)>{u.name.clone()}</a> }.into_any()
                } else {
                    view! { <span>{u.name.clone()}</span> }.into_any()
                };
                view! {
                    <li class="union" data-org=u.id>
                        <h3>{name}</h3>
                        <FigureList f=u.figures.clone() lang=lang/>
                    </li>
                }
            }).collect_view()}
        </ul>
    }
    .into_any()
}

/// The board as one view of its values.
#[component]
pub fn BoardBody(board: Board, lang: Lang) -> impl IntoView {
    let t = move |k: T| k.get(lang);
    view! {
        <section class="totals" aria-labelledby="totals-h">
            <h2 id="totals-h">{format!("{} · {}", board.org_name, t(T::Totals))}</h2>
            <FigureList f=board.totals.clone() lang=lang/>
        </section>
        <JoinsChart daily=board.daily.clone() lang=lang/>
        <h2>{t(T::SubUnions)}</h2>
        <UnionTable lines=board.children.clone() lang=lang/>
        <p class="hint counted">{T::CountedAt.fill(lang, &[&board.counted_at])}</p>
    }
}

#[island]
pub fn LiveBoard(board: Board, lang: Lang) -> impl IntoView {
    let t = move |k: T| k.get(lang);
    let org = board.org_id;
    let current = RwSignal::new(board);
    // None: not listening (no JavaScript yet); Some(true): live; Some(false): reconnecting.
    let live = RwSignal::new(None::<bool>);
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::closure::Closure;
        use wasm_bindgen::JsCast;
        Effect::new(move |_| {
            let Ok(source) = web_sys::EventSource::new(&format!("/admin/command/live?org={org}")) else { return };
            live.set(Some(false));
            let on_board = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |ev: web_sys::MessageEvent| {
                if let Some(text) = ev.data().as_string() {
                    if let Ok(b) = serde_json::from_str::<Board>(&text) {
                        current.set(b);
                        live.set(Some(true));
                    }
                }
            });
            let _ = source.add_event_listener_with_callback("board", on_board.as_ref().unchecked_ref());
            on_board.forget();
            let on_error = Closure::<dyn FnMut(web_sys::Event)>::new(move |_| live.set(Some(false)));
            source.set_onerror(Some(on_error.as_ref().unchecked_ref()));
            on_error.forget();
            // The page is left by a full navigation, which closes the stream with it.
        });
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = org;
    view! {
        <p class="live" role="status" aria-live="polite">
            {move || match live.get() {
                Some(true) => view! { <span class="dot on"></span>{t(T::LiveOn)} }.into_any(),
                Some(false) => view! { <span class="dot off"></span>{t(T::LiveLost)} }.into_any(),
                None => view! { <span class="hint">{t(T::LiveNeedsJs)}</span> }.into_any(),
            }}
        </p>
        {move || view! { <BoardBody board=current.get() lang=lang/> }}
    }
}
