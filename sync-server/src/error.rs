//! One error type for every handler: a status and a sentence for a person.
//! Internal errors are logged and answered without their details.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use walkthrough_core::wire::ErrorBody;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    /// The account was disabled by the CS center.
    #[error("this account has been disabled by the CS center")]
    Disabled,
    /// The account's password is temporary: only changing it is allowed.
    #[error("change your temporary password first")]
    PasswordChangeRequired,
    /// Sign-in throttled; try again after `retry_after` seconds.
    #[error("too many failed sign-ins; try again in {retry_after} s")]
    TooManyRequests { retry_after: u64 },
    /// Too many requests being worked on (e.g. password hashing); try again.
    #[error("{0}")]
    Busy(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    TooLarge(String),
    #[error("{0}")]
    Unsupported(String),
    #[error("{0}")]
    Unprocessable(String),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<crate::store::StoreError> for ApiError {
    fn from(e: crate::store::StoreError) -> Self {
        ApiError::Internal(e.into())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = match &self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) | ApiError::Disabled | ApiError::PasswordChangeRequired => StatusCode::FORBIDDEN,
            ApiError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Busy(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Unsupported(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        };
        let code = match &self {
            ApiError::Disabled => Some(walkthrough_core::wire::ACCOUNT_DISABLED.to_owned()),
            ApiError::PasswordChangeRequired => Some(walkthrough_core::wire::PASSWORD_CHANGE_REQUIRED.to_owned()),
            _ => None,
        };
        let retry_after = match &self {
            ApiError::TooManyRequests { retry_after } => Some(retry_after.max(&1).to_string()),
            ApiError::Busy(_) => Some("1".to_owned()),
            _ => None,
        };
        let error = match self {
            ApiError::Internal(e) => {
                tracing::error!(error = %format!("{e:#}"), "internal error");
                "something went wrong on the server; it has been logged — please try again".to_owned()
            }
            other => other.to_string(),
        };
        let mut response = (status, Json(ErrorBody { error, code })).into_response();
        if let Some(secs) = retry_after.and_then(|s| axum::http::HeaderValue::from_str(&s).ok()) {
            response.headers_mut().insert(axum::http::header::RETRY_AFTER, secs);
        }
        response
    }
}
