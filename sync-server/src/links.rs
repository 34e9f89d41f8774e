//! Contractor links: one per contractor per project, opened in a phone
//! browser without an account. The link carries a random secret (in the
//! URL's fragment, so it is not sent to the server with the page or left in
//! access logs; the page sends it in the `X-Walkthrough-Link` header). The
//! server keeps only its SHA-256 hash, with an expiry; the CS center can
//! revoke it. A refused link gets one answer whatever the reason (unknown,
//! revoked, expired), so it reveals nothing, and the attempt is logged.

use crate::auth::{hash_token, new_token, AuthUser};
use crate::dispatch_store::{ContractorLink, LinkRefusal};
use crate::error::ApiError;
use crate::{blocking, ApiJson, AppState};
use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::Json;
use walkthrough_core::model::Role;
use walkthrough_core::wire::dispatch::*;
use walkthrough_core::*;

pub const LINK_HEADER: &str = "x-walkthrough-link";

/// The one answer to every refused link.
pub const REFUSED: &str =
    "this link is not valid: it may have expired or been withdrawn. Ask the CS center for a new one. / 此链接已失效，请联系客服中心获取新链接。";

/// The contractor a request acts for, from a valid link.
#[derive(Clone, Debug)]
pub struct LinkUser {
    pub link: ContractorLink,
}

impl LinkUser {
    /// Who the contractor's changes are authored by in unit documents.
    pub fn author(&self) -> UserId {
        UserId::new(format!("contractor:{}", self.link.contractor))
    }
}

impl FromRequestParts<AppState> for LinkUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let token = parts.headers.get(LINK_HEADER).and_then(|v| v.to_str().ok()).unwrap_or("").trim().to_owned();
        let request = format!("{} {}", parts.method, parts.uri.path());
        let st = state.clone();
        blocking(move || {
            let now = chrono::Utc::now().timestamp();
            let found = if token.is_empty() { None } else { st.store.link_by_token(&hash_token(&token))? };
            let reason = match &found {
                None if token.is_empty() => Some("no link"),
                None => Some("unknown link"),
                Some(l) if l.revoked_at.is_some() => Some("revoked"),
                Some(l) if l.expires_at <= now => Some("expired"),
                Some(_) => None,
            };
            if let Some(reason) = reason {
                tracing::warn!(reason, link = found.as_ref().map(|l| l.id.as_str()), %request, "contractor link refused");
                st.store.log_link_refusal(found.as_ref(), reason, &request, now)?;
                return Err(ApiError::Unauthorized(REFUSED.into()));
            }
            let link = found.expect("checked above");
            st.store.touch_link(&link.id, now)?;
            Ok(LinkUser { link })
        })
        .await
    }
}

/// The CS center of `project` (every dispatch decision is theirs).
pub fn require_cs(user: &AuthUser, project: &ProjectId) -> Result<(), ApiError> {
    if user.user.role != Role::CsAdmin {
        return Err(ApiError::Forbidden("only the CS center can do this".into()));
    }
    if !user.projects.contains(project) {
        return Err(ApiError::Forbidden(format!("you are not assigned to project {project}")));
    }
    Ok(())
}

/// A new link for `contractor` of `project`, lasting `days`.
pub fn create_link(
    st: &AppState,
    project: &ProjectId,
    contractor: &ContractorId,
    days: i64,
    by: &UserId,
) -> Result<NewLinkResponse, ApiError> {
    if !(1..=366).contains(&days) {
        return Err(ApiError::Unprocessable(format!("a link can last 1 to 366 days, not {days}")));
    }
    let model = crate::sync::project_model(st, project)?
        .ok_or_else(|| ApiError::NotFound(format!("project {project} does not exist on this server")))?;
    if !model.contractors.contains_key(contractor) {
        return Err(ApiError::Unprocessable(format!("contractor `{contractor}` is not in project {project}")));
    }
    let token = new_token()?;
    let now = chrono::Utc::now().timestamp();
    let link = ContractorLink {
        id: new_token()?[..16].to_owned(),
        project: project.clone(),
        contractor: contractor.clone(),
        created_by: by.clone(),
        created_at: now,
        expires_at: now + days * 86_400,
        revoked_at: None,
        revoked_by: None,
        last_used_at: None,
    };
    st.store.insert_link(&link, &hash_token(&token))?;
    tracing::info!(link = %link.id, contractor = %link.contractor, %by, "contractor link created");
    Ok(NewLinkResponse {
        id: link.id,
        path: format!("/ui/contractor/#k={token}"),
        token,
        expires_at: link.expires_at * 1000,
    })
}

pub async fn create(
    State(st): State<AppState>,
    user: AuthUser,
    Path(project): Path<String>,
    ApiJson(req): ApiJson<NewLinkRequest>,
) -> Result<Json<NewLinkResponse>, ApiError> {
    let project = ProjectId::new(project);
    require_cs(&user, &project)?;
    let days = req.days.unwrap_or(st.settings.link_days);
    blocking(move || Ok(Json(create_link(&st, &project, &req.contractor, days, &user.user.id)?))).await
}

pub async fn list(
    State(st): State<AppState>,
    user: AuthUser,
    Path(project): Path<String>,
) -> Result<Json<Vec<ContractorLink>>, ApiError> {
    let project = ProjectId::new(project);
    require_cs(&user, &project)?;
    blocking(move || Ok(Json(st.store.links(&project)?))).await
}

pub async fn revoke(
    State(st): State<AppState>,
    user: AuthUser,
    Path((project, id)): Path<(String, String)>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let project = ProjectId::new(project);
    require_cs(&user, &project)?;
    blocking(move || {
        if !st.store.revoke_link(&project, &id, &user.user.id, chrono::Utc::now().timestamp())? {
            return Err(ApiError::NotFound(format!("project {project} has no link {id}")));
        }
        tracing::info!(link = %id, by = %user.user.id, "contractor link revoked");
        Ok(Json(serde_json::json!({ "revoked": id })))
    })
    .await
}

pub async fn refusals(
    State(st): State<AppState>,
    user: AuthUser,
    Path(project): Path<String>,
) -> Result<Json<Vec<LinkRefusal>>, ApiError> {
    let project = ProjectId::new(project);
    require_cs(&user, &project)?;
    blocking(move || Ok(Json(st.store.link_refusals(&project)?))).await
}
