//! Setting up a project on the server: create it, change its configuration
//! (`ProjectEdit`s through the project document), its people's accounts and
//! floor plans, each change recorded with who and when. The console's
//! handlers (`console.rs`) and the `walkthrough-server` subcommands both
//! call these functions: one code path.

use crate::auth::hash_password;
use crate::store::{DocWrite, Store, User};
use walkthrough_core::doc::{DocKey, ProjectDoc};
use walkthrough_core::model::{I18nText, OrgNode, Person, Project, Role};
use walkthrough_core::setup::{apply_all, new_project, ProjectEdit};
use walkthrough_core::wire::*;
use walkthrough_core::*;

#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// The request cannot be carried out as asked; the sentence says why.
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Forbidden(String),
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

impl From<crate::store::StoreError> for SetupError {
    fn from(e: crate::store::StoreError) -> Self {
        SetupError::Other(e.into())
    }
}

pub type SetupResult<T> = std::result::Result<T, SetupError>;

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Record an act in the project's history: one mechanism for every kind
/// (see `HistoryEntry::kind`), with `what` in words and `detail` holding the
/// particulars (`{"old": …, "new": …}` and the like) as JSON.
pub fn record_act(
    store: &dyn Store,
    project: &ProjectId,
    by: &UserId,
    kind: &str,
    what: &str,
    detail: serde_json::Value,
) -> SetupResult<()> {
    let entry = HistoryEntry { at: now(), by: by.clone(), kind: kind.into(), what: what.into(), detail };
    store.add_history(project, &entry)?;
    Ok(())
}

pub fn history(store: &dyn Store, project: &ProjectId) -> SetupResult<Vec<HistoryEntry>> {
    Ok(store.history(project)?)
}

fn load_doc(store: &dyn Store, project: &ProjectId) -> SetupResult<ProjectDoc> {
    let stored = store
        .load_doc(&DocKey::Project(project.clone()))?
        .ok_or_else(|| SetupError::NotFound(format!("project {project} does not exist on this server")))?;
    ProjectDoc::from_automerge(crate::sync::load(stored)?).map_err(|e| SetupError::Other(e.into()))
}

/// The project as its stored document holds it now.
pub fn read_project(store: &dyn Store, project: &ProjectId) -> SetupResult<Project> {
    load_doc(store, project)?.read().map_err(|e| SetupError::Other(e.into()))
}

/// Change a stored project: `change` edits the model as the document holds
/// it now (refusing in words when it cannot), the result is validated and
/// written as one change of the project document by `by`. Refused: nothing
/// is written.
pub fn edit_project<T>(
    store: &dyn Store,
    project: &ProjectId,
    by: &UserId,
    change: impl FnOnce(&mut Project) -> Result<T, String>,
) -> SetupResult<T> {
    let mut doc = load_doc(store, project)?;
    let before = doc.heads();
    let value =
        doc.try_edit(by, chrono::Utc::now(), |p| change(p).map_err(walkthrough_core::Error::Invalid)).map_err(|e| {
            match e {
                walkthrough_core::Error::Invalid(m) => SetupError::Invalid(m),
                walkthrough_core::Error::InvalidProject(errs) => {
                    SetupError::Invalid(format!("the change would leave the project inconsistent: {}", errs.join("; ")))
                }
                other => SetupError::Other(other.into()),
            }
        })?;
    let mut am = doc.into_automerge();
    let heads = am.get_heads();
    if heads != before {
        let chunk = am.save_after(&before);
        let heads = crate::sync::heads_hex(&heads).join(",");
        store.write_doc(&DocWrite {
            key: &DocKey::Project(project.clone()),
            bytes: &chunk,
            is_new: false,
            heads: &heads,
            rows: None,
        })?;
    }
    Ok(value)
}

/// Apply edits to a stored project, all or none, as one document change;
/// each is recorded in the history. Returns the project as it is now.
pub fn apply_edits(store: &dyn Store, project: &ProjectId, edits: &[ProjectEdit], by: &UserId) -> SetupResult<Project> {
    if edits.is_empty() {
        return Err(SetupError::Invalid("there is nothing to change".into()));
    }
    let (model, start) = edit_project(store, project, by, |p| {
        let start = p.clone();
        apply_all(p, edits)?;
        Ok((p.clone(), start))
    })?;
    // Each edit's old and new values: the edits again, one at a time, on
    // the project as it was (they all applied, so each applies again).
    let mut step = start;
    for e in edits {
        let before = serde_json::to_value(&step).map_err(|x| SetupError::Other(x.into()))?;
        e.apply(&mut step).map_err(SetupError::Invalid)?;
        let after = serde_json::to_value(&step).map_err(|x| SetupError::Other(x.into()))?;
        let op = serde_json::to_value(e).ok().and_then(|v| v.get("op").cloned()).unwrap_or_default();
        let detail = serde_json::json!({ "op": op, "changes": changes(&before, &after) });
        record_act(store, project, by, "setup", &e.describe(), detail)?;
    }
    Ok(model)
}

/// More changed entries of one field than the history lists one by one.
const MAX_LISTED_CHANGES: usize = 20;
/// A value longer than this (as JSON) is recorded as changed, not copied.
const MAX_VALUE_CHARS: usize = 4000;

/// What changed between two JSON objects, a field at a time and, in a map
/// (categories, contractors, …), an entry at a time:
/// `[{"field", "key"?, "old", "new"}]` (`old`/`new` null where absent).
pub fn changes(before: &serde_json::Value, after: &serde_json::Value) -> Vec<serde_json::Value> {
    use serde_json::{json, Value};
    let small = |v: Option<&Value>| match v {
        Some(v) if v.to_string().len() > MAX_VALUE_CHARS => json!("(too long to copy)"),
        Some(v) => v.clone(),
        None => Value::Null,
    };
    let (Some(b), Some(a)) = (before.as_object(), after.as_object()) else { return Vec::new() };
    let mut out = Vec::new();
    for field in b.keys().chain(a.keys().filter(|k| !b.contains_key(*k))) {
        let (old, new) = (b.get(field), a.get(field));
        if old == new {
            continue;
        }
        // Lists of entities (contractors, people, units, …) compare entry by entry, by id.
        let as_map = |v: Option<&Value>| {
            let v = v?;
            by_id(v)
                .or_else(|| v.as_object().cloned())
                .or_else(|| v.as_array().filter(|a| a.is_empty()).map(|_| serde_json::Map::new()))
        };
        match (as_map(old), as_map(new)) {
            (Some(o), Some(n)) => {
                let keys: std::collections::BTreeSet<&String> =
                    o.keys().chain(n.keys()).filter(|k| o.get(*k) != n.get(*k)).collect();
                if keys.len() > MAX_LISTED_CHANGES {
                    out.push(json!({ "field": field, "entries": keys.len() }));
                    continue;
                }
                for k in keys {
                    out.push(json!({ "field": field, "key": k, "old": small(o.get(k)), "new": small(n.get(k)) }));
                }
            }
            _ => out.push(json!({ "field": field, "old": small(old), "new": small(new) })),
        }
    }
    out
}

/// A list of entities as a map by their id (`id`, `code`, `no` or
/// `element`, as the project document keys them); `None` for anything else.
fn by_id(v: &serde_json::Value) -> Option<serde_json::Map<String, serde_json::Value>> {
    let list = v.as_array()?;
    let key = ["id", "code", "no", "element"].into_iter().find(|k| list.first().is_some_and(|e| e.get(k).is_some()))?;
    let mut map = serde_json::Map::new();
    for e in list {
        let id = match e.get(key)? {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        map.insert(id, e.clone());
    }
    Some(map)
}

/// Create a project under `by`'s company with the standards of `library`
/// (another project of the company, or the standard library), and `by` as
/// its first person.
pub fn create_project(store: &dyn Store, req: &NewProjectRequest, by: &User) -> SetupResult<Project> {
    if by.role != Role::CsAdmin || by.company.is_empty() {
        return Err(SetupError::Forbidden("only a CS center account of a company can create projects".into()));
    }
    walkthrough_core::ids::check_code("a project id", req.id.as_str()).map_err(SetupError::Invalid)?;
    if store.load_doc(&DocKey::Project(req.id.clone()))?.is_some() {
        return Err(SetupError::Invalid(format!("a project with the id {} already exists; choose another id", req.id)));
    }
    let company_projects = store.company_projects(&by.company)?;
    let library = match &req.library {
        Some(id) if !company_projects.contains(id) => {
            return Err(SetupError::Invalid(format!("project {id} is not a project of your company")))
        }
        Some(id) => read_project(store, id)?,
        None => walkthrough_fixtures::demo_project(),
    };
    // The organisation as the company's projects name it.
    let sibling = match company_projects.first() {
        Some(id) => Some(read_project(store, id)?),
        None => None,
    };
    let (group, company) = match sibling {
        Some(p) => (p.group, p.company),
        None => {
            let node =
                OrgNode { id: CompanyId::new(by.company.as_str()), name: I18nText::new(&by.company, &by.company) };
            (node.clone(), node)
        }
    };
    let mut project = new_project(
        req.id.clone(),
        req.name.clone(),
        group,
        company,
        req.handover_date,
        req.time_zone.as_deref().unwrap_or(walkthrough_core::time::DEFAULT_ZONE.name()),
        Some(&library),
    )
    .map_err(SetupError::Invalid)?;
    project.people.insert(
        by.id.clone(),
        Person { id: by.id.clone(), name: by.name.clone(), role: Role::CsAdmin, org: String::new(), contractor: None },
    );
    let mut doc =
        ProjectDoc::import(&project, &by.id, chrono::Utc::now()).map_err(|e| SetupError::Invalid(e.to_string()))?;
    let heads = crate::sync::heads_hex(&doc.heads()).join(",");
    let key = DocKey::Project(project.id.clone());
    store.write_doc(&DocWrite { key: &key, bytes: &doc.save(), is_new: true, heads: &heads, rows: None })?;
    store.set_project_company(&project.id, &CompanyId::new(by.company.as_str()))?;
    store.create_user(by, std::slice::from_ref(&project.id))?;
    record_act(
        store,
        &project.id,
        &by.id,
        "setup",
        &format!("project {} created (handover {})", project.id, project.handover_date),
        serde_json::json!({ "op": "create_project", "handover_date": project.handover_date }),
    )?;
    Ok(project)
}

/// A password to hand to a person, from an alphabet without look-alikes.
fn temporary_password() -> SetupResult<String> {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut bytes = [0u8; 12];
    getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
    Ok(bytes.iter().map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char).collect())
}

fn account(user: &User, person: Option<&Person>, projects: Vec<ProjectId>) -> PersonAccount {
    PersonAccount {
        id: user.id.clone(),
        username: user.username.clone(),
        name: user.name.clone(),
        role: user.role,
        org: person.map(|p| p.org.clone()).unwrap_or_default(),
        disabled: user.disabled,
        projects,
    }
}

/// The accounts of a project's people, with their state.
pub fn people(store: &dyn Store, project: &ProjectId) -> SetupResult<Vec<PersonAccount>> {
    let model = read_project(store, project)?;
    store
        .project_users(project)?
        .iter()
        .map(|u| Ok(account(u, model.people.get(&u.id), store.user_projects(&u.id)?)))
        .collect()
}

/// Invite a person: an account with a temporary password (or, for an
/// existing account of the company, this project added to its scope), and
/// the person in the project document so round plans can name them.
pub fn invite(
    store: &dyn Store,
    project: &ProjectId,
    req: &InviteRequest,
    by: &User,
) -> SetupResult<TemporaryPassword> {
    let username = req.username.trim();
    walkthrough_core::ids::check_code("a username", username).map_err(SetupError::Invalid)?;
    if req.name.trim().is_empty() {
        return Err(SetupError::Invalid("the person's name is required".into()));
    }
    if req.role == Role::Contractor {
        return Err(SetupError::Invalid(
            "contractors are not invited as accounts; they receive their rectification lists by link".into(),
        ));
    }
    let existing = store.user_by_name(username)?;
    let mut role_changed = false;
    let (user, password) = match existing {
        Some(u) if u.company != by.company => {
            return Err(SetupError::Invalid(format!("the username {username} is taken; choose another")))
        }
        Some(u) => {
            role_changed = u.role != req.role;
            (User { name: req.name.trim().to_owned(), role: req.role, ..u }, None)
        }
        None => {
            let password = temporary_password()?;
            let user = User {
                id: UserId::new(username),
                username: username.to_owned(),
                name: req.name.trim().to_owned(),
                role: req.role,
                company: by.company.clone(),
                password_hash: hash_password(&password)?,
                disabled: false,
            };
            (user, Some(password))
        }
    };
    let person = Person {
        id: user.id.clone(),
        name: user.name.clone(),
        role: user.role,
        org: req.org.trim().to_owned(),
        contractor: None,
    };
    edit_project(store, project, &by.id, |p| ProjectEdit::PutPerson { person: person.clone() }.apply(p))?;
    store.create_user(&user, std::slice::from_ref(project))?;
    if role_changed {
        // A new role: the account's sign-ins (with the old role's rights) end.
        store.revoke_tokens(&user.id)?;
    }
    if password.is_some() {
        // A temporary password: changed at the first sign-in.
        store.set_must_change_password(&user.id, true)?;
    }
    let role = serde_json::to_value(user.role).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default();
    record_act(
        store,
        project,
        &by.id,
        "people",
        &format!("{} ({}) invited as {role}", user.id, user.name),
        serde_json::json!({ "user": user.id, "name": user.name, "role": role }),
    )?;
    Ok(TemporaryPassword {
        user: account(&user, Some(&person), store.user_projects(&user.id)?),
        password: password.unwrap_or_default(),
    })
}

/// What the console may not do to another CS admin's account: reset its
/// password, disable it, or change its role — that would let one CS admin
/// take over (or lock out) another. The account itself changes its own
/// password (`POST /auth/password`); the server's operator does the rest
/// with `walkthrough-server reset-password|disable|invite`. `what` is
/// "reset", "disable", "enable" or the role an invitation asks for.
pub fn console_may_change(store: &dyn Store, target: &str, what: &str, by: &User) -> SetupResult<()> {
    let Some(u) = store.user_by_name(target)?.or(store.user_by_id(&UserId::new(target))?) else { return Ok(()) };
    if u.role != Role::CsAdmin || u.id == by.id {
        return Ok(());
    }
    let refused = match what {
        "reset" => Some("reset the password of"),
        "disable" => Some("disable"),
        "enable" => None,
        role if role != "cs_admin" => Some("change the role of"),
        _ => None,
    };
    match refused {
        Some(action) => Err(SetupError::Forbidden(format!(
            "a CS admin cannot {action} another CS admin's account ({}); the account's owner changes their own \
             password, and the server's operator can do this with walkthrough-server",
            u.username
        ))),
        None => Ok(()),
    }
}

fn project_user(store: &dyn Store, project: &ProjectId, user: &UserId) -> SetupResult<User> {
    store
        .project_users(project)?
        .into_iter()
        .find(|u| &u.id == user)
        .ok_or_else(|| SetupError::NotFound(format!("{user} has no account in project {project}")))
}

/// A new temporary password; every existing sign-in of the account ends.
pub fn reset_password(
    store: &dyn Store,
    project: &ProjectId,
    user: &UserId,
    by: &UserId,
) -> SetupResult<TemporaryPassword> {
    let u = project_user(store, project, user)?;
    let password = temporary_password()?;
    store.set_password_hash(&u.id, &hash_password(&password)?)?;
    store.set_must_change_password(&u.id, true)?;
    store.revoke_tokens(&u.id)?;
    record_act(
        store,
        project,
        by,
        "people",
        &format!("password of {user} reset"),
        serde_json::json!({ "user": user }),
    )?;
    let model = read_project(store, project)?;
    Ok(TemporaryPassword { user: account(&u, model.people.get(user), store.user_projects(user)?), password })
}

/// Disable (or enable) an account. A disabled account is refused on its
/// next request, sync included; its tablet keeps what it has not synced.
pub fn set_disabled(
    store: &dyn Store,
    project: &ProjectId,
    user: &UserId,
    disabled: bool,
    by: &UserId,
) -> SetupResult<()> {
    if user == by && disabled {
        return Err(SetupError::Invalid("you cannot disable your own account".into()));
    }
    project_user(store, project, user)?;
    store.set_disabled(user, disabled)?;
    // Both ways: a disabled account's sign-ins do not come back with it.
    store.revoke_tokens(user)?;
    record_act(
        store,
        project,
        by,
        "people",
        &format!("account {user} {}", if disabled { "disabled" } else { "enabled" }),
        serde_json::json!({ "user": user, "old": { "disabled": !disabled }, "new": { "disabled": disabled } }),
    )?;
    Ok(())
}

/// Store a unit type's floor plan by content hash and point the unit type
/// at it; tablets fetch it from `/api/v1/blobs/{hash}`. A PNG or JPEG is
/// kept as it is; a PDF's first page is drawn to a PNG (`pdf_first_page`)
/// and that image is kept, so every screen and sheet can draw it under the
/// pins. Nothing is stored when the file is refused.
pub fn set_floor_plan(
    store: &dyn Store,
    project: &ProjectId,
    unit_type: &UnitTypeId,
    bytes: &[u8],
    by: &UserId,
) -> SetupResult<PhotoHash> {
    let mime = walkthrough_client::photos::validate_floor_plan(bytes)
        .map_err(|e| SetupError::Invalid(format!("a floor plan must be a PNG or JPEG image or a PDF: {e}")))?;
    // The unit type must exist before anything is drawn or stored.
    let model = read_project(store, project)?;
    if !model.unit_types.contains_key(unit_type) {
        return Err(SetupError::Invalid(format!("unit type `{unit_type}` does not exist")));
    }
    let rendered;
    let (bytes, mime) = if mime == "application/pdf" {
        rendered = pdf_first_page(bytes)?;
        let mime = walkthrough_client::photos::validate_floor_plan(&rendered)
            .map_err(|e| SetupError::Invalid(format!("the PDF's first page could not be turned into an image: {e}")))?;
        (rendered.as_slice(), mime)
    } else {
        (bytes, mime)
    };
    let hash = walkthrough_client::photos::hash_bytes(bytes);
    store.put_blob(&hash, mime, bytes)?;
    store.add_blob_owner(&hash, &format!("project:{project}"))?;
    apply_edits(
        store,
        project,
        &[ProjectEdit::SetFloorPlan { unit_type: unit_type.clone(), floor_plan: hash.0.clone() }],
        by,
    )?;
    Ok(hash)
}

/// The longer side, in pixels, of a PDF plan's first page drawn as an image.
pub const PDF_PLAN_EDGE: u32 = 2000;
/// How long drawing a PDF plan may take before it is given up.
pub const PDF_PLAN_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(20);
/// The largest image a PDF plan may become (a 2000 px PNG is far smaller).
const PDF_PLAN_MAX_PNG: u64 = 48 << 20;

/// The program that draws PDF pages: poppler's `pdftoppm` (Debian package
/// poppler-utils), or the one `WALKTHROUGH_PDFTOPPM` names.
fn pdftoppm() -> std::ffi::OsString {
    std::env::var_os("WALKTHROUGH_PDFTOPPM").unwrap_or_else(|| "pdftoppm".into())
}

/// The first page of `pdf` as a PNG of at most `PDF_PLAN_EDGE` pixels a
/// side, drawn by `pdftoppm` through pipes (no files), stopped after
/// `PDF_PLAN_TIMEOUT`; a PDF it cannot draw, or a missing `pdftoppm`, is
/// refused in words.
pub fn pdf_first_page(pdf: &[u8]) -> SetupResult<Vec<u8>> {
    use std::io::{Read, Write};
    use std::process::{Command, Stdio};
    let edge = PDF_PLAN_EDGE.to_string();
    let mut child = Command::new(pdftoppm())
        // The PDF from stdin ("-"); with no output name the PNG goes to stdout.
        .args(["-f", "1", "-l", "1", "-singlefile", "-png", "-scale-to", edge.as_str(), "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                SetupError::Invalid(
                    "PDF floor plans cannot be read on this server: pdftoppm (Debian's poppler-utils) is not \
                     installed. Upload the plan as a PNG or JPEG image, or ask the administrator to install \
                     poppler-utils."
                        .into(),
                )
            } else {
                SetupError::Other(anyhow::anyhow!("starting pdftoppm: {e}"))
            }
        })?;
    let (mut stdin, stdout, stderr) =
        (child.stdin.take().expect("piped"), child.stdout.take().expect("piped"), child.stderr.take().expect("piped"));
    let input = pdf.to_vec();
    // Written and read on their own threads, so a full pipe never stalls us.
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let reader = std::thread::spawn(move || {
        let mut out = Vec::new();
        let _ = stdout.take(PDF_PLAN_MAX_PNG + 1).read_to_end(&mut out);
        out
    });
    let errors = std::thread::spawn(move || {
        let mut out = String::new();
        let _ = stderr.take(16 << 10).read_to_string(&mut out);
        out
    });
    let started = std::time::Instant::now();
    let status = loop {
        match child.try_wait().map_err(|e| SetupError::Other(anyhow::anyhow!("waiting for pdftoppm: {e}")))? {
            Some(status) => break Some(status),
            None if started.elapsed() > PDF_PLAN_TIMEOUT => {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            None => std::thread::sleep(std::time::Duration::from_millis(20)),
        }
    };
    let _ = writer.join();
    let png = reader.join().unwrap_or_default();
    let errors = errors.join().unwrap_or_default();
    let Some(status) = status else {
        return Err(SetupError::Invalid(format!(
            "the PDF's first page took longer than {} seconds to draw; export the plan as a PNG or JPEG image",
            PDF_PLAN_TIMEOUT.as_secs()
        )));
    };
    if png.len() as u64 > PDF_PLAN_MAX_PNG {
        return Err(SetupError::Invalid("the PDF's first page makes an image too large to keep".into()));
    }
    if !status.success() || png.is_empty() {
        // pdftoppm's last line says what was wrong ("Couldn't find trailer dictionary").
        let why = errors.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("no page could be drawn").trim();
        return Err(SetupError::Invalid(format!(
            "the PDF cannot be read as a floor plan: its first page could not be drawn ({why})"
        )));
    }
    Ok(png)
}

#[cfg(test)]
mod tests {
    use super::changes;
    use serde_json::json;

    #[test]
    fn changes_name_each_changed_field_and_map_entry_with_old_and_new() {
        let before = json!({ "name": "A", "categories": { "c1": { "hours": 24 }, "c2": { "hours": 48 } }, "same": 1 });
        let after = json!({ "name": "B", "categories": { "c1": { "hours": 72 }, "c2": { "hours": 48 }, "c3": { "hours": 1 } }, "same": 1 });
        assert_eq!(
            changes(&before, &after),
            vec![
                json!({ "field": "categories", "key": "c1", "old": { "hours": 24 }, "new": { "hours": 72 } }),
                json!({ "field": "categories", "key": "c3", "old": null, "new": { "hours": 1 } }),
                json!({ "field": "name", "old": "A", "new": "B" }),
            ]
        );
        // Lists of entities, as the model's JSON holds them, by id.
        let before = json!({ "contractors": [{ "id": "c1", "phone": "1" }, { "id": "c2", "phone": "2" }] });
        let after = json!({ "contractors": [{ "id": "c1", "phone": "9" }, { "id": "c2", "phone": "2" }] });
        assert_eq!(
            changes(&before, &after),
            vec![
                json!({ "field": "contractors", "key": "c1", "old": { "id": "c1", "phone": "1" }, "new": { "id": "c1", "phone": "9" } })
            ]
        );
    }
}
