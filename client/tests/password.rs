//! The tablet app after a sign-in with a temporary password (an invited or
//! reset account): only the password change works until it is done; the
//! new password's policy is the server's, in words; then the app syncs.

mod common;
use common::TestServer;
use walkthrough_client::app::App;
use walkthrough_core::wire::InviteRequest;
use walkthrough_core::*;
use walkthrough_server::store::Store as _;

#[test]
fn a_temporary_password_is_changed_in_the_app_before_anything_syncs() {
    let server = TestServer::start();
    let by = server.store.user_by_name("u-cs-wang").unwrap().unwrap();
    let req = InviteRequest {
        username: "u-insp-tmp".into(),
        name: "临时".into(),
        role: walkthrough_core::model::Role::Inspector,
        org: String::new(),
    };
    let temporary = walkthrough_server::setup::invite(server.store.as_ref(), &ProjectId::new("hj-lanting"), &req, &by)
        .unwrap()
        .password;

    let dir = tempfile::tempdir().unwrap();
    let mut app = App::open(dir.path()).unwrap();
    let status = app.sign_in(server.url.clone(), "u-insp-tmp".into(), temporary.clone()).unwrap();
    let session = status.session.expect("signed in");
    assert!(session.must_change_password);
    assert!(session.projects.is_empty(), "nothing synced before the change");
    let e = app.sync_now().unwrap_err();
    assert_eq!((e.kind.as_str(), e.message.as_str()), ("password", "change your temporary password first"));

    let e = app.change_password(temporary.clone(), "short".into()).unwrap_err();
    assert_eq!(
        (e.kind.as_str(), e.message.as_str()),
        ("invalid", "the new password is too short: use at least 8 characters")
    );
    let e = app.change_password(temporary.clone(), "u-insp-tmp".into()).unwrap_err();
    assert_eq!(e.message, "the new password must not be your username");
    let e = app.change_password("not-it".into(), "a-good-password".into()).unwrap_err();
    assert_eq!((e.kind.as_str(), e.message.as_str()), ("invalid", "the current password is not right"));
    assert!(app.status().unwrap().session.unwrap().must_change_password, "still to be changed");

    let status = app.change_password(temporary.clone(), "a-good-password".into()).unwrap();
    let session = status.session.expect("still signed in");
    assert!(!session.must_change_password);
    assert!(session.projects.iter().any(|p| p.id == "hj-lanting"), "synced after the change");
    assert!(status.sync.last_error.is_none(), "{:?}", status.sync.last_error);
    // Kept across a restart of the app.
    drop(app);
    let mut app = App::open(dir.path()).unwrap();
    assert!(!app.status().unwrap().session.unwrap().must_change_password);
    app.sync_now().unwrap();

    // The server has the new password; the temporary one is gone.
    let mut fresh = walkthrough_client::sync::SyncClient::new(&server.url);
    assert!(!fresh.login("u-insp-tmp", "a-good-password").unwrap().must_change_password);
    assert!(fresh.login("u-insp-tmp", &temporary).is_err());

    // Signing out ends the sign-in on the server too.
    app.sign_out().unwrap();
    assert!(app.status().unwrap().session.is_none());
}
