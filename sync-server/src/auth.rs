//! Accounts and sessions: passwords hashed with Argon2, bearer tokens stored
//! only as SHA-256 hashes, with an expiry. Every request's user and scope
//! come from here.
//!
//! Sign-in is throttled per account and per client address
//! ([`Throttle`]), does the same Argon2 work whether or not the username
//! exists (a dummy hash made once with the same parameters), and hashes at
//! most [`AuthSettings::hash_permits`] passwords at once (each costs ~19 MB),
//! so a flood of sign-ins waits or is told the server is busy instead of
//! exhausting memory.
//!
//! A session is a token, sent either as `Authorization: Bearer` (tablets,
//! scripts) or, for the console, in an HttpOnly, SameSite=Strict cookie that
//! script in the page cannot read. Requests that change something with the
//! cookie must also carry `X-Requested-With: walkthrough` (a cross-site form
//! cannot set it). An account whose password is temporary (invited, reset)
//! may only change it: every other endpoint answers 403.

use crate::error::ApiError;
use crate::store::User;
use crate::{blocking, ApiJson, AppState};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};
use walkthrough_core::model::Role;
use walkthrough_core::wire::*;
use walkthrough_core::*;

/// The console's session cookie (HttpOnly: script cannot read it).
pub const SESSION_COOKIE: &str = "walkthrough_session";
/// Sent by the console with every request; a cookie-authenticated request
/// that changes something without it is refused (CSRF).
pub const CSRF_HEADER: &str = "x-requested-with";
pub const CSRF_VALUE: &str = "walkthrough";
/// A sign-in with this header set to `cookie` gets its token as the session
/// cookie instead of in the body.
pub const SESSION_MODE_HEADER: &str = "x-walkthrough-session";

/// Sign-in throttling and password hashing (`[auth]` in the settings).
#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct AuthSettings {
    /// Failed sign-ins of one account before it must wait.
    pub account_failures: u32,
    /// Failed sign-ins from one client address before it must wait.
    pub address_failures: u32,
    /// The first wait; each further failure doubles it, up to `max_lock_seconds`.
    pub lock_seconds: u64,
    pub max_lock_seconds: u64,
    /// Failures older than this are forgotten.
    pub window_seconds: u64,
    /// Accounts (and, separately, addresses) remembered at most; the least
    /// recently failed are forgotten first.
    pub max_entries: usize,
    /// Passwords hashed at once (each Argon2 hash takes ~19 MB).
    pub hash_permits: usize,
    /// How long a sign-in waits for a hashing slot before "the server is busy".
    pub hash_wait_ms: u64,
}

impl Default for AuthSettings {
    fn default() -> Self {
        Self {
            account_failures: 5,
            address_failures: 20,
            lock_seconds: 30,
            max_lock_seconds: 15 * 60,
            window_seconds: 15 * 60,
            max_entries: 10_000,
            hash_permits: 2,
            hash_wait_ms: 5_000,
        }
    }
}

pub fn hash_password(password: &str) -> anyhow::Result<String> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| anyhow::anyhow!("salt: {e}"))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("hashing a password failed: {e}"))
}

pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
}

/// A hash of a random password, made once with the same parameters as real
/// ones: an unknown username is verified against it, so it costs the same.
fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        let password = new_token().unwrap_or_else(|_| "walkthrough-dummy".into());
        hash_password(&password).expect("hashing the dummy password")
    })
}

/// Check `password` against `hash` (a user's), or against the dummy when
/// there is no such user or its hash is unreadable: the same Argon2 work.
fn verify_or_dummy(password: &str, hash: Option<&str>) -> bool {
    match hash.and_then(|h| PasswordHash::new(h).ok()) {
        Some(h) => Argon2::default().verify_password(password.as_bytes(), &h).is_ok(),
        None => {
            let h = PasswordHash::new(dummy_hash()).expect("the dummy hash parses");
            let _ = Argon2::default().verify_password(password.as_bytes(), &h);
            false
        }
    }
}

pub fn hash_token(token: &str) -> String {
    Sha256::digest(token.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

pub fn new_token() -> anyhow::Result<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// The new-password policy: at least 8 characters, not the username, not
/// the old password.
pub fn check_new_password(username: &str, old: &str, new: &str) -> Result<(), String> {
    if new.chars().count() < 8 {
        return Err("the new password is too short: use at least 8 characters".into());
    }
    if new.trim().eq_ignore_ascii_case(username.trim()) {
        return Err("the new password must not be your username".into());
    }
    if new == old {
        return Err("the new password must differ from the current one".into());
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Throttling

/// What sign-in failures are counted against.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ThrottleKey {
    Account(String),
    Address(IpAddr),
}

/// Counting failed sign-ins. In memory for one server process
/// ([`MemoryThrottle`]); a table with the same three operations serves
/// several instances behind one database.
pub trait Throttle: Send + Sync {
    /// How long `key` must still wait, if it must.
    fn wait(&self, key: &ThrottleKey, now: Instant) -> Option<Duration>;
    /// A failed sign-in against `key`; it waits once it has `limit` failures.
    fn failed(&self, key: &ThrottleKey, limit: u32, now: Instant);
    /// A successful sign-in: `key` starts afresh.
    fn succeeded(&self, key: &ThrottleKey);
}

#[derive(Clone, Copy, Debug)]
struct Entry {
    failures: u32,
    locked_until: Option<Instant>,
    last: Instant,
}

/// Failures per key in a bounded map: at most `max_entries` per kind of key;
/// when full, forgotten entries go first, then the least recently failed.
pub struct MemoryThrottle {
    settings: AuthSettings,
    entries: Mutex<HashMap<ThrottleKey, Entry>>,
}

impl MemoryThrottle {
    pub fn new(settings: AuthSettings) -> Self {
        Self { settings, entries: Mutex::default() }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<ThrottleKey, Entry>> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Entries held now (both kinds).
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn stale(&self, e: &Entry, now: Instant) -> bool {
        let window = Duration::from_secs(self.settings.window_seconds);
        e.locked_until.is_none_or(|t| t <= now) && now.saturating_duration_since(e.last) > window
    }
}

impl Throttle for MemoryThrottle {
    fn wait(&self, key: &ThrottleKey, now: Instant) -> Option<Duration> {
        let until = self.lock().get(key)?.locked_until?;
        (until > now).then(|| until - now)
    }

    fn failed(&self, key: &ThrottleKey, limit: u32, now: Instant) {
        let mut map = self.lock();
        if !map.contains_key(key) {
            let same_kind = |k: &ThrottleKey| std::mem::discriminant(k) == std::mem::discriminant(key);
            if map.keys().filter(|k| same_kind(k)).count() >= self.settings.max_entries.max(1) {
                map.retain(|k, e| !same_kind(k) || !self.stale(e, now));
            }
            while map.keys().filter(|k| same_kind(k)).count() >= self.settings.max_entries.max(1) {
                let oldest =
                    map.iter().filter(|(k, _)| same_kind(k)).min_by_key(|(_, e)| e.last).map(|(k, _)| k.clone());
                match oldest {
                    Some(k) => map.remove(&k),
                    None => break,
                };
            }
        }
        let e = map.entry(key.clone()).or_insert(Entry { failures: 0, locked_until: None, last: now });
        if self.stale(e, now) {
            *e = Entry { failures: 0, locked_until: None, last: now };
        }
        e.failures += 1;
        e.last = now;
        if e.failures >= limit.max(1) {
            let doublings = (e.failures - limit.max(1)).min(20);
            let secs = self.settings.lock_seconds.saturating_mul(1 << doublings).min(self.settings.max_lock_seconds);
            e.locked_until = Some(now + Duration::from_secs(secs.max(1)));
        }
    }

    fn succeeded(&self, key: &ThrottleKey) {
        self.lock().remove(key);
    }
}

type Job = Box<dyn FnOnce() + Send>;

/// A fixed set of threads that hash passwords. Each Argon2 hash allocates
/// ~19 MB; on the general blocking pool every new thread could keep such a
/// block in its own allocator arena, so the memory would grow with the
/// number of threads that ever hashed. Here it is bounded by the pool's size.
struct HashPool {
    jobs: std::sync::mpsc::Sender<Job>,
}

impl HashPool {
    fn new(threads: usize) -> Self {
        let (jobs, queue) = std::sync::mpsc::channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        for i in 0..threads {
            let queue = queue.clone();
            let spawned = std::thread::Builder::new().name(format!("password-hashing-{i}")).spawn(move || loop {
                let job = queue.lock().unwrap_or_else(|e| e.into_inner()).recv();
                match job {
                    Ok(job) => job(),
                    // The server stopped (every sender dropped).
                    Err(_) => break,
                }
            });
            if let Err(e) = spawned {
                tracing::error!(error = %e, "cannot start a password-hashing thread");
            }
        }
        Self { jobs }
    }

    async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
    ) -> Result<T, ApiError> {
        let (done, result) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move || {
            let _ = done.send(std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)));
        });
        self.jobs.send(job).map_err(|_| anyhow::anyhow!("the password-hashing threads have stopped"))?;
        match result.await {
            Ok(Ok(out)) => out,
            _ => Err(anyhow::anyhow!("hashing a password failed").into()),
        }
    }
}

/// What sign-in needs beside the store: the throttle and the hashing slots.
pub struct Accounts {
    pub settings: AuthSettings,
    pub throttle: Box<dyn Throttle>,
    hashing: Arc<tokio::sync::Semaphore>,
    pool: HashPool,
}

impl Accounts {
    pub fn new(settings: AuthSettings) -> Self {
        let permits = settings.hash_permits.max(1);
        Self {
            throttle: Box::new(MemoryThrottle::new(settings.clone())),
            hashing: Arc::new(tokio::sync::Semaphore::new(permits)),
            pool: HashPool::new(permits),
            settings,
        }
    }

    /// Run `f` (which hashes a password) on the hashing threads, once a
    /// slot is free: at most `hash_permits` at once; a request that waits
    /// longer than `hash_wait_ms` is told the server is busy.
    async fn hash<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
    ) -> Result<T, ApiError> {
        let _permit = self.hashing_slot().await?;
        self.pool.run(f).await
    }

    /// Refused while the account or the address must wait.
    fn check(&self, username: &str, addr: IpAddr) -> Result<(), ApiError> {
        let now = Instant::now();
        let wait = [ThrottleKey::Account(username.to_owned()), ThrottleKey::Address(addr)]
            .iter()
            .filter_map(|k| self.throttle.wait(k, now))
            .max();
        match wait {
            Some(w) => Err(ApiError::TooManyRequests { retry_after: w.as_secs() + u64::from(w.subsec_nanos() > 0) }),
            None => Ok(()),
        }
    }

    fn failed(&self, username: &str, addr: IpAddr) {
        let now = Instant::now();
        self.throttle.failed(&ThrottleKey::Account(username.to_owned()), self.settings.account_failures, now);
        self.throttle.failed(&ThrottleKey::Address(addr), self.settings.address_failures, now);
    }

    /// A hashing slot, waiting at most `hash_wait_ms`.
    async fn hashing_slot(&self) -> Result<tokio::sync::OwnedSemaphorePermit, ApiError> {
        let wait = Duration::from_millis(self.settings.hash_wait_ms);
        match tokio::time::timeout(wait, self.hashing.clone().acquire_owned()).await {
            Ok(Ok(permit)) => Ok(permit),
            _ => Err(ApiError::Busy("the server is busy; try again in a moment".into())),
        }
    }
}

// ---------------------------------------------------------------------------
// The client's address

/// The client's address, as sign-in throttling counts it: the TCP peer.
/// (When the server runs behind a trusted proxy, the address the proxy
/// reports should be used instead: `net::client_address` replaces this.)
pub fn client_address(parts: &Parts) -> IpAddr {
    // The connection's address, or the client a trusted proxy names
    // (`net::client_addr`, set by the server's accept loop).
    let addr = crate::net::client_addr(parts);
    if !addr.is_unspecified() {
        return addr;
    }
    parts
        .extensions
        .get::<axum::extract::ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
        .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED))
}

/// The request's client address (see [`client_address`]).
pub struct ClientAddr(pub IpAddr);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientAddr(client_address(parts)))
    }
}

// ---------------------------------------------------------------------------
// Sessions

/// The projects a user may see: those assigned to them, and for the CS
/// center every project of their company.
pub fn scope(store: &dyn crate::store::Store, user: &User) -> Result<Vec<ProjectId>, ApiError> {
    let mut projects = store.user_projects(&user.id)?;
    if user.role == Role::CsAdmin && !user.company.is_empty() {
        projects.extend(store.company_projects(&user.company)?);
        projects.sort();
        projects.dedup();
    }
    Ok(projects)
}

/// The signed-in user of a request, with the projects they may see. Refused
/// while the account's password is temporary (see [`Session`]).
#[derive(Clone, Debug)]
pub struct AuthUser {
    pub user: User,
    pub projects: Vec<ProjectId>,
}

impl AuthUser {
    /// May this user sync documents of `project`?
    pub fn require_sync(&self, project: &ProjectId) -> Result<(), ApiError> {
        match self.user.role {
            Role::Inspector | Role::CsAdmin => {}
            Role::Contractor => {
                return Err(ApiError::Forbidden(
                    "contractor accounts do not sync documents; use your rectification page".into(),
                ))
            }
            Role::Engineer => return Err(ApiError::Forbidden("engineer accounts do not sync documents".into())),
        }
        if !self.projects.contains(project) {
            return Err(ApiError::Forbidden(format!("you are not assigned to project {project}")));
        }
        Ok(())
    }
}

/// Any valid sign-in, a temporary password's included: what sign-out and
/// the password change accept.
#[derive(Clone, Debug)]
pub struct Session {
    pub user: User,
    pub projects: Vec<ProjectId>,
    pub token_hash: String,
    pub expires_at: i64,
    pub must_change_password: bool,
    /// The token came in the cookie (the console).
    pub by_cookie: bool,
}

/// The value of cookie `name` in the request's `Cookie` headers.
fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim())
}

impl FromRequestParts<AppState> for Session {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        // Already looked up for this request (`engineers_read_only`).
        if let Some(s) = parts.extensions.get::<Session>() {
            return Ok(s.clone());
        }
        let bearer = parts.headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
        let (token, by_cookie) = match bearer {
            Some(h) => match h.strip_prefix("Bearer ") {
                Some(t) => (t.trim().to_owned(), false),
                None => {
                    return Err(ApiError::Unauthorized(
                        "the Authorization header is not \"Bearer TOKEN\"; sign in first".into(),
                    ))
                }
            },
            None => match cookie(&parts.headers, SESSION_COOKIE) {
                Some(t) if !t.is_empty() => (t.to_owned(), true),
                _ => return Err(ApiError::Unauthorized("sign in first: this request carries no token".into())),
            },
        };
        let safe = matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
        if by_cookie && !safe && parts.headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok()) != Some(CSRF_VALUE) {
            return Err(ApiError::Forbidden(
                "this request was refused: it carries the console's sign-in cookie but not the console's \
                 X-Requested-With header, so it may have been sent by another site"
                    .into(),
            ));
        }
        let store = state.store.clone();
        let hash = hash_token(&token);
        let found = blocking(move || {
            let Some(t) = store.token_state(&hash)? else { return Ok(None) };
            let Some(user) = store.user_by_id(&t.user)? else { return Ok(None) };
            let must_change = store.must_change_password(&user.id)?;
            let projects = scope(store.as_ref(), &user)?;
            Ok(Some((user, projects, t, must_change, hash)))
        })
        .await?;
        let Some((user, projects, t, must_change_password, token_hash)) = found else {
            return Err(ApiError::Unauthorized("your sign-in is not valid; sign in again".into()));
        };
        if user.disabled {
            return Err(ApiError::Disabled);
        }
        if t.revoked {
            return Err(ApiError::Unauthorized(
                "your sign-in was ended (signed out, or the account was changed by the CS center); sign in again"
                    .into(),
            ));
        }
        if t.expires_at < chrono::Utc::now().timestamp() {
            return Err(ApiError::Unauthorized("your sign-in has expired; sign in again".into()));
        }
        if user.role == Role::Contractor {
            return Err(ApiError::Forbidden(CONTRACTOR_REFUSED.into()));
        }
        if let Some(who) = parts.extensions.get::<crate::observe::RequestUser>() {
            who.set(user.id.as_str());
        }
        Ok(Session { user, projects, token_hash, expires_at: t.expires_at, must_change_password, by_cookie })
    }
}

const CONTRACTOR_REFUSED: &str =
    "contractor accounts cannot sign in: contractors open the link the CS center sends them";

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let s = Session::from_request_parts(parts, state).await?;
        if s.must_change_password {
            return Err(ApiError::PasswordChangeRequired);
        }
        Ok(AuthUser { user: s.user, projects: s.projects })
    }
}

/// Engineers (the project department) read their projects' dashboard,
/// reports, lists and issued reports; they change nothing. Every request
/// of an engineer's session but a read (GET, HEAD) and their own sign-out
/// and password change is refused here, before any handler runs, whatever
/// the route, so a write route added later cannot forget it.
pub async fn engineers_read_only(
    State(st): State<AppState>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let own_account = ["/auth/login", "/auth/logout", "/auth/password"];
    let (mut parts, body) = req.into_parts();
    let writes = !matches!(parts.method, Method::GET | Method::HEAD);
    if writes && !own_account.iter().any(|p| parts.uri.path().ends_with(p)) {
        if let Ok(s) = Session::from_request_parts(&mut parts, &st).await {
            let engineer = s.user.role == Role::Engineer;
            // The handler's extractor takes it from here instead of the store.
            parts.extensions.insert(s);
            if engineer {
                return ApiError::Forbidden(
                    "engineer accounts are read-only: the CS center dispatches, sets up projects and issues reports"
                        .into(),
                )
                .into_response();
            }
        }
    }
    next.run(axum::extract::Request::from_parts(parts, body)).await
}

// ---------------------------------------------------------------------------
// Handlers

fn is_loopback_host(headers: &HeaderMap) -> bool {
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or("");
    let name = if let Some(rest) = host.strip_prefix('[') {
        rest.split(']').next().unwrap_or("")
    } else {
        host.rsplit_once(':').map_or(host, |(h, _)| h)
    };
    name.eq_ignore_ascii_case("localhost") || name.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// The session cookie: HttpOnly, SameSite=Strict, and Secure unless the
/// console is opened on this machine (loopback, plain HTTP).
fn session_cookie(headers: &HeaderMap, token: &str, max_age: i64) -> HeaderValue {
    let secure = if is_loopback_host(headers) { "" } else { "; Secure" };
    HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{secure}",
        max_age.max(0)
    ))
    .expect("a cookie of hex and fixed words")
}

fn user_info(user: &User, projects: Vec<ProjectId>) -> UserInfo {
    UserInfo { id: user.id.clone(), name: user.name.clone(), role: user.role, projects }
}

/// `POST /auth/login`: a token for a username and password (in the body, or
/// with `X-Walkthrough-Session: cookie` as the console's session cookie).
#[utoipa::path(post, path = "/auth/login", operation_id = "auth_login", tag = "auth", request_body = LoginRequest, responses((status = 200, description = "Signed in; with `X-Walkthrough-Session: cookie` the token is also set as the console's session cookie", body = LoginResponse)), security(()))]
pub async fn login(
    State(st): State<AppState>,
    ClientAddr(addr): ClientAddr,
    who: Option<axum::Extension<crate::observe::RequestUser>>,
    headers: HeaderMap,
    ApiJson(req): ApiJson<LoginRequest>,
) -> Result<Response, ApiError> {
    let cookie_mode = headers.get(SESSION_MODE_HEADER).and_then(|v| v.to_str().ok()) == Some("cookie");
    let username = req.username.trim().to_owned();
    let accounts = st.accounts.clone();
    accounts.check(&username, addr)?;
    let ttl = st.settings.token_ttl_hours;
    let response = accounts
        .hash(move || {
            // Checked again: requests that waited for a slot while others failed.
            st.accounts.check(&username, addr)?;
            let user = st.store.user_by_name(&username)?;
            // The same work and the same answer for an unknown user and a wrong password.
            let ok = verify_or_dummy(&req.password, user.as_ref().map(|u| u.password_hash.as_str()));
            let Some(user) = user.filter(|_| ok) else {
                st.accounts.failed(&username, addr);
                return Err(ApiError::Unauthorized("wrong username or password".into()));
            };
            st.accounts.throttle.succeeded(&ThrottleKey::Account(username.clone()));
            if user.disabled {
                return Err(ApiError::Disabled);
            }
            if user.role == Role::Contractor {
                return Err(ApiError::Forbidden(CONTRACTOR_REFUSED.into()));
            }
            let token = new_token()?;
            let expires = chrono::Utc::now() + chrono::Duration::hours(ttl);
            st.store.insert_token(&hash_token(&token), &user.id, expires.timestamp())?;
            let projects = scope(st.store.as_ref(), &user)?;
            let must_change_password = st.store.must_change_password(&user.id)?;
            Ok((
                LoginResponse {
                    token,
                    expires_at: expires.to_rfc3339(),
                    user: user_info(&user, projects),
                    must_change_password,
                },
                expires.timestamp(),
            ))
        })
        .await?;
    let (mut body, expires) = response;
    if let Some(axum::Extension(who)) = who {
        who.set(body.user.id.as_str());
    }
    if cookie_mode {
        let cookie = session_cookie(&headers, &body.token, expires - chrono::Utc::now().timestamp());
        body.token = String::new();
        return Ok(([(header::SET_COOKIE, cookie)], Json(body)).into_response());
    }
    Ok(Json(body).into_response())
}

/// `GET /auth/session`: who is signed in (the console after a reload).
#[utoipa::path(get, path = "/auth/session", operation_id = "auth_session", tag = "auth", responses((status = 200, description = "The signed-in account", body = LoginResponse)), security(("bearer" = []), ("session_cookie" = [], "csrf" = [])))]
pub async fn session(s: Session) -> Json<LoginResponse> {
    Json(LoginResponse {
        token: String::new(),
        expires_at: chrono::DateTime::from_timestamp(s.expires_at, 0).map(|t| t.to_rfc3339()).unwrap_or_default(),
        user: user_info(&s.user, s.projects),
        must_change_password: s.must_change_password,
    })
}

/// `POST /auth/logout`: this sign-in ends; the console's cookie is cleared.
#[utoipa::path(post, path = "/auth/logout", operation_id = "auth_logout", tag = "auth", responses((status = 200, description = "Signed out; the session cookie is cleared", body = serde_json::Value)), security(("bearer" = []), ("session_cookie" = [], "csrf" = [])))]
pub async fn logout(State(st): State<AppState>, headers: HeaderMap, s: Session) -> Result<Response, ApiError> {
    let hash = s.token_hash.clone();
    blocking(move || Ok(st.store.delete_token(&hash)?)).await?;
    Ok((
        StatusCode::OK,
        [(header::SET_COOKIE, session_cookie(&headers, "", 0))],
        Json(serde_json::json!({ "signed_out": true })),
    )
        .into_response())
}

/// `POST /auth/password`: change the password with the current one; every
/// other sign-in of the account ends, this one stays (and may now do
/// everything, if the password was temporary).
#[utoipa::path(post, path = "/auth/password", operation_id = "auth_change_password", tag = "auth", request_body = ChangePasswordRequest, responses((status = 200, description = "Password changed; a new session", body = LoginResponse)), security(("bearer" = []), ("session_cookie" = [], "csrf" = [])))]
pub async fn change_password(
    State(st): State<AppState>,
    ClientAddr(addr): ClientAddr,
    s: Session,
    ApiJson(req): ApiJson<ChangePasswordRequest>,
) -> Result<Json<LoginResponse>, ApiError> {
    check_new_password(&s.user.username, &req.old_password, &req.new_password).map_err(ApiError::Unprocessable)?;
    let username = s.user.username.clone();
    st.accounts.check(&username, addr)?;
    let st2 = st.clone();
    let user = s.user.clone();
    let keep = s.token_hash.clone();
    st.accounts
        .hash(move || {
            let st = st2;
            if !verify_or_dummy(&req.old_password, Some(user.password_hash.as_str())) {
                st.accounts.failed(&username, addr);
                return Err(ApiError::Forbidden("the current password is not right".into()));
            }
            let hash = hash_password(&req.new_password)?;
            st.store.set_password_hash(&user.id, &hash)?;
            st.store.set_must_change_password(&user.id, false)?;
            st.store.revoke_other_tokens(&user.id, &keep)?;
            Ok(())
        })
        .await?;
    Ok(Json(LoginResponse {
        token: String::new(),
        expires_at: chrono::DateTime::from_timestamp(s.expires_at, 0).map(|t| t.to_rfc3339()).unwrap_or_default(),
        user: user_info(&s.user, s.projects),
        must_change_password: false,
    }))
}
