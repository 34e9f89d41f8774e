//! `ui/app/bindings.ts` is generated from the app's Rust types and command
//! list, and committed. This test fails when it is stale (run it with
//! WALKTHROUGH_UPDATE_BINDINGS=1 to regenerate).

#[test]
fn ui_bindings_are_current() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../ui/app/bindings.ts");
    let generated = walkthrough_client::app::bindings();
    if std::env::var_os("WALKTHROUGH_UPDATE_BINDINGS").is_some() {
        std::fs::write(&path, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "ui/app/bindings.ts is stale: run `WALKTHROUGH_UPDATE_BINDINGS=1 cargo test -p walkthrough-client --test bindings` and commit it"
    );
}
