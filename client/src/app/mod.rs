//! The tablet app without its window: every operation the inspector's
//! screens offer, over the store, the photo pipeline and the sync client.
//!
//! The Tauri app passes each call from the UI to [`App::call`] by name; the
//! same list of commands (the `commands!` invocation below) generates the
//! dispatch and the typed TypeScript functions in `ui/app/bindings.ts`
//! ([`bindings`]), so a renamed argument or changed type breaks the build or
//! the bindings test, never a tablet in the field.
//!
//! Everything an inspector records is committed to SQLite before the call
//! returns; nothing waits for a network.

pub mod view;

use crate::photos::{PhotoDir, Variant};
use crate::sync::{Progress, SyncClient, SyncError};
use crate::Store;
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use ts_rs::TS;
use view::*;
use walkthrough_core::defect::{DefectEvent, EventKind, Mark, Photo};
use walkthrough_core::doc::DefectEdit;
use walkthrough_core::model::{Point, Project, ResultKey, Severity};
use walkthrough_core::rules::{self, Outcome};
use walkthrough_core::time::Time;
use walkthrough_core::wire::LoginResponse;
use walkthrough_core::*;

/// An error as the UI shows it: a kind the UI translates, and the detail in
/// words. Never a stack trace; the form being filled stays open.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS, thiserror::Error)]
#[error("{message}")]
pub struct AppError {
    /// offline, certificate, auth, password (a temporary password must be
    /// changed first), photo, invalid, not_signed_in, internal.
    pub kind: String,
    pub message: String,
}

impl AppError {
    fn new(kind: &str, message: impl Into<String>) -> Self {
        Self { kind: kind.into(), message: message.into() }
    }
    fn invalid(message: impl Into<String>) -> Self {
        Self::new("invalid", message)
    }
}

impl From<crate::Error> for AppError {
    fn from(e: crate::Error) -> Self {
        match e {
            crate::Error::Photo(m) => AppError::new("photo", m),
            crate::Error::Core(walkthrough_core::Error::Invalid(m)) => AppError::invalid(m),
            crate::Error::Core(e) => AppError::invalid(e.to_string()),
            e => AppError::new("internal", e.to_string()),
        }
    }
}

impl From<walkthrough_core::Error> for AppError {
    fn from(e: walkthrough_core::Error) -> Self {
        crate::Error::from(e).into()
    }
}

impl From<SyncError> for AppError {
    fn from(e: SyncError) -> Self {
        match e {
            SyncError::Offline(_) => AppError::new("offline", e.to_string()),
            SyncError::Certificate(_) => AppError::new("certificate", e.to_string()),
            SyncError::Rejected { status: 401 | 403 | 429, message } => AppError::new("auth", message),
            SyncError::Store(e) => e.into(),
            e => AppError::new("internal", e.to_string()),
        }
    }
}

type Res<T> = std::result::Result<T, AppError>;

/// The store's key of the company certificate (a [`CompanyCaRecord`] as JSON; empty: none).
const COMPANY_CA: &str = "company_ca";

/// A company's own certificate authority, chosen on the sign-in screen and
/// kept as its PEM text (the file it came from may be gone later).
#[derive(Clone, Debug, Serialize, Deserialize)]
struct CompanyCaRecord {
    file_name: String,
    pem: String,
    /// What the status shows, worked out once when it was chosen.
    certificates: u32,
    fingerprint: String,
    added_ms: i64,
}

/// The sign-in this tablet keeps (in its store, so it survives restarts).
#[derive(Clone, Debug, Serialize, Deserialize)]
struct SessionRecord {
    server: String,
    login: LoginResponse,
}

impl SessionRecord {
    fn writer(&self) -> walkthrough_core::doc::check::Writer {
        walkthrough_core::doc::check::Writer { user: self.login.user.id.clone(), role: self.login.user.role }
    }
}

/// The tablet: its store, photos and sign-in.
pub struct App {
    store: Store,
    photos: PhotoDir,
    clock: Arc<dyn Fn() -> Time + Send + Sync>,
    sync: SyncState,
    progress: Arc<dyn Fn(SyncProgress) + Send + Sync>,
    /// Photos and floor plans for offline work are downloading now.
    downloading: bool,
    /// Units whose opening is recorded (`Store::mark_opened`), so it is
    /// written once.
    opened: std::collections::HashSet<(String, String)>,
}

/// Declares the commands the UI may call: generates [`App::call`] (dispatch
/// by name with JSON arguments) and the TypeScript functions.
///
/// A command marked `#[network(f)]` talks to the server: it runs as `f(app,
/// …)`, which takes the app only for short turns and never across a
/// request; every other command runs with the app held.
macro_rules! commands {
    ($( $(#[network($via:ident)])? $(#[doc = $doc:literal])* $name:ident ( $( $arg:ident : $ty:ty ),* ) -> $ret:ty; )*) => {
        /// Run the command `name` with its arguments as a JSON object, on
        /// an app reached through `app`.
        pub fn call_via(app: &impl AppAccess, name: &str, args: serde_json::Value) -> Res<serde_json::Value> {
            match name {
                $(stringify!($name) => {
                    #[derive(Deserialize)]
                    #[allow(non_camel_case_types)]
                    struct $name { $( $arg: $ty ),* }
                    #[allow(unused_variables)]
                    let a: $name = serde_json::from_value(args)
                        .map_err(|e| AppError::invalid(format!("{}: {e}", stringify!($name))))?;
                    let out: $ret = run_command!(app, $name, [$($via)?], $( a.$arg ),*)?;
                    serde_json::to_value(out).map_err(|e| AppError::new("internal", e.to_string()))
                })*
                other => Err(AppError::invalid(format!("there is no command {other:?}"))),
            }
        }

        impl App {
            /// Run the command `name` with its arguments as a JSON object.
            pub fn call(&mut self, name: &str, args: serde_json::Value) -> Res<serde_json::Value> {
                call_via(&Direct::new(self), name, args)
            }
        }

        /// The TypeScript function of each command.
        fn command_bindings(cfg: &ts_rs::Config) -> String {
            let mut out = String::new();
            $(
                let docs: &[&str] = &[$($doc),*];
                if !docs.is_empty() {
                    out.push_str("/**");
                    for d in docs { out.push_str("\n *"); out.push_str(d); }
                    out.push_str("\n */\n");
                }
                let params: Vec<String> = vec![$( format!("{}: {}", stringify!($arg), <$ty as TS>::name(cfg)) ),*];
                let names: Vec<&str> = vec![$( stringify!($arg) ),*];
                out.push_str(&format!(
                    "export function {}({}): Promise<{}> {{\n  return call('{}', {{ {} }});\n}}\n\n",
                    camel(stringify!($name)), params.join(", "), <$ret as TS>::name(cfg), stringify!($name), names.join(", ")
                ));
            )*
            out
        }
    };
}

macro_rules! run_command {
    ($app:ident, $name:ident, [], $($arg:expr),*) => {
        $app.with_app(|app| app.$name($($arg),*))
    };
    ($app:ident, $name:ident, [$via:ident], $($arg:expr),*) => {
        $via($app, $($arg),*)
    };
}

commands! {
    /// Who is signed in, the projects, and the state of sync.
    status() -> AppStatus;
    #[network(sign_in_via)]
    /// Sign in against a server (once; the tablet then works offline) and sync.
    sign_in(server: String, username: String, password: String) -> AppStatus;
    #[network(sign_out_via)]
    /// Forget the sign-in. Refused while work is not synced.
    sign_out() -> AppStatus;
    #[network(change_password_via)]
    /// Change the password (a temporary one must be changed at the first
    /// sign-in), then sync.
    change_password(old_password: String, new_password: String) -> AppStatus;
    /// The units of a project in a round, by building and floor.
    unit_grid(project: String, round: u32) -> UnitGrid;
    /// One unit in one round: rooms, checklist, defects, recheck queue.
    open_unit(project: String, unit: String, round: u32) -> UnitView;
    /// Pass, fail or not applicable for one checklist line (none clears it).
    set_result(project: String, unit: String, round: u32, room: String, item: String, outcome: Option<String>) -> UnitView;
    /// A new defect for a checklist line, prefilled from the item and routing.
    draft_defect(project: String, unit: String, round: u32, room: String, item: Option<String>) -> DefectForm;
    /// Record a new defect or save changes to one. Returns its id.
    save_defect(project: String, unit: String, round: u32, form: DefectForm) -> String;
    /// Take a photo (JPEG or PNG, base64): stored, thumbnailed and queued for
    /// upload at once. Returns its hash, for a defect form or a recheck.
    take_photo(data: String) -> String;
    #[network(photo_via)]
    /// A photo (or a floor-plan image) as a data URL: "thumb", "preview" or
    /// "original", or why it is not on this tablet. An original not here is
    /// fetched when the server can be reached; the preview is shown meanwhile.
    photo(hash: String, variant: String) -> PhotoData;
    /// Recheck an earlier defect: passed, or failed again with a note (and a photo).
    /// `photo` is the hash of a photo taken with `take_photo`.
    recheck(project: String, unit: String, round: u32, defect: String, passed: bool, note: String, photo: Option<String>) -> UnitView;
    /// Withdraw a defect recorded in error, with the reason: it leaves every
    /// list and count and stays in the history.
    withdraw_defect(project: String, unit: String, round: u32, defect: String, reason: String) -> UnitView;
    /// Trust a company's own certificate authority (its certificate, PEM, as
    /// text or a data URL) for every sync from now on, kept in the store.
    /// Refused in words, and nothing kept, when it is not one.
    set_company_ca(file_name: String, data: String) -> AppStatus;
    /// Trust the system's certificate authorities only again.
    clear_company_ca() -> AppStatus;
    #[network(sync_via)]
    /// Sync now: documents both ways, then photos up, then the photos and
    /// floor plans for offline work down. While a sync runs, another
    /// returns the status at once.
    sync_now() -> AppStatus;
}

/// Bring a defect's photos and their marks from `old` to `photos`: attach
/// new photos, delete marks that were removed, write marks that are new or
/// moved. One mechanism for a new defect (nothing old) and an edited one.
fn write_photos(
    doc: &mut walkthrough_core::doc::UnitDoc,
    defect: DefectId,
    old: &BTreeMap<PhotoHash, Photo>,
    photos: &[(PhotoHash, Vec<Mark>)],
    by: &UserId,
    at: Time,
) -> walkthrough_core::Result<()> {
    for (hash, marks) in photos {
        let current = old.get(hash).map(|p| p.marks.clone()).unwrap_or_default();
        if !old.contains_key(hash) {
            doc.add_photo(
                defect,
                &Photo { hash: hash.clone(), added_by: by.clone(), added_at: at, marks: Default::default() },
            )?;
        }
        for old_mark in current.keys() {
            if !marks.iter().any(|m| &m.id == old_mark) {
                doc.delete_mark(defect, hash, *old_mark, by, at)?;
            }
        }
        for m in marks {
            if current.get(&m.id) != Some(m) {
                doc.put_mark(defect, hash, m, by, at)?;
            }
        }
    }
    Ok(())
}

fn camel(snake: &str) -> String {
    let mut out = String::new();
    let mut up = false;
    for c in snake.chars() {
        if c == '_' {
            up = true;
        } else if up {
            out.extend(c.to_uppercase());
            up = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// `ui/app/bindings.ts`: the view types and one typed function per command.
pub fn bindings() -> String {
    let cfg = ts_rs::Config::default();
    let mut out = String::from(
        "// Generated from client/src/app (cargo test -p walkthrough-client --test bindings).\n\
         // Do not edit: change the Rust types, then run with WALKTHROUGH_UPDATE_BINDINGS=1.\n\n\
         import { call } from './ipc.js';\n\n",
    );
    macro_rules! decls {
        ($($t:ty),*) => {$(
            out.push_str("export ");
            out.push_str(&<$t as TS>::decl(&cfg));
            out.push_str("\n\n");
        )*};
    }
    decls!(
        AppError,
        Text,
        Session,
        ProjectSummary,
        RoundSummary,
        SyncState,
        OfflineView,
        TrustView,
        CompanyCaView,
        AppStatus,
        SyncProgress,
        UnitGrid,
        BuildingGrid,
        FloorRow,
        UnitCell,
        StatusCounts,
        UnitView,
        RoomView,
        ItemView,
        RecheckItem,
        FixReport,
        RiskView,
        PhotoData,
        Choices,
        Choice,
        DefectView,
        Pin,
        PhotoView,
        MarkView,
        ShapeView,
        HistoryEntry,
        DefectForm
    );
    out.push_str(&command_bindings(&cfg));
    out
}

impl App {
    /// Open (or create) the tablet's data in `dir`.
    pub fn open(dir: &Path) -> Res<Self> {
        std::fs::create_dir_all(dir).map_err(|e| AppError::new("internal", format!("{}: {e}", dir.display())))?;
        let store = Store::open(&dir.join("tablet.sqlite"))?;
        let photos = PhotoDir::new(dir.join("photos"))?;
        let mut app = Self {
            store,
            photos,
            clock: Arc::new(chrono::Utc::now),
            sync: SyncState::default(),
            progress: Arc::new(|_| {}),
            downloading: false,
            opened: Default::default(),
        };
        if let Some(ms) = app.store.meta("last_sync_ms")? {
            app.sync.last_sync_ms = ms.parse().ok();
        }
        let writer = app.session()?.map(|s| s.writer());
        app.store.set_writer(writer)?;
        Ok(app)
    }

    /// Where sync progress goes (the Tauri app sends it to the window).
    pub fn on_progress(&mut self, f: impl Fn(SyncProgress) + Send + Sync + 'static) {
        self.progress = Arc::new(f);
    }

    /// Use another clock (tests).
    pub fn set_clock(&mut self, f: impl Fn() -> Time + Send + Sync + 'static) {
        self.clock = Arc::new(f);
    }

    pub fn store(&mut self) -> &mut Store {
        &mut self.store
    }

    /// Name this tablet for the server's histories and device list
    /// (otherwise its hostname); sent with the next sync. Returns the name
    /// as kept (trimmed), or why it cannot be one.
    pub fn set_device_name(&mut self, name: String) -> Res<String> {
        Ok(self.store.set_device_name(&name)?)
    }

    /// The time events are dated by: the device's clock corrected by its
    /// offset from the server's at the last sync (see `defect.rs`).
    fn now(&self) -> Time {
        self.store.server_time((self.clock)())
    }

    fn session(&self) -> Res<Option<SessionRecord>> {
        match self.store.meta("session")? {
            Some(json) => Ok(serde_json::from_str(&json).ok()),
            None => Ok(None),
        }
    }

    fn me(&self) -> Res<UserId> {
        self.session()?
            .map(|s| s.login.user.id)
            .ok_or_else(|| AppError::new("not_signed_in", "sign in first: this tablet has no inspector"))
    }

    fn project(&mut self, id: &str) -> Res<Arc<Project>> {
        Ok(self.store.project(&ProjectId::new(id))?)
    }

    pub fn status(&mut self) -> Res<AppStatus> {
        let session = match self.session()? {
            Some(s) => {
                let me = s.login.user.id.clone();
                let now = self.now();
                let mut projects = Vec::new();
                for id in &s.login.user.projects {
                    let Ok(p) = self.store.project(id) else { continue };
                    projects.push(ProjectSummary {
                        id: id.to_string(),
                        name: Text::from(&p.name),
                        handover_date: p.handover_date.to_string(),
                        time_zone: p.time_zone.clone(),
                        rounds: p
                            .rounds
                            .values()
                            .map(|r| RoundSummary {
                                no: r.no.0,
                                start: r.start.to_string(),
                                due: r.due.to_string(),
                                my_units: p.assigned_units(r.no, &me).len() as u32,
                            })
                            .collect(),
                        current_round: rules::current_round(&p, now).map(|r| r.0),
                    });
                }
                Some(Session {
                    server: s.server.clone(),
                    user_id: me.to_string(),
                    name: s.login.user.name.clone(),
                    role: format!("{:?}", s.login.user.role).to_lowercase(),
                    projects,
                    must_change_password: s.login.must_change_password,
                })
            }
            None => None,
        };
        let mut sync = self.sync.clone();
        sync.pending_changes = 0;
        if let Some(s) = &session {
            for p in &s.projects {
                sync.pending_changes += self.store.dirty_docs(&ProjectId::new(&p.id))?.len() as u32;
            }
        }
        sync.pending_photos = self.store.pending_photos()?.len() as u32;
        let held = self.store.offline_counts()?;
        let budget = self.store.meta(crate::offline::BUDGET_KEY)?.and_then(|b| b.parse().ok());
        sync.offline = OfflineView {
            wanted: held.wanted as u32,
            held: held.held as u32,
            over_budget: held.over_budget as u32,
            missing: held.missing as u32,
            bytes: held.bytes as f64,
            budget_bytes: budget.unwrap_or(crate::offline::DEFAULT_BUDGET_BYTES) as f64,
            running: self.downloading,
        };
        Ok(AppStatus { session, sync, trust: self.trust_view()? })
    }

    /// The company certificate kept in the store, if any.
    fn company_ca(&self) -> Res<Option<CompanyCaRecord>> {
        match self.store.meta(COMPANY_CA)? {
            Some(json) if !json.is_empty() => Ok(serde_json::from_str(&json).ok()),
            _ => Ok(None),
        }
    }

    fn trust_view(&self) -> Res<TrustView> {
        let company_ca = self.company_ca()?.map(|ca| CompanyCaView {
            file_name: ca.file_name,
            certificates: ca.certificates,
            fingerprint: ca.fingerprint,
            added_ms: ca.added_ms as f64,
        });
        let ca_file_override = crate::tls::ca_file_from_env().map(|p| p.display().to_string());
        Ok(TrustView { company_ca, ca_file_override })
    }

    /// Check a company certificate and keep it: every sync after trusts it.
    pub fn set_company_ca(&mut self, file_name: String, data: String) -> Res<AppStatus> {
        let file_name = match file_name.trim() {
            "" => "the chosen file".to_owned(),
            name => name.chars().take(200).collect(),
        };
        if data.len() > crate::tls::MAX_CA_BYTES * 2 {
            return Err(AppError::invalid(format!(
                "{file_name} is too large for a certificate file (at most {} bytes)",
                crate::tls::MAX_CA_BYTES
            )));
        }
        // The window reads the file as a data URL, so a binary file arrives as it is.
        let bytes = match data.split_once(";base64,") {
            Some((_, b64)) => base64::engine::general_purpose::STANDARD
                .decode(b64.trim())
                .map_err(|_| AppError::invalid(format!("{file_name} could not be read (it arrived damaged)")))?,
            None => data.into_bytes(),
        };
        let certs = crate::tls::parse_ca_pem(&bytes, &file_name).map_err(AppError::invalid)?;
        // (Text around the PEM blocks that is not UTF-8 is no part of a certificate.)
        let pem = String::from_utf8_lossy(&bytes).into_owned();
        let record = CompanyCaRecord {
            file_name,
            pem,
            certificates: certs.len() as u32,
            fingerprint: crate::tls::fingerprint(&certs[0]),
            added_ms: crate::app::view::ms((self.clock)()) as i64,
        };
        self.store.set_meta(COMPANY_CA, &serde_json::to_string(&record).expect("serialisable"))?;
        self.status()
    }

    pub fn clear_company_ca(&mut self) -> Res<AppStatus> {
        self.store.set_meta(COMPANY_CA, "")?;
        self.status()
    }

    /// What this tablet trusts beside the system's roots:
    /// `WALKTHROUGH_CA_FILE` when set (a managed install overrides the
    /// tablet's choice), else the company certificate chosen on the sign-in
    /// screen; and what to tell the person when a certificate of another
    /// authority is refused.
    fn trust(&self) -> Res<(crate::tls::ExtraRoots, String)> {
        use crate::tls::ExtraRoots;
        let (roots, hint) = match (crate::tls::ca_file_from_env(), self.company_ca()?) {
            (Some(path), _) => {
                let hint = format!(
                    "this tablet trusts the CA file {} set by {} for a managed install, and that authority did \
                     not issue it: ask whoever manages this tablet",
                    path.display(),
                    crate::tls::CA_FILE_VAR
                );
                (ExtraRoots::File(path), hint)
            }
            (None, Some(ca)) => {
                let hint = format!(
                    "the company certificate chosen on this tablet ({}) did not issue it: choose the right \
                     certificate (CA, PEM) under \"Company certificate\"",
                    ca.file_name
                );
                let what = format!("the company certificate chosen on this tablet ({})", ca.file_name);
                (ExtraRoots::Pem { what, pem: ca.pem }, hint)
            }
            (None, None) => (
                ExtraRoots::None,
                "if your company has its own certificate authority, add its certificate (CA, PEM) on this \
                 tablet under \"Company certificate\""
                    .to_owned(),
            ),
        };
        Ok((roots, hint))
    }

    pub fn sign_in(&mut self, server: String, username: String, password: String) -> Res<AppStatus> {
        sign_in_via(&Direct::new(self), server, username, password)
    }

    /// Check a sign-in before it goes to the server: the server address
    /// normalised, or why not.
    fn sign_in_checks(&mut self, server: &str, username: &str, password: &str) -> Res<String> {
        let server = server.trim().trim_end_matches('/').to_owned();
        if !(server.starts_with("http://") || server.starts_with("https://")) {
            return Err(AppError::invalid(format!("{server:?} is not a server address: it starts with http://")));
        }
        if username.trim().is_empty() || password.is_empty() {
            return Err(AppError::invalid("enter your account and password"));
        }
        if let Some(old) = self.session()? {
            if old.login.user.id.as_str() != username.trim() && self.status()?.sync.pending_changes > 0 {
                return Err(AppError::invalid(format!(
                    "{} has work on this tablet that is not synced yet; sync it before another account signs in",
                    old.login.user.name
                )));
            }
        }
        Ok(server)
    }

    /// Keep a sign-in the server accepted.
    fn keep_session(&mut self, record: &SessionRecord) -> Res<()> {
        self.store.set_writer(Some(record.writer()))?;
        self.store.set_meta("session", &serde_json::to_string(record).expect("serialisable"))?;
        Ok(())
    }

    pub fn change_password(&mut self, old_password: String, new_password: String) -> Res<AppStatus> {
        change_password_via(&Direct::new(self), old_password, new_password)
    }

    pub fn sign_out(&mut self) -> Res<AppStatus> {
        sign_out_via(&Direct::new(self))
    }

    pub fn unit_grid(&mut self, project: String, round: u32) -> Res<UnitGrid> {
        let me = self.me()?;
        let p = self.project(&project)?;
        let pid = ProjectId::new(&project);
        let round = RoundNo(round);
        let statuses = self.store.unit_statuses(&pid, round)?;
        let open = self.store.open_defect_counts(&pid, round)?;
        let mine = p.assigned_units(round, &me);
        let mut counts = StatusCounts::default();
        let mut buildings: BTreeMap<&BuildingId, BTreeMap<i32, Vec<UnitCell>>> = BTreeMap::new();
        for u in p.units.values() {
            let status = statuses.get(&u.id).copied().unwrap_or(rules::UnitStatus::NotStarted);
            match status {
                rules::UnitStatus::NotStarted => counts.not_started += 1,
                rules::UnitStatus::InProgress => counts.in_progress += 1,
                rules::UnitStatus::Done => counts.done += 1,
                rules::UnitStatus::DoneWithOpenDefects => counts.done_with_open_defects += 1,
            }
            let open_defects = open.get(&u.id).copied().unwrap_or(0);
            counts.open_defects += open_defects;
            buildings.entry(&u.building).or_default().entry(u.floor).or_default().push(UnitCell {
                id: u.id.to_string(),
                number: u.number.clone(),
                status: status.as_str().into(),
                open_defects,
                assigned: mine.contains(&u.id),
            });
        }
        let buildings = buildings
            .into_iter()
            .map(|(id, floors)| BuildingGrid {
                id: id.to_string(),
                name: p.buildings.get(id).map(|b| Text::from(&b.name)).unwrap_or_default(),
                floors: floors
                    .into_iter()
                    .rev()
                    .map(|(floor, mut units)| {
                        units.sort_by(|a, b| a.number.cmp(&b.number));
                        FloorRow { floor, units }
                    })
                    .collect(),
            })
            .collect();
        Ok(UnitGrid { project, round: round.0, buildings, counts })
    }

    pub fn open_unit(&mut self, project: String, unit: String, round: u32) -> Res<UnitView> {
        let p = self.project(&project)?;
        let uid = UnitId::new(&unit);
        let u = p.units.get(&uid).ok_or_else(|| AppError::invalid(format!("unit {unit} is not in this project")))?;
        let ut = p.unit_type_of(&uid).ok_or_else(|| AppError::invalid(format!("unit {unit} has no unit type")))?;
        let round = RoundNo(round);
        let (record, writers) =
            if self.store.has_doc(&walkthrough_core::doc::DocKey::Unit(p.id.clone(), uid.clone()))? {
                self.store.unit_with_writers(&p.id, &uid)?
            } else {
                let empty = walkthrough_core::doc::UnitRecord {
                    project: p.id.clone(),
                    unit: uid.clone(),
                    results: Default::default(),
                    defects: Default::default(),
                };
                (empty, Default::default())
            };
        let mut by_item: HashMap<(String, String), Vec<String>> = HashMap::new();
        for d in record.defects.values().filter(|d| d.found_round == round) {
            if let Some(item) = &d.item {
                by_item.entry((d.room.to_string(), item.to_string())).or_default().push(d.id.to_string());
            }
        }
        let checklist = p.checklist(&uid);
        let rooms = ut
            .rooms
            .iter()
            .map(|room| RoomView {
                id: room.id.to_string(),
                kind: format!("{:?}", room.kind).to_lowercase(),
                name: Text::from(&room.name),
                outline: room.outline().into_iter().map(|p| Pin { x: p.x, y: p.y }).collect(),
                items: checklist
                    .iter()
                    .filter(|e| e.room.id == room.id)
                    .map(|e| {
                        let result = record.results.get(&(round, e.key()));
                        ItemView {
                            code: e.item.code.to_string(),
                            title: Text::from(&e.item.title),
                            standard: Text::from(&e.item.standard),
                            method: Text::from(&e.item.method),
                            outcome: result.filter(|r| r.outcome.is_checked()).map(|r| r.outcome.as_str().to_owned()),
                            by: result.map(|r| person_name(&p, &r.by)),
                            defects: by_item
                                .get(&(room.id.to_string(), e.item.code.to_string()))
                                .cloned()
                                .unwrap_or_default(),
                        }
                    })
                    .collect(),
            })
            .collect();
        if self.opened.insert((project.clone(), unit.clone())) {
            self.store.mark_opened(&p.id, &uid)?;
        }
        let missing = |h: &str| self.photo_missing(h);
        let names = self.store.device_names()?;
        let devices = HistoryDevices { writers: &writers, own: self.store.actor().to_hex_string(), names: &names };
        let mut defects: Vec<DefectView> =
            record.defects.values().map(|d| defect_view(&p, d, &missing, &devices)).collect();
        defects.sort_by(|a, b| b.found_at_ms.total_cmp(&a.found_at_ms).then(b.id.cmp(&a.id)));
        let recheck = record
            .recheck_queue(round)
            .into_iter()
            .map(|r| RecheckItem {
                defect: r.defect.to_string(),
                found_round: r.found_round.0,
                status: r.status.as_str().into(),
                done: r.done,
                fix_report: record.defects.get(&r.defect).and_then(|d| fix_report(&p, d, &missing)),
            })
            .collect();
        let text = |t: &walkthrough_core::model::I18nText| Text::from(t);
        let choices = Choices {
            categories: p
                .categories
                .values()
                .map(|c| Choice {
                    id: c.id.to_string(),
                    name: text(&c.name),
                    needs_reason: c.is_other,
                    severity: Some(c.severity.as_str().into()),
                })
                .collect(),
            trades: p
                .trades
                .values()
                .map(|t| Choice { id: t.id.to_string(), name: text(&t.name), needs_reason: false, severity: None })
                .collect(),
            contractors: p
                .contractors
                .values()
                .map(|c| Choice { id: c.id.to_string(), name: text(&c.name), needs_reason: false, severity: None })
                .collect(),
        };
        Ok(UnitView {
            project,
            unit,
            number: u.number.clone(),
            building: p.buildings.get(&u.building).map(|b| Text::from(&b.name)).unwrap_or_default(),
            floor: u.floor,
            unit_type: Text::from(&ut.name),
            round: round.0,
            status: record.status(&p, round).as_str().into(),
            floor_plan: ut.floor_plan.clone().filter(|h| crate::photos::is_hash(h)),
            rooms,
            defects,
            recheck,
            choices,
        })
    }

    pub fn set_result(
        &mut self,
        project: String,
        unit: String,
        round: u32,
        room: String,
        item: String,
        outcome: Option<String>,
    ) -> Res<UnitView> {
        let me = self.me()?;
        let p = self.project(&project)?;
        let uid = UnitId::new(&unit);
        let key = ResultKey { room: RoomId::new(&room), item: ItemCode::new(&item) };
        if !p.checklist(&uid).iter().any(|e| e.key() == key) {
            return Err(AppError::invalid(format!("{item} in {room} is not on this unit's checklist")));
        }
        let outcome = match outcome.as_deref() {
            None => Outcome::NotChecked,
            Some(s) => Outcome::parse(s).ok_or_else(|| AppError::invalid(format!("{s:?} is not a result")))?,
        };
        let at = self.now();
        self.store.edit_unit(&p.id, &uid, |doc| doc.record_result(RoundNo(round), &key, outcome, &me, at, None))?;
        self.open_unit(project, unit, round)
    }

    pub fn draft_defect(
        &mut self,
        project: String,
        unit: String,
        round: u32,
        room: String,
        item: Option<String>,
    ) -> Res<DefectForm> {
        let me = self.me()?;
        let p = self.project(&project)?;
        let uid = UnitId::new(&unit);
        let checklist = p.checklist(&uid);
        let entry = match &item {
            Some(code) => checklist.iter().find(|e| e.room.id.as_str() == room && e.item.code.as_str() == code),
            None => checklist.iter().find(|e| e.room.id.as_str() == room),
        }
        .ok_or_else(|| AppError::invalid(format!("{room} has no such checklist item in unit {unit}")))?;
        let d = rules::draft_defect(&p, &uid, entry, DefectId::new_v7(), &me, self.now(), RoundNo(round));
        Ok(DefectForm {
            id: None,
            room: d.room.to_string(),
            item: item.map(|_| entry.item.code.to_string()),
            spot: String::new(),
            description: String::new(),
            category: d.category.to_string(),
            other_reason: None,
            severity: d.severity.as_str().into(),
            trade: d.trade.to_string(),
            responsible: d.responsible.map(|c| c.to_string()),
            root_cause: None,
            root_cause_note: None,
            pin: None,
            photos: Vec::new(),
        })
    }

    pub fn save_defect(&mut self, project: String, unit: String, round: u32, form: DefectForm) -> Res<String> {
        let me = self.me()?;
        let p = self.project(&project)?;
        let uid = UnitId::new(&unit);
        let at = self.now();
        let round = RoundNo(round);
        let severity = Severity::parse(&form.severity)
            .ok_or_else(|| AppError::invalid(format!("{:?} is not a severity", form.severity)))?;
        let opt = |s: &Option<String>| s.as_ref().map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
        let pin = form.pin.map(|p| Point { x: p.x, y: p.y });
        let item = opt(&form.item).map(ItemCode::new);
        match form.id.as_deref().filter(|s| !s.is_empty()) {
            None => {
                let entry_element = p
                    .checklist(&uid)
                    .iter()
                    .find(|e| e.room.id.as_str() == form.room && Some(&e.item.code) == item.as_ref())
                    .map(|e| e.item.element.clone());
                let d = walkthrough_core::defect::Defect {
                    id: DefectId::new_v7(),
                    unit: uid.clone(),
                    room: RoomId::new(&form.room),
                    item: item.clone(),
                    element: entry_element.unwrap_or_else(|| ElementId::new("other")),
                    spot: form.spot.trim().to_owned(),
                    pin,
                    description: form.description.trim().to_owned(),
                    category: CategoryId::new(&form.category),
                    other_reason: opt(&form.other_reason),
                    root_cause: opt(&form.root_cause).map(CategoryId::new),
                    root_cause_note: opt(&form.root_cause_note),
                    severity,
                    source: walkthrough_core::defect::Source::OwnInspection,
                    trade: TradeId::new(&form.trade),
                    responsible: opt(&form.responsible).map(ContractorId::new),
                    found_round: round,
                    found_by: me.clone(),
                    found_at: at,
                    photos: Default::default(),
                    events: Vec::new(),
                };
                rules::check_defect(&p, &d)?;
                rules::check_pin_placed(&p, None, &d)?;
                let photos = self.form_photos(&form)?;
                for (h, _) in &photos {
                    self.known_photo(h.as_str())?;
                }
                let key = item.map(|item| ResultKey { room: d.room.clone(), item });
                self.store.edit_unit(&p.id, &uid, |doc| {
                    doc.add_defect(&d)?;
                    write_photos(doc, d.id, &BTreeMap::new(), &photos, &me, at)?;
                    // A defect against a checklist line fails that line.
                    if let Some(key) = &key {
                        doc.record_result(round, key, Outcome::Fail, &me, at, None)?;
                    }
                    Ok(())
                })?;
                Ok(d.id.to_string())
            }
            Some(id) => {
                let id = DefectId::parse(id).ok_or_else(|| AppError::invalid(format!("{id:?} is not a defect id")))?;
                let record = self.store.unit(&p.id, &uid)?;
                let old = record.defects.get(&id).ok_or_else(|| AppError::invalid(format!("no defect {id} here")))?;
                let mut new = old.clone();
                new.spot = form.spot.trim().to_owned();
                new.description = form.description.trim().to_owned();
                new.category = CategoryId::new(&form.category);
                new.other_reason = opt(&form.other_reason);
                new.root_cause = opt(&form.root_cause).map(CategoryId::new);
                new.root_cause_note = opt(&form.root_cause_note);
                new.severity = severity;
                new.trade = TradeId::new(&form.trade);
                new.responsible = opt(&form.responsible).map(ContractorId::new);
                new.pin = pin;
                rules::check_defect(&p, &new)?;
                rules::check_pin_placed(&p, Some(old), &new)?;
                let mut edits = Vec::new();
                if new.spot != old.spot {
                    edits.push(DefectEdit::Spot(new.spot.clone()));
                }
                if new.description != old.description {
                    edits.push(DefectEdit::Description(new.description.clone()));
                }
                if new.category != old.category || new.other_reason != old.other_reason {
                    edits.push(DefectEdit::Category {
                        category: new.category.clone(),
                        other_reason: new.other_reason.clone(),
                    });
                }
                if new.root_cause != old.root_cause || new.root_cause_note != old.root_cause_note {
                    edits.push(DefectEdit::RootCause {
                        root_cause: new.root_cause.clone(),
                        note: new.root_cause_note.clone(),
                    });
                }
                if new.severity != old.severity {
                    edits.push(DefectEdit::Severity(new.severity));
                }
                if new.trade != old.trade {
                    edits.push(DefectEdit::Trade(new.trade.clone()));
                }
                if new.responsible != old.responsible {
                    edits.push(DefectEdit::Responsible(new.responsible.clone()));
                }
                if new.pin != old.pin {
                    edits.push(DefectEdit::Pin(new.pin));
                }
                let photos = self.form_photos(&form)?;
                let photos_changed = photos.iter().any(|(h, marks)| {
                    old.photos.get(h).is_none_or(|p| p.marks.values().cloned().collect::<Vec<_>>() != *marks)
                });
                if !edits.is_empty() || photos_changed {
                    self.store.edit_unit(&p.id, &uid, |doc| {
                        for e in &edits {
                            doc.edit_defect(id, e, EventId::new_v7(), &me, at, round)?;
                        }
                        write_photos(doc, id, &old.photos, &photos, &me, at)?;
                        Ok(())
                    })?;
                }
                Ok(id.to_string())
            }
        }
    }

    /// The form's photos (taken on this tablet or already attached) with
    /// their marks, checked.
    fn form_photos(&self, form: &DefectForm) -> Res<Vec<(PhotoHash, Vec<Mark>)>> {
        let mut out = Vec::new();
        for p in &form.photos {
            let hash = PhotoHash::new(&p.hash);
            let mut marks = Vec::new();
            for m in &p.marks {
                let id = match MarkId::parse(&m.id) {
                    Some(id) => id,
                    None if m.id.is_empty() => MarkId::new_v7(),
                    None => return Err(AppError::invalid(format!("{:?} is not a mark id", m.id))),
                };
                let mark = Mark { id, shape: (&m.shape).into() };
                if !mark.shape.is_valid() {
                    return Err(AppError::invalid(
                        "a mark must lie within the photo, and a label needs 1 to 40 characters",
                    ));
                }
                marks.push(mark);
            }
            out.push((hash, marks));
        }
        Ok(out)
    }

    /// Ingest a photo's bytes (base64) and record it for upload.
    fn ingest(&mut self, data: &str) -> Res<PhotoHash> {
        let data = data.split_once(";base64,").map(|(_, d)| d).unwrap_or(data);
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(data.trim())
            .map_err(|_| AppError::new("photo", "the photo could not be read (it arrived damaged)"))?;
        let ingested = self.photos.ingest(&bytes)?;
        self.store.record_photo(&ingested)?;
        Ok(ingested.hash)
    }

    /// A photo taken on this tablet, by hash.
    fn known_photo(&self, hash: &str) -> Res<PhotoHash> {
        let h = PhotoHash::new(hash);
        if !self.photos.has(&h) {
            return Err(AppError::new("photo", format!("photo {hash} is not on this tablet; take it again")));
        }
        Ok(h)
    }

    pub fn take_photo(&mut self, data: String) -> Res<String> {
        Ok(self.ingest(&data)?.to_string())
    }

    pub fn photo(&mut self, hash: String, variant: String) -> Res<PhotoData> {
        photo_via(&Direct::new(self), hash, variant)
    }

    /// A photo file as a data URL.
    fn photo_url(&self, hash: &PhotoHash, variant: Variant) -> Res<String> {
        let bytes = self.photos.read(hash, variant)?;
        let mime = match variant {
            Variant::Original if bytes.starts_with(b"%PDF") => "application/pdf",
            Variant::Original => crate::photos::sniff(&bytes)?.1,
            _ => "image/jpeg",
        };
        Ok(format!("data:{mime};base64,{}", base64::engine::general_purpose::STANDARD.encode(bytes)))
    }

    /// What `photo` finds here without the network: the photo in the size
    /// asked for (or a smaller one with the reason), and whether to ask
    /// the server (with which sign-in).
    fn photo_here(&self, hash: &PhotoHash, variant: Variant) -> Res<(PhotoData, Option<SessionRecord>)> {
        let shown = |v: Variant| match v {
            Variant::Thumb => "thumb",
            Variant::Preview => "preview",
            Variant::Original => "original",
        };
        let held = match variant {
            Variant::Original => self.photos.has(hash),
            v => self.photos.has_variant(hash, v),
        };
        if held {
            let url = self.photo_url(hash, variant)?;
            return Ok((PhotoData { url: Some(url), shown: Some(shown(variant).into()), missing: None }, None));
        }
        // A smaller size held: shown at once; the original is fetched when
        // the server can be reached.
        let smaller = [Variant::Preview, Variant::Thumb].into_iter().find(|v| self.photos.has_variant(hash, *v));
        let data = match smaller {
            Some(v) => PhotoData { url: Some(self.photo_url(hash, v)?), shown: Some(shown(v).into()), missing: None },
            None => PhotoData { url: None, shown: None, missing: self.photo_missing(hash.as_str()) },
        };
        if smaller.is_some() && variant != Variant::Original {
            return Ok((data, None));
        }
        // Known to be unreachable since the last sync: not tried (a tap
        // must not wait for a network that is not there).
        let session = self.session()?.filter(|_| self.sync.online);
        if session.is_none() {
            let missing = data.missing.clone().or_else(|| Some("offline".into()));
            return Ok((PhotoData { missing, ..data }, None));
        }
        Ok((data, session))
    }

    /// Why a photo cannot be shown here (None: it can): still downloading,
    /// over the storage budget, not on the server yet, or offline.
    fn photo_missing(&self, hash: &str) -> Option<String> {
        let h = PhotoHash::new(hash);
        if self.photos.can_show(&h) {
            return None;
        }
        let why = match self.store.offline_state(&h).ok().flatten().as_deref() {
            Some("over_budget") => "over_budget",
            Some("missing") => "not_on_server",
            _ if self.sync.online || self.downloading => "downloading",
            _ => "offline",
        };
        Some(why.into())
    }

    #[allow(clippy::too_many_arguments)]
    pub fn recheck(
        &mut self,
        project: String,
        unit: String,
        round: u32,
        defect: String,
        passed: bool,
        note: String,
        photo: Option<String>,
    ) -> Res<UnitView> {
        let me = self.me()?;
        let p = self.project(&project)?;
        let uid = UnitId::new(&unit);
        let id = DefectId::parse(&defect).ok_or_else(|| AppError::invalid(format!("{defect:?} is not a defect id")))?;
        let record = self.store.unit(&p.id, &uid)?;
        let d = record.defects.get(&id).ok_or_else(|| AppError::invalid(format!("no defect {defect} here")))?;
        if d.found_round.0 >= round {
            return Err(AppError::invalid("a defect is rechecked in a later round than the one that found it"));
        }
        if !passed && note.trim().is_empty() {
            return Err(AppError::invalid("say what is still wrong when a recheck fails"));
        }
        let at = d.next_event_time(self.now());
        let hash = photo.filter(|p| !p.is_empty()).map(|h| self.known_photo(&h)).transpose()?;
        let new_deadline =
            if passed { None } else { p.categories.get(&d.category).map(|c| rules::deadline_for(c, at, p.zone())) };
        let event = DefectEvent {
            id: EventId::new_v7(),
            at,
            device_at: walkthrough_core::defect::device_reading(at, (self.clock)()),
            by: me.clone(),
            round: RoundNo(round),
            kind: EventKind::Rechecked { passed, note: note.trim().to_owned(), photo: hash.clone(), new_deadline },
        };
        self.store.edit_unit(&p.id, &uid, |doc| {
            if let Some(h) = &hash {
                doc.add_photo(
                    id,
                    &Photo { hash: h.clone(), added_by: me.clone(), added_at: at, marks: Default::default() },
                )?;
            }
            doc.add_event(id, &event)
        })?;
        self.open_unit(project, unit, round)
    }

    /// Withdraw a defect recorded in error, with the reason (the inspector
    /// who recorded it, or the CS center). It leaves the lists and counts
    /// and stays in the history.
    pub fn withdraw_defect(
        &mut self,
        project: String,
        unit: String,
        round: u32,
        defect: String,
        reason: String,
    ) -> Res<UnitView> {
        let s = self.session()?.ok_or_else(|| AppError::new("not_signed_in", "sign in first"))?;
        let p = self.project(&project)?;
        let uid = UnitId::new(&unit);
        let id = DefectId::parse(&defect).ok_or_else(|| AppError::invalid(format!("{defect:?} is not a defect id")))?;
        let record = self.store.unit(&p.id, &uid)?;
        let d = record.defects.get(&id).ok_or_else(|| AppError::invalid(format!("no defect {defect} here")))?;
        let mut event = rules::withdraw(d, &s.writer(), &reason, RoundNo(round), self.now(), EventId::new_v7())?;
        event.device_at = walkthrough_core::defect::device_reading(event.at, (self.clock)());
        self.store.edit_unit(&p.id, &uid, |doc| doc.add_event(id, &event))?;
        self.open_unit(project, unit, round)
    }

    pub fn sync_now(&mut self) -> Res<AppStatus> {
        sync_via(&Direct::new(self))
    }

    /// The data directory the app uses when none is given (tests and the
    /// Tauri app pass their own).
    pub fn default_dir() -> PathBuf {
        std::env::var_os("WALKTHROUGH_DATA_DIR").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("walkthrough-data"))
    }
}

/// How a command reaches the app: held for the whole command (`Direct`, an
/// `App` owned by the caller) or locked for short turns (`Mutex<App>`, the
/// tablet's window, see [`SharedApp`]). Commands that use the network take
/// the app only between requests, so the screens never wait for a server.
pub trait AppAccess {
    fn with_app<T>(&self, f: impl FnOnce(&mut App) -> T) -> T;

    /// The same for background work (a sync's store steps): it lets any
    /// screen waiting for the app go first.
    fn with_app_in_background<T>(&self, f: impl FnOnce(&mut App) -> T) -> T {
        self.with_app(f)
    }
}

/// The app behind a lock, with a count of the screens waiting for it: a
/// sync takes its many short turns only when no screen is waiting (a lock
/// released and taken again at once would otherwise keep a tap waiting).
pub struct Locked {
    app: std::sync::Mutex<App>,
    screens_waiting: std::sync::atomic::AtomicUsize,
}

impl AppAccess for Locked {
    fn with_app<T>(&self, f: impl FnOnce(&mut App) -> T) -> T {
        use std::sync::atomic::Ordering::SeqCst;
        self.screens_waiting.fetch_add(1, SeqCst);
        let mut app = self.app.lock().unwrap_or_else(|e| e.into_inner());
        self.screens_waiting.fetch_sub(1, SeqCst);
        f(&mut app)
    }

    fn with_app_in_background<T>(&self, f: impl FnOnce(&mut App) -> T) -> T {
        // Screens first, but a steady stream of taps never stops the sync:
        // it waits at most half a second.
        let since = std::time::Instant::now();
        while self.screens_waiting.load(std::sync::atomic::Ordering::SeqCst) > 0
            && since.elapsed() < std::time::Duration::from_millis(500)
        {
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        f(&mut self.app.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

/// An app the caller holds outright (tests, the probe).
pub struct Direct<'a>(std::cell::RefCell<&'a mut App>);

impl<'a> Direct<'a> {
    pub fn new(app: &'a mut App) -> Self {
        Self(std::cell::RefCell::new(app))
    }
}

impl AppAccess for Direct<'_> {
    fn with_app<T>(&self, f: impl FnOnce(&mut App) -> T) -> T {
        f(&mut self.0.borrow_mut())
    }
}

/// The store of an app reached through `A`, for the sync client.
struct AppStore<'a, A>(&'a A);

impl<A: AppAccess> crate::sync::StoreAccess for AppStore<'_, A> {
    fn with_store<T>(&self, f: impl FnOnce(&mut Store) -> T) -> T {
        self.0.with_app_in_background(|app| f(&mut app.store))
    }
}

/// The app as the tablet's window uses it: shared by the command threads
/// and the background sync, each command holding it only as long as it
/// works on the store. A sync on a slow network holds it for the few
/// milliseconds of each store step, so taps keep getting answers.
#[derive(Clone)]
pub struct SharedApp(Arc<Locked>);

impl SharedApp {
    pub fn new(app: App) -> Self {
        Self(Arc::new(Locked { app: std::sync::Mutex::new(app), screens_waiting: Default::default() }))
    }

    /// Run a command by name (what the window's one Tauri command does).
    pub fn call(&self, name: &str, args: serde_json::Value) -> Res<serde_json::Value> {
        call_via(&*self.0, name, args)
    }

    /// Work with the app directly (briefly: the screens wait meanwhile).
    pub fn with_app<T>(&self, f: impl FnOnce(&mut App) -> T) -> T {
        self.0.with_app(f)
    }

    /// Sync every `every` while signed in, on a thread of its own, so work
    /// recorded offline goes up when the network is back; `on_status` gets
    /// the status after each attempt.
    pub fn sync_in_background(
        &self,
        every: std::time::Duration,
        on_status: impl Fn(AppStatus) + Send + 'static,
    ) -> std::thread::JoinHandle<()> {
        let app = self.clone();
        std::thread::spawn(move || loop {
            std::thread::sleep(every);
            let signed_in = app.with_app(|a| a.session().ok().flatten().is_some());
            if signed_in {
                let _ = sync_via(&*app.0);
            }
            if let Ok(status) = app.with_app(|a| a.status()) {
                on_status(status);
            }
        })
    }
}

/// A sync client for `server` that trusts what this tablet trusts (see
/// [`App::trust`]): read with the app held, built without it.
fn client_for(a: &impl AppAccess, server: &str) -> Res<SyncClient> {
    let (roots, hint) = a.with_app(|app| app.trust())?;
    Ok(SyncClient::with_roots(server, &roots, &hint))
}

fn sign_in_via(a: &impl AppAccess, server: String, username: String, password: String) -> Res<AppStatus> {
    let server = a.with_app(|app| app.sign_in_checks(&server, &username, &password))?;
    let mut client = client_for(a, &server)?;
    let login = client.login(username.trim(), &password).map_err(|e| match e {
        SyncError::Rejected { status: 401, .. } => AppError::new("auth", "wrong account or password"),
        e => e.into(),
    })?;
    let must_change = login.must_change_password;
    a.with_app(|app| app.keep_session(&SessionRecord { server, login }))?;
    // The first sync brings the projects; if it fails the sign-in stands
    // and the status shows why. A temporary password is changed first.
    if !must_change {
        let _ = sync_via(a);
    }
    a.with_app(|app| app.status())
}

fn change_password_via(a: &impl AppAccess, old_password: String, new_password: String) -> Res<AppStatus> {
    let Some(mut s) = a.with_app(|app| app.session())? else {
        return Err(AppError::new("not_signed_in", "sign in first"));
    };
    if new_password.chars().count() < 8 {
        return Err(AppError::invalid("the new password is too short: use at least 8 characters"));
    }
    let client = client_for(a, &s.server)?.with_token(s.login.token.clone());
    client.change_password(&old_password, &new_password).map_err(|e| match e {
        SyncError::Rejected { status: 403 | 422, message } => AppError::invalid(message),
        e => e.into(),
    })?;
    s.login.must_change_password = false;
    a.with_app(|app| app.store.set_meta("session", &serde_json::to_string(&s).expect("serialisable")))?;
    let _ = sync_via(a);
    a.with_app(|app| app.status())
}

fn sign_out_via(a: &impl AppAccess) -> Res<AppStatus> {
    let session = a.with_app(|app| -> Res<_> {
        if app.status()?.sync.pending_changes > 0 {
            return Err(AppError::invalid(
                "there is work on this tablet that is not synced yet; sync before signing out",
            ));
        }
        app.session()
    })?;
    // The server forgets the token too, when it can be reached.
    if let Some(s) = session {
        let mut client = client_for(a, &s.server)?.with_token(s.login.token.clone());
        client.attempts = 1;
        let _ = client.logout();
    }
    a.with_app(|app| {
        app.store.set_meta("session", "")?;
        app.store.set_writer(None)?;
        app.status()
    })
}

fn photo_via(a: &impl AppAccess, hash: String, variant: String) -> Res<PhotoData> {
    let h = PhotoHash::new(&hash);
    let variant = match variant.as_str() {
        "thumb" => Variant::Thumb,
        "preview" => Variant::Preview,
        "original" => Variant::Original,
        v => return Err(AppError::invalid(format!("{v:?} is not a photo size"))),
    };
    let (here, session, photos) = a.with_app(|app| -> Res<_> {
        let (here, session) = app.photo_here(&h, variant)?;
        Ok((here, session, app.photos.clone()))
    })?;
    let Some(s) = session else { return Ok(here) };
    // Fetched without holding the app; one attempt, since someone is waiting.
    let mut client = client_for(a, &s.server)?.with_token(s.login.token);
    client.attempts = 1;
    let fetched = match variant {
        Variant::Original => crate::offline::fetch_original(&client, &photos, &h),
        _ => client.fetch_blob(&h, true).and_then(|p| Ok(photos.keep_preview(&h, &p).map(|_| ())?)),
    };
    match fetched {
        Ok(()) => a.with_app(|app| app.photo_here(&h, variant)).map(|(data, _)| data),
        Err(e) => {
            let why = match e {
                SyncError::Rejected { status: 404, .. } => "not_on_server",
                _ => "offline",
            };
            Ok(PhotoData { missing: Some(why.into()), ..here })
        }
    }
}

/// A sync, taking the app only for the store steps between requests. A
/// second sync asked for while one runs returns the status at once.
fn sync_via(a: &impl AppAccess) -> Res<AppStatus> {
    let started = a.with_app(|app| -> Res<_> {
        let Some(s) = app.session()? else {
            return Err(AppError::new("not_signed_in", "sign in first"));
        };
        if s.login.must_change_password {
            return Err(AppError::new("password", "change your temporary password first"));
        }
        if app.sync.running {
            return Ok(None);
        }
        app.sync.running = true;
        Ok(Some((s, app.progress.clone(), app.photos.clone(), app.now())))
    })?;
    let Some((s, progress, photos, now)) = started else { return a.with_app(|app| app.status()) };
    // Whatever happens (even a panic), the next sync may start.
    let _running = Running(a);
    let result = sync_all(a, &s, &*progress, &photos, now);
    a.with_app(|app| {
        app.sync.running = false;
        app.downloading = false;
        match result {
            Ok(()) => {
                let now = crate::app::view::ms(app.now());
                app.sync.last_sync_ms = Some(now);
                app.sync.last_error = None;
                app.sync.online = true;
                app.store.set_meta("last_sync_ms", &now.to_string())?;
                app.status()
            }
            Err(e) => {
                app.sync.online = e.kind != "offline";
                app.sync.last_error = Some(e.message.clone());
                Err(e)
            }
        }
    })
}

/// Marks the sync as ended when dropped.
struct Running<'a, A: AppAccess>(&'a A);

impl<A: AppAccess> Drop for Running<'_, A> {
    fn drop(&mut self) {
        self.0.with_app(|app| {
            app.sync.running = false;
            app.downloading = false;
        });
    }
}

fn sync_all(
    a: &impl AppAccess,
    s: &SessionRecord,
    progress: &(dyn Fn(SyncProgress) + Send + Sync),
    photos: &PhotoDir,
    now: walkthrough_core::time::Time,
) -> Res<()> {
    // The offset from the server's clock is measured by this device's clock.
    let clock = a.with_app(|app| app.clock.clone());
    let client = client_for(a, &s.server)?.with_token(s.login.token.clone()).with_clock(clock);
    let store = AppStore(a);
    let report = |phase: &str, done: u64, total: u64, bytes: u64| {
        progress(SyncProgress { phase: phase.into(), done: done as u32, total: total as u32, bytes: bytes as f64 })
    };
    let mut rejected = Vec::new();
    for project in &s.login.user.projects {
        let r = client.sync_shared(&store, project, &mut |p: Progress| {
            report("documents", p.done as u64, p.total as u64, p.bytes as u64)
        })?;
        rejected.extend(r.rejected.into_iter().map(|(k, why)| format!("{k}: {why}")));
    }
    client.upload_photos_shared(&store, photos, &mut |p: Progress| {
        report("photos", p.done as u64, p.total as u64, p.bytes as u64)
    })?;
    // The documents are in: now what the inspector needs offline.
    a.with_app(|app| {
        app.sync.online = true;
        app.downloading = true;
    });
    crate::offline::plan(&store, photos, &s.login.user.projects, &s.login.user.id, now)?;
    crate::offline::download(&client, &store, photos, &mut |d| report("offline", d.done, d.total, d.bytes))?;
    if !rejected.is_empty() {
        return Err(AppError::invalid(format!("the server refused some changes: {}", rejected.join("; "))));
    }
    Ok(())
}
