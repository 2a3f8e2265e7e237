//! Server functions the join island calls when JavaScript runs: the same core as the plain POST.
use super::types::{JoinForm, JoinOutcome};
use crate::org::OrgOption;
use leptos::prelude::*;
use leptos::server_fn::codec::Json;

/// Runs the pressed button's intent (send a code, search, submit) through the join core.
#[server(input = Json, endpoint = "join_step")]
pub async fn join_step(form: JoinForm) -> Result<JoinOutcome, ServerFnError> {
    use crate::server::{client_ip::client_ip, state::AppState};
    let state = expect_context::<AppState>();
    let parts = expect_context::<axum::http::request::Parts>();
    let ip = client_ip(&parts, state.config.trusted_proxy_hops);
    super::service::handle(&state, form, &ip).await.map_err(|e| crate::server::error::AppError::from(e).into_server_fn_error())
}

/// Workplaces whose name contains the typed words, for search-as-you-type.
#[server(endpoint = "search_workplaces")]
pub async fn search_workplaces(query: String) -> Result<Vec<OrgOption>, ServerFnError> {
    use crate::server::state::AppState;
    let state = expect_context::<AppState>();
    let query: String = query.chars().take(super::types::MAX_FIELD_CHARS).collect();
    crate::org::repo::search_workplaces(&state.db.pool, &query, 10)
        .await
        .map_err(|e| crate::server::error::AppError::from(e).into_server_fn_error())
}
