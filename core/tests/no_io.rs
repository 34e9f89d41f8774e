//! Architecture invariant: the domain core does no IO, so its dependency tree
//! must never gain a runtime, a database, an HTTP stack or a UI framework.

use std::process::Command;

const FORBIDDEN: [&str; 9] =
    ["tokio", "rusqlite", "libsqlite3-sys", "reqwest", "hyper", "tauri", "axum", "mio", "sqlx"];

#[test]
fn core_dependency_tree_has_no_io_crates() {
    let out = Command::new(env!("CARGO"))
        .args(["tree", "-p", "walkthrough-core", "-e", "normal,build", "--prefix", "none", "--format", "{p}"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo tree runs");
    assert!(out.status.success(), "cargo tree failed: {}", String::from_utf8_lossy(&out.stderr));
    let tree = String::from_utf8(out.stdout).unwrap();
    let names: Vec<&str> = tree.lines().filter_map(|l| l.split_whitespace().next()).collect();
    assert!(names.contains(&"automerge"), "the tree was read: {tree}");
    let bad: Vec<&&str> = names.iter().filter(|n| FORBIDDEN.contains(n) || n.starts_with("tauri-")).collect();
    assert!(bad.is_empty(), "walkthrough-core must not depend on {bad:?}");
}
