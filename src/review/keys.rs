//! Keyboard shortcuts for reviewers at a desk — an island, so the queue stays a plain page that
//! works without JavaScript: J/K move between applications, A approves the one in focus, X
//! selects it for bulk approval, Enter opens it. The hint shows only when the keys work.
use crate::i18n::{Lang, T};
use leptos::prelude::*;

#[island]
pub fn QueueKeys(lang: Lang) -> impl IntoView {
    let awake = RwSignal::new(false);
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        Effect::new(move |_| awake.set(true));
        let handle = window_event_listener(leptos::ev::keydown, move |ev: web_sys::KeyboardEvent| {
            if ev.ctrl_key() || ev.meta_key() || ev.alt_key() {
                return;
            }
            let Some(doc) = web_sys::window().and_then(|w| w.document()) else { return };
            // Typing in a field is typing, not a shortcut.
            if let Some(active) = doc.active_element() {
                if matches!(active.tag_name().as_str(), "INPUT" | "SELECT" | "TEXTAREA") {
                    return;
                }
            }
            let Ok(items) = doc.query_selector_all("li.item") else { return };
            let n = items.length();
            if n == 0 {
                return;
            }
            let current = (0..n).find(|i| {
                items.item(*i).and_then(|e| e.dyn_into::<web_sys::Element>().ok()).is_some_and(|e| e.class_list().contains("focused"))
            });
            let item = |i: u32| items.item(i).and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok());
            let focus = |i: u32| {
                for j in 0..n {
                    if let Some(e) = item(j) {
                        let _ = e.class_list().toggle_with_force("focused", j == i);
                    }
                }
                if let Some(e) = item(i) {
                    e.scroll_into_view_with_bool(false);
                }
            };
            let click = |i: u32, selector: &str| {
                if let Some(el) =
                    item(i).and_then(|e| e.query_selector(selector).ok().flatten()).and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
                {
                    el.click();
                }
            };
            match ev.key().as_str() {
                "j" | "J" | "ArrowDown" => focus(current.map_or(0, |c| (c + 1).min(n - 1))),
                "k" | "K" | "ArrowUp" => focus(current.map_or(0, |c| c.saturating_sub(1))),
                "a" | "A" => {
                    if let Some(c) = current {
                        click(c, "button.approve");
                    }
                }
                "x" | "X" => {
                    if let Some(c) = current {
                        click(c, "input.pick");
                    }
                }
                "Enter" => {
                    if let Some(c) = current {
                        click(c, "a.button");
                    }
                }
                _ => return,
            }
            ev.prevent_default();
        });
        on_cleanup(move || handle.remove());
    }
    view! { <p class="hint keys" class:hidden=move || !awake.get()>{T::KeysHint.get(lang)}</p> }
}
