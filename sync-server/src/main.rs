//! `walkthrough-server`: serve, or set up projects and accounts.
//!
//!   walkthrough-server serve [--config FILE]
//!   walkthrough-server seed-demo [--config FILE]      the demo project, accounts with password "demo"
//!   walkthrough-server import PROJECT.json [--config FILE] [--password P]
//!   walkthrough-server dispatch PROJECT                 send open defects to their contractors
//!   walkthrough-server link PROJECT CONTRACTOR [--days N]   a contractor's page link
//!
//! Project setup, the same code path as the CS center's console (`setup`
//! and `import` modules); `--by USERNAME` names the CS admin it is done as
//! and is recorded in the history:
//!   create-project ID --name-zh N --name-en N --handover YYYY-MM-DD --by U [--library PROJECT]
//!   import-units PROJECT FILE.csv|FILE.xlsx [--map header=3,building=楼号,entrance=单元,floor=层,…] [--new-unit-types] [--by U]
//!   edit PROJECT EDITS.json --by U              a list of edits ({"op": "put_category", …}), all or none
//!   floor-plan PROJECT UNIT_TYPE FILE --by U     PNG, JPEG or PDF
//!   invite PROJECT USERNAME --name N --role inspector|cs_admin|engineer [--org O] --by U
//!   reset-password|disable|enable PROJECT USERNAME --by U
//!   history PROJECT

use anyhow::{bail, Context};
use std::path::PathBuf;
use std::sync::Arc;
use walkthrough_core::model::{I18nText, Role};
use walkthrough_core::setup::ProjectEdit;
use walkthrough_core::wire::{ColumnMapping, EditRequest, InviteRequest, NewProjectRequest};
use walkthrough_core::{ProjectId, UnitTypeId, UserId};
use walkthrough_server::store::{Store, User};
use walkthrough_server::{config::Settings, import, seed, setup, store::SqliteStore, AppState};

fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info,tower_http=info".into()),
        )
        .init();
    let mut args = std::env::args().skip(1);
    let command = args.next().unwrap_or_else(|| "help".into());
    let mut config: Option<PathBuf> = std::env::var_os("WALKTHROUGH_CONFIG").map(PathBuf::from);
    let mut password = seed::DEMO_PASSWORD.to_owned();
    let mut days: Option<i64> = None;
    let mut positional = Vec::new();
    let mut options = std::collections::HashMap::new();
    let mut new_unit_types = false;
    while let Some(a) = args.next() {
        match a.as_str() {
            "--config" => config = Some(args.next().context("--config needs a file")?.into()),
            "--password" => password = args.next().context("--password needs a value")?,
            "--days" => {
                days = Some(args.next().context("--days needs a number")?.parse().context("--days needs a number")?)
            }
            "--new-unit-types" => new_unit_types = true,
            "--name-zh" | "--name-en" | "--handover" | "--by" | "--library" | "--map" | "--name" | "--role"
            | "--org" => {
                let v = args.next().with_context(|| format!("{a} needs a value"))?;
                options.insert(a.trim_start_matches("--").to_owned(), v);
            }
            _ if a.starts_with("--") => bail!("unknown option {a}; see `walkthrough-server help`"),
            _ => positional.push(a),
        }
    }
    let option = |name: &str| options.get(name).cloned();
    let mut settings = Settings::load(config.as_deref())?;
    // The server and its commands (e.g. `link`) derive link secrets from one key.
    settings.link_key_file = Some(settings.link_key_path());
    let state_of = |store: Arc<SqliteStore>, settings: &Settings| -> anyhow::Result<AppState> {
        AppState::try_new(store, settings.clone()).map_err(|e| anyhow::anyhow!(e))
    };
    let open = || -> anyhow::Result<SqliteStore> {
        SqliteStore::open(&settings.database)
            .with_context(|| format!("cannot open the database {}", settings.database.display()))
    };
    match command.as_str() {
        "serve" => {
            let store = Arc::new(open()?);
            let rt = tokio::runtime::Runtime::new()?;
            rt.block_on(async {
                let listener = tokio::net::TcpListener::bind(settings.listen)
                    .await
                    .with_context(|| format!("cannot listen on {}", settings.listen))?;
                let scheme = if settings.tls.enabled() { "https" } else { "http" };
                tracing::info!("listening on {scheme}://{}", listener.local_addr()?);
                let state = state_of(store, &settings)?;
                walkthrough_server::serve(listener, state, async {
                    let _ = tokio::signal::ctrl_c().await;
                })
                .await
            })
        }
        "seed-demo" => {
            let store = open()?;
            let project = walkthrough_fixtures::demo_project();
            let new = seed::import_project(&store, &project, &password)?;
            println!(
                "{} {} ({} units); accounts: {} (password {password:?})",
                if new { "imported" } else { "already present:" },
                project.id,
                project.units.len(),
                project.people.keys().map(|p| p.0.as_str()).collect::<Vec<_>>().join(", ")
            );
            Ok(())
        }
        "import" => {
            let file = positional.first().context("import needs a project file (fixtures format)")?;
            let dir = std::path::Path::new(file).parent().unwrap_or(std::path::Path::new("."));
            let project = walkthrough_fixtures::load_project_file(std::path::Path::new(file))
                .or_else(|_| walkthrough_fixtures::load_project(dir))?;
            let store = open()?;
            let new = seed::import_project(&store, &project, &password)?;
            println!("{} {}", if new { "imported" } else { "already present:" }, project.id);
            Ok(())
        }
        "import-units" => {
            let (Some(project), Some(file)) = (positional.first(), positional.get(1)) else {
                bail!("usage: walkthrough-server import-units PROJECT FILE.csv|FILE.xlsx [--map building=楼号,…]");
            };
            // Not read whole when it is larger than any unit list can be.
            let size = std::fs::metadata(file).with_context(|| format!("cannot read {file}"))?.len();
            if size > import::MAX_FILE_BYTES as u64 {
                bail!("{file} is {} MB; unit lists up to {} MB are accepted", size >> 20, import::MAX_FILE_BYTES >> 20);
            }
            let bytes = std::fs::read(file).with_context(|| format!("cannot read {file}"))?;
            let mut mapping = parse_mapping(option("map").as_deref())?;
            mapping.new_unit_types = new_unit_types;
            let store = open()?;
            let project = ProjectId::new(project.as_str());
            let by = UserId::new(option("by").unwrap_or_else(|| "import".into()));
            let added = import::import_units(&store, &project, &bytes, &mapping, &by)?;
            println!("imported {added} unit(s) into {project}");
            Ok(())
        }
        "dispatch" => {
            let project = walkthrough_core::ProjectId::new(
                positional.first().context("usage: walkthrough-server dispatch PROJECT")?.as_str(),
            );
            let state = state_of(Arc::new(open()?), &settings)?;
            let done = walkthrough_server::dispatch::dispatch_project(&state, &project, &"cli".into())
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("dispatched {} defect(s); {} could not be routed", done.assigned, done.unroutable.len());
            for d in done.unroutable {
                println!("  no contractor for defect {d}: assign it by hand");
            }
            Ok(())
        }
        "link" => {
            let (Some(project), Some(contractor)) = (positional.first(), positional.get(1)) else {
                bail!("usage: walkthrough-server link PROJECT CONTRACTOR [--days N]");
            };
            let state = state_of(Arc::new(open()?), &settings)?;
            let link = walkthrough_server::links::create_link(
                &state,
                &walkthrough_core::ProjectId::new(project.as_str()),
                &walkthrough_core::ContractorId::new(contractor.as_str()),
                days.unwrap_or(settings.link_days),
                &"cli".into(),
            )
            .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!(
                "http://{}{}  (link {}, expires {})",
                settings.listen,
                link.path,
                link.id,
                chrono::DateTime::from_timestamp_millis(link.expires_at).map(|t| t.to_rfc3339()).unwrap_or_default()
            );
            Ok(())
        }
        "create-project" => {
            let id = positional.first().context("create-project needs a project id")?;
            let store = open()?;
            let by = cs_admin(&store, option("by"))?;
            let handover = option("handover").context("--handover YYYY-MM-DD is required")?;
            let req = NewProjectRequest {
                id: ProjectId::new(id.as_str()),
                name: I18nText::new(option("name-zh").unwrap_or_default(), option("name-en").unwrap_or_default()),
                handover_date: handover
                    .parse()
                    .with_context(|| format!("--handover {handover:?} is not a date (YYYY-MM-DD)"))?,
                library: option("library").map(ProjectId::new),
            };
            let p = setup::create_project(&store, &req, &by)?;
            println!(
                "created {} with {} template item(s) and {} categories",
                p.id,
                p.templates.values().map(|t| t.items.len()).sum::<usize>(),
                p.categories.len()
            );
            Ok(())
        }
        "edit" => {
            let (Some(project), Some(file)) = (positional.first(), positional.get(1)) else {
                bail!("usage: walkthrough-server edit PROJECT EDITS.json --by USERNAME");
            };
            let text = std::fs::read_to_string(file).with_context(|| format!("cannot read {file}"))?;
            let edits: Vec<ProjectEdit> = serde_json::from_str::<EditRequest>(&text)
                .map(|r| r.edits)
                .or_else(|_| serde_json::from_str(&text))
                .with_context(|| format!("{file} is not a list of edits"))?;
            let store = open()?;
            let by = cs_admin(&store, option("by"))?;
            setup::apply_edits(&store, &ProjectId::new(project.as_str()), &edits, &by.id)?;
            println!("applied {} change(s) to {project}", edits.len());
            Ok(())
        }
        "floor-plan" => {
            let [project, unit_type, file] = positional.as_slice() else {
                bail!("usage: walkthrough-server floor-plan PROJECT UNIT_TYPE FILE --by USERNAME");
            };
            let bytes = std::fs::read(file).with_context(|| format!("cannot read {file}"))?;
            let store = open()?;
            let by = cs_admin(&store, option("by"))?;
            let hash = setup::set_floor_plan(
                &store,
                &ProjectId::new(project.as_str()),
                &UnitTypeId::new(unit_type.as_str()),
                &bytes,
                &by.id,
            )?;
            println!("floor plan of {unit_type}: {hash}");
            Ok(())
        }
        "invite" => {
            let [project, username] = positional.as_slice() else {
                bail!("usage: walkthrough-server invite PROJECT USERNAME --name NAME --role ROLE --by USERNAME");
            };
            let role = option("role").context("--role inspector|cs_admin|engineer is required")?;
            let role: Role = serde_json::from_value(serde_json::Value::String(role.clone()))
                .map_err(|_| anyhow::anyhow!("--role {role:?} is not one of inspector, cs_admin, engineer"))?;
            let store = open()?;
            let by = cs_admin(&store, option("by"))?;
            let req = InviteRequest {
                username: username.clone(),
                name: option("name").unwrap_or_default(),
                role,
                org: option("org").unwrap_or_default(),
            };
            let out = setup::invite(&store, &ProjectId::new(project.as_str()), &req, &by)?;
            if out.password.is_empty() {
                println!("{} now has {project} in scope (password unchanged)", out.user.username);
            } else {
                println!("invited {}; temporary password: {}", out.user.username, out.password);
            }
            Ok(())
        }
        "reset-password" | "disable" | "enable" => {
            let [project, username] = positional.as_slice() else {
                bail!("usage: walkthrough-server {command} PROJECT USERNAME --by USERNAME");
            };
            let store = open()?;
            let by = cs_admin(&store, option("by"))?;
            let project = ProjectId::new(project.as_str());
            let user = store.user_by_name(username)?.with_context(|| format!("no account {username}"))?;
            if command == "reset-password" {
                let out = setup::reset_password(&store, &project, &user.id, &by.id)?;
                println!("new temporary password of {username}: {}", out.password);
            } else {
                setup::set_disabled(&store, &project, &user.id, command == "disable", &by.id)?;
                println!("{username} {command}d");
            }
            Ok(())
        }
        "history" => {
            let project = positional.first().context("history needs a project id")?;
            for h in setup::history(&open()?, &ProjectId::new(project.as_str()))? {
                println!("{}  {:<16} {}", h.at, h.by, h.what);
            }
            Ok(())
        }
        _ => {
            println!("usage: walkthrough-server serve|seed-demo|import FILE|import-units PROJECT FILE|dispatch PROJECT|link PROJECT CONTRACTOR [--days N]|create-project ID|edit PROJECT FILE|floor-plan PROJECT TYPE FILE|invite PROJECT USER|reset-password|disable|enable PROJECT USER|history PROJECT [--config FILE] (see the README)");
            Ok(())
        }
    }
}

/// The CS admin a command is done as (`--by USERNAME`).
fn cs_admin(store: &SqliteStore, by: Option<String>) -> anyhow::Result<User> {
    let by = by.context("--by USERNAME is required: the CS-center account this change is made as")?;
    let user = store.user_by_name(&by)?.with_context(|| format!("there is no account {by:?}"))?;
    if user.role != Role::CsAdmin || user.disabled {
        bail!("{by} is not an active CS-center account");
    }
    Ok(user)
}

/// `header=3,building=楼号,entrance=单元,floor=层,number=房号,unit_type=户型,unit=编号`
fn parse_mapping(text: Option<&str>) -> anyhow::Result<ColumnMapping> {
    let mut m = ColumnMapping::default();
    for pair in text.unwrap_or("").split(',').filter(|p| !p.trim().is_empty()) {
        let (k, v) = pair.split_once('=').with_context(|| format!("--map: {pair:?} is not column=header"))?;
        let v = Some(v.trim().to_owned());
        match k.trim() {
            "header" => {
                let row = v.as_deref().and_then(|r| r.parse::<usize>().ok()).filter(|&r| r >= 1);
                m.header_row =
                    Some(row.with_context(|| format!("--map: header={} is not a row number", v.unwrap_or_default()))?);
            }
            "building" => m.building = v,
            "entrance" => m.entrance = v,
            "floor" => m.floor = v,
            "number" => m.number = v,
            "unit_type" => m.unit_type = v,
            "unit" => m.unit = v,
            other => bail!("--map: {other:?} is not header, building, entrance, floor, number, unit_type or unit"),
        }
    }
    Ok(m)
}
