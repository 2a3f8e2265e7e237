//! The service form's helper in the browser — an island beside a plain form that works without
//! it. It keeps a draft of what was typed in this tab (session storage: the answers may hold an
//! ID number, so never persistent storage), checks each field with the server's own rules as
//! the member types and before sending, shrinks photos before upload, and sends the form
//! without reloading the page: on success the browser goes to the request; on a field error
//! the server's form (errors, kept files) takes the form's place; on a lost connection the draft
//! stays and the member is told to press again when the signal is back.
use super::fields::FieldDef;
use crate::i18n::Lang;
use leptos::prelude::*;

#[island]
pub fn HallFormKeeper(fields: Vec<FieldDef>, lang: Lang) -> impl IntoView {
    #[cfg(feature = "hydrate")]
    imp::wake(fields, lang);
    #[cfg(not(feature = "hydrate"))]
    let _ = (fields, lang);
    view! { <span class="hidden" aria-hidden="true"></span> }
}

#[cfg(feature = "hydrate")]
mod imp {
    use super::super::fields::{self, FieldDef, FieldKind};
    use crate::i18n::Lang;
    use leptos::prelude::*;
    use std::collections::BTreeMap;
    use wasm_bindgen::{closure::Closure, JsCast, JsValue};
    use wasm_bindgen_futures::JsFuture;
    use web_sys::{Document, Element, FormData, HtmlFormElement, HtmlInputElement};

    /// Photos are shrunk to this longest side before upload.
    const MAX_SIDE: f64 = 1600.0;
    /// Photos smaller than this go as they are.
    const SHRINK_ABOVE: f64 = 400.0 * 1024.0;

    fn doc() -> Option<Document> {
        web_sys::window()?.document()
    }

    fn form() -> Option<HtmlFormElement> {
        doc()?.query_selector("form.hall-form").ok()??.dyn_into().ok()
    }

    fn storage() -> Option<web_sys::Storage> {
        web_sys::window()?.session_storage().ok()?
    }

    fn draft_key(form: &HtmlFormElement) -> String {
        form.get_attribute("data-draft").unwrap_or_else(|| "hall".into())
    }

    fn inside_form(ev: &web_sys::Event) -> bool {
        ev.target().and_then(|t| t.dyn_into::<Element>().ok()).and_then(|e| e.closest("form.hall-form").ok().flatten()).is_some()
    }

    /// The typed values (files left out) by input name.
    fn values(form: &HtmlFormElement) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        let Ok(data) = FormData::new_with_form(form) else { return out };
        let Ok(Some(iter)) = js_sys::try_iter(&data) else { return out };
        for entry in iter.flatten() {
            let pair: js_sys::Array = entry.unchecked_into();
            if let (Some(k), Some(v)) = (pair.get(0).as_string(), pair.get(1).as_string()) {
                if k != "kept" {
                    out.insert(k, v);
                }
            }
        }
        out
    }

    fn save(form: &HtmlFormElement) {
        if let (Some(s), Ok(json)) = (storage(), serde_json::to_string(&values(form))) {
            let _ = s.set_item(&draft_key(form), &json);
        }
    }

    fn restore(form: &HtmlFormElement) {
        let Some(json) = storage().and_then(|s| s.get_item(&draft_key(form)).ok().flatten()) else { return };
        let Ok(saved) = serde_json::from_str::<BTreeMap<String, String>>(&json) else { return };
        let elements = form.elements();
        for (name, value) in saved {
            let Some(el) = elements.named_item(&name) else { continue };
            if let Some(input) = el.dyn_ref::<HtmlInputElement>() {
                if input.type_() == "file" || input.type_() == "radio" {
                    continue;
                }
                if input.value().is_empty() || name == "submission" {
                    input.set_value(&value);
                }
            } else if let Some(area) = el.dyn_ref::<web_sys::HtmlTextAreaElement>() {
                if area.value().is_empty() {
                    area.set_value(&value);
                }
            } else if let Some(select) = el.dyn_ref::<web_sys::HtmlSelectElement>() {
                if select.value().is_empty() {
                    select.set_value(&value);
                }
            } else if let Some(list) = el.dyn_ref::<web_sys::RadioNodeList>() {
                if list.value().is_empty() {
                    list.set_value(&value);
                }
            }
        }
    }

    fn clear(form: &HtmlFormElement) {
        if let Some(s) = storage() {
            let _ = s.remove_item(&draft_key(form));
        }
    }

    /// Shows (or clears) a field's problem; true when the field is fine.
    fn check_one(f: &FieldDef, form: &HtmlFormElement, lang: Lang) -> bool {
        let Some(doc) = doc() else { return true };
        let value = values(form).get(&format!("f_{}", f.key)).cloned().unwrap_or_default();
        let today = crate::join::ui::browser::today();
        let problem = fields::check(f, &value, today).err();
        if let Some(p) = doc.get_element_by_id(&format!("hf-{}-err", f.key)) {
            p.set_text_content(problem.map(|t| t.get(lang)));
        }
        if let Some(input) = doc.get_element_by_id(&format!("hf-{}", f.key)) {
            let _ = input.set_attribute("aria-invalid", if problem.is_some() { "true" } else { "false" });
        }
        problem.is_none()
    }

    fn focus(id: &str) {
        if let Some(el) = doc().and_then(|d| d.get_element_by_id(id)).and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok()) {
            let _ = el.focus();
        }
    }

    fn set_busy(form: &HtmlFormElement, busy: bool) {
        if let Ok(Some(b)) = form.query_selector("button[type=submit]") {
            let _ = if busy { b.set_attribute("disabled", "") } else { b.remove_attribute("disabled") };
        }
    }

    fn offline(show: bool) {
        if let Some(p) = doc().and_then(|d| d.get_element_by_id("hall-offline")) {
            let _ = p.class_list().toggle_with_force("hidden", !show);
        }
    }

    pub fn wake(fields: Vec<FieldDef>, lang: Lang) {
        Effect::new(move |_| {
            if let Some(form) = form() {
                restore(&form);
            }
        });
        let typed = window_event_listener(leptos::ev::input, move |ev| {
            if inside_form(&ev) {
                if let Some(form) = form() {
                    save(&form);
                }
            }
        });
        let checked_fields = fields.clone();
        let changed = window_event_listener(leptos::ev::change, move |ev| {
            if !inside_form(&ev) {
                return;
            }
            let Some(form) = form() else { return };
            save(&form);
            let Some(target) = ev.target().and_then(|t| t.dyn_into::<HtmlInputElement>().ok()) else {
                // A select or a text area left: check that field.
                if let Some(el) = ev.target().and_then(|t| t.dyn_into::<Element>().ok()) {
                    let id = el.id();
                    if let Some(f) = checked_fields.iter().find(|f| format!("hf-{}", f.key) == id) {
                        check_one(f, &form, lang);
                    }
                }
                return;
            };
            if target.type_() == "file" {
                if target.has_attribute("data-shrink") {
                    leptos::task::spawn_local(shrink(target));
                }
                return;
            }
            let id = target.id();
            if let Some(f) = checked_fields.iter().find(|f| format!("hf-{}", f.key) == id || id.starts_with(&format!("hf-{}-", f.key))) {
                check_one(f, &form, lang);
            }
        });
        let submitted = window_event_listener(leptos::ev::submit, move |ev| {
            if !inside_form(&ev) {
                return;
            }
            let Some(form) = form() else { return };
            let mut first_bad = None;
            for f in fields.iter().filter(|f| f.kind != FieldKind::Attachment) {
                if !check_one(f, &form, lang) && first_bad.is_none() {
                    first_bad = Some(format!("hf-{}", f.key));
                }
            }
            ev.prevent_default();
            if let Some(id) = first_bad {
                focus(&id);
                return;
            }
            save(&form);
            set_busy(&form, true);
            offline(false);
            leptos::task::spawn_local(send(form));
        });
        on_cleanup(move || {
            typed.remove();
            changed.remove();
            submitted.remove();
        });
    }

    /// Sends the form as a native post would, without leaving the page until it went through.
    async fn send(form: HtmlFormElement) {
        let Some(window) = web_sys::window() else { return };
        let Ok(data) = FormData::new_with_form(&form) else { return };
        let init = web_sys::RequestInit::new();
        init.set_method("POST");
        init.set_body(&data);
        init.set_credentials(web_sys::RequestCredentials::SameOrigin);
        let answer = async {
            let request = web_sys::Request::new_with_str_and_init(&form.action(), &init)?;
            let res: web_sys::Response = JsFuture::from(window.fetch_with_request(&request)).await?.dyn_into()?;
            if res.redirected() {
                return Ok::<_, JsValue>(Err(res.url()));
            }
            let text = JsFuture::from(res.text()?).await?.as_string().unwrap_or_default();
            Ok(Ok(text))
        }
        .await;
        match answer {
            Ok(Err(url)) => {
                clear(&form);
                let _ = window.location().assign(&url);
            }
            Ok(Ok(html)) => {
                // The server's form again: its errors and kept files take this form's place.
                let parsed = web_sys::DomParser::new().and_then(|p| p.parse_from_string(&html, web_sys::SupportedType::TextHtml));
                match parsed.ok().and_then(|d| d.query_selector("form.hall-form").ok().flatten()) {
                    Some(fresh) => {
                        form.set_inner_html(&fresh.inner_html());
                        if let Ok(Some(bad)) = form.query_selector("[aria-invalid=true]") {
                            if let Ok(el) = bad.dyn_into::<web_sys::HtmlElement>() {
                                let _ = el.focus();
                            }
                        }
                    }
                    None => offline(true),
                }
                set_busy(&form, false);
            }
            Err(_) => {
                // No answer: the draft is kept; the member presses again when the signal is back.
                offline(true);
                set_busy(&form, false);
            }
        }
    }

    /// Replaces large photos of a file input by JPEGs of at most `MAX_SIDE` pixels.
    async fn shrink(input: HtmlInputElement) {
        let Some(list) = input.files() else { return };
        let Ok(dt) = web_sys::DataTransfer::new() else { return };
        let mut changed = false;
        for i in 0..list.length() {
            let Some(file) = list.get(i) else { continue };
            let kind = file.type_();
            let small = file.size() <= SHRINK_ABOVE;
            let out = if kind.starts_with("image/") && !small { shrunk(&file).await.unwrap_or(None) } else { None };
            match out {
                Some(f) => {
                    changed = true;
                    let _ = dt.items().add_with_file(&f);
                }
                None => {
                    let _ = dt.items().add_with_file(&file);
                }
            }
        }
        if changed {
            input.set_files(dt.files().as_ref());
        }
    }

    async fn shrunk(file: &web_sys::File) -> Result<Option<web_sys::File>, JsValue> {
        let window = web_sys::window().ok_or(JsValue::NULL)?;
        let bitmap: web_sys::ImageBitmap = JsFuture::from(window.create_image_bitmap_with_blob(file)?).await?.dyn_into()?;
        let (w, h) = (bitmap.width() as f64, bitmap.height() as f64);
        let scale = (MAX_SIDE / w.max(h)).min(1.0);
        let (nw, nh) = ((w * scale).round().max(1.0), (h * scale).round().max(1.0));
        let canvas: web_sys::HtmlCanvasElement = doc().ok_or(JsValue::NULL)?.create_element("canvas")?.dyn_into()?;
        canvas.set_width(nw as u32);
        canvas.set_height(nh as u32);
        let ctx: web_sys::CanvasRenderingContext2d = canvas.get_context("2d")?.ok_or(JsValue::NULL)?.dyn_into()?;
        ctx.draw_image_with_image_bitmap_and_dw_and_dh(&bitmap, 0.0, 0.0, nw, nh)?;
        let blob = JsFuture::from(js_sys::Promise::new(&mut |resolve, _reject| {
            let cb = Closure::once_into_js(move |b: JsValue| {
                let _ = resolve.call1(&JsValue::NULL, &b);
            });
            let _ = canvas.to_blob_with_type_and_encoder_options(cb.unchecked_ref(), "image/jpeg", &JsValue::from_f64(0.85));
        }))
        .await?;
        let Ok(blob) = blob.dyn_into::<web_sys::Blob>() else { return Ok(None) };
        if blob.size() >= file.size() {
            return Ok(None);
        }
        let name = format!("{}.jpg", file.name().rsplit_once('.').map(|(n, _)| n.to_string()).unwrap_or_else(|| file.name()));
        let opts = web_sys::FilePropertyBag::new();
        opts.set_type("image/jpeg");
        let parts = js_sys::Array::of1(&blob);
        Ok(Some(web_sys::File::new_with_blob_sequence_and_options(&parts, &name, &opts)?))
    }
}
