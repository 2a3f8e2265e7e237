//! The join form: one phone screen. Rendered on the server as a plain form that posts without
//! JavaScript; as an island it wakes up to check each field as it is typed (the same Rust
//! validators as the server), send codes and submit without reloading, count down the resend
//! button, search workplaces as you type, and keep a draft of this tab across reloads.
use super::browser;
#[cfg(feature = "hydrate")]
use super::browser::Draft;
use crate::domain::Sex;
use crate::i18n::{Lang, T};
use crate::join::types::*;
use crate::join::validate;
use crate::org::OrgOption;
use leptos::prelude::*;

fn initial_errors(outcome: &Option<JoinOutcome>) -> Vec<FieldError> {
    match outcome {
        Some(JoinOutcome::Invalid { errors, .. }) => errors.clone(),
        _ => Vec::new(),
    }
}

fn initial_notice(outcome: &Option<JoinOutcome>) -> Option<(T, &'static str)> {
    match outcome {
        Some(JoinOutcome::CodeSent { .. }) => Some((T::CodeSent, "ok")),
        Some(JoinOutcome::AlreadyApplied) => Some((T::AlreadyApplied, "ok")),
        Some(JoinOutcome::Invalid { errors, .. }) if errors.iter().any(|e| e.field != Field::Captcha) => Some((T::FixBelow, "error")),
        Some(JoinOutcome::Matches { options }) if options.is_empty() => Some((T::NoMatches, "error")),
        _ => None,
    }
}

/// The birth date and sex read from a valid ID number, as text.
fn id_preview(input: &str, lang: crate::i18n::Lang) -> Option<String> {
    let id = validate::id_number(input, browser::today()).ok()?;
    let sex = match id.sex() {
        Sex::Male => T::Male,
        Sex::Female => T::Female,
    };
    Some(format!("{} · {}", id.birth_date(), sex.get(lang)))
}

/// The check run when the driver leaves a text field: `None` for a field checked only on submit.
fn check_on_change(field: Field, value: &str) -> Option<Option<T>> {
    Some(match field {
        Field::Name => validate::name(value).err(),
        Field::IdNumber => validate::id_number(value, browser::today()).err(),
        Field::Phone => validate::phone(value).err(),
        // An empty code is not wrong yet: the driver may not have asked for one.
        Field::Code if value.trim().is_empty() => None,
        Field::Code => validate::code(value).err(),
        Field::Plate => validate::plate(value).err(),
        Field::Workplace | Field::County | Field::Consent | Field::Captcha => return None,
    })
}

/// Replaces a field's error (or clears it with `None`).
fn set_error(errors: RwSignal<Vec<FieldError>>, field: Field, text: Option<T>) {
    errors.update(|es| {
        es.retain(|e| e.field != field);
        if let Some(text) = text {
            es.push(FieldError { field, text });
        }
    })
}

/// `"true"` while the field has an error, for `aria-invalid`.
fn invalid_attr(errors: RwSignal<Vec<FieldError>>, field: Field) -> impl Fn() -> Option<&'static str> + Copy + Send + Sync {
    move || errors.with(|es| es.iter().any(|e| e.field == field)).then_some("true")
}

/// The line under a field that words its error; the input points at it with `aria-describedby`.
#[component]
fn ErrorLine(field: Field, lang: Lang, errors: RwSignal<Vec<FieldError>>) -> impl IntoView {
    let text = move || errors.with(|es| es.iter().find(|e| e.field == field).map(|e| e.text.get(lang)));
    view! { <p class="err" id=field.error_id() role="alert">{text}</p> }
}

/// A field's label, tied to its input; "optional" where the field is.
#[component]
fn FieldLabel(field: Field, lang: Lang, #[prop(optional)] optional: bool) -> impl IntoView {
    let suffix = optional.then(|| view! { <small>{T::InParens.fill(lang, &[T::Optional.get(lang)])}</small> });
    view! { <label for=field.input_id()>{field.label().get(lang)}{suffix}</label> }
}

/// A field's input: the value typed so far, the keyboard and autofill the field asks for, its
/// check when the driver leaves it, and the error line (plus `described_by`) that describes it.
#[component]
fn FieldInput(
    field: Field,
    errors: RwSignal<Vec<FieldError>>,
    /// The value typed so far (echoed by the server after a post); `None` leaves it empty.
    #[prop(optional_no_strip, into)]
    value: Option<String>,
    /// More ids that describe the input (after its error line).
    #[prop(optional)]
    described_by: &'static str,
    /// Called on every keystroke.
    #[prop(optional)]
    on_input: Option<Callback<leptos::ev::Event>>,
) -> impl IntoView {
    let id = field.input_id();
    let kind = field.input_kind();
    let described = if described_by.is_empty() { field.error_id() } else { format!("{} {described_by}", field.error_id()) };
    view! {
        <input id=id name=id type=kind.input_type inputmode=kind.inputmode autocomplete=kind.autocomplete maxlength=kind.maxlength
            spellcheck=kind.spellcheck value=value
            on:input=move |ev| if let Some(f) = on_input { f.run(ev) }
            on:change=move |ev| if let Some(text) = check_on_change(field, &event_target_value(&ev)) { set_error(errors, field, text) }
            aria-describedby=described aria-invalid=invalid_attr(errors, field)/>
    }
}

/// One plain text field: label, input and error line in their box. Fields with more (the ID
/// preview, the picture, the code button) put the same three pieces together themselves —
/// plain composition, so no view is type-erased (that would cost the WASM bundle ~25 KiB each).
#[component]
fn TextField(
    field: Field,
    lang: Lang,
    errors: RwSignal<Vec<FieldError>>,
    #[prop(optional, into)] value: Option<String>,
    #[prop(optional)] optional: bool,
) -> impl IntoView {
    view! {
        <div class="field">
            <FieldLabel field=field lang=lang optional=optional/>
            <FieldInput field=field errors=errors value=value/>
            <ErrorLine field=field lang=lang errors=errors/>
        </div>
    }
}

#[island]
pub fn JoinFormIsland(view: JoinView) -> impl IntoView {
    let lang = view.lang;
    let t = move |k: T| k.get(lang);
    let values = view.values.clone();
    let has_channel = view.channel.is_some();
    let draft_key = format!("ejia-join:{}", view.action);

    let errors = RwSignal::new(initial_errors(&view.outcome));
    let notice = RwSignal::new(initial_notice(&view.outcome));
    let captcha = RwSignal::new(match &view.outcome {
        Some(JoinOutcome::Invalid { captcha, .. }) => captcha.clone(),
        _ => None,
    });
    let mut options: Vec<OrgOption> = view.chosen.iter().cloned().collect();
    if let Some(JoinOutcome::Matches { options: found }) = &view.outcome {
        options.extend(found.iter().filter(|o| Some(o.id) != view.chosen.as_ref().map(|c| c.id)).cloned());
    }
    let matches = RwSignal::new(options);
    let countdown = RwSignal::new(match &view.outcome {
        Some(JoinOutcome::CodeSent { resend_after }) => *resend_after,
        _ => 0,
    });
    let busy = RwSignal::new(false);
    let hydrated = RwSignal::new(false);
    let preview = RwSignal::new(id_preview(&values.id_number, lang));
    let no_fixed = RwSignal::new(values.workplace == NO_FIXED_WORKPLACE);
    let workplace_chosen = RwSignal::new(values.workplace.clone());
    let search_seq = StoredValue::new(0u32);
    let form_ref = NodeRef::<leptos::html::Form>::new();

    let set_field_error = move |f: Field, r: Option<T>| set_error(errors, f, r);

    // Client only: count down the resend button once a second.
    let start_countdown = move |secs: u32| {
        countdown.set(secs);
        #[cfg(feature = "hydrate")]
        {
            let handle = std::rc::Rc::new(std::cell::Cell::new(None::<IntervalHandle>));
            let h2 = handle.clone();
            if let Ok(h) = set_interval_with_handle(
                move || {
                    let left = countdown.get_untracked().saturating_sub(1);
                    countdown.set(left);
                    if left == 0 {
                        if let Some(h) = h2.take() {
                            h.clear();
                        }
                    }
                },
                std::time::Duration::from_secs(1),
            ) {
                handle.set(Some(h));
            }
        }
    };

    #[cfg(feature = "hydrate")]
    {
        let key = draft_key.clone();
        let had_outcome = view.outcome.is_some();
        let initial_countdown = countdown.get_untracked();
        Effect::new(move |_| {
            // A choice made before the page woke up (a tap while the WASM was still loading on
            // a slow line) fired no handler: take it from the form, or the county list would
            // hide under a checked 暂无固定单位.
            if let Some(form) = form_ref.get_untracked() {
                let chosen = browser::read_form(&form, "").workplace;
                no_fixed.set(chosen == NO_FIXED_WORKPLACE);
                workplace_chosen.set(chosen);
            }
            hydrated.set(true);
            browser::mark_ready();
            if initial_countdown > 0 {
                start_countdown(initial_countdown);
            }
            // Restore this tab's draft after a reload or a lost connection, unless the server
            // has just answered a post (its echo is newer).
            if had_outcome {
                return;
            }
            if let (Some(draft), Some(form)) = (browser::load_draft(&key), form_ref.get_untracked()) {
                if let Some(c) = draft.chosen.clone() {
                    matches.update(|m| {
                        if !m.iter().any(|o| o.id == c.id) {
                            m.insert(0, c)
                        }
                    });
                }
                let f = draft.form.clone();
                // Let the restored radio exist before checking it.
                request_animation_frame(move || {
                    browser::fill_form(&form, &f);
                    preview.set(id_preview(&f.id_number, lang));
                    no_fixed.set(f.workplace == NO_FIXED_WORKPLACE);
                    workplace_chosen.set(f.workplace.clone());
                });
            }
        });
    }

    let save_draft = {
        let key = draft_key.clone();
        move || {
            #[cfg(feature = "hydrate")]
            if let Some(form) = form_ref.get_untracked() {
                let f = browser::read_form(&form, "");
                let chosen = f.workplace.parse::<i64>().ok().and_then(|id| matches.get_untracked().into_iter().find(|o| o.id == id));
                browser::save_draft(&key, &Draft { form: f, chosen });
            }
            #[cfg(not(feature = "hydrate"))]
            let _ = &key;
        }
    };

    let apply = {
        let key = draft_key.clone();
        move |outcome: JoinOutcome| match outcome {
            JoinOutcome::Invalid { errors: es, captcha: c } => {
                let first = es.first().map(|e| e.field);
                let only_captcha = es.iter().all(|e| e.field == Field::Captcha);
                errors.set(es);
                if c.is_some() {
                    captcha.set(c);
                }
                notice.set((!only_captcha).then_some((T::FixBelow, "error")));
                #[cfg(feature = "hydrate")]
                if let Some(f) = first {
                    browser::focus(f.input_id());
                }
                let _ = first;
            }
            JoinOutcome::CodeSent { resend_after } => {
                errors.update(|es| es.retain(|e| !matches!(e.field, Field::Phone | Field::Code | Field::Captcha)));
                captcha.set(None);
                notice.set(Some((T::CodeSent, "ok")));
                start_countdown(resend_after);
            }
            JoinOutcome::Matches { options } => {
                notice.set(options.is_empty().then_some((T::NoMatches, "error")));
                matches.set(options);
            }
            JoinOutcome::Submitted { status_path } => {
                #[cfg(feature = "hydrate")]
                {
                    browser::clear_draft(&key);
                    browser::go(&status_path);
                }
                let _ = (&key, status_path);
            }
            JoinOutcome::AlreadyApplied => {
                #[cfg(feature = "hydrate")]
                browser::clear_draft(&key);
                errors.set(Vec::new());
                notice.set(Some((T::AlreadyApplied, "ok")));
            }
        }
    };

    let apply_answer = apply.clone();
    let send = move |form: JoinForm| {
        busy.set(true);
        let apply = apply_answer.clone();
        leptos::task::spawn_local(async move {
            match crate::join::api::join_step(form).await {
                Ok(outcome) => apply(outcome),
                Err(e) => {
                    let text = if matches!(e, ServerFnError::Request(_)) { T::NetworkError } else { T::ServerError };
                    notice.set(Some((text, "error")));
                }
            }
            busy.set(false);
        });
    };

    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return; // a double tap sends once
        }
        #[cfg(feature = "hydrate")]
        {
            use wasm_bindgen::JsCast;
            let intent = ev
                .submitter()
                .and_then(|b| b.dyn_into::<web_sys::HtmlButtonElement>().ok())
                .map(|b| b.value())
                .unwrap_or_else(|| intent::SUBMIT.to_string());
            let Some(form_el) = form_ref.get_untracked() else { return };
            let form = browser::read_form(&form_el, &intent);
            match intent.as_str() {
                intent::SEND_CODE => {
                    if countdown.get_untracked() > 0 {
                        return;
                    }
                    if let Err(text) = validate::phone(&form.phone) {
                        set_field_error(Field::Phone, Some(text));
                        browser::focus(Field::Phone.input_id());
                        return;
                    }
                }
                intent::SEARCH => {}
                _ => {
                    if let Err(es) = validate::submission(&form, browser::today(), has_channel) {
                        apply(JoinOutcome::Invalid { errors: es, captcha: None });
                        return;
                    }
                    notice.set(None);
                }
            }
            send(form);
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (ev, &send);
    };

    // The ID preview as the driver types (each field is checked as they leave it: `FieldInput`).
    let type_id = move |ev: leptos::ev::Event| {
        let v = event_target_value(&ev);
        let p = id_preview(&v, lang);
        if p.is_some() {
            set_field_error(Field::IdNumber, None);
        }
        preview.set(p);
    };
    let search_as_you_type = move |ev: leptos::ev::Event| {
        let q = event_target_value(&ev);
        search_seq.update_value(|s| *s += 1);
        let mine = search_seq.get_value();
        set_timeout(
            move || {
                if search_seq.get_value() != mine || q.trim().is_empty() {
                    return;
                }
                leptos::task::spawn_local(async move {
                    if let Ok(found) = crate::join::api::search_workplaces(q).await {
                        if search_seq.get_value() == mine {
                            let keep: Vec<OrgOption> = matches
                                .get_untracked()
                                .into_iter()
                                .filter(|o| workplace_chosen.get_untracked() == o.id.to_string())
                                .collect();
                            let mut all = keep.clone();
                            all.extend(found.into_iter().filter(|o| !keep.iter().any(|k| k.id == o.id)));
                            notice.set(all.is_empty().then_some((T::NoMatches, "error")));
                            matches.set(all);
                        }
                    }
                });
            },
            std::time::Duration::from_millis(300),
        );
    };
    let choose_workplace = move |ev: leptos::ev::Event| {
        let v = event_target_value(&ev);
        no_fixed.set(v == NO_FIXED_WORKPLACE);
        workplace_chosen.set(v);
        set_field_error(Field::Workplace, None);
    };

    let described = |f: Field| f.error_id();
    let invalid = move |f: Field| invalid_attr(errors, f);
    let err_line = move |f: Field| view! { <ErrorLine field=f lang=lang errors=errors/> };

    let channel_block = view.channel.clone().map(|c| {
        view! {
            <div class="field">
                <span class="label" id="workplace-label">{t(T::Workplace)}</span>
                <p class="fixed" aria-labelledby="workplace-label">{c.org_name.clone()}<small>{T::InParens.fill(lang, &[t(T::FixedByChannel)])}</small></p>
                <span class="label">{t(T::Occupation)}</span>
                <p class="fixed">{t(c.occupation.label())}</p>
            </div>
        }
    });
    let pools = view.pools.clone();
    let v = values.clone();
    let workplace_block = (!has_channel).then(move || {
        let initial_choice = v.workplace.clone();
        view! {
            <fieldset class="field workplace">
                <legend class="sr-only">{t(T::Workplace)}</legend>
                <label for="workplace_query">{t(T::Workplace)}</label>
                <div class="row">
                    <input id="workplace_query" name="workplace_query" type="search" autocomplete="organization"
                        value=v.workplace_query.clone() on:input=search_as_you_type
                        aria-describedby="workplace-hint workplace_query-err" aria-invalid=invalid(Field::Workplace)/>
                    <button type="submit" name="intent" value=intent::SEARCH formnovalidate class="secondary">{t(T::SearchWorkplace)}</button>
                </div>
                <p class="hint" id="workplace-hint">{t(T::WorkplaceHint)}</p>
                <div class="choices" role="radiogroup" aria-labelledby="workplace_query">
                    {move || matches.get().into_iter().map(|o| {
                        let id = format!("wp-{}", o.id);
                        let for_id = id.clone();
                        let value = o.id.to_string();
                        let checked = initial_choice == value || workplace_chosen.get_untracked() == value;
                        view! {
                            <label class="choice" for=for_id>
                                <input type="radio" id=id name="workplace" value=value checked=checked on:change=choose_workplace/>
                                <span>{o.name.clone()}{o.parent.clone().map(|p| view! { <small>{p}</small> })}</span>
                            </label>
                        }
                    }).collect_view()}
                    <label class="choice" for="wp-none">
                        <input type="radio" id="wp-none" name="workplace" value=NO_FIXED_WORKPLACE
                            checked=v.workplace == NO_FIXED_WORKPLACE on:change=choose_workplace/>
                        <span>{t(T::NoFixedWorkplace)}</span>
                    </label>
                </div>
                {err_line(Field::Workplace)}
                <div class="county" class:hidden=move || hydrated.get() && !no_fixed.get()>
                    <label for="county">{t(T::County)}</label>
                    <select id="county" name="county" aria-describedby="county-hint county-err" aria-invalid=invalid(Field::County)>
                        <option value="">{t(T::ChooseCounty)}</option>
                        {pools.iter().map(|p| {
                            let label = if p.is_city { t(T::OtherCounty).to_string() } else { p.org.name.clone() };
                            let value = p.org.id.to_string();
                            let selected = v.county == value;
                            view! { <option value=value selected=selected>{label}</option> }
                        }).collect_view()}
                    </select>
                    <p class="hint" id="county-hint">{t(T::CountyHint)}</p>
                    {err_line(Field::County)}
                </div>
            </fieldset>
        }
    });

    let code_button_text = move || {
        let left = countdown.get();
        if left > 0 {
            format!("{left}{}", t(T::ResendIn))
        } else {
            t(T::GetCode).to_string()
        }
    };

    view! {
        <form node_ref=form_ref method="post" action=view.action.clone() novalidate on:submit=on_submit
            on:input={ let save = save_draft.clone(); move |_| save() } on:change=move |_| save_draft()>
            // Enter in any field submits the application, not the first button of the page.
            <button type="submit" name="intent" value=intent::SUBMIT class="sr-only" tabindex="-1" aria-hidden="true">{t(T::Submit)}</button>
            <input type="hidden" name="submission" value=values.submission.clone()/>
            <input type="hidden" name="channel" value=values.channel.clone()/>
            {move || notice.get().map(|(text, kind)| view! { <p class=format!("notice {kind}") role="status">{t(text)}</p> })}

            <TextField field=Field::Name lang=lang errors=errors value=values.name.clone()/>
            <div class="field">
                <FieldLabel field=Field::IdNumber lang=lang/>
                <FieldInput field=Field::IdNumber errors=errors value=values.id_number.clone()
                    on_input=Callback::new(type_id) described_by="id-preview"/>
                <p class="preview" id="id-preview" aria-live="polite">
                    {move || preview.get().map(|p| T::LabelValue.fill(lang, &[t(T::BirthSex), &p]))}
                </p>
                <ErrorLine field=Field::IdNumber lang=lang errors=errors/>
            </div>
            <TextField field=Field::Phone lang=lang errors=errors value=values.phone.clone()/>
            {move || captcha.get().map(|c| view! {
                <div class="field captcha">
                    <input type="hidden" name="captcha_id" value=c.id.clone()/>
                    <div class="captcha-img" inner_html=c.svg.clone()></div>
                    <FieldLabel field=Field::Captcha lang=lang/>
                    <FieldInput field=Field::Captcha errors=errors/>
                    <ErrorLine field=Field::Captcha lang=lang errors=errors/>
                </div>
            })}
            <div class="field">
                <FieldLabel field=Field::Code lang=lang/>
                <div class="row">
                    <FieldInput field=Field::Code errors=errors value=values.code.clone()/>
                    <button type="submit" name="intent" value=intent::SEND_CODE formnovalidate class="secondary code-button"
                        disabled=move || { busy.get() || countdown.get() > 0 }>{code_button_text}</button>
                </div>
                <ErrorLine field=Field::Code lang=lang errors=errors/>
            </div>
            {channel_block}
            {workplace_block}
            <TextField field=Field::Plate lang=lang errors=errors value=values.plate.clone() optional=true/>
            <div class="field consent">
                <input type="checkbox" id="consent" name="consent" value="yes" checked=values.consent == "yes"
                    on:change=move |_| set_field_error(Field::Consent, None)
                    aria-describedby=described(Field::Consent) aria-invalid=invalid(Field::Consent)/>
                <label for="consent">{t(T::Consent)}" "<a href="/privacy" target="_blank">{t(T::ConsentNotice)}</a></label>
                {err_line(Field::Consent)}
            </div>
            <button type="submit" name="intent" value=intent::SUBMIT class="primary" disabled=move || busy.get()>
                {move || if busy.get() { t(T::Submitting) } else { t(T::Submit) }}
            </button>
        </form>
    }
}
