//! `walkthrough-server`: serve, or set up projects and accounts (clap;
//! `--help` lists the commands, `COMMAND --help` their options).
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
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;
use std::sync::Arc;
use walkthrough_core::model::{I18nText, Role};
use walkthrough_core::setup::ProjectEdit;
use walkthrough_core::wire::{ColumnMapping, EditRequest, InviteRequest, NewProjectRequest};
use walkthrough_core::{ProjectId, UnitTypeId, UserId};
use walkthrough_server::store::{Store, User};
use walkthrough_server::{config::Settings, import, seed, setup, store::SqliteStore, AppState};

/// The workspace's version, as `--version` prints it.
const VERSION: &str = env!("CARGO_PKG_VERSION");

#[derive(Parser)]
#[command(
    name = "walkthrough-server",
    version = VERSION,
    about = "The Walkthrough server: serve, or set up projects and accounts",
    after_help = "Settings: defaults, then the TOML file (--config or WALKTHROUGH_CONFIG; see \
                  walkthrough.sample.toml), then WALKTHROUGH_* variables. See the README."
)]
struct Cli {
    /// The settings file (TOML).
    #[arg(long, global = true, value_name = "FILE", env = "WALKTHROUGH_CONFIG")]
    config: Option<PathBuf>,
    /// How log lines are written to stderr: `text` (for people) or `json` (one object a line).
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text, env = "WALKTHROUGH_LOG_FORMAT")]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Serve the API, the console and the contractor page.
    Serve,
    /// Import the demo project, with accounts whose password is "demo" (or --password).
    SeedDemo {
        #[arg(long, default_value = seed::DEMO_PASSWORD)]
        password: String,
    },
    /// Import a project file (the fixtures format).
    Import {
        #[arg(value_name = "PROJECT.json")]
        file: PathBuf,
        /// The password of the imported accounts.
        #[arg(long, default_value = seed::DEMO_PASSWORD)]
        password: String,
    },
    /// Add units from a CSV or XLSX unit list.
    ImportUnits {
        project: String,
        #[arg(value_name = "FILE.csv|FILE.xlsx")]
        file: String,
        /// Which columns hold what: header=3,building=楼号,entrance=单元,floor=层,number=房号,unit_type=户型,unit=编号
        #[arg(long)]
        map: Option<String>,
        /// Unit types the project does not have yet are added.
        #[arg(long)]
        new_unit_types: bool,
        #[arg(long, value_name = "USERNAME")]
        by: Option<String>,
    },
    /// Send open defects to their contractors.
    Dispatch { project: String },
    /// A contractor's page link (printed once).
    Link {
        project: String,
        contractor: String,
        /// How many days the link lasts (default: the `link_days` setting).
        #[arg(long)]
        days: Option<i64>,
    },
    /// Create a project (template items and categories from the standard library or --library).
    CreateProject {
        id: String,
        #[arg(long, value_name = "NAME")]
        name_zh: Option<String>,
        #[arg(long, value_name = "NAME")]
        name_en: Option<String>,
        /// The handover date, YYYY-MM-DD.
        #[arg(long, value_name = "YYYY-MM-DD")]
        handover: Option<String>,
        /// The CS-center account this is done as.
        #[arg(long, value_name = "USERNAME")]
        by: Option<String>,
        /// Copy templates and categories from this project.
        #[arg(long, value_name = "PROJECT")]
        library: Option<String>,
        /// The project's time zone, an IANA name (default Asia/Shanghai): its days are local days there.
        #[arg(long, value_name = "ZONE")]
        time_zone: Option<String>,
    },
    /// Apply a list of edits ({"op": "put_category", …}), all or none.
    Edit {
        project: String,
        #[arg(value_name = "EDITS.json")]
        file: String,
        #[arg(long, value_name = "USERNAME")]
        by: Option<String>,
    },
    /// Set a unit type's floor plan (PNG, JPEG or PDF).
    FloorPlan {
        project: String,
        unit_type: String,
        file: String,
        #[arg(long, value_name = "USERNAME")]
        by: Option<String>,
    },
    /// Invite an account (prints its temporary password).
    Invite {
        project: String,
        username: String,
        #[arg(long)]
        name: Option<String>,
        /// inspector, cs_admin or engineer.
        #[arg(long)]
        role: Option<String>,
        #[arg(long)]
        org: Option<String>,
        #[arg(long, value_name = "USERNAME")]
        by: Option<String>,
    },
    /// Give an account a new temporary password.
    ResetPassword(AccountArgs),
    /// Disable an account.
    Disable(AccountArgs),
    /// Enable a disabled account.
    Enable(AccountArgs),
    /// The project's setup history.
    History { project: String },
}

#[derive(Args)]
struct AccountArgs {
    project: String,
    username: String,
    #[arg(long, value_name = "USERNAME")]
    by: Option<String>,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

/// Log lines on stderr, at `RUST_LOG` (default info); colour only on a
/// terminal (and not with `NO_COLOR`).
fn init_logging(format: LogFormat) {
    use std::io::IsTerminal;
    let filter =
        tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info,tower_http=warn".into());
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    match format {
        LogFormat::Json => builder.json().flatten_event(true).with_current_span(false).init(),
        LogFormat::Text => {
            let colour = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
            builder.with_ansi(colour).init()
        }
    }
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    init_logging(cli.log_format);
    let config = cli.config;
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
    match cli.command {
        Cmd::Serve => {
            let store = Arc::new(open()?);
            let rt = tokio::runtime::Runtime::new()?;
            rt.block_on(async {
                let listener = tokio::net::TcpListener::bind(settings.listen)
                    .await
                    .with_context(|| format!("cannot listen on {}", settings.listen))?;
                let scheme = if settings.tls.enabled() { "https" } else { "http" };
                tracing::info!("listening on {scheme}://{}", listener.local_addr()?);
                let state = state_of(store, &settings)?;
                walkthrough_server::serve(listener, state, shutdown_signal()).await
            })
        }
        Cmd::SeedDemo { password } => {
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
        Cmd::Import { file, password } => {
            let dir = file.parent().unwrap_or(std::path::Path::new("."));
            let project =
                walkthrough_fixtures::load_project_file(&file).or_else(|_| walkthrough_fixtures::load_project(dir))?;
            let store = open()?;
            let new = seed::import_project(&store, &project, &password)?;
            println!("{} {}", if new { "imported" } else { "already present:" }, project.id);
            Ok(())
        }
        Cmd::ImportUnits { project, file, map, new_unit_types, by } => {
            // Not read whole when it is larger than any unit list can be.
            let size = std::fs::metadata(&file).with_context(|| format!("cannot read {file}"))?.len();
            if size > import::MAX_FILE_BYTES as u64 {
                bail!("{file} is {} MB; unit lists up to {} MB are accepted", size >> 20, import::MAX_FILE_BYTES >> 20);
            }
            let bytes = std::fs::read(&file).with_context(|| format!("cannot read {file}"))?;
            let mut mapping = parse_mapping(map.as_deref())?;
            mapping.new_unit_types = new_unit_types;
            let store = open()?;
            let project = ProjectId::new(project.as_str());
            let by = UserId::new(by.unwrap_or_else(|| "import".into()));
            let added = import::import_units(&store, &project, &bytes, &mapping, &by)?;
            println!("imported {added} unit(s) into {project}");
            Ok(())
        }
        Cmd::Dispatch { project } => {
            let project = walkthrough_core::ProjectId::new(project.as_str());
            let state = state_of(Arc::new(open()?), &settings)?;
            let done = walkthrough_server::dispatch::dispatch_project(&state, &project, &"cli".into())
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("dispatched {} defect(s); {} could not be routed", done.assigned, done.unroutable.len());
            for d in done.unroutable {
                println!("  no contractor for defect {d}: assign it by hand");
            }
            Ok(())
        }
        Cmd::Link { project, contractor, days } => {
            let store = Arc::new(open()?);
            let project = walkthrough_core::ProjectId::new(project.as_str());
            let state = state_of(store.clone(), &settings)?;
            let link = walkthrough_server::links::create_link(
                &state,
                &project,
                &walkthrough_core::ContractorId::new(contractor.as_str()),
                days.unwrap_or(settings.link_days),
                &"cli".into(),
            )
            .map_err(|e| anyhow::anyhow!("{e}"))?;
            // The expiry in the project's own time, as its people read it.
            let zone = walkthrough_server::setup::read_project(store.as_ref(), &project)
                .map(|p| p.zone())
                .unwrap_or(walkthrough_core::time::DEFAULT_ZONE);
            let expires = chrono::DateTime::from_timestamp_millis(link.expires_at)
                .map(|t| walkthrough_core::time::format_local(t, zone))
                .unwrap_or_default();
            println!("{}{}  (link {}, expires {expires})", settings.public_base_url(), link.path, link.id);
            Ok(())
        }
        Cmd::CreateProject { id, name_zh, name_en, handover, by, library, time_zone } => {
            let store = open()?;
            let by = cs_admin(&store, by)?;
            let handover = handover.context("--handover YYYY-MM-DD is required")?;
            let req = NewProjectRequest {
                id: ProjectId::new(id.as_str()),
                name: I18nText::new(name_zh.unwrap_or_default(), name_en.unwrap_or_default()),
                handover_date: handover
                    .parse()
                    .with_context(|| format!("--handover {handover:?} is not a date (YYYY-MM-DD)"))?,
                time_zone,
                library: library.map(ProjectId::new),
            };
            let p = setup::create_project(&store, &req, &by)?;
            println!(
                "created {} ({}) with {} template item(s) and {} categories",
                p.id,
                p.time_zone,
                p.templates.values().map(|t| t.items.len()).sum::<usize>(),
                p.categories.len()
            );
            Ok(())
        }
        Cmd::Edit { project, file, by } => {
            let text = std::fs::read_to_string(&file).with_context(|| format!("cannot read {file}"))?;
            let edits: Vec<ProjectEdit> = serde_json::from_str::<EditRequest>(&text)
                .map(|r| r.edits)
                .or_else(|_| serde_json::from_str(&text))
                .with_context(|| format!("{file} is not a list of edits"))?;
            let store = open()?;
            let by = cs_admin(&store, by)?;
            setup::apply_edits(&store, &ProjectId::new(project.as_str()), &edits, &by.id)?;
            println!("applied {} change(s) to {project}", edits.len());
            Ok(())
        }
        Cmd::FloorPlan { project, unit_type, file, by } => {
            let bytes = std::fs::read(&file).with_context(|| format!("cannot read {file}"))?;
            let store = open()?;
            let by = cs_admin(&store, by)?;
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
        Cmd::Invite { project, username, name, role, org, by } => {
            let role = role.context("--role inspector|cs_admin|engineer is required")?;
            let role: Role = serde_json::from_value(serde_json::Value::String(role.clone()))
                .map_err(|_| anyhow::anyhow!("--role {role:?} is not one of inspector, cs_admin, engineer"))?;
            let store = open()?;
            let by = cs_admin(&store, by)?;
            let req = InviteRequest {
                username: username.clone(),
                name: name.unwrap_or_default(),
                role,
                org: org.unwrap_or_default(),
            };
            let out = setup::invite(&store, &ProjectId::new(project.as_str()), &req, &by)?;
            if out.password.is_empty() {
                println!("{} now has {project} in scope (password unchanged)", out.user.username);
            } else {
                println!("invited {}; temporary password: {}", out.user.username, out.password);
            }
            Ok(())
        }
        Cmd::ResetPassword(AccountArgs { project, username, by }) => {
            let store = open()?;
            let by = cs_admin(&store, by)?;
            let project = ProjectId::new(project.as_str());
            let user = store.user_by_name(&username)?.with_context(|| format!("no account {username}"))?;
            let out = setup::reset_password(&store, &project, &user.id, &by.id)?;
            println!("new temporary password of {username}: {}", out.password);
            Ok(())
        }
        Cmd::Disable(account) => set_disabled(&open()?, account, true),
        Cmd::Enable(account) => set_disabled(&open()?, account, false),
        Cmd::History { project } => {
            let store = open()?;
            let project = ProjectId::new(project.as_str());
            // Times as the project's people read them, in its zone.
            let zone = setup::read_project(&store, &project)?.zone();
            for h in setup::history(&store, &project)? {
                let at = chrono::DateTime::parse_from_rfc3339(&h.at)
                    .map(|t| walkthrough_core::time::format_local(t.with_timezone(&chrono::Utc), zone))
                    .unwrap_or_else(|_| h.at.clone());
                println!("{at}  {:<16} {}", h.by, h.what);
            }
            Ok(())
        }
    }
}

/// `disable` / `enable PROJECT USERNAME --by U`.
fn set_disabled(store: &SqliteStore, account: AccountArgs, disabled: bool) -> anyhow::Result<()> {
    let AccountArgs { project, username, by } = account;
    let by = cs_admin(store, by)?;
    let user = store.user_by_name(&username)?.with_context(|| format!("no account {username}"))?;
    setup::set_disabled(store, &ProjectId::new(project.as_str()), &user.id, disabled, &by.id)?;
    println!("{username} {}", if disabled { "disabled" } else { "enabled" });
    Ok(())
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
        let raw = v.trim();
        let v = Some(raw.to_owned());
        match k.trim() {
            "header" => {
                let row = raw.parse::<usize>().ok().filter(|&r| r >= 1);
                m.header_row = Some(row.with_context(|| format!("--map: header={raw} is not a row number"))?);
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

/// Ctrl-C, or SIGTERM (what systemd and `kill` send): the server stops
/// accepting and finishes the requests in flight.
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(term) => term,
            Err(e) => {
                tracing::warn!("cannot watch for SIGTERM ({e}); only Ctrl-C stops the server cleanly");
                let _ = tokio::signal::ctrl_c().await;
                return;
            }
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => tracing::info!("SIGTERM: finishing the requests in flight"),
        }
    }
    #[cfg(not(unix))]
    let _ = tokio::signal::ctrl_c().await;
}
