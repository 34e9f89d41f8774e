//! Putting a project on the server: its document from the fixtures format,
//! and accounts for its people. Used by `walkthrough-server seed-demo` and
//! `import`, and by tests.

use crate::auth::hash_password;
use crate::store::{DocWrite, Store, User};
use walkthrough_core::doc::{DocKey, ProjectDoc};
use walkthrough_core::model::Project;
use walkthrough_core::*;

/// The password every demo account gets.
pub const DEMO_PASSWORD: &str = "demo";

/// Store `project` (if the server does not have it yet) and an account for
/// each of its people with `password`. Returns whether the project was new.
pub fn import_project(store: &dyn Store, project: &Project, password: &str) -> anyhow::Result<bool> {
    project.validate()?;
    let key = DocKey::Project(project.id.clone());
    let new = store.load_doc(&key)?.is_none();
    if new {
        walkthrough_core::setup::check_project_codes(project).map_err(|e| anyhow::anyhow!(e))?;
        let mut doc = ProjectDoc::import(project, &UserId::new("import"), chrono::Utc::now())?;
        let heads = doc.heads().iter().map(|h| h.to_string()).collect::<Vec<_>>().join(",");
        store.write_doc(&DocWrite { key: &key, bytes: &doc.save(), is_new: true, heads: &heads, rows: None })?;
    }
    store.set_project_company(&project.id, &project.company.id)?;
    let hash = hash_password(password)?;
    for person in project.people.values() {
        if person.role == walkthrough_core::model::Role::Contractor {
            // Contractors use links, never accounts.
            tracing::warn!(person = %person.id, "no account for a contractor-role person: contractors use links");
            continue;
        }
        let user = User {
            id: person.id.clone(),
            username: person.id.0.clone(),
            name: person.name.clone(),
            role: person.role,
            company: project.company.id.0.clone(),
            password_hash: hash.clone(),
            disabled: false,
        };
        store.create_user(&user, std::slice::from_ref(&project.id))?;
    }
    Ok(new)
}

/// Store unit documents made elsewhere (a simulation, a benchmark) as new
/// documents of `project`, each with its read-model rows.
pub fn store_units<'a>(
    store: &dyn Store,
    project: &Project,
    units: impl IntoIterator<Item = (&'a UnitId, &'a mut walkthrough_core::doc::UnitDoc)>,
) -> anyhow::Result<()> {
    for (unit, doc) in units {
        let rows = walkthrough_core::kpi::unit_rows(project, &doc.read()?);
        let heads = crate::sync::heads_hex(&doc.heads()).join(",");
        let key = DocKey::Unit(project.id.clone(), unit.clone());
        store.write_doc(&DocWrite { key: &key, bytes: &doc.save(), is_new: true, heads: &heads, rows: Some(&rows) })?;
    }
    Ok(())
}
