//! Contractor links: one per contractor per project, opened in a phone
//! browser without an account. The link carries a secret (in the URL's
//! fragment, so it is not sent to the server with the page or left in
//! access logs; the page sends it in the `X-Walkthrough-Link` header). The
//! server keeps only its SHA-256 hash, with an expiry; the CS center can
//! revoke it. A refused link gets one answer whatever the reason (unknown,
//! revoked, expired), so it reveals nothing, and the attempt is logged.
//!
//! The secret is derived, not random: HMAC-SHA256 of the link's id under the
//! server's link key, a file kept apart from the database ([`LinkKey`]). So
//! the outbox can put a working link in a notification when it sends it
//! (never storing the secret: messages hold a placeholder until delivery),
//! while a stolen database — ids and hashes — yields no live link. Replacing
//! the key file ends every link at once.

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

/// The key contractor-link secrets are derived from.
pub struct LinkKey([u8; 32]);

impl LinkKey {
    /// The key in `path`, made (32 random bytes, readable by the owner only)
    /// when the file does not exist yet.
    pub fn load_or_create(path: &std::path::Path) -> Result<Self, String> {
        match std::fs::read(path) {
            Ok(bytes) => {
                let key: [u8; 32] = bytes.as_slice().try_into().map_err(|_| {
                    format!(
                        "the link key {} holds {} bytes, not 32: restore it, or delete it to end every contractor link",
                        path.display(),
                        bytes.len()
                    )
                })?;
                Ok(Self(key))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let key = Self::random()?;
                write_private(path, &key.0)
                    .map_err(|e| format!("the link key {} cannot be written: {e}", path.display()))?;
                tracing::info!(path = %path.display(), "made a new contractor-link key");
                Ok(key)
            }
            Err(e) => Err(format!("the link key {} cannot be read: {e}", path.display())),
        }
    }

    /// A key for this process only (links die with it): tests and tools.
    pub fn random() -> Result<Self, String> {
        let mut key = [0u8; 32];
        getrandom::fill(&mut key).map_err(|e| format!("no randomness: {e}"))?;
        Ok(Self(key))
    }

    /// The secret of link `id`.
    pub fn token(&self, id: &str) -> String {
        use base64::Engine as _;
        use hmac::Mac as _;
        let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(&self.0).expect("any key length");
        mac.update(b"walkthrough contractor link\n");
        mac.update(id.as_bytes());
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    }
}

fn write_private(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(bytes)
}

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
            // "Last used" to the minute: a page loading its photos in
            // parallel does not write (and wait for the disk) per photo.
            if link.last_used_at.is_none_or(|t| now - t >= 60) {
                st.store.touch_link(&link.id, now)?;
            }
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
    let id = new_token()?[..16].to_owned();
    let token = st.link_key.token(&id);
    let now = chrono::Utc::now().timestamp();
    let link = ContractorLink {
        id,
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
    let what = format!("link {} created for contractor {contractor}, {days} day(s)", link.id);
    let detail = serde_json::json!({ "link": link.id, "contractor": contractor, "days": days, "expires_at": link.expires_at * 1000 });
    crate::setup::record_act(st.store.as_ref(), project, by, "link_created", &what, detail)
        .map_err(|e| ApiError::Internal(e.into()))?;
    tracing::info!(link = %link.id, contractor = %link.contractor, %by, "contractor link created");
    Ok(NewLinkResponse { id: link.id, path: link_path(&token), token, expires_at: link.expires_at * 1000 })
}

/// Where a link's secret opens the contractor's page (relative to the server).
fn link_path(token: &str) -> String {
    format!("/ui/contractor/#k={token}")
}

/// The address of a live link of `contractor` for a notification sent now:
/// the newest one the key can re-derive (older, random-secret links cannot
/// be, and are never sent), or a new one when there is none (created by the
/// outbox, listed and revocable like any other).
pub fn live_link_url(st: &AppState, project: &ProjectId, contractor: &ContractorId) -> Result<String, ApiError> {
    let now = chrono::Utc::now().timestamp();
    let mut links = st.store.links(project)?;
    links.retain(|l| &l.contractor == contractor && l.revoked_at.is_none() && l.expires_at > now + 86_400);
    links.sort_by_key(|l| std::cmp::Reverse(l.created_at));
    let live = links.iter().find_map(|l| {
        let token = st.link_key.token(&l.id);
        match st.store.link_by_token(&hash_token(&token)) {
            Ok(Some(found)) if found.id == l.id => Some(Ok(token)),
            Ok(_) => None,
            Err(e) => Some(Err(e)),
        }
    });
    let token = match live {
        Some(t) => t?,
        None => create_link(st, project, contractor, st.settings.link_days, &UserId::new(OUTBOX_AUTHOR))?.token,
    };
    Ok(format!("{}{}", st.settings.public_base_url(), link_path(&token)))
}

/// Who links made for notifications are created by.
pub const OUTBOX_AUTHOR: &str = "system:outbox";

#[utoipa::path(post, path = "/projects/{project}/contractor-links", operation_id = "links_create", tag = "dispatch", request_body = NewLinkRequest, responses((status = 200, description = "OK", body = NewLinkResponse)), security(("bearer" = []), ("session_cookie" = [], "csrf" = [])))]
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

#[utoipa::path(get, path = "/projects/{project}/contractor-links", operation_id = "links_list", tag = "dispatch", responses((status = 200, description = "OK", body = Vec<ContractorLink>)), security(("bearer" = []), ("session_cookie" = [], "csrf" = [])))]
pub async fn list(
    State(st): State<AppState>,
    user: AuthUser,
    Path(project): Path<String>,
) -> Result<Json<Vec<ContractorLink>>, ApiError> {
    let project = ProjectId::new(project);
    require_cs(&user, &project)?;
    blocking(move || Ok(Json(st.store.links(&project)?))).await
}

#[utoipa::path(delete, path = "/projects/{project}/contractor-links/{id}", operation_id = "links_revoke", tag = "dispatch", responses((status = 200, description = "Revoked", body = serde_json::Value)), security(("bearer" = []), ("session_cookie" = [], "csrf" = [])))]
pub async fn revoke(
    State(st): State<AppState>,
    user: AuthUser,
    Path((project, id)): Path<(String, String)>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let project = ProjectId::new(project);
    require_cs(&user, &project)?;
    blocking(move || {
        let contractor = st.store.links(&project)?.into_iter().find(|l| l.id == id).map(|l| l.contractor);
        if !st.store.revoke_link(&project, &id, &user.user.id, chrono::Utc::now().timestamp())? {
            return Err(ApiError::NotFound(format!("project {project} has no link {id}")));
        }
        let what = format!("link {id} revoked");
        let detail = serde_json::json!({ "link": id, "contractor": contractor });
        crate::setup::record_act(st.store.as_ref(), &project, &user.user.id, "link_revoked", &what, detail)
            .map_err(|e| ApiError::Internal(e.into()))?;
        tracing::info!(link = %id, by = %user.user.id, "contractor link revoked");
        Ok(Json(serde_json::json!({ "revoked": id })))
    })
    .await
}

/// `GET /projects/{p}/contractor-channels`: the contractors' group robots.
#[utoipa::path(get, path = "/projects/{project}/contractor-channels", operation_id = "links_channels", tag = "dispatch", responses((status = 200, description = "OK", body = Vec<ChannelView>)), security(("bearer" = []), ("session_cookie" = [], "csrf" = [])))]
pub async fn channels(
    State(st): State<AppState>,
    user: AuthUser,
    Path(project): Path<String>,
) -> Result<Json<Vec<ChannelView>>, ApiError> {
    let project = ProjectId::new(project);
    require_cs(&user, &project)?;
    blocking(move || {
        let views = st.store.channels(&project)?.into_iter().map(|c| ChannelView {
            contractor: c.contractor,
            kind: c.kind,
            webhook: c.webhook,
            signed: c.secret.is_some(),
            updated_by: c.updated_by,
            updated_at: c.updated_at * 1000,
        });
        Ok(Json(views.collect()))
    })
    .await
}

/// The longest robot address or secret kept.
const MAX_CHANNEL_CHARS: usize = 1000;

/// `PUT /projects/{p}/contractor-channels/{contractor}`: where the
/// contractor's notifications go besides email and the server's webhook.
#[utoipa::path(put, path = "/projects/{project}/contractor-channels/{contractor}", operation_id = "links_set_channel", tag = "dispatch", request_body = ChannelRequest, responses((status = 200, description = "Saved", body = serde_json::Value)), security(("bearer" = []), ("session_cookie" = [], "csrf" = [])))]
pub async fn set_channel(
    State(st): State<AppState>,
    user: AuthUser,
    Path((project, contractor)): Path<(String, String)>,
    ApiJson(req): ApiJson<ChannelRequest>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let project = ProjectId::new(project);
    require_cs(&user, &project)?;
    let contractor = ContractorId::new(contractor);
    if !matches!(req.kind.as_str(), "wecom" | "dingtalk") {
        return Err(ApiError::Unprocessable(format!(
            "{:?} is not a group robot: use \"wecom\" (企业微信) or \"dingtalk\" (钉钉)",
            req.kind
        )));
    }
    let webhook = req.webhook.trim().to_owned();
    let parsed =
        reqwest::Url::parse(&webhook).ok().filter(|u| matches!(u.scheme(), "https" | "http") && u.host().is_some());
    if parsed.is_none() || webhook.chars().count() > MAX_CHANNEL_CHARS {
        return Err(ApiError::Unprocessable(format!(
            "{webhook:?} is not a robot address: copy the webhook (https://…) from the group robot's settings"
        )));
    }
    let secret = req.secret.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
    if secret.as_ref().is_some_and(|s| s.chars().count() > MAX_CHANNEL_CHARS || s.chars().any(char::is_control)) {
        return Err(ApiError::Unprocessable("the signing secret is not one a robot gives (SEC…)".into()));
    }
    if req.kind == "wecom" && secret.is_some() {
        return Err(ApiError::Unprocessable(
            "a WeCom group robot does not sign messages: its key is in the webhook address; leave the secret empty"
                .into(),
        ));
    }
    blocking(move || {
        let model = crate::sync::project_model(&st, &project)?
            .ok_or_else(|| ApiError::NotFound(format!("project {project} does not exist on this server")))?;
        if !model.contractors.contains_key(&contractor) {
            return Err(ApiError::Unprocessable(format!("contractor `{contractor}` is not in project {project}")));
        }
        let channel = crate::dispatch_store::ContractorChannel {
            contractor: contractor.clone(),
            kind: req.kind.clone(),
            webhook,
            secret,
            updated_by: user.user.id.clone(),
            updated_at: chrono::Utc::now().timestamp(),
        };
        let old = st.store.channels(&project)?.into_iter().find(|c| c.contractor == contractor);
        st.store.set_channel(&project, &channel)?;
        // Never the secret: only whether there is one.
        let view = |c: &crate::dispatch_store::ContractorChannel| {
            serde_json::json!({ "kind": c.kind, "webhook": robot_host(&c.webhook), "signed": c.secret.is_some() })
        };
        let what = format!("group robot ({}) set for contractor {contractor}", req.kind);
        let detail = serde_json::json!({ "contractor": contractor, "old": old.as_ref().map(view), "new": view(&channel) });
        crate::setup::record_act(st.store.as_ref(), &project, &user.user.id, "robot_set", &what, detail)
            .map_err(|e| ApiError::Internal(e.into()))?;
        tracing::info!(%contractor, kind = %req.kind, by = %user.user.id, "contractor channel set");
        Ok(Json(serde_json::json!({ "contractor": contractor, "kind": req.kind })))
    })
    .await
}

/// `DELETE /projects/{p}/contractor-channels/{contractor}`.
#[utoipa::path(delete, path = "/projects/{project}/contractor-channels/{contractor}", operation_id = "links_delete_channel", tag = "dispatch", responses((status = 200, description = "Removed", body = serde_json::Value)), security(("bearer" = []), ("session_cookie" = [], "csrf" = [])))]
pub async fn delete_channel(
    State(st): State<AppState>,
    user: AuthUser,
    Path((project, contractor)): Path<(String, String)>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let project = ProjectId::new(project);
    require_cs(&user, &project)?;
    let contractor = ContractorId::new(contractor);
    blocking(move || {
        let old = st.store.channels(&project)?.into_iter().find(|c| c.contractor == contractor);
        if !st.store.delete_channel(&project, &contractor)? {
            return Err(ApiError::NotFound(format!(
                "contractor `{contractor}` has no group robot in project {project}"
            )));
        }
        let what = format!("group robot removed from contractor {contractor}");
        let detail = serde_json::json!({
            "contractor": contractor,
            "old": old.map(|c| serde_json::json!({ "kind": c.kind, "webhook": robot_host(&c.webhook) })),
        });
        crate::setup::record_act(st.store.as_ref(), &project, &user.user.id, "robot_removed", &what, detail)
            .map_err(|e| ApiError::Internal(e.into()))?;
        Ok(Json(serde_json::json!({ "removed": contractor })))
    })
    .await
}

#[utoipa::path(get, path = "/projects/{project}/link-refusals", operation_id = "links_refusals", tag = "dispatch", responses((status = 200, description = "OK", body = Vec<LinkRefusal>)), security(("bearer" = []), ("session_cookie" = [], "csrf" = [])))]
pub async fn refusals(
    State(st): State<AppState>,
    user: AuthUser,
    Path(project): Path<String>,
) -> Result<Json<Vec<LinkRefusal>>, ApiError> {
    let project = ProjectId::new(project);
    require_cs(&user, &project)?;
    blocking(move || Ok(Json(st.store.link_refusals(&project)?))).await
}

/// A robot's address as the history shows it: the host only (the webhook's
/// key is a credential).
fn robot_host(webhook: &str) -> String {
    reqwest::Url::parse(webhook).ok().and_then(|u| u.host_str().map(str::to_owned)).unwrap_or_default()
}

#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
pub struct QrRequest {
    pub text: String,
}

/// `POST /qr`: a QR code (SVG) of the text, for the console to show a new
/// contractor link once. Nothing is stored or logged; the text comes in the
/// body so the secret never appears in a URL.
#[utoipa::path(post, path = "/qr", operation_id = "links_qr", tag = "dispatch", request_body = QrRequest, responses((status = 200, description = "The file", content(("image/svg+xml")))), security(("bearer" = []), ("session_cookie" = [], "csrf" = [])))]
pub async fn qr(
    user: AuthUser,
    ApiJson(req): ApiJson<QrRequest>,
) -> Result<impl axum::response::IntoResponse, ApiError> {
    if user.user.role != Role::CsAdmin {
        return Err(ApiError::Forbidden("only the CS center can do this".into()));
    }
    if req.text.is_empty() || req.text.len() > 2000 {
        return Err(ApiError::Unprocessable("a QR code holds 1 to 2000 characters".into()));
    }
    let code = qrcode::QrCode::new(req.text.as_bytes())
        .map_err(|e| ApiError::Unprocessable(format!("this text does not fit a QR code: {e}")))?;
    let svg = code.render::<qrcode::render::svg::Color<'_>>().min_dimensions(240, 240).quiet_zone(true).build();
    Ok(([(axum::http::header::CONTENT_TYPE, "image/svg+xml")], svg))
}
