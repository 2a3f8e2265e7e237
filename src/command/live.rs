//! The live part of the command centre. The server renders the board with the figures of the
//! moment (that is the whole page without JavaScript); a small island listens to
//! `/admin/command/live?org=…` (server-sent events, counts only) and writes each new snapshot's
//! numbers into the page's figure tiles and chart bars in place. A dropped connection is
//! reopened by the browser, and the server starts every connection with a fresh snapshot.
//! Only the island's listener and the shared formatting below ship to the browser, not the
//! board's views.
use super::{Board, Figures, UnionLine};
use crate::i18n::{Lang, T};
use leptos::prelude::*;

/// The tiles of one union's figures: (label, shown value, needs attention), in screen order.
/// The server's page and the browser's live update both write what this returns.
pub fn figure_cells(f: &Figures, lang: Lang) -> Vec<(T, String, bool)> {
    let rate = f.on_time_percent().map(|p| format!("{p}%")).unwrap_or_else(|| "—".into());
    let pool = match f.pool_days {
        Some(d) if f.pooled > 0 => format!("{} ({})", f.pooled, T::FigPoolDays.fill(lang, &[&d.to_string()])),
        _ => f.pooled.to_string(),
    };
    vec![
        (T::FigMembers, f.members.to_string(), false),
        (T::FigToday, f.joined_today.to_string(), false),
        (T::FigWeek, f.joined_week.to_string(), false),
        (T::FigMonth, f.joined_month.to_string(), false),
        (T::FigPending, f.pending.to_string(), false),
        (T::FigOverdue, f.overdue.to_string(), f.overdue > 0),
        (T::FigOnTime, rate, false),
        (T::FigPooled, pool, false),
        (T::FigTransfers, f.transfers_waiting.to_string(), false),
        (T::FigPlaced, f.placed_month.to_string(), false),
        (T::FigTransferIn, f.transferred_in_month.to_string(), false),
        (T::FigTransferOut, f.transferred_out_month.to_string(), false),
    ]
}

/// The key a tile carries in `data-k`.
pub fn cell_key(k: T) -> String {
    format!("{k:?}")
}

/// One day's bar: x, y, width, height, and its tooltip.
pub type Bar = (f64, f64, f64, f64, String);

/// The chart's geometry: the SVG width, the bar area's height, and each day's bar.
pub fn chart_bars(daily: &[(u8, u8, i64)]) -> (f64, f64, Vec<Bar>) {
    let max = daily.iter().map(|d| d.2).max().unwrap_or(0);
    let (w, h, gap) = (10.0_f64, 60.0_f64, 2.0_f64);
    let bars = daily
        .iter()
        .enumerate()
        .map(|(i, (m, d, n))| {
            let bh = if max > 0 { (*n as f64 / max as f64) * h } else { 0.0 };
            let bh = if *n > 0 { bh.max(1.5) } else { 0.0 };
            (i as f64 * w + gap / 2.0, h - bh, w - gap, bh, format!("{m}/{d}: {n}"))
        })
        .collect();
    (daily.len() as f64 * w, h, bars)
}

/// The chart's one-line summary (also its accessible name).
pub fn chart_summary(daily: &[(u8, u8, i64)], lang: Lang) -> String {
    let max = daily.iter().map(|d| d.2).max().unwrap_or(0);
    let total: i64 = daily.iter().map(|d| d.2).sum();
    T::ChartSummary.fill(lang, &[&total.to_string(), &max.to_string()])
}

/// The figures of one union as a list of labelled numbers.
#[component]
fn FigureList(f: Figures, lang: Lang) -> impl IntoView {
    view! {
        <dl class="figures">
            {figure_cells(&f, lang).into_iter().map(|(k, v, alert)| view! {
                <div class="figure" class:alert=alert data-k=cell_key(k)><dt>{k.get(lang)}</dt><dd>{v}</dd></div>
            }).collect_view()}
        </dl>
    }
}

/// Joins per day as bars, drawn as SVG on the server: no chart script.
#[component]
pub fn JoinsChart(daily: Vec<(u8, u8, i64)>, lang: Lang) -> impl IntoView {
    let (width, h, bars) = chart_bars(&daily);
    let summary = chart_summary(&daily, lang);
    let first = daily.first().map(|d| format!("{}/{}", d.0, d.1)).unwrap_or_default();
    let last = daily.last().map(|d| format!("{}/{}", d.0, d.1)).unwrap_or_default();
    view! {
        <figure class="chart">
            <figcaption>{T::JoinsPerDay.get(lang)}</figcaption>
            <svg viewBox=format!("0 0 {width} {}", h + 14.0) role="img" aria-label=summary.clone() preserveAspectRatio="none">
                {bars.into_iter().map(|(x, y, w, bh, tip)| view! {
                    <rect x=format!("{x:.1}") y=format!("{y:.1}") width=format!("{w:.1}") height=format!("{bh:.1}")><title>{tip}</title></rect>
                }).collect_view()}
                <text x="0" y=h + 12.0 class="axis">{first}</text>
                <text x=width y=h + 12.0 class="axis end">{last}</text>
            </svg>
            <p class="hint summary">{summary}</p>
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

/// The board as one view of its values (rendered on the server only).
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

/// Writes a snapshot's numbers into the page the server rendered.
#[cfg(feature = "hydrate")]
fn patch(doc: &web_sys::Document, board: &Board, lang: Lang) {
    let set_tiles = |scope: &str, f: &Figures| {
        for (k, v, alert) in figure_cells(f, lang) {
            let selector = format!("{scope} [data-k=\"{}\"]", cell_key(k));
            if let Ok(Some(tile)) = doc.query_selector(&selector) {
                let _ = tile.class_list().toggle_with_force("alert", alert);
                if let Ok(Some(dd)) = tile.query_selector("dd") {
                    dd.set_text_content(Some(&v));
                }
            }
        }
    };
    set_tiles(".totals", &board.totals);
    for line in &board.children {
        set_tiles(&format!("li.union[data-org=\"{}\"]", line.id), &line.figures);
    }
    let (_, _, bars) = chart_bars(&board.daily);
    if let Ok(rects) = doc.query_selector_all(".chart rect") {
        for (i, (_, y, _, bh, tip)) in bars.iter().enumerate() {
            let Some(rect) = rects.item(i as u32) else { break };
            let Ok(rect) = wasm_bindgen::JsCast::dyn_into::<web_sys::Element>(rect) else { continue };
            let _ = rect.set_attribute("y", &format!("{y:.1}"));
            let _ = rect.set_attribute("height", &format!("{bh:.1}"));
            rect.set_text_content(None);
            if let Ok(title) = doc.create_element_ns(Some("http://www.w3.org/2000/svg"), "title") {
                title.set_text_content(Some(tip));
                let _ = rect.append_child(&title);
            }
        }
    }
    let summary = chart_summary(&board.daily, lang);
    if let Ok(Some(svg)) = doc.query_selector(".chart svg") {
        let _ = svg.set_attribute("aria-label", &summary);
    }
    if let Ok(Some(p)) = doc.query_selector(".chart .summary") {
        p.set_text_content(Some(&summary));
    }
    if let Ok(Some(p)) = doc.query_selector(".counted") {
        p.set_text_content(Some(&T::CountedAt.fill(lang, &[&board.counted_at])));
    }
}

/// The listener: a status line, and the page's numbers kept current.
#[island]
pub fn LiveBoard(org: i64, lang: Lang) -> impl IntoView {
    let t = move |k: T| k.get(lang);
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
                let Some(text) = ev.data().as_string() else { return };
                let Ok(board) = serde_json::from_str::<Board>(&text) else { return };
                if let Some(doc) = web_sys::window().and_then(|w| w.document()) {
                    patch(&doc, &board, lang);
                }
                live.set(Some(true));
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
    }
}
