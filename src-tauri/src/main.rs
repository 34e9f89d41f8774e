//! The inspector's tablet app: a window showing `ui/app`, and one command
//! that hands each call to `walkthrough_client::app::SharedApp` (all the
//! logic, tested without a window). A background sync runs beside it and
//! tells the window how sync stands; it holds the app only for its store
//! steps, never across a request, so the screens keep answering.

#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

use std::time::Duration;
use tauri::{Emitter, Manager};
use walkthrough_client::app::{App, AppError, SharedApp};

/// Every UI call: `name` is a command of `App` (see ui/app/bindings.ts).
/// Runs on a plain thread of its own: off the main thread, so the window
/// never freezes, and outside the async runtime, where the blocking HTTP
/// client of sync may not run.
#[tauri::command]
async fn call(
    state: tauri::State<'_, SharedApp>,
    name: String,
    args: serde_json::Value,
) -> Result<serde_json::Value, AppError> {
    let app = state.inner().clone();
    let (tx, rx) = tauri::async_runtime::channel(1);
    std::thread::spawn(move || {
        let _ = tx.blocking_send(app.call(&name, args));
    });
    let mut rx = rx;
    rx.recv().await.unwrap_or_else(|| Err(AppError { kind: "internal".into(), message: "the command stopped".into() }))
}

/// The inspector's tablet app (a window). `--help` and `--version` answer
/// without opening one; anything else unknown exits with code 2.
#[derive(clap::Parser)]
#[command(name = "walkthrough-app", version = env!("CARGO_PKG_VERSION"))]
struct Cli {
    /// Where the tablet keeps its work (a second tablet on one machine gets
    /// a folder of its own). Default: the app's data folder.
    #[arg(long, value_name = "DIR", env = "WALKTHROUGH_DATA_DIR")]
    data_dir: Option<std::path::PathBuf>,
}

fn main() {
    // Refuses what it does not know before any window opens; the data
    // folder is read below, as it always was.
    let _ = <Cli as clap::Parser>::parse();
    tauri::Builder::default()
        .setup(|tauri_app| {
            // `--data-dir DIR` (or WALKTHROUGH_DATA_DIR) runs a second tablet on one machine.
            let arg = std::env::args().skip_while(|a| a != "--data-dir").nth(1);
            let dir = match arg.or_else(|| std::env::var("WALKTHROUGH_DATA_DIR").ok()) {
                Some(d) => d.into(),
                None => tauri_app.path().app_data_dir()?,
            };
            let mut app = App::open(&dir)?;
            // The name the server's histories give this tablet (default: the hostname).
            // A name that cannot be used is said and the hostname kept: the
            // app still starts.
            if let Ok(name) = std::env::var("WALKTHROUGH_DEVICE_NAME") {
                if let Err(e) = app.set_device_name(name) {
                    eprintln!("walkthrough-app: WALKTHROUGH_DEVICE_NAME is not used: {}", e.message);
                }
            }
            let handle = tauri_app.handle().clone();
            app.on_progress(move |p| {
                let _ = handle.emit("sync-progress", p);
            });
            let shared = SharedApp::new(app);
            tauri_app.manage(shared.clone());
            let every = std::env::var("WALKTHROUGH_SYNC_EVERY_SECS")
                .ok()
                .and_then(|s| s.parse().ok())
                .map(Duration::from_secs)
                .unwrap_or(Duration::from_secs(30));
            let handle = tauri_app.handle().clone();
            shared.sync_in_background(every, move |status| {
                let _ = handle.emit("status", status);
            });
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![call])
        .run(tauri::generate_context!())
        .expect("the Walkthrough window could not start");
}
