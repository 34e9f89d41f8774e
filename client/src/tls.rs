//! TLS for every connection this workspace opens: the tablet's sync, the
//! simulator, and the server's webhooks. rustls on the `ring` provider (it
//! builds from crates.io with only a C compiler), certificates checked
//! against the system's roots plus, optionally, a CA file for a company's
//! own certificate authority. Nothing here needs the network.

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;
use std::error::Error as StdError;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

/// The variable that names a CA file (PEM) trusted in addition to the
/// system's roots, on the tablet, the simulator and the server alike.
pub const CA_FILE_VAR: &str = "WALKTHROUGH_CA_FILE";

/// The crypto provider everything here uses.
pub fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Make `ring` the process's default provider. reqwest is built without a
/// provider of its own, so a `reqwest::Client` built without our
/// configuration (a test's plain client, say) needs this first; the server's
/// `serve` and [`client_config`] call it. Harmless to call again.
pub fn install_default_provider() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

/// The CA file named by `WALKTHROUGH_CA_FILE`, if any.
pub fn ca_file_from_env() -> Option<PathBuf> {
    std::env::var_os(CA_FILE_VAR).filter(|v| !v.is_empty()).map(PathBuf::from)
}

/// The system's trusted roots, read once (from the files the OS keeps;
/// an empty list where there are none).
fn system_roots() -> &'static [CertificateDer<'static>] {
    static ROOTS: OnceLock<Vec<CertificateDer<'static>>> = OnceLock::new();
    ROOTS.get_or_init(|| {
        let found = rustls_native_certs::load_native_certs();
        if !found.errors.is_empty() {
            tracing::debug!(errors = ?found.errors, "some system root certificates could not be read");
        }
        found.certs
    })
}

/// The certificates of a PEM file, or why it cannot be used, in words.
pub fn read_ca_file(path: &Path) -> Result<Vec<CertificateDer<'static>>, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("the CA file {} cannot be read: {e}", path.display()))?;
    let certs = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("the CA file {} is not a PEM certificate file: {e}", path.display()))?;
    if certs.is_empty() {
        return Err(format!(
            "the CA file {} holds no certificate (expected PEM blocks starting with -----BEGIN CERTIFICATE-----)",
            path.display()
        ));
    }
    Ok(certs)
}

/// The system's roots plus those of `ca_file`.
pub fn root_store(ca_file: Option<&Path>) -> Result<rustls::RootCertStore, String> {
    let mut store = rustls::RootCertStore::empty();
    store.add_parsable_certificates(system_roots().iter().cloned());
    if let Some(path) = ca_file {
        for cert in read_ca_file(path)? {
            store.add(cert).map_err(|e| {
                format!(
                    "the CA file {} holds a certificate that cannot be trusted as an authority: {e}",
                    path.display()
                )
            })?;
        }
    }
    Ok(store)
}

/// A client configuration that trusts the system's roots and `ca_file`.
pub fn client_config(ca_file: Option<&Path>) -> Result<rustls::ClientConfig, String> {
    install_default_provider();
    let roots = root_store(ca_file)?;
    Ok(rustls::ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS cannot be set up: {e}"))?
        .with_root_certificates(roots)
        .with_no_client_auth())
}

/// Why a connection failed, when TLS was the reason.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TlsFailure {
    /// The peer's certificate was refused: why, in words.
    Untrusted(String),
    /// The secure connection failed otherwise (e.g. the peer does not speak TLS).
    Handshake(String),
}

/// Look through an error's causes for a rustls error.
pub fn tls_failure(err: &(dyn StdError + 'static)) -> Option<TlsFailure> {
    // Walk every cause; io::Error hides the error it wraps from `source()`,
    // and may wrap another io::Error, so its inner error is walked too.
    let mut todo: Vec<&(dyn StdError + 'static)> = vec![err];
    while let Some(e) = todo.pop() {
        if let Some(tls) = e.downcast_ref::<rustls::Error>() {
            return Some(match tls {
                rustls::Error::InvalidCertificate(c) => TlsFailure::Untrusted(certificate_problem(c)),
                rustls::Error::NoCertificatesPresented => {
                    TlsFailure::Untrusted("the server presented no certificate".into())
                }
                other => TlsFailure::Handshake(format!("the secure connection failed: {other}")),
            });
        }
        if let Some(inner) = e.downcast_ref::<std::io::Error>().and_then(|io| io.get_ref()) {
            todo.push(inner as &(dyn StdError + 'static));
        }
        if let Some(source) = e.source() {
            todo.push(source);
        }
    }
    None
}

/// What is wrong with a certificate, in words a person can act on.
pub fn certificate_problem(e: &rustls::CertificateError) -> String {
    use rustls::CertificateError as C;
    match e {
        C::UnknownIssuer => format!(
            "it was not issued by an authority this device trusts (for a company's own certificate authority, \
             give its CA file in {CA_FILE_VAR})"
        ),
        C::Expired | C::ExpiredContext { .. } => "it has expired".into(),
        C::NotValidYet | C::NotValidYetContext { .. } => "it is not valid yet (check this device's clock)".into(),
        C::NotValidForName | C::NotValidForNameContext { .. } => {
            "it was issued for another name than the server's address".into()
        }
        C::Revoked => "it has been revoked".into(),
        C::BadSignature => "its signature is not valid".into(),
        C::BadEncoding => "it is malformed".into(),
        C::InvalidPurpose | C::InvalidPurposeContext { .. } => "it is not meant for a server".into(),
        other => format!("{other:?}"),
    }
}

/// An error and its causes as one line ("a: b: c"), each cause once:
/// reqwest's own message names only the URL.
pub fn error_chain(err: &(dyn StdError + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut next: Option<&(dyn StdError + 'static)> = Some(err);
    while let Some(e) = next {
        let text = e.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        next = e.source();
    }
    parts.join(": ")
}
