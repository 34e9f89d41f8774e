//! The Debian package, as an operator meets it: `scripts/package-deb` packs
//! the server this test run built; `dpkg -i` installs it on this machine
//! (service account, state directory, settings file, systemd unit); the
//! service starts as its unit says and answers health; SIGTERM stops it
//! cleanly; `dpkg --purge` takes it away again.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const UNIT: &str = "/lib/systemd/system/walkthrough-server.service";

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

/// Run `cmd` and return its stdout; panic with its stderr when it fails.
fn run(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed ({}):\n{}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A key of the installed unit's [Service] section.
fn unit_value(unit: &str, key: &str) -> String {
    unit.lines()
        .find_map(|l| l.strip_prefix(&format!("{key}=")))
        .unwrap_or_else(|| panic!("the unit has no {key}=:\n{unit}"))
        .trim()
        .to_string()
}

fn health(port: u16) -> Option<u16> {
    let http = reqwest::blocking::Client::builder().timeout(Duration::from_secs(5)).build().unwrap();
    http.get(format!("http://127.0.0.1:{port}/api/v1/health")).send().ok().map(|r| r.status().as_u16())
}

struct Purge;
impl Drop for Purge {
    fn drop(&mut self) {
        let _ = Command::new("dpkg")
            .args(["--purge", "walkthrough-server"])
            .env("WALKTHROUGH_PURGE_DATA", "yes")
            .stdout(Stdio::null())
            .status();
    }
}

#[test]
fn the_debian_package_installs_starts_and_purges() {
    walkthrough_client::tls::install_default_provider();
    assert!(
        is_root(),
        "installing a Debian package needs root (CI runs as root; run the tests as root or skip this file)"
    );
    let out = tempfile::tempdir().unwrap();
    let built = run(Command::new(root().join("scripts/package-deb"))
        .args(["--binary", common::SERVER, "--out"])
        .arg(out.path())
        .env("CARGO_TERM_COLOR", "never"));
    let deb = PathBuf::from(built.lines().last().unwrap().trim());
    assert!(deb.exists(), "package-deb said {deb:?}, which is not there:\n{built}");
    let version = env!("CARGO_PKG_VERSION");
    assert!(deb.file_name().unwrap().to_str().unwrap().starts_with(&format!("walkthrough-server_{version}_")));

    let info = run(Command::new("dpkg-deb").arg("--info").arg(&deb));
    for want in
        ["Package: walkthrough-server", &format!("Version: {version}"), "Depends: libc6", "postinst", "conffiles"]
    {
        assert!(info.contains(want), "dpkg-deb --info lacks {want:?}:\n{info}");
    }
    let contents = run(Command::new("dpkg-deb").arg("--contents").arg(&deb));
    for want in [
        "./usr/bin/walkthrough-server",
        "./lib/systemd/system/walkthrough-server.service",
        "./etc/walkthrough/walkthrough.toml",
        "./usr/share/walkthrough/ui/console/index.html",
        "./usr/share/walkthrough/ui/contractor/index.html",
        "./usr/share/doc/walkthrough-server/CHANGELOG.md",
    ] {
        assert!(contents.contains(want), "the package lacks {want}:\n{contents}");
    }
    assert!(contents.lines().all(|l| l.contains("root/root")), "files in the package must belong to root:\n{contents}");

    let _purge = Purge;
    let installed = run(Command::new("dpkg").arg("-i").arg(&deb).env("DEBIAN_FRONTEND", "noninteractive"));
    let status = run(Command::new("dpkg-query").args(["-W", "-f=${Status} ${Version}", "walkthrough-server"]));
    assert_eq!(status, format!("install ok installed {version}"), "{installed}");

    // What postinst made: the service account and its state directory, a
    // settings file only the service may read.
    let passwd = run(Command::new("getent").args(["passwd", "walkthrough"]));
    assert!(passwd.contains("/var/lib/walkthrough"), "{passwd}");
    let owner = run(Command::new("stat").args(["-c", "%U:%G %a", "/var/lib/walkthrough"]));
    assert_eq!(owner.trim(), "walkthrough:walkthrough 750");
    let conf = run(Command::new("stat").args(["-c", "%U:%G %a", "/etc/walkthrough/walkthrough.toml"]));
    assert_eq!(conf.trim(), "root:walkthrough 640");

    // The unit is well formed (systemd's own checker), and says how to start.
    let unit = std::fs::read_to_string(UNIT).unwrap();
    let verify = Command::new("systemd-analyze").args(["verify", UNIT]).output();
    if let Ok(v) = verify {
        let stderr = String::from_utf8_lossy(&v.stderr);
        let ours: Vec<&str> = stderr.lines().filter(|l| l.contains("walkthrough-server.service")).collect();
        assert!(ours.is_empty() && v.status.success(), "systemd-analyze verify: {stderr}");
    }
    let user = unit_value(&unit, "User");
    let exec: Vec<String> = unit_value(&unit, "ExecStart").split_whitespace().map(String::from).collect();
    assert_eq!(exec[0], "/usr/bin/walkthrough-server");

    // Start it as systemd would (this machine may not run systemd): as the
    // unit's user, with its command line; only the port differs, so a test
    // never takes a port another program uses.
    let port = common::free_port();
    // setpriv execs the server itself (runuser would stay in between and
    // die of the signal it forwards), so the exit status is the server's.
    let mut child = Command::new("/usr/bin/setpriv")
        .args([&format!("--reuid={user}"), &format!("--regid={user}"), "--init-groups", "--"])
        .args(&exec)
        .current_dir(unit_value(&unit, "WorkingDirectory"))
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("WALKTHROUGH_LISTEN", format!("127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while health(port) != Some(200) {
        if let Some(status) = child.try_wait().unwrap() {
            let mut err = String::new();
            std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut err).unwrap();
            panic!("the installed service exited ({status}):\n{err}");
        }
        assert!(Instant::now() < deadline, "the installed service did not answer health");
        std::thread::sleep(Duration::from_millis(100));
    }
    // Its database is where the installed settings say, owned by the service.
    let db = run(Command::new("stat").args(["-c", "%U", "/var/lib/walkthrough/walkthrough.sqlite"]));
    assert_eq!(db.trim(), user);
    // The console is served from the packaged front ends.
    let console = reqwest::blocking::get(format!("http://127.0.0.1:{port}/ui/console/")).unwrap();
    assert_eq!(console.status().as_u16(), 200);

    // SIGTERM (what systemd sends) stops it cleanly.
    run(Command::new("kill").args(["-TERM", &child.id().to_string()]));
    let deadline = Instant::now() + Duration::from_secs(15);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "the service did not stop on SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "SIGTERM should end the service with status 0, not {status}");

    run(Command::new("dpkg").args(["--purge", "walkthrough-server"]).env("WALKTHROUGH_PURGE_DATA", "yes"));
    assert!(!Path::new("/usr/bin/walkthrough-server").exists());
    assert!(!Path::new(UNIT).exists());
    assert!(!Path::new("/var/lib/walkthrough").exists(), "purge with WALKTHROUGH_PURGE_DATA=yes removes the data");
}

fn is_root() -> bool {
    run(Command::new("id").arg("-u")).trim() == "0"
}
