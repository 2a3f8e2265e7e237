//! What the join island needs from the browser: reading the form as a native post would send
//! it, the per-tab draft in session storage (never persistent storage: it holds the ID
//! number), focus and navigation. On the server these are inert.
use crate::domain::Ymd;
use crate::join::JoinForm;
use crate::org::OrgOption;
use serde::{Deserialize, Serialize};

/// The draft kept for this tab: the form and the union picked from a search.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Draft {
    pub form: JoinForm,
    pub chosen: Option<OrgOption>,
}

/// Today in China, by this device's clock (the server re-checks with its own).
pub fn today() -> Ymd {
    #[cfg(feature = "hydrate")]
    let secs = (js_sys::Date::now() / 1000.0) as i64;
    #[cfg(not(feature = "hydrate"))]
    let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0);
    Ymd::china_date_of_unix(secs)
}

#[cfg(feature = "hydrate")]
mod imp {
    use super::Draft;
    use crate::join::types::Field;
    use crate::join::JoinForm;
    use wasm_bindgen::JsCast;
    use web_sys::{FormData, HtmlFormElement, HtmlInputElement, HtmlSelectElement};

    pub fn read_form(form: &HtmlFormElement, intent: &str) -> JoinForm {
        let Ok(data) = FormData::new_with_form(form) else { return JoinForm::default() };
        let get = |k: &str| data.get(k).as_string().unwrap_or_default();
        JoinForm {
            name: get("name"),
            id_number: get("id_number"),
            phone: get("phone"),
            code: get("code"),
            workplace: get("workplace"),
            workplace_query: get("workplace_query"),
            county: get("county"),
            plate: get("plate"),
            consent: get("consent"),
            channel: get("channel"),
            intent: intent.to_string(),
            submission: get("submission"),
            captcha_id: get("captcha_id"),
            captcha_answer: get("captcha_answer"),
        }
    }

    fn storage() -> Option<web_sys::Storage> {
        web_sys::window()?.session_storage().ok()?
    }

    pub fn save_draft(key: &str, draft: &Draft) {
        if let (Some(s), Ok(json)) = (storage(), serde_json::to_string(draft)) {
            let _ = s.set_item(key, &json);
        }
    }

    pub fn load_draft(key: &str) -> Option<Draft> {
        serde_json::from_str(&storage()?.get_item(key).ok()??).ok()
    }

    pub fn clear_draft(key: &str) {
        if let Some(s) = storage() {
            let _ = s.remove_item(key);
        }
    }

    /// Puts a draft's values back into the inputs (text, hidden, select, radio, checkbox).
    pub fn fill_form(form: &HtmlFormElement, f: &JoinForm) {
        // The text inputs (not the select, the check box or a picture check that has expired).
        let text = Field::ALL
            .into_iter()
            .filter(|field| !matches!(field, Field::County | Field::Consent | Field::Captcha))
            .map(|field| (field.input_id(), field.value_in(f)))
            .chain([("submission", f.submission.as_str())]);
        let elements = form.elements();
        for (name, value) in text {
            if let Some(input) = elements.named_item(name).and_then(|e| e.dyn_into::<HtmlInputElement>().ok()) {
                input.set_value(value);
            }
        }
        if let Some(select) = elements.named_item("county").and_then(|e| e.dyn_into::<HtmlSelectElement>().ok()) {
            select.set_value(&f.county);
        }
        if let Ok(list) = form.query_selector_all("input[type=radio][name=workplace], input[type=checkbox][name=consent]") {
            for i in 0..list.length() {
                if let Some(input) = list.item(i).and_then(|n| n.dyn_into::<HtmlInputElement>().ok()) {
                    let on = if input.name() == "consent" { f.consent == input.value() } else { f.workplace == input.value() };
                    input.set_checked(on);
                }
            }
        }
    }

    pub fn focus(id: &str) {
        if let Some(el) = web_sys::window().and_then(|w| w.document()).and_then(|d| d.get_element_by_id(id)) {
            if let Ok(el) = el.dyn_into::<web_sys::HtmlElement>() {
                let _ = el.focus();
            }
        }
    }

    /// Marks the page as awake (end-to-end tests wait for it before typing).
    pub fn mark_ready() {
        if let Some(root) = web_sys::window().and_then(|w| w.document()).and_then(|d| d.document_element()) {
            let _ = root.set_attribute("data-ejia-ready", "1");
        }
    }

    pub fn go(path: &str) {
        if let Some(w) = web_sys::window() {
            let _ = w.location().assign(path);
        }
    }
}

#[cfg(feature = "hydrate")]
pub use imp::*;
