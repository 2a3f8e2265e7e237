//! One error type for the HTTP surface. Causes are logged with their chain and never sent to
//! the browser, which only ever sees a short, stable message from the dictionary.
use crate::i18n::{Lang, T};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("not found")]
    NotFound,
    #[error("bad request: {0:?}")]
    BadRequest(T),
    #[error("forbidden")]
    Forbidden,
    #[error(transparent)]
    Db(#[from] sqlx::Error),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Forbidden => StatusCode::FORBIDDEN,
            AppError::Db(e) if refused_data(e) => StatusCode::BAD_REQUEST,
            AppError::Db(_) | AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// Logs the cause of a server fault; returns what the browser may read.
    pub fn public_message(&self) -> T {
        match self {
            AppError::NotFound => T::NotFound,
            AppError::BadRequest(t) => *t,
            AppError::Forbidden => T::Forbidden,
            AppError::Db(e) if refused_data(e) => {
                tracing::warn!(error = %e, "the database refused a value of the request");
                T::FormMalformed
            }
            AppError::Db(e) => {
                tracing::error!(error = ?e, "database error");
                T::Busy
            }
            AppError::Internal(e) => {
                tracing::error!(error = ?e, "internal error");
                T::Busy
            }
        }
    }
}

/// The database refused a value the request brought, not a fault of the server: PostgreSQL's
/// data exceptions (class 22: a NUL character, a number out of range, a date that does not
/// exist) and a value too large to index (54000); SQLite's string too big (18).
fn refused_data(e: &sqlx::Error) -> bool {
    let code = e.as_database_error().and_then(|d| d.code()).unwrap_or_default();
    (code.len() == 5 && code.starts_with("22")) || code == "54000" || code == "18"
}

/// Every error is a page: not-found renders the one not-found page; anything else a short
/// page with the public message (the cause went to the log).
impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        match self {
            AppError::NotFound => super::web::Page::not_found().into_response(),
            other => super::web::Page::ok(super::web::ErrorView { message: other.public_message() })
                .with_status(other.status())
                .no_store()
                .into_response(),
        }
    }
}

impl AppError {
    /// For server functions: the cause is logged, the browser gets the public message only.
    pub fn into_server_fn_error(self) -> leptos::prelude::ServerFnError {
        let t = self.public_message();
        if let Some(response) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
            response.set_status(self.status());
        }
        leptos::prelude::ServerFnError::ServerError(format!("{} / {}", t.get(Lang::Zh), t.get(Lang::En)))
    }
}
