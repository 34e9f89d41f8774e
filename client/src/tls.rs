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

/// The largest CA file (PEM) read: a bundle of a few hundred certificates
/// fits; anything larger is not a certificate file.
pub const MAX_CA_BYTES: usize = 1024 * 1024;

/// The certificates of a PEM file, or why it cannot be used, in words.
pub fn read_ca_file(path: &Path) -> Result<Vec<CertificateDer<'static>>, String> {
    let what = format!("the CA file {}", path.display());
    // Read at most one byte past the limit (a pipe or device says no size).
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| std::io::Read::read_to_end(&mut std::io::Read::take(f, MAX_CA_BYTES as u64 + 1), &mut bytes))
        .map_err(|e| format!("{what} cannot be read: {e}"))?;
    if bytes.len() > MAX_CA_BYTES {
        return Err(format!("{what} is too large for a certificate file (at most {MAX_CA_BYTES} bytes)"));
    }
    parse_ca_pem(&bytes, &what)
}

/// The certificates of PEM text (`what` names it in the refusal: "the CA
/// file …", "ca.pem"), each checked to be usable as an authority, or why
/// not, in words.
pub fn parse_ca_pem(bytes: &[u8], what: &str) -> Result<Vec<CertificateDer<'static>>, String> {
    if bytes.len() > MAX_CA_BYTES {
        return Err(format!(
            "{what} is {} bytes, too large for a certificate file (at most {MAX_CA_BYTES})",
            bytes.len()
        ));
    }
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(format!(
            "{what} is empty: choose the certificate (CA, PEM) of the company's certificate authority"
        ));
    }
    // A certificate in binary (DER) form: a SEQUENCE with a long length.
    if bytes.len() > 2 && bytes[0] == 0x30 && (0x81..=0x84).contains(&bytes[1]) {
        return Err(format!(
            "{what} is not a PEM certificate: it looks like a binary (DER) certificate; export it as PEM \
             (Base-64), which starts with -----BEGIN CERTIFICATE-----"
        ));
    }
    // A private key is never needed, and must not be kept on every tablet
    // because it came in one file with a certificate.
    let has_key = String::from_utf8_lossy(bytes).contains("PRIVATE KEY-----");
    let certs = CertificateDer::pem_slice_iter(bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("{what} is not a PEM certificate file: {e}"))?;
    if has_key && !certs.is_empty() {
        return Err(format!(
            "{what} holds a private key beside its certificate: a key is never needed here and must not be \
             copied to tablets; choose a file with only the certificate of the company's certificate authority"
        ));
    }
    if certs.is_empty() {
        let why = if has_key {
            "it holds a private key, not a certificate (a key is never needed here: choose the certificate \
             of the company's certificate authority)"
        } else {
            "it holds no certificate (expected PEM blocks starting with -----BEGIN CERTIFICATE-----)"
        };
        return Err(format!("{what} is not a PEM certificate: {why}"));
    }
    for cert in &certs {
        rustls::RootCertStore::empty()
            .add(cert.clone())
            .map_err(|e| format!("{what} holds a certificate that cannot be trusted as an authority: {e}"))?;
    }
    Ok(certs)
}

/// The certificate authorities trusted beside the system's roots.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum ExtraRoots {
    /// The system's roots only.
    #[default]
    None,
    /// A CA file (`WALKTHROUGH_CA_FILE`, `--ca-file`, `tls.ca_file`), read
    /// when a client is made.
    File(PathBuf),
    /// Certificates given as PEM text (the tablet's "Company certificate",
    /// kept in its store); `what` names them in refusals.
    Pem { what: String, pem: String },
}

impl ExtraRoots {
    /// The file's, or `None`.
    pub fn file(path: Option<&Path>) -> Self {
        path.map_or(ExtraRoots::None, |p| ExtraRoots::File(p.to_owned()))
    }

    /// The certificates, or why they cannot be used.
    pub fn certificates(&self) -> Result<Vec<CertificateDer<'static>>, String> {
        match self {
            ExtraRoots::None => Ok(Vec::new()),
            ExtraRoots::File(path) => read_ca_file(path),
            ExtraRoots::Pem { what, pem } => parse_ca_pem(pem.as_bytes(), what),
        }
    }
}

/// The system's roots plus those of `ca_file`.
pub fn root_store(ca_file: Option<&Path>) -> Result<rustls::RootCertStore, String> {
    root_store_with(&ExtraRoots::file(ca_file))
}

/// The system's roots plus `extra`.
pub fn root_store_with(extra: &ExtraRoots) -> Result<rustls::RootCertStore, String> {
    let mut store = rustls::RootCertStore::empty();
    store.add_parsable_certificates(system_roots().iter().cloned());
    for cert in extra.certificates()? {
        // (Each was checked by `parse_ca_pem`.)
        store.add(cert).map_err(|e| format!("a certificate cannot be trusted as an authority: {e}"))?;
    }
    Ok(store)
}

/// A client configuration that trusts the system's roots and `ca_file`.
pub fn client_config(ca_file: Option<&Path>) -> Result<rustls::ClientConfig, String> {
    client_config_with(&ExtraRoots::file(ca_file))
}

/// A client configuration that trusts the system's roots and `extra`.
pub fn client_config_with(extra: &ExtraRoots) -> Result<rustls::ClientConfig, String> {
    install_default_provider();
    let roots = root_store_with(extra)?;
    Ok(rustls::ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS cannot be set up: {e}"))?
        .with_root_certificates(roots)
        .with_no_client_auth())
}

/// SHA-256 of a certificate, as IT people compare it ("AB:CD:…").
pub fn fingerprint(cert: &CertificateDer<'_>) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(cert.as_ref()).iter().map(|b| format!("{b:02X}")).collect::<Vec<_>>().join(":")
}

/// Why a connection failed, when TLS was the reason.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TlsFailure {
    /// The peer's certificate was refused: why, in words.
    Untrusted(String),
    /// The secure connection failed otherwise (e.g. the peer does not speak TLS).
    Handshake(String),
}

/// What to do about a certificate of an authority the device does not
/// know, where trust comes from a CA file.
pub const CA_FILE_HINT: &str = "for a company's own certificate authority, give its CA file in WALKTHROUGH_CA_FILE";

/// Look through an error's causes for a rustls error.
pub fn tls_failure(err: &(dyn StdError + 'static)) -> Option<TlsFailure> {
    tls_failure_hinted(err, CA_FILE_HINT)
}

/// The same, saying `unknown_issuer_hint` (what this program lets a person
/// do about it) when the certificate's authority is not known here.
pub fn tls_failure_hinted(err: &(dyn StdError + 'static), unknown_issuer_hint: &str) -> Option<TlsFailure> {
    // Walk every cause; io::Error hides the error it wraps from `source()`,
    // and may wrap another io::Error, so its inner error is walked too.
    let mut todo: Vec<&(dyn StdError + 'static)> = vec![err];
    while let Some(e) = todo.pop() {
        if let Some(tls) = e.downcast_ref::<rustls::Error>() {
            return Some(match tls {
                rustls::Error::InvalidCertificate(c) => {
                    TlsFailure::Untrusted(certificate_problem_hinted(c, unknown_issuer_hint))
                }
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
    certificate_problem_hinted(e, CA_FILE_HINT)
}

/// The same, with `unknown_issuer_hint` for a certificate of an authority
/// not known here.
pub fn certificate_problem_hinted(e: &rustls::CertificateError, unknown_issuer_hint: &str) -> String {
    use rustls::CertificateError as C;
    match e {
        C::UnknownIssuer => format!("it was not issued by an authority this device trusts ({unknown_issuer_hint})"),
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
