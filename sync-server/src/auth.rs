//! Accounts: passwords hashed with Argon2, bearer tokens stored only as
//! SHA-256 hashes, with an expiry. Every request's user and scope come from
//! here.

use crate::error::ApiError;
use crate::store::User;
use crate::AppState;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use sha2::{Digest, Sha256};
use walkthrough_core::model::Role;
use walkthrough_core::*;

pub fn hash_password(password: &str) -> anyhow::Result<String> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| anyhow::anyhow!("salt: {e}"))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("hashing a password failed: {e}"))
}

pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
}

pub fn hash_token(token: &str) -> String {
    Sha256::digest(token.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

pub fn new_token() -> anyhow::Result<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// The projects a user may see: those assigned to them, and for the CS
/// center every project of their company.
pub fn scope(store: &dyn crate::store::Store, user: &User) -> Result<Vec<ProjectId>, ApiError> {
    let mut projects = store.user_projects(&user.id)?;
    if user.role == Role::CsAdmin && !user.company.is_empty() {
        projects.extend(store.company_projects(&user.company)?);
        projects.sort();
        projects.dedup();
    }
    Ok(projects)
}

/// The signed-in user of a request, with the projects they may see.
#[derive(Clone, Debug)]
pub struct AuthUser {
    pub user: User,
    pub projects: Vec<ProjectId>,
}

impl AuthUser {
    /// May this user sync documents of `project`?
    pub fn require_sync(&self, project: &ProjectId) -> Result<(), ApiError> {
        match self.user.role {
            Role::Inspector | Role::CsAdmin => {}
            Role::Contractor => {
                return Err(ApiError::Forbidden(
                    "contractor accounts do not sync documents; use your rectification page".into(),
                ))
            }
            Role::Engineer => return Err(ApiError::Forbidden("engineer accounts do not sync documents".into())),
        }
        if !self.projects.contains(project) {
            return Err(ApiError::Forbidden(format!("you are not assigned to project {project}")));
        }
        Ok(())
    }
}

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let header = parts.headers.get(axum::http::header::AUTHORIZATION).and_then(|v| v.to_str().ok());
        let Some(token) = header.and_then(|h| h.strip_prefix("Bearer ")) else {
            return Err(ApiError::Unauthorized("sign in first: this request carries no token".into()));
        };
        let store = state.store.clone();
        let hash = hash_token(token.trim());
        let found = tokio::task::spawn_blocking(move || -> Result<_, ApiError> {
            let Some((user_id, expires_at)) = store.token_user(&hash)? else { return Ok(None) };
            let user = store.user_by_id(&user_id)?;
            let Some(user) = user else { return Ok(None) };
            let projects = scope(store.as_ref(), &user)?;
            Ok(Some((user, projects, expires_at)))
        })
        .await
        .map_err(|e| ApiError::Internal(e.into()))??;
        let Some((user, projects, expires_at)) = found else {
            return Err(ApiError::Unauthorized("your sign-in is not valid; sign in again".into()));
        };
        if expires_at < chrono::Utc::now().timestamp() {
            return Err(ApiError::Unauthorized("your sign-in has expired; sign in again".into()));
        }
        if user.disabled {
            return Err(ApiError::Disabled);
        }
        Ok(AuthUser { user, projects })
    }
}
