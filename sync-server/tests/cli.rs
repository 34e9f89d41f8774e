//! The setup subcommands of `walkthrough-server`: the same code path as the
//! console, run as a script would, against a database file.

use std::process::Command;
use walkthrough_core::*;
use walkthrough_server::store::{SqliteStore, Store};

fn run(db: &std::path::Path, args: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_walkthrough-server"))
        .args(args)
        .env("WALKTHROUGH_DATABASE", db)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.success(), text)
}

#[test]
fn a_project_is_set_up_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("s.sqlite");
    let ok = |args: &[&str]| {
        let (ok, out) = run(&db, args);
        assert!(ok, "{args:?}: {out}");
        out
    };
    ok(&["seed-demo"]);
    let out = ok(&[
        "create-project",
        "hj-cli",
        "--name-zh",
        "华景·测试",
        "--name-en",
        "CLI test",
        "--handover",
        "2026-12-31",
        "--by",
        "u-cs-wang",
    ]);
    assert!(out.contains("created hj-cli (Asia/Shanghai) with 93 template item(s) and 13 categories"), "{out}");
    let out = ok(&[
        "create-project",
        "hj-london",
        "--name-en",
        "London test",
        "--handover",
        "2026-12-31",
        "--time-zone",
        "Europe/London",
        "--by",
        "u-cs-wang",
    ]);
    assert!(out.contains("created hj-london (Europe/London)"), "{out}");
    let (succeeded, out) = run(
        &db,
        &[
            "create-project",
            "hj-mars",
            "--name-en",
            "Mars",
            "--handover",
            "2026-12-31",
            "--time-zone",
            "Mars/Olympus",
            "--by",
            "u-cs-wang",
        ],
    );
    assert!(!succeeded && out.contains("unknown time zone \"Mars/Olympus\""), "{out}");
    let (succeeded, out) = run(&db, &["create-project", "hj-cli2", "--handover", "2026-12-31", "--by", "u-insp-li"]);
    assert!(!succeeded && out.contains("u-insp-li is not an active CS-center account"), "{out}");

    let units = dir.path().join("units.csv");
    // A title row, and an entrance column under a header the server does not know.
    std::fs::write(&units, "C1 房源,,,,\n栋号,梯,层,房间号,户型编码\nC1,1,1,0101,M\nC1,1,2,0201,M\n").unwrap();
    let (succeeded, out) =
        run(&db, &["import-units", "hj-cli", units.to_str().unwrap(), "--map", "header=0", "--by", "u-cs-wang"]);
    assert!(!succeeded && out.contains("--map: header=0 is not a row number"), "{out}");
    let out = ok(&[
        "import-units",
        "hj-cli",
        units.to_str().unwrap(),
        "--map",
        "header=2,building=栋号,entrance=梯,number=房间号,unit_type=户型编码",
        "--new-unit-types",
        "--by",
        "u-cs-wang",
    ]);
    assert!(out.contains("imported 2 unit(s) into hj-cli"), "{out}");

    let out = ok(&["invite", "hj-cli", "u-insp-cli", "--name", "命令行", "--role", "inspector", "--by", "u-cs-wang"]);
    let password = out.trim().rsplit(' ').next().unwrap().to_owned();
    assert!(out.contains("invited u-insp-cli; temporary password: ") && password.len() == 12, "{out}");

    let edits = dir.path().join("edits.json");
    std::fs::write(
        &edits,
        r#"[{"op": "put_round", "round": {"no": 1, "start": "2026-09-01", "due": "2026-09-30",
             "assignments": [{"inspector": "u-insp-cli", "buildings": ["C1"]}]}}]"#,
    )
    .unwrap();
    assert!(
        ok(&["edit", "hj-cli", edits.to_str().unwrap(), "--by", "u-cs-wang"]).contains("applied 1 change(s) to hj-cli")
    );
    std::fs::write(&edits, r#"[{"op": "retire_item", "template": "std-2026", "code": "NOPE", "retired": true}]"#)
        .unwrap();
    let (succeeded, out) = run(&db, &["edit", "hj-cli", edits.to_str().unwrap(), "--by", "u-cs-wang"]);
    assert!(!succeeded && out.contains("item `NOPE` is not in template std-2026"), "{out}");
    ok(&["disable", "hj-cli", "u-insp-cli", "--by", "u-cs-wang"]);

    let history = ok(&["history", "hj-cli"]);
    // Each line: the local time with the project's offset, who, what.
    assert!(history.lines().all(|l| l.split_whitespace().nth(2) == Some("(UTC+08:00)")), "{history}");
    let whats: Vec<String> =
        history.lines().map(|l| l.split_whitespace().skip(4).collect::<Vec<_>>().join(" ")).collect();
    assert_eq!(
        whats,
        [
            "account u-insp-cli disabled",
            "round 1 plan",
            "u-insp-cli (命令行) invited as inspector",
            "2 unit(s) imported from a unit list",
            "project hj-cli created (handover 2026-12-31)",
        ]
    );
    assert!(history.lines().all(|l| l.split_whitespace().nth(3) == Some("u-cs-wang")), "{history}");

    let store = SqliteStore::open(&db).unwrap();
    let user = store.user_by_name("u-insp-cli").unwrap().unwrap();
    assert!(user.disabled);
    assert!(walkthrough_server::auth::verify_password(&password, &user.password_hash));
    let p = walkthrough_server::setup::read_project(&store, &ProjectId::new("hj-cli")).unwrap();
    assert_eq!(p.assigned_units(RoundNo(1), &UserId::new("u-insp-cli")).len(), 2);
    let unit = &p.units[&UnitId::new("C1-1-0201")];
    assert_eq!((unit.floor, unit.number.as_str()), (2, "1-0201"), "the entrance is in the address");
    assert_eq!(p.company.id.as_str(), "huajing-suzhou");
}

/// `walkthrough-server` with `args`: (exit code, stdout, stderr).
fn server(args: &[&str]) -> (Option<i32>, String, String) {
    let out =
        Command::new(env!("CARGO_BIN_EXE_walkthrough-server")).args(args).env("RUST_LOG", "warn").output().unwrap();
    (out.status.code(), String::from_utf8_lossy(&out.stdout).into(), String::from_utf8_lossy(&out.stderr).into())
}

#[test]
fn help_version_and_unknown_commands_and_options_answer_as_command_lines_do() {
    let (code, out, _) = server(&["--version"]);
    assert_eq!((code, out.trim()), (Some(0), format!("walkthrough-server {}", env!("CARGO_PKG_VERSION")).as_str()));
    let (code, out, _) = server(&["--help"]);
    assert_eq!(code, Some(0));
    // Every subcommand the README, scripts and tests use, by the same name.
    let commands = [
        "serve",
        "seed-demo",
        "import",
        "import-units",
        "dispatch",
        "link",
        "create-project",
        "edit",
        "floor-plan",
        "invite",
        "reset-password",
        "disable",
        "enable",
        "history",
    ];
    for command in commands {
        assert!(out.contains(&format!("  {command} ")), "{command} is not in --help:\n{out}");
        let (code, help, _) = server(&[command, "--help"]);
        assert!(code == Some(0) && help.contains(&format!("Usage: walkthrough-server {command}")), "{help}");
    }
    let (_, help, _) = server(&["import-units", "--help"]);
    for option in ["--map", "--new-unit-types", "--by", "--config", "--log-format"] {
        assert!(help.contains(option), "{option} missing:\n{help}");
    }
    let (_, help, _) = server(&["create-project", "--help"]);
    for option in ["--name-zh", "--name-en", "--handover", "--library", "--by"] {
        assert!(help.contains(option), "{option} missing:\n{help}");
    }

    let (code, _, err) = server(&["serv"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("unrecognized subcommand 'serv'") && err.contains("serve") && err.contains("--help"), "{err}");
    let (code, _, err) = server(&["link", "hj-lanting", "c-guan", "--dayz", "3"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("unexpected argument '--dayz'") && err.contains("--days") && err.contains("--help"), "{err}");
    let (code, _, err) = server(&["link", "hj-lanting", "c-guan", "--days", "soon"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("invalid value 'soon' for '--days"), "{err}");
    let (code, _, err) = server(&["dispatch"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("<PROJECT>"), "{err}");
    let (code, _, err) = server(&[]);
    assert_eq!(code, Some(2));
    assert!(err.contains("Usage: walkthrough-server"), "{err}");
}

/// One version: the workspace's, which every binary reports, is the newest
/// release in CHANGELOG.md, the web front ends' and the tablet app's bundle.
#[test]
fn the_changelog_names_the_version_the_binaries_report() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let version = env!("CARGO_PKG_VERSION");
    let changelog = std::fs::read_to_string(root.join("CHANGELOG.md")).unwrap();
    let newest = changelog
        .lines()
        .filter_map(|l| l.strip_prefix("## [").and_then(|l| l.split(']').next()))
        .find(|v| *v != "Unreleased");
    assert_eq!(newest, Some(version), "CHANGELOG.md's newest version must be the one the binaries report");
    let ui: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(root.join("ui/package.json")).unwrap()).unwrap();
    assert_eq!(ui["version"], version, "ui/package.json's version");
    let tauri: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(root.join("src-tauri/tauri.conf.json")).unwrap()).unwrap();
    assert!(tauri.get("version").is_none(), "the tablet app's bundle takes the version from Cargo.toml");
}
