//! The catalogue editor (`/admin/services`, the city admin's): a service is a row, so adding one
//! or changing its form, handler, promise or messages needs no release. The editor is a plain
//! form: one line per field of the service's form, with three empty lines to add more.
use super::fields::{self, FieldDef, FieldKind};
use super::repo::{self, ServiceWrite};
use super::types::*;
use crate::admin::auth::{Allowed, CityAdmin};
use crate::admin::repo::AdminRow;
use crate::i18n::T;
use crate::server::audit::{self, Action, Outcome, Target};
use crate::server::error::{AppError, AppResult};
use crate::server::state::AppState;
use crate::server::web::{Form, Page};
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use std::collections::BTreeMap;

/// Empty field lines offered for new fields.
const BLANK_ROWS: usize = 3;

/// An empty line for a new field: most fields of a request are needed, so it starts required.
fn blank_row() -> FieldRow {
    FieldRow { required: true, kind: FieldKind::Text.as_str().into(), ..FieldRow::default() }
}

#[derive(serde::Deserialize, Default)]
pub struct ServicePost {
    #[serde(default)]
    module: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    summary: String,
    #[serde(default)]
    audience: String,
    #[serde(default)]
    occupations: String,
    #[serde(default)]
    handler: String,
    #[serde(default)]
    handler_org: String,
    #[serde(default)]
    promise_days: String,
    #[serde(default)]
    sms_steps: Vec<String>,
    #[serde(default)]
    link: String,
    #[serde(default)]
    sensitive: Option<String>,
    #[serde(default)]
    active: Option<String>,
    #[serde(default)]
    fkey: Vec<String>,
    #[serde(default)]
    flabel: Vec<String>,
    #[serde(default)]
    fkind: Vec<String>,
    #[serde(default)]
    frequired: Vec<String>,
    #[serde(default)]
    foptions: Vec<String>,
    #[serde(default)]
    fhint: Vec<String>,
}

fn clip(s: &str, n: usize) -> String {
    s.trim().chars().take(n).collect()
}

impl ServicePost {
    /// The post as typed, for the form again.
    fn echo(&self) -> ServiceForm {
        let at = |v: &Vec<String>, i: usize, n: usize| v.get(i).map(|s| clip(s, n)).unwrap_or_default();
        let rows = self.flabel.len().min(fields::FIELDS_MAX + BLANK_ROWS);
        ServiceForm {
            module: clip(&self.module, 20),
            code: clip(&self.code, 40),
            name: clip(&self.name, 40),
            summary: clip(&self.summary, 300),
            audience: clip(&self.audience, 10),
            occupations: clip(&self.occupations, 100),
            handler: clip(&self.handler, 10),
            handler_org: clip(&self.handler_org, 20),
            promise_days: clip(&self.promise_days, 5),
            sms_steps: self.sms_steps.iter().take(6).map(|s| clip(s, 20)).collect(),
            link: clip(&self.link, 200),
            sensitive: self.sensitive.is_some(),
            active: self.active.is_some(),
            fields: (0..rows)
                .map(|i| FieldRow {
                    key: at(&self.fkey, i, 30),
                    label: at(&self.flabel, i, 60),
                    kind: at(&self.fkind, i, 20),
                    required: self.frequired.get(i).is_some_and(|v| v == "1"),
                    options: at(&self.foptions, i, 400),
                    hint: at(&self.fhint, i, 100),
                })
                .collect(),
        }
    }
}

/// The form's fields as a definition; blank lines are skipped, new lines get a key.
fn definition(rows: &[FieldRow]) -> Result<Vec<FieldDef>, T> {
    let mut out: Vec<FieldDef> = Vec::new();
    for row in rows.iter().filter(|r| !r.label.is_empty()) {
        let kind = FieldKind::parse(&row.kind).ok_or(T::HallFieldKindNeeded)?;
        let options: Vec<String> = if kind == FieldKind::Choice {
            row.options.split(['、', ',', '，', '|', '\n']).map(|o| o.trim().to_string()).filter(|o| !o.is_empty()).collect()
        } else {
            Vec::new()
        };
        out.push(FieldDef {
            key: row.key.clone(),
            label: row.label.clone(),
            kind,
            required: row.required,
            options,
            hint: row.hint.clone(),
        });
    }
    let mut n = 1;
    for i in 0..out.len() {
        if out[i].key.is_empty() {
            while out.iter().any(|f| f.key == format!("f{n}")) {
                n += 1;
            }
            out[i].key = format!("f{n}");
        }
    }
    fields::check_definition(&out)?;
    Ok(out)
}

fn form_of(s: &repo::Service) -> ServiceForm {
    let mut rows: Vec<FieldRow> = s
        .fields
        .iter()
        .map(|f| FieldRow {
            key: f.key.clone(),
            label: f.label.clone(),
            kind: f.kind.as_str().into(),
            required: f.required,
            options: f.options.join("、"),
            hint: f.hint.clone(),
        })
        .collect();
    rows.extend((0..BLANK_ROWS).map(|_| blank_row()));
    ServiceForm {
        module: s.module_code.clone(),
        code: s.code.clone(),
        name: s.name.clone(),
        summary: s.summary.clone(),
        audience: s.audience.as_str().into(),
        occupations: s.occupations.join(","),
        handler: s.handler.as_str().into(),
        handler_org: s.handler_org_id.map(|i| i.to_string()).unwrap_or_default(),
        promise_days: s.promise_days.to_string(),
        sms_steps: s.sms_steps.iter().map(|x| x.as_str().to_string()).collect(),
        link: s.link.clone().unwrap_or_default(),
        sensitive: s.sensitive,
        active: s.active,
        fields: rows,
    }
}

async fn edit_view(
    state: &AppState,
    admin: &AdminRow,
    id: Option<i64>,
    form: ServiceForm,
    errors: BTreeMap<String, T>,
) -> AppResult<ServiceEditView> {
    Ok(ServiceEditView {
        admin: admin.info(),
        id,
        form,
        modules: repo::modules(&state.db.pool).await?,
        unions: crate::org::repo::subtree(&state.db.pool, admin.org_id).await?,
        errors,
    })
}

pub async fn list_get(State(state): State<AppState>, me: Allowed<CityAdmin>, Query(q): Query<super::http::Done>) -> AppResult<Response> {
    let notice = (q.done == "saved").then_some(T::BenefitSaved);
    let view = CatalogueView { admin: me.admin.info(), services: repo::service_rows(&state.db.pool).await?, notice };
    Ok(Page::ok(view).into_response())
}

pub async fn new_get(State(state): State<AppState>, me: Allowed<CityAdmin>) -> AppResult<Response> {
    let form = ServiceForm {
        audience: "member".into(),
        handler: "own".into(),
        promise_days: "5".into(),
        active: true,
        sms_steps: ["received", "accepted", "done", "declined", "more_needed"].map(String::from).to_vec(),
        fields: (0..BLANK_ROWS + 2).map(|_| blank_row()).collect(),
        ..ServiceForm::default()
    };
    Ok(Page::ok(edit_view(&state, &me.admin, None, form, BTreeMap::new()).await?).into_response())
}

pub async fn edit_get(State(state): State<AppState>, me: Allowed<CityAdmin>, Path(id): Path<i64>) -> AppResult<Response> {
    let mut conn = state.db.pool.acquire().await?;
    let s = repo::service_by_id(&mut conn, id).await?.ok_or(AppError::NotFound)?;
    drop(conn);
    Ok(Page::ok(edit_view(&state, &me.admin, Some(id), form_of(&s), BTreeMap::new()).await?).into_response())
}

pub async fn new_post(State(state): State<AppState>, me: Allowed<CityAdmin>, Form(post): Form<ServicePost>) -> AppResult<Response> {
    save(&state, &me.admin, &me.ip, None, post).await
}

pub async fn edit_post(
    State(state): State<AppState>,
    me: Allowed<CityAdmin>,
    Path(id): Path<i64>,
    Form(post): Form<ServicePost>,
) -> AppResult<Response> {
    let mut conn = state.db.pool.acquire().await?;
    repo::service_by_id(&mut conn, id).await?.ok_or(AppError::NotFound)?;
    drop(conn);
    save(&state, &me.admin, &me.ip, Some(id), post).await
}

async fn save(state: &AppState, admin: &AdminRow, ip: &str, id: Option<i64>, post: ServicePost) -> AppResult<Response> {
    let form = post.echo();
    let mut errors = BTreeMap::new();
    let pool = &state.db.pool;
    if id.is_none() {
        let code_ok = form.code.len() >= 2 && form.code.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !code_ok {
            errors.insert("code".to_string(), T::HallCodeInvalid);
        } else if repo::service_by_code(pool, &form.code).await?.is_some() {
            errors.insert("code".to_string(), T::HallCodeTaken);
        }
    }
    if form.name.is_empty() || post.name.trim().chars().count() > 40 {
        errors.insert("name".into(), T::BenefitNameNeeded);
    }
    if post.summary.trim().chars().count() > 300 {
        errors.insert("summary".into(), T::HallSummaryTooLong);
    }
    let audience = Audience::parse(&form.audience).unwrap_or(Audience::Member);
    let handler = Handler::parse(&form.handler);
    let mut handler_org = None;
    match handler {
        None => {
            errors.insert("handler".into(), T::HallChoose);
        }
        Some(Handler::Named) => match form.handler_org.parse::<i64>() {
            Ok(org) if crate::org::repo::is_within(pool, org, admin.org_id).await? => handler_org = Some(org),
            _ => {
                errors.insert("handler".into(), T::HallNamedUnionNeeded);
            }
        },
        Some(_) => {}
    }
    let promise = form.promise_days.parse::<i64>().ok().filter(|d| (1..=60).contains(d));
    if promise.is_none() {
        errors.insert("promise_days".into(), T::HallPromiseInvalid);
    }
    let steps: Vec<Step> = form.sms_steps.iter().filter_map(|s| Step::parse(s)).collect();
    let link = if form.link.is_empty() {
        None
    } else {
        match crate::server::web::safe_local_path(&form.link, None) {
            Some(l) => Some(l),
            None => {
                errors.insert("link".into(), T::HallLinkInvalid);
                None
            }
        }
    };
    let occupations: Vec<String> =
        form.occupations.split([',', '，', '、']).map(|o| o.trim().to_string()).filter(|o| !o.is_empty()).collect();
    if occupations.iter().any(|o| crate::channel::Occupation::parse(o).is_none()) {
        errors.insert("occupations".into(), T::HallOccupationUnknown);
    }
    let defs = match definition(&form.fields) {
        Ok(d) => d,
        Err(t) => {
            errors.insert("fields".into(), t);
            Vec::new()
        }
    };
    if !repo::modules(pool).await?.iter().any(|(c, _)| *c == form.module) {
        errors.insert("module".into(), T::HallChoose);
    }
    if !errors.is_empty() {
        let mut form = form;
        while form.fields.iter().filter(|r| r.label.is_empty()).count() < BLANK_ROWS {
            form.fields.push(blank_row());
        }
        let view = edit_view(state, admin, id, form, errors).await?;
        return Ok(Page::ok(view).into_response());
    }
    let fields_json = serde_json::to_string(&defs).expect("fields serialise");
    let sms = steps.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(",");
    let occupations = occupations.join(",");
    let write = ServiceWrite {
        module_code: &form.module,
        code: &form.code,
        name: &form.name,
        summary: &form.summary,
        audience,
        occupations: &occupations,
        handler: handler.expect("checked"),
        handler_org_id: handler_org,
        fields_json: &fields_json,
        promise_days: promise.expect("checked"),
        sms_steps: &sms,
        link: link.as_deref(),
        sensitive: form.sensitive,
        active: form.active,
    };
    let now = state.now();
    let mut tx = state.db.begin_write().await?;
    let saved = match id {
        Some(id) => repo::update_service(&mut tx, id, &write, now).await?.then_some(id),
        None => match repo::insert_service(&mut tx, &write, now).await {
            Ok(v) => v,
            Err(e) if crate::server::db::is_unique_violation(&e) => {
                drop(tx);
                let mut errors = BTreeMap::new();
                errors.insert("code".to_string(), T::HallCodeTaken);
                let view = edit_view(state, admin, id, form, errors).await?;
                return Ok(Page::ok(view).into_response());
            }
            Err(e) => return Err(e.into()),
        },
    };
    let Some(saved) = saved else { return Err(AppError::NotFound) };
    let detail = if id.is_some() { "changed" } else { "added" };
    audit::record(&mut tx, state, now, admin.audit(Action::ServiceSetup, Target::Service(saved), ip, Outcome::Ok, detail)).await?;
    tx.commit().await?;
    Ok(Redirect::to("/admin/services?done=saved").into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_lines_become_a_definition() {
        let rows = vec![
            FieldRow { label: "医院".into(), kind: "text".into(), required: true, ..FieldRow::default() },
            FieldRow::default(),
            FieldRow { label: "关系".into(), kind: "choice".into(), options: "本人、配偶,子女".into(), ..FieldRow::default() },
            FieldRow { key: "f1".into(), label: "金额".into(), kind: "amount".into(), ..FieldRow::default() },
        ];
        let d = definition(&rows).unwrap();
        assert_eq!(d.len(), 3);
        assert_eq!(d[1].options, vec!["本人", "配偶", "子女"]);
        let keys: Vec<&str> = d.iter().map(|f| f.key.as_str()).collect();
        assert_eq!(keys, vec!["f2", "f3", "f1"], "new lines get keys no other line has");
        let bad = vec![FieldRow { label: "x".into(), kind: "choice".into(), ..FieldRow::default() }];
        assert_eq!(definition(&bad), Err(T::HallChoicesNeeded));
        let bad = vec![FieldRow { label: "x".into(), kind: "spreadsheet".into(), ..FieldRow::default() }];
        assert_eq!(definition(&bad), Err(T::HallFieldKindNeeded));
    }
}
