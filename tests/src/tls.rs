//! HTTPS at test time: a certificate authority made with rcgen, server
//! certificates it signs for 127.0.0.1 and localhost, and small TLS
//! receivers (a webhook endpoint, SMTP relays with STARTTLS or TLS from the
//! first byte) that record what reached them.

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// A certificate authority (a company's own, say), its certificate written
/// to `ca.pem` in a folder of its own.
pub struct TestCa {
    issuer: Issuer<'static, KeyPair>,
    pub pem: String,
    pub dir: tempfile::TempDir,
}

/// A server certificate and key, as files and for rustls.
pub struct ServerCert {
    pub cert: PathBuf,
    pub key: PathBuf,
    pub cert_pem: String,
    pub key_pem: String,
}

impl TestCa {
    pub fn new(name: &str) -> Self {
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("CA parameters");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(DnType::CommonName, name);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let key = KeyPair::generate().expect("CA key");
        let cert = params.self_signed(&key).expect("CA certificate");
        let dir = tempfile::tempdir().expect("CA folder");
        let pem = cert.pem();
        std::fs::write(dir.path().join("ca.pem"), &pem).expect("ca.pem");
        Self { issuer: Issuer::new(params, key), pem, dir }
    }

    /// The CA file to trust.
    pub fn file(&self) -> PathBuf {
        self.dir.path().join("ca.pem")
    }

    /// A server certificate for 127.0.0.1 and localhost, written as
    /// `<name>.crt` and `<name>.key` in the CA's folder.
    pub fn server_cert(&self, name: &str) -> ServerCert {
        let mut params = CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()]).expect("names");
        params.distinguished_name.push(DnType::CommonName, "localhost");
        params.use_authority_key_identifier_extension = true;
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
        let key = KeyPair::generate().expect("server key");
        let cert = params.signed_by(&key, &self.issuer).expect("server certificate");
        let (cert_path, key_path) =
            (self.dir.path().join(format!("{name}.crt")), self.dir.path().join(format!("{name}.key")));
        std::fs::write(&cert_path, cert.pem()).expect("certificate file");
        std::fs::write(&key_path, key.serialize_pem()).expect("key file");
        ServerCert { cert: cert_path, key: key_path, cert_pem: cert.pem(), key_pem: key.serialize_pem() }
    }
}

impl ServerCert {
    /// A rustls server configuration presenting this certificate.
    pub fn rustls(&self) -> Arc<rustls::ServerConfig> {
        let certs: Vec<CertificateDer<'static>> =
            CertificateDer::pem_slice_iter(self.cert_pem.as_bytes()).collect::<Result<_, _>>().unwrap();
        let key = PrivateKeyDer::from_pem_slice(self.key_pem.as_bytes()).unwrap();
        let config = rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .unwrap();
        Arc::new(config)
    }
}

/// A rustls client configuration trusting only `ca` (for a test's own requests).
pub fn client_trusting(ca: &TestCa) -> rustls::ClientConfig {
    walkthrough_client::tls::install_default_provider();
    let mut roots = rustls::RootCertStore::empty();
    for c in CertificateDer::pem_slice_iter(ca.pem.as_bytes()) {
        roots.add(c.unwrap()).unwrap();
    }
    rustls::ClientConfig::builder_with_provider(walkthrough_client::tls::provider())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth()
}

/// What a receiver accepted, in order: (over TLS, the request body or mail data).
pub type Received = Arc<Mutex<Vec<(bool, String)>>>;

/// One line (up to and with `\n`), read byte by byte so that nothing after
/// it is taken from the stream (STARTTLS follows a line).
fn read_line(s: &mut impl Read) -> Option<String> {
    let mut line = Vec::new();
    let mut b = [0u8];
    loop {
        match s.read(&mut b) {
            Ok(0) | Err(_) => return None,
            Ok(_) => {
                line.push(b[0]);
                if b[0] == b'\n' {
                    return Some(String::from_utf8_lossy(&line).into_owned());
                }
            }
        }
    }
}

/// A webhook receiver on 127.0.0.1 over HTTPS with `cert`: every request
/// is answered 200 and its body recorded. The URL ends in `/hook`.
pub fn https_webhook_receiver(cert: &ServerCert) -> (String, Received) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("https://127.0.0.1:{}/hook", listener.local_addr().unwrap().port());
    let received: Received = Arc::default();
    let (r, config) = (received.clone(), cert.rustls());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            let (r, config) = (r.clone(), config.clone());
            std::thread::spawn(move || {
                let conn = rustls::ServerConnection::new(config).unwrap();
                let mut tls = rustls::StreamOwned::new(conn, stream);
                let mut length = 0usize;
                loop {
                    // A failed handshake (a client that does not trust us) ends here.
                    let Some(line) = read_line(&mut tls) else { return };
                    if line == "\r\n" {
                        break;
                    }
                    if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                        length = v.trim().parse().unwrap();
                    }
                }
                let mut body = vec![0; length];
                if tls.read_exact(&mut body).is_err() {
                    return;
                }
                r.lock().unwrap().push((true, String::from_utf8(body).unwrap()));
                let _ = tls.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
                let _ = tls.flush();
                tls.conn.send_close_notify();
                let _ = tls.conn.complete_io(&mut tls.sock);
            });
        }
    });
    (url, received)
}

/// How a test SMTP relay secures its connections.
#[derive(Clone)]
pub enum SmtpSecurity {
    /// Plain text only; STARTTLS is not offered.
    Plain,
    /// Plain greeting, STARTTLS offered, then TLS with this configuration.
    StartTls(Arc<rustls::ServerConfig>),
    /// TLS from the first byte.
    Implicit(Arc<rustls::ServerConfig>),
}

/// An SMTP relay on 127.0.0.1 that accepts every message and records its
/// data, and whether it came over TLS. Returns its port.
pub fn smtp_relay(security: SmtpSecurity) -> (u16, Received) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let received: Received = Arc::default();
    let r = received.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let (r, security) = (r.clone(), security.clone());
            std::thread::spawn(move || match security {
                SmtpSecurity::Plain => {
                    smtp_session(&mut stream, true, false, false, &r);
                }
                SmtpSecurity::StartTls(config) => {
                    if smtp_session(&mut stream, true, true, false, &r) {
                        let conn = rustls::ServerConnection::new(config).unwrap();
                        let mut tls = rustls::StreamOwned::new(conn, stream);
                        smtp_session(&mut tls, false, false, true, &r);
                    }
                }
                SmtpSecurity::Implicit(config) => {
                    let conn = rustls::ServerConnection::new(config).unwrap();
                    let mut tls = rustls::StreamOwned::new(conn, stream);
                    smtp_session(&mut tls, true, false, true, &r);
                }
            });
        }
    });
    (port, received)
}

/// Speak SMTP on `s` until QUIT or the end; true when the client asked for
/// STARTTLS (and was told to go ahead: the caller upgrades the stream).
fn smtp_session<S: Read + Write>(s: &mut S, greet: bool, offer_starttls: bool, over_tls: bool, r: &Received) -> bool {
    if greet && s.write_all(b"220 relay ESMTP\r\n").is_err() {
        return false;
    }
    while let Some(line) = read_line(s) {
        let cmd = line.to_ascii_uppercase();
        let answer: &[u8] = if cmd.starts_with("EHLO") || cmd.starts_with("HELO") {
            if offer_starttls {
                b"250-relay\r\n250-STARTTLS\r\n250 8BITMIME\r\n"
            } else {
                b"250-relay\r\n250 8BITMIME\r\n"
            }
        } else if cmd.starts_with("STARTTLS") && offer_starttls {
            let _ = s.write_all(b"220 go ahead\r\n");
            let _ = s.flush();
            return true;
        } else if cmd.starts_with("DATA") {
            let _ = s.write_all(b"354 go ahead\r\n");
            let mut data = String::new();
            while let Some(l) = read_line(s) {
                if l == ".\r\n" {
                    break;
                }
                data.push_str(&l);
            }
            r.lock().unwrap().push((over_tls, data));
            b"250 queued\r\n"
        } else if cmd.starts_with("QUIT") {
            let _ = s.write_all(b"221 bye\r\n");
            let _ = s.flush();
            return false;
        } else {
            b"250 ok\r\n"
        };
        if s.write_all(answer).is_err() {
            return false;
        }
        let _ = s.flush();
    }
    false
}

/// Write `text` to `path` (a settings or PEM file for a test).
pub fn write(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
}

/// A raw TCP connection to `url`'s host and port (for slow-client tests).
pub fn raw_connect(url: &str) -> TcpStream {
    let addr = url.trim_start_matches("https://").trim_start_matches("http://");
    let addr = addr.split('/').next().unwrap();
    TcpStream::connect(addr).unwrap()
}
