//! `walkthrough-server`: serve, or set up projects and accounts.
//!
//!   walkthrough-server serve [--config FILE]
//!   walkthrough-server seed-demo [--config FILE]      the demo project, accounts with password "demo"
//!   walkthrough-server import PROJECT.json [--config FILE] [--password P]
//!   walkthrough-server dispatch PROJECT                 send open defects to their contractors
//!   walkthrough-server link PROJECT CONTRACTOR [--days N]   a contractor's page link

use anyhow::{bail, Context};
use std::path::PathBuf;
use std::sync::Arc;
use walkthrough_server::{config::Settings, seed, store::SqliteStore, AppState};

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
    while let Some(a) = args.next() {
        match a.as_str() {
            "--config" => config = Some(args.next().context("--config needs a file")?.into()),
            "--password" => password = args.next().context("--password needs a value")?,
            "--days" => {
                days = Some(args.next().context("--days needs a number")?.parse().context("--days needs a number")?)
            }
            _ if a.starts_with("--") => bail!("unknown option {a}; see `walkthrough-server help`"),
            _ => positional.push(a),
        }
    }
    let settings = Settings::load(config.as_deref())?;
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
                tracing::info!("listening on http://{}", listener.local_addr()?);
                let state = AppState::new(store, settings.clone());
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
                bail!("usage: walkthrough-server import-units PROJECT FILE.csv|FILE.xlsx");
            };
            let bytes = std::fs::read(file).with_context(|| format!("cannot read {file}"))?;
            let store = open()?;
            let project = walkthrough_core::ProjectId::new(project.as_str());
            let added = walkthrough_server::import::import_units(&store, &project, &bytes, &"import".into())?;
            println!("imported {added} unit(s) into {project}");
            Ok(())
        }
        "dispatch" => {
            let project = walkthrough_core::ProjectId::new(
                positional.first().context("usage: walkthrough-server dispatch PROJECT")?.as_str(),
            );
            let state = AppState::new(Arc::new(open()?), settings.clone());
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
            let state = AppState::new(Arc::new(open()?), settings.clone());
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
        _ => {
            println!("usage: walkthrough-server serve|seed-demo|import FILE|import-units PROJECT FILE|dispatch PROJECT|link PROJECT CONTRACTOR [--days N] [--config FILE] [--password P]");
            Ok(())
        }
    }
}
