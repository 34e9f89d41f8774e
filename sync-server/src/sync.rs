//! The two sync requests (see `walkthrough_core::wire` for the protocol).

use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::store::{DocWrite, StoredDoc};
use crate::{blocking, ApiJson, AppState};
use automerge::{AutoCommit, ChangeHash};
use axum::extract::State;
use axum::Json;
use std::sync::Arc;
use walkthrough_core::doc::check::{self, Writer};
use walkthrough_core::doc::writers;
use walkthrough_core::doc::{DocKey, ProjectDoc, UnitDoc};
use walkthrough_core::model::{Project, Role};
use walkthrough_core::wire::*;
use walkthrough_core::*;

/// Chunks appended to a stored document before it is compacted.
const COMPACT_AFTER: usize = 64;

#[utoipa::path(post, path = "/sync/manifest", operation_id = "sync_manifest", tag = "sync", request_body = ManifestRequest, responses((status = 200, description = "OK", body = ManifestResponse)), security(("bearer" = []), ("session_cookie" = [], "csrf" = [])))]
pub async fn manifest(
    State(st): State<AppState>,
    user: AuthUser,
    ApiJson(req): ApiJson<ManifestRequest>,
) -> Result<Json<ManifestResponse>, ApiError> {
    user.require_sync(&req.project)?;
    // The device says who it is: its actor and name, checked here and
    // recorded with the actor (bound to this user if it is new).
    let device = req
        .device
        .as_ref()
        .map(device_hello)
        .transpose()
        .map_err(|e| ApiError::BadRequest(format!("this device cannot sync: {e}")))?;
    blocking(move || {
        if let Some((actor, name)) = &device {
            let now_ms = chrono::Utc::now().timestamp_millis();
            st.store.name_device(&req.project, &user.user.id, actor, name.as_deref(), now_ms)?;
        }
        let devices = st
            .store
            .project_devices(&req.project)?
            .into_iter()
            .filter_map(|d| Some(DeviceName { name: d.name?, actor: d.actor }))
            .collect();
        let (cursor, docs) = st.store.changed_since(&req.project, req.cursor)?;
        let docs = docs
            .into_iter()
            .map(|(doc, heads)| DocHeads {
                doc,
                heads: heads.split(',').filter(|h| !h.is_empty()).map(str::to_owned).collect(),
            })
            .collect();
        let photo_budget_bytes = Some(st.settings.tablet.photo_budget_mb.saturating_mul(1024 * 1024));
        let server_time_ms = chrono::Utc::now().timestamp_millis();
        Ok(Json(ManifestResponse { cursor, docs, photo_budget_bytes, server_time_ms, devices }))
    })
    .await
}

/// A device's hello checked: its actor (hex) and its name, trimmed.
fn device_hello(hello: &DeviceHello) -> Result<(String, Option<String>), String> {
    writers::check_device_actor(&hello.actor)?;
    let name = hello.name.as_deref().map(writers::check_device_name).transpose()?;
    Ok((hello.actor.clone(), name))
}

#[utoipa::path(post, path = "/sync/exchange", operation_id = "sync_exchange", tag = "sync", request_body = ExchangeRequest, responses((status = 200, description = "OK", body = ExchangeResponse)), security(("bearer" = []), ("session_cookie" = [], "csrf" = [])))]
pub async fn exchange(
    State(st): State<AppState>,
    user: AuthUser,
    ApiJson(req): ApiJson<ExchangeRequest>,
) -> Result<Json<ExchangeResponse>, ApiError> {
    user.require_sync(&req.project)?;
    // Every document is checked before anything is stored: a request that
    // reaches outside the user's scope stores nothing.
    let mut seen = std::collections::HashSet::new();
    for d in &req.docs {
        if !seen.insert(&d.doc) {
            return Err(ApiError::BadRequest(format!("document {} appears twice in one request", d.doc)));
        }
        if d.doc.project() != &req.project {
            return Err(ApiError::Forbidden(format!("document {} does not belong to project {}", d.doc, req.project)));
        }
        if matches!(d.doc, DocKey::Project(_)) && !d.changes.is_empty() && user.user.role != Role::CsAdmin {
            return Err(ApiError::Forbidden("only the CS center can change a project's setup".into()));
        }
    }
    let writer = Writer { user: user.user.id.clone(), role: user.user.role };
    blocking(move || {
        let _serialised = st.exchange_lock.lock().unwrap_or_else(|e| e.into_inner());
        let project = project_model(&st, &req.project)?;
        if project.is_none() && req.docs.iter().any(|d| matches!(d.doc, DocKey::Unit(..))) {
            return Err(ApiError::NotFound(format!("project {} does not exist on this server", req.project)));
        }
        let mut replies = Vec::with_capacity(req.docs.len());
        let mut pending = Vec::new();
        for push in req.docs {
            let key = push.doc.clone();
            // A document refused for what it is (not in the project, not a
            // valid document) is refused alone, with the reason: one bad
            // document must not stop a tablet's whole project from syncing.
            match exchange_doc(&st, project.as_deref(), &writer, push) {
                Ok((reply, write)) => {
                    replies.push(reply);
                    pending.extend(write);
                }
                Err(ApiError::Forbidden(m) | ApiError::Unprocessable(m) | ApiError::BadRequest(m)) => {
                    replies.push(DocReply { doc: key, heads: Vec::new(), changes: Vec::new(), error: Some(m) })
                }
                Err(e) => return Err(e),
            }
        }
        // Everything the request changed, in one transaction, before any
        // answer: an acknowledged change is a stored change.
        store_pending(&st, project.as_deref(), &pending)?;
        Ok(Json(ExchangeResponse { docs: replies }))
    })
    .await
}

pub(crate) fn project_model(st: &AppState, id: &ProjectId) -> Result<Option<Arc<Project>>, ApiError> {
    if let Some(p) = st.projects.read().unwrap_or_else(|e| e.into_inner()).get(id) {
        return Ok(Some(p.clone()));
    }
    let Some(stored) = st.store.load_doc(&DocKey::Project(id.clone()))? else { return Ok(None) };
    let doc = load(stored).map_err(ApiError::Internal)?;
    let project =
        Arc::new(ProjectDoc::from_automerge(doc).and_then(|d| d.read()).map_err(|e| ApiError::Internal(e.into()))?);
    st.projects.write().unwrap_or_else(|e| e.into_inner()).insert(id.clone(), project.clone());
    Ok(Some(project))
}

pub(crate) fn load(stored: StoredDoc) -> anyhow::Result<AutoCommit> {
    // Our own storage: hashes were verified when the changes arrived.
    let mut doc = AutoCommit::load_unverified_heads(&stored.snapshot)?;
    for c in &stored.chunks {
        doc.load_incremental(c)?;
    }
    Ok(doc)
}

pub fn heads_hex(heads: &[ChangeHash]) -> Vec<String> {
    heads.iter().map(|h| h.to_string()).collect()
}

fn parse_heads(doc: &DocKey, heads: &[String]) -> Result<Vec<ChangeHash>, ApiError> {
    heads
        .iter()
        .map(|h| h.parse().map_err(|_| ApiError::BadRequest(format!("document {doc}: {h:?} is not a change hash"))))
        .collect()
}

/// A document change waiting to be stored with the rest of its request.
struct PendingWrite {
    key: DocKey,
    bytes: Vec<u8>,
    is_new: bool,
    heads: String,
    rows: Option<walkthrough_core::kpi::UnitRows>,
    /// A compacted snapshot to store after the change, when chunks pile up.
    compacted: Option<Vec<u8>>,
    /// The devices (Automerge actors, hex) that wrote the new changes, the
    /// user they write for, and how many changes each.
    actors: (UserId, Vec<(String, u64)>),
}

fn exchange_doc(
    st: &AppState,
    project: Option<&Project>,
    writer: &Writer,
    push: DocPush,
) -> Result<(DocReply, Option<PendingWrite>), ApiError> {
    let key = push.doc;
    if let (DocKey::Unit(p, u), Some(project)) = (&key, project) {
        if !project.units.contains_key(u) {
            return Err(ApiError::Forbidden(format!("unit {u} is not in project {p}")));
        }
    }
    let have = parse_heads(&key, &push.have)?;
    let stored = st.store.load_doc(&key)?;
    let chunks = stored.as_ref().map_or(0, |s| s.chunks.len());
    let is_new = stored.is_none();
    let mut doc = match stored {
        Some(s) => load(s).map_err(ApiError::Internal)?,
        None => AutoCommit::new(),
    };
    let before = doc.get_heads();
    let mut rows = None;
    let mut actors = Vec::new();
    if !push.changes.is_empty() {
        // Automerge skips what it cannot parse; a request is read strictly,
        // so broken bytes are refused in words instead of taken as nothing.
        check::check_chunks(&push.changes)
            .map_err(|e| ApiError::BadRequest(format!("the changes for {key} are not valid Automerge data: {e}")))?;
        let mut candidate = doc.clone();
        candidate
            .load_incremental(&push.changes)
            .map_err(|e| ApiError::BadRequest(format!("the changes for {key} are not valid Automerge data: {e}")))?;
        // What is stored must still be a readable document of the right kind
        // and identity, written only as the signed-in user may write it;
        // anything else is refused and nothing of it is kept.
        let refuse = |what: String| ApiError::Unprocessable(format!("document {key} was refused: {what}"));
        let new_changes = candidate.get_changes(&before);
        actors = device_actors(st, writer, &new_changes).map_err(|e| match e {
            ApiError::Forbidden(m) => refuse(m),
            e => e,
        })?;
        match &key {
            DocKey::Unit(p, u) => {
                let rec = UnitDoc::from_automerge(candidate.clone())
                    .and_then(|d| d.read())
                    .map_err(|e| refuse(e.to_string()))?;
                if &rec.unit != u || &rec.project != p {
                    return Err(refuse(format!("its content is for unit {} of project {}", rec.unit, rec.project)));
                }
                check::check_unit_changes(&candidate, &before, &new_changes, p, u, writer, chrono::Utc::now())
                    .map_err(refuse)?;
                if let Some(project) = project {
                    rows = Some(walkthrough_core::kpi::unit_rows(project, &rec));
                }
            }
            DocKey::Project(p) => {
                let model = ProjectDoc::from_automerge(candidate.clone())
                    .and_then(|d| d.read())
                    .map_err(|e| refuse(e.to_string()))?;
                if &model.id != p {
                    return Err(refuse(format!("its content is for project {}", model.id)));
                }
            }
        }
        doc = candidate;
    }
    let after = doc.get_heads();
    let mut write = None;
    if after != before {
        let bytes = if is_new { doc.save() } else { doc.save_after(&before) };
        let heads = heads_hex(&after).join(",");
        let compacted = (chunks + 1 >= COMPACT_AFTER).then(|| doc.save());
        write = Some(PendingWrite {
            key: key.clone(),
            bytes,
            is_new,
            heads,
            rows,
            compacted,
            actors: (writer.user.clone(), actors),
        });
    }
    // What the client lacks: everything after its heads, or the whole
    // document when it has none (or heads this server never saw).
    let known = !have.is_empty() && have.iter().all(|h| doc.get_change_by_hash(h).is_some());
    let changes = if known {
        doc.save_after(&have)
    } else if after.is_empty() {
        Vec::new()
    } else {
        doc.save()
    };
    Ok((DocReply { doc: key, heads: heads_hex(&after), changes, error: None }, write))
}

/// The devices that wrote `changes`, each with its number of changes; a
/// device already bound to another user is refused (a device writes for one
/// user: a tablet takes a new actor when another user signs in on it).
fn device_actors(
    st: &AppState,
    writer: &Writer,
    changes: &[automerge::Change],
) -> Result<Vec<(String, u64)>, ApiError> {
    let mut counts = std::collections::BTreeMap::<String, u64>::new();
    let genesis = automerge::ActorId::from(walkthrough_core::doc::GENESIS_ACTOR);
    for c in changes.iter().filter(|c| c.actor_id() != &genesis) {
        *counts.entry(c.actor_id().to_hex_string()).or_default() += 1;
    }
    // The server's own actors (its parties' ids) are never a device's:
    // changes under them from a tablet would pass for the server's.
    if let Some(c) = changes.iter().find(|c| matches!(writers::origin_of(c.actor_id()), writers::Origin::Server { .. }))
    {
        return Err(ApiError::Forbidden(format!(
            "its changes come from an actor reserved for the server ({})",
            String::from_utf8_lossy(c.actor_id().to_bytes())
        )));
    }
    let actors: Vec<String> = counts.keys().cloned().collect();
    for (actor, owner) in st.store.actor_users(&actors)? {
        if owner != writer.user {
            return Err(ApiError::Forbidden(format!(
                "its changes come from device {} which writes for {owner}, not for {}",
                &actor[..actor.len().min(12)],
                writer.user
            )));
        }
    }
    Ok(counts.into_iter().collect())
}

/// Store document changes in one transaction with the notices they call for
/// (a defect now with a contractor) and the urgent messages, then compact
/// what needs it. Shared by exchanges and the server's own edits.
fn store_pending(st: &AppState, project: Option<&Project>, pending: &[PendingWrite]) -> Result<(), ApiError> {
    if pending.is_empty() {
        return Ok(());
    }
    let mut notices = Vec::new();
    if let Some(project) = project {
        for p in pending {
            if let (DocKey::Unit(pid, unit), Some(rows)) = (&p.key, &p.rows) {
                let before = st.store.unit_defect_rows(pid, unit)?;
                notices.extend(walkthrough_core::dispatch::notices(project, &before, &rows.defects));
            }
        }
    }
    let now = chrono::Utc::now().timestamp();
    let messages = match project {
        Some(p) if !notices.is_empty() => {
            let channels = st.store.channels(&p.id)?;
            crate::outbox::urgent_messages(&st.settings.notify, p, &channels, &notices, now)
        }
        _ => Vec::new(),
    };
    let writes: Vec<DocWrite<'_>> = pending
        .iter()
        .map(|p| DocWrite { key: &p.key, bytes: &p.bytes, is_new: p.is_new, heads: &p.heads, rows: p.rows.as_ref() })
        .collect();
    for p in pending {
        if !p.actors.1.is_empty() {
            st.store.bind_actors(p.key.project(), &p.actors.0, &p.actors.1, now * 1000)?;
        }
    }
    st.store.write_docs_notify(&writes, &notices, &messages, now)?;
    for p in pending {
        if let Some(snapshot) = &p.compacted {
            st.store.compact_doc(&p.key, snapshot)?;
        }
        if let DocKey::Project(id) = &p.key {
            st.projects.write().unwrap_or_else(|e| e.into_inner()).remove(id);
        }
    }
    Ok(())
}

/// Edit stored unit documents as the server, for the CS center (dispatch,
/// reassignment) or a contractor (a "fixed" report), each change authored by
/// `actor`. The caller holds `exchange_lock`. Stored exactly as an exchange
/// stores a tablet's change (document, read-model rows, notices, one
/// transaction), so tablets receive it on their next sync. `edit` returns
/// whether it changed the document.
pub(crate) fn edit_units(
    st: &AppState,
    project: &Project,
    units: &[UnitId],
    actor: &str,
    edit: &mut dyn FnMut(&UnitId, &mut UnitDoc) -> Result<bool, ApiError>,
) -> Result<(), ApiError> {
    let mut pending = Vec::new();
    for unit in units {
        let key = DocKey::Unit(project.id.clone(), unit.clone());
        let stored =
            st.store.load_doc(&key)?.ok_or_else(|| ApiError::NotFound(format!("unit {unit} has no record yet")))?;
        let chunks = stored.chunks.len();
        let mut doc = UnitDoc::from_automerge(load(stored).map_err(ApiError::Internal)?)
            .map_err(|e| ApiError::Internal(e.into()))?;
        doc.set_actor(automerge::ActorId::from(actor.as_bytes()));
        let before = doc.heads();
        if !edit(unit, &mut doc)? {
            continue;
        }
        let after = doc.heads();
        if after == before {
            continue;
        }
        let record = doc.read().map_err(|e| ApiError::Internal(e.into()))?;
        let am = doc.automerge();
        let actor_hex = automerge::ActorId::from(actor.as_bytes()).to_hex_string();
        let author = UserId::new(actor.strip_prefix("user:").unwrap_or(actor));
        pending.push(PendingWrite {
            actors: (author, vec![(actor_hex, 1)]),
            key,
            bytes: am.save_after(&before),
            is_new: false,
            heads: heads_hex(&after).join(","),
            rows: Some(walkthrough_core::kpi::unit_rows(project, &record)),
            compacted: (chunks + 1 >= COMPACT_AFTER).then(|| am.save()),
        });
    }
    store_pending(st, Some(project), &pending)
}

/// Derive again, from the stored documents, the read model of every project
/// queued for it (a migration that adds to the read model queues every
/// project stored before it). Run when the server starts, before it serves.
pub fn rebuild_read_models(st: &AppState) -> Result<(), ApiError> {
    for project_id in st.store.read_model_rebuilds()? {
        let Some(project) = project_model(st, &project_id)? else {
            st.store.read_model_rebuilt(&project_id)?;
            continue;
        };
        let units = st.store.unit_docs(&project_id)?;
        tracing::info!(project = %project_id, units = units.len(), "deriving the read model again");
        for some in units.chunks(200) {
            for record in &crate::dispatch::read_units(st, &project_id, some)? {
                let rows = walkthrough_core::kpi::unit_rows(&project, record);
                st.store.replace_unit_rows(&project_id, &record.unit, &rows)?;
            }
        }
        st.store.read_model_rebuilt(&project_id)?;
    }
    Ok(())
}

/// The devices that wrote in a project (each Automerge actor with the user
/// it writes for, when first and last seen, how many changes): for the CS
/// center, to tell which tablet wrote what.
#[utoipa::path(get, path = "/projects/{project}/devices", operation_id = "sync_devices", tag = "sync", responses((status = 200, description = "OK", body = Vec<crate::store::DeviceActor>)), security(("bearer" = []), ("session_cookie" = [], "csrf" = [])))]
pub async fn devices(
    State(st): State<AppState>,
    user: AuthUser,
    axum::extract::Path(project): axum::extract::Path<String>,
) -> Result<Json<Vec<crate::store::DeviceActor>>, ApiError> {
    let project = ProjectId::new(project);
    crate::links::require_cs(&user, &project)?;
    blocking(move || Ok(Json(st.store.project_devices(&project)?))).await
}
