//! `walkthrough-sim`: headless tablets against a real server.
//!
//! Every inspector of the project's round plan gets a tablet (its own store,
//! photo folder and sign-in). Each round the tablets work at the same time
//! on their assigned units (pairs overlap), entirely offline; one tries to
//! sync while the network is down and keeps its work; then all sync and
//! upload their photos. The office (a CS-center account) dispatches and the
//! contractors report fixes; the next round rechecks everything open. At the
//! end every replica must agree with the server, or the exit code is 1.
//!
//!   walkthrough-sim --server http://127.0.0.1:8080 [--project hj-lanting]
//!                   [--password demo] [--rounds 3] [--seed 7] [--lang zh-CN|en]
//!                   [--ca-file COMPANY-CA.pem]
//!
//! Over HTTPS the server's certificate is checked against the system's
//! roots plus the CA file (`--ca-file`, else `WALKTHROUGH_CA_FILE`).

use anyhow::{bail, Context};
use std::collections::BTreeMap;
use walkthrough_client::photos::PhotoDir;
use walkthrough_client::sync::{SyncClient, SyncError, SyncReport};
use walkthrough_client::Store;
use walkthrough_core::doc::{DocKey, UnitDoc, UnitRecord};
use walkthrough_core::kpi::{round_kpis, ReportInput};
use walkthrough_core::model::{Lang, Project, Role};
use walkthrough_core::*;
use walkthrough_fixtures::simulate::{Behaviour, Simulation, Units};

struct Tablet {
    user: UserId,
    store: Store,
    client: SyncClient,
    photos: PhotoDir,
    report: SyncReport,
}

/// A tablet's store as the simulation's unit documents.
struct TabletUnits<'a> {
    store: &'a mut Store,
    project: ProjectId,
    units: Vec<UnitId>,
}

fn core_err(e: walkthrough_client::Error) -> walkthrough_core::Error {
    match e {
        walkthrough_client::Error::Core(e) => e,
        other => walkthrough_core::Error::Invalid(other.to_string()),
    }
}

impl Units for TabletUnits<'_> {
    fn unit_ids(&self) -> Vec<UnitId> {
        self.units.clone()
    }
    fn read(&mut self, unit: &UnitId) -> walkthrough_core::Result<UnitRecord> {
        let key = DocKey::Unit(self.project.clone(), unit.clone());
        if !self.store.has_doc(&key).map_err(core_err)? {
            return UnitDoc::genesis(&self.project, unit).read();
        }
        self.store.unit(&self.project, unit).map_err(core_err)
    }
    fn edit(
        &mut self,
        unit: &UnitId,
        action: &mut dyn FnMut(&mut UnitDoc) -> walkthrough_core::Result<()>,
    ) -> walkthrough_core::Result<()> {
        self.store.edit_unit(&self.project, unit, |doc| action(doc)).map_err(core_err)
    }
}

fn add(total: &mut SyncReport, r: &SyncReport) {
    total.round_trips += r.round_trips;
    total.docs_sent += r.docs_sent;
    total.docs_received += r.docs_received;
    total.bytes_up += r.bytes_up;
    total.bytes_down += r.bytes_down;
    total.photos_uploaded += r.photos_uploaded;
}

impl Tablet {
    fn open(
        dir: &std::path::Path,
        server: &str,
        ca_file: Option<&std::path::Path>,
        user: &UserId,
        password: &str,
    ) -> anyhow::Result<Self> {
        let root = dir.join(user.as_str());
        std::fs::create_dir_all(&root)?;
        let store = Store::open(&root.join("tablet.sqlite"))?;
        // Each simulated tablet names itself after its inspector in the server's histories.
        store.set_device_name(&format!("sim-{user}"))?;
        let mut client = SyncClient::with_ca_file(server, ca_file);
        client.login(user.as_str(), password).with_context(|| format!("{user} cannot sign in"))?;
        Ok(Self {
            user: user.clone(),
            store,
            client,
            photos: PhotoDir::new(root.join("photos"))?,
            report: SyncReport::default(),
        })
    }

    fn sync(&mut self, project: &ProjectId) -> anyhow::Result<()> {
        let r = self.client.sync(&mut self.store, project, &mut |_| {})?;
        add(&mut self.report, &r);
        let r = self.client.upload_photos(&self.store, &self.photos, &mut |_| {})?;
        add(&mut self.report, &r);
        Ok(())
    }
}

/// Headless tablets against a real server: inspectors play rounds of the
/// project; exit code 1 when any replica disagrees with the server.
#[derive(clap::Parser)]
#[command(name = "walkthrough-sim", version = env!("CARGO_PKG_VERSION"))]
struct Cli {
    /// The server, e.g. http://127.0.0.1:8080.
    #[arg(long, value_name = "URL")]
    server: String,
    #[arg(long, default_value = "hj-lanting")]
    project: String,
    /// The password of the project's accounts.
    #[arg(long, default_value = "demo")]
    password: String,
    #[arg(long, default_value_t = 3)]
    rounds: u32,
    /// The random seed of the inspectors' findings.
    #[arg(long, default_value_t = 7)]
    seed: u64,
    /// zh-CN or en (default: from LANG).
    #[arg(long)]
    lang: Option<String>,
    /// A company CA (PEM) trusted besides the system's roots (default: WALKTHROUGH_CA_FILE).
    #[arg(long, value_name = "FILE")]
    ca_file: Option<std::path::PathBuf>,
}

fn main() -> anyhow::Result<()> {
    let cli = <Cli as clap::Parser>::parse();
    let (server, project_id, password, rounds, seed) =
        (cli.server, ProjectId::new(cli.project), cli.password, cli.rounds, cli.seed);
    let ca_file = cli.ca_file.or_else(walkthrough_client::tls::ca_file_from_env);
    let lang_name = cli.lang.unwrap_or_else(|| std::env::var("LANG").unwrap_or_default());
    let lang = if lang_name.starts_with("zh") { Lang::Zh } else { Lang::En };
    let t = |zh: &'static str, en: &'static str| if lang == Lang::Zh { zh } else { en };
    let dir = tempfile::tempdir()?;

    // The office first: it learns the project and who inspects.
    let office_user = UserId::new("u-cs-wang");
    let mut office = Tablet::open(dir.path(), &server, ca_file.as_deref(), &office_user, &password)?;
    office.sync(&project_id)?;
    let project: Project = (*office.store.project(&project_id)?).clone();
    let inspectors: Vec<UserId> = project
        .people
        .values()
        .filter(|p| {
            p.role == Role::Inspector
                && project.rounds.values().any(|r| r.assignments.iter().any(|a| a.inspector == p.id))
        })
        .map(|p| p.id.clone())
        .collect();
    println!(
        "{} — {} {} {}",
        project.name.get(lang),
        inspectors.len(),
        t("台平板", "tablets"),
        t("开始模拟验房", "start the mock inspection")
    );
    let mut tablets: Vec<Tablet> = inspectors
        .iter()
        .map(|u| Tablet::open(dir.path(), &server, ca_file.as_deref(), u, &password))
        .collect::<anyhow::Result<_>>()?;
    let photo_files = walkthrough_fixtures::demo_photos()?;
    for tab in &mut tablets {
        tab.sync(&project_id)?;
        for (_, path) in &photo_files {
            let ingested = tab.photos.ingest(&std::fs::read(path)?)?;
            tab.store.record_photo(&ingested)?;
        }
    }
    let photo_hashes: Vec<PhotoHash> = photo_files.iter().map(|(h, _)| h.clone()).collect();

    for round in (1..=rounds).map(RoundNo).filter(|r| project.rounds.contains_key(r)) {
        // All tablets at once, offline while they work.
        let results: Vec<anyhow::Result<(Tablet, u64)>> = std::thread::scope(|scope| {
            let handles: Vec<_> = tablets
                .drain(..)
                .enumerate()
                .map(|(i, mut tab)| {
                    let (project, photos, pid) = (&project, photo_hashes.clone(), project_id.clone());
                    scope.spawn(move || -> anyhow::Result<(Tablet, u64)> {
                        let units: Vec<UnitId> = project.assigned_units(round, &tab.user).into_iter().collect();
                        let behaviour = Behaviour { photos, office: false, ..Behaviour::default() };
                        let store_units = TabletUnits { store: &mut tab.store, project: pid.clone(), units };
                        let mut sim = Simulation::with_units(
                            project,
                            store_units,
                            seed + i as u64 * 1000 + u64::from(round.0),
                            behaviour,
                        );
                        sim.play_round_as(round, Some(&tab.user))?;
                        let defects = sim.counters().defects;
                        // Still in the basement: the sync fails, the work stays.
                        let offline = SyncClient::new("http://127.0.0.1:9").with_token("none");
                        let mut offline = offline;
                        offline.attempts = 1;
                        match offline.sync(&mut tab.store, &pid, &mut |_| {}) {
                            Err(SyncError::Offline(_)) => {}
                            other => bail!("expected to be offline, got {other:?}"),
                        }
                        tab.sync(&pid)?;
                        Ok((tab, defects))
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().expect("tablet thread")).collect()
        });
        let mut found = 0;
        for r in results {
            let (tab, n) = r?;
            found += n;
            tablets.push(tab);
        }
        // The office dispatches; contractors report; everyone syncs.
        office.sync(&project_id)?;
        let office_units = TabletUnits {
            store: &mut office.store,
            project: project_id.clone(),
            units: project.units.keys().cloned().collect(),
        };
        // The office's events are by the CS-center account that syncs them
        // (the server checks every author).
        let office_behaviour = Behaviour { office_user: Some(office_user.clone()), ..Behaviour::default() };
        let mut sim = Simulation::with_units(&project, office_units, seed + 99 + u64::from(round.0), office_behaviour);
        sim.office_round(round)?;
        office.sync(&project_id)?;
        for tab in &mut tablets {
            tab.sync(&project_id)?;
        }
        let rows = office.store.report_rows(&project_id)?;
        let input = ReportInput {
            units_total: project.units.len() as u32,
            defects: &rows.defects,
            rechecks: &rows.rechecks,
            units: &rows.rounds,
        };
        let k = round_kpis(&input, round, chrono::Utc::now());
        let own = k.own_rechecks();
        println!(
            "{}: {} {} {}; {} {} / {} {} / {} {}",
            if lang == Lang::Zh { format!("第{round}轮") } else { format!("Round {round}") },
            found,
            t("个新问题, 已查", "new defects, units inspected"),
            k.summary.units_inspected,
            t("复查通过", "rechecks passed"),
            own.passed,
            t("仍不合格", "failed again"),
            own.failed_again,
            t("未关闭", "open"),
            k.summary.open_defects
        );
    }

    // Everyone syncs once more, then every replica must match the office,
    // which holds the server's state.
    office.sync(&project_id)?;
    for tab in &mut tablets {
        tab.sync(&project_id)?;
    }
    let mut disagreements = 0;
    let mut office_units: BTreeMap<UnitId, UnitRecord> = BTreeMap::new();
    for key in office.store.doc_keys(&project_id)? {
        if let DocKey::Unit(_, u) = key {
            office_units.insert(u.clone(), office.store.unit(&project_id, &u)?);
        }
    }
    for tab in &mut tablets {
        for key in tab.store.doc_keys(&project_id)? {
            let DocKey::Unit(_, u) = &key else { continue };
            if office_units.get(u) != Some(&tab.store.unit(&project_id, u)?) {
                eprintln!("{}: unit {u} differs from the server", tab.user);
                disagreements += 1;
            }
        }
        if !tab.store.dirty_docs(&project_id)?.is_empty() || !tab.store.pending_photos()?.is_empty() {
            eprintln!("{}: unsynced work left", tab.user);
            disagreements += 1;
        }
    }
    let mut total = office.report.clone();
    for tab in &tablets {
        add(&mut total, &tab.report);
    }
    let defects: usize = office_units.values().map(|u| u.defects.len()).sum();
    let photos: usize = office_units.values().flat_map(|u| u.defects.values()).map(|d| d.photos.len()).sum();
    println!(
        "{}: {} {}, {} {}, {} {}; {} {}, {} KB {}, {} KB {}, {} {}",
        t("汇总", "Summary"),
        office_units.len(),
        t("个户文档", "unit documents"),
        defects,
        t("个问题", "defects"),
        photos,
        t("张标注照片", "marked photos"),
        total.photos_uploaded,
        t("次照片上传", "photo uploads"),
        total.bytes_up / 1024,
        t("上行", "up"),
        total.bytes_down / 1024,
        t("下行", "down"),
        total.round_trips,
        t("次往返", "round trips")
    );
    if disagreements > 0 {
        eprintln!("{disagreements} replica(s) disagree with the server");
        std::process::exit(1);
    }
    println!("{}", t("所有平板与服务器一致。", "Every tablet agrees with the server."));
    Ok(())
}
