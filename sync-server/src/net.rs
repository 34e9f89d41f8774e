//! Connections: the accept loop (plain HTTP, or HTTPS from the settings'
//! certificate and key), timeouts for slow clients, HSTS over HTTPS, and
//! the client's address for handlers.
//!
//! Slow clients: a connection must complete its TLS handshake, and then
//! send each request's line and headers, within `http.header_timeout_secs`
//! of opening (or of the previous answer, so an idle kept-alive connection
//! is closed after that long too); a request body may pause at most
//! `http.body_timeout_secs` between two parts. Past either, the connection
//! is closed.
//!
//! Client address: the connection's peer, unless the peer is one of
//! `http.trusted_proxies`; then the right-most address of `X-Forwarded-For`
//! that is not itself a trusted proxy (each proxy appends the address it
//! received the request from, so only the part added by our own proxies can
//! be believed). No other header is trusted.

use crate::config::Settings;
use anyhow::Context as _;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::header::{HeaderMap, HeaderValue, STRICT_TRANSPORT_SECURITY};
use axum::http::request::Parts;
use axum::http::Request;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::{GracefulShutdown, Watcher};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use std::convert::Infallible;
use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_rustls::TlsAcceptor;
use tower::ServiceExt as _;

/// One year: browsers that saw the server over HTTPS refuse plain HTTP to it.
pub const HSTS: &str = "max-age=31536000";

/// The client's address (see the module's text for which header is
/// believed). Set on every request by [`serve`]; an extractor for handlers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientAddr(pub IpAddr);

/// The client's address of a request; `0.0.0.0` when the request did not
/// come through [`serve`] (a test calling the router directly).
pub fn client_addr(parts: &Parts) -> IpAddr {
    parts.extensions.get::<ClientAddr>().map(|a| a.0).unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED))
}

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientAddr(client_addr(parts)))
    }
}

/// The client's address, from the connection's `peer` and, when the peer
/// is a trusted proxy, `X-Forwarded-For`.
pub fn forwarded_client(peer: IpAddr, headers: &HeaderMap, trusted_proxies: &[IpAddr]) -> IpAddr {
    let trusted = |ip: IpAddr| trusted_proxies.iter().any(|t| t.to_canonical() == ip);
    let mut client = peer.to_canonical();
    if !trusted(client) {
        return client;
    }
    let hops: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect();
    for hop in hops.iter().rev() {
        // Something that is not an address: stop at the last proxy we trust.
        let Some(ip) = parse_hop(hop) else { return client };
        client = ip;
        if !trusted(ip) {
            return ip;
        }
    }
    client
}

/// Whether a trusted proxy says it received the request over HTTPS
/// (`X-Forwarded-Proto: https`): then the answer carries HSTS as if the
/// server had served HTTPS itself. Anyone else's header is ignored.
pub fn forwarded_https(peer: IpAddr, headers: &HeaderMap, trusted_proxies: &[IpAddr]) -> bool {
    let peer = peer.to_canonical();
    trusted_proxies.iter().any(|t| t.to_canonical() == peer)
        // What our proxy appended is last (what came before it, the client
        // could have written).
        && headers
            .get_all("x-forwarded-proto")
            .iter()
            .next_back()
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.rsplit(',').next())
            .is_some_and(|p| p.trim().eq_ignore_ascii_case("https"))
}

/// `1.2.3.4`, `1.2.3.4:5678`, `2001:db8::1` or `[2001:db8::1]:5678`.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    let ip = hop
        .parse::<IpAddr>()
        .ok()
        .or_else(|| hop.parse::<SocketAddr>().ok().map(|s| s.ip()))
        .or_else(|| hop.strip_prefix('[').and_then(|h| h.strip_suffix(']')).and_then(|h| h.parse().ok()))?;
    Some(ip.to_canonical())
}

/// The TLS acceptor for `tls.cert` and `tls.key`, or None for plain HTTP;
/// files that cannot be used are refused in words.
pub fn tls_acceptor(settings: &Settings) -> anyhow::Result<Option<TlsAcceptor>> {
    settings.check()?;
    let (Some(cert), Some(key)) = (&settings.tls.cert, &settings.tls.key) else { return Ok(None) };
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .and_then(|it| it.collect::<Result<_, _>>())
        .map_err(|e| anyhow::anyhow!("tls.cert {} cannot be used: {e}", cert.display()))?;
    if certs.is_empty() {
        anyhow::bail!(
            "tls.cert {} holds no certificate (expected PEM blocks starting with -----BEGIN CERTIFICATE-----)",
            cert.display()
        );
    }
    let private = PrivateKeyDer::from_pem_file(key).map_err(|e| {
        anyhow::anyhow!("tls.key {} cannot be used (a PEM private key is expected): {e}", key.display())
    })?;
    let mut config = rustls::ServerConfig::builder_with_provider(walkthrough_client::tls::provider())
        .with_safe_default_protocol_versions()
        .context("TLS cannot be set up")?
        .with_no_client_auth()
        .with_single_cert(certs, private)
        .map_err(|e| {
            anyhow::anyhow!("tls.cert {} and tls.key {} do not go together: {e}", cert.display(), key.display())
        })?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Some(TlsAcceptor::from(Arc::new(config))))
}

/// What every connection is served with.
struct ConnSettings {
    header_timeout: Duration,
    body_timeout: Duration,
    trusted_proxies: Vec<IpAddr>,
    https: bool,
}

/// Serve `app` on `listener` until `shutdown` resolves, then let the
/// connections finish the requests in hand.
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: Router,
    settings: &Settings,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let tls = tls_acceptor(settings)?;
    let conn = Arc::new(ConnSettings {
        header_timeout: Duration::from_secs(settings.http.header_timeout_secs),
        body_timeout: Duration::from_secs(settings.http.body_timeout_secs),
        trusted_proxies: settings.http.trusted_proxies.clone(),
        https: tls.is_some(),
    });
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors, say: wait instead of spinning.
                    tracing::warn!(error = %e, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let (app, conn, tls, watcher) = (app.clone(), conn.clone(), tls.clone(), graceful.watcher());
        tokio::spawn(async move {
            match tls {
                None => serve_connection(stream, peer, app, conn, watcher).await,
                Some(acceptor) => match tokio::time::timeout(conn.header_timeout, acceptor.accept(stream)).await {
                    Ok(Ok(stream)) => serve_connection(stream, peer, app, conn, watcher).await,
                    Ok(Err(e)) => tracing::debug!(%peer, error = %e, "TLS handshake failed"),
                    Err(_) => tracing::debug!(%peer, "TLS handshake not completed in time; connection closed"),
                },
            }
        });
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}

async fn serve_connection<I>(io: I, peer: SocketAddr, app: Router, conn: Arc<ConnSettings>, watcher: Watcher)
where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let c = conn.clone();
    let service = hyper::service::service_fn(move |req: Request<Incoming>| {
        let (c, app) = (c.clone(), app.clone());
        async move {
            let (mut parts, body) = req.into_parts();
            let client = forwarded_client(peer.ip(), &parts.headers, &c.trusted_proxies);
            let hsts = c.https || forwarded_https(peer.ip(), &parts.headers, &c.trusted_proxies);
            parts.extensions.insert(ConnectInfo(peer));
            parts.extensions.insert(ClientAddr(client));
            let body = axum::body::Body::new(tower_http::timeout::TimeoutBody::new(c.body_timeout, body));
            let mut resp = app.oneshot(Request::from_parts(parts, body)).await?;
            if hsts {
                resp.headers_mut().insert(STRICT_TRANSPORT_SECURITY, HeaderValue::from_static(HSTS));
            }
            Ok::<_, Infallible>(resp)
        }
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder.timer(TokioTimer::new()).header_read_timeout(conn.header_timeout);
    let connection = builder.serve_connection(TokioIo::new(io), service);
    if let Err(e) = watcher.watch(connection).await {
        tracing::debug!(%peer, error = %e, "connection closed");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(peer: &str, xff: &[&str], trusted: &[&str], expected: &str) {
        let mut headers = HeaderMap::new();
        for v in xff {
            headers.append("x-forwarded-for", v.parse().unwrap());
        }
        let trusted: Vec<IpAddr> = trusted.iter().map(|t| t.parse().unwrap()).collect();
        let got = forwarded_client(peer.parse().unwrap(), &headers, &trusted);
        assert_eq!(
            got,
            expected.parse::<IpAddr>().unwrap(),
            "peer {peer}, X-Forwarded-For {xff:?}, trusted {trusted:?}"
        );
    }

    #[test]
    fn https_at_the_proxy_is_believed_only_from_a_trusted_proxy() {
        let proto = |v: &str| {
            let mut h = HeaderMap::new();
            h.insert("x-forwarded-proto", v.parse().unwrap());
            h
        };
        let proxy: Vec<IpAddr> = vec!["10.0.0.5".parse().unwrap()];
        assert!(forwarded_https("10.0.0.5".parse().unwrap(), &proto("https"), &proxy));
        assert!(forwarded_https("10.0.0.5".parse().unwrap(), &proto("http, HTTPS"), &proxy));
        assert!(!forwarded_https("10.0.0.5".parse().unwrap(), &proto("https, http"), &proxy), "the client's own");
        assert!(!forwarded_https("10.0.0.5".parse().unwrap(), &proto("http"), &proxy));
        assert!(!forwarded_https("10.0.0.5".parse().unwrap(), &HeaderMap::new(), &proxy));
        assert!(!forwarded_https("203.0.113.9".parse().unwrap(), &proto("https"), &proxy), "not our proxy");
        assert!(!forwarded_https("10.0.0.5".parse().unwrap(), &proto("https"), &[]), "no proxy trusted");
    }

    #[test]
    fn the_client_address_believes_only_trusted_proxies() {
        // No trusted proxy: the header is ignored, whoever sends it.
        check("203.0.113.9", &["198.51.100.1"], &[], "203.0.113.9");
        // A peer that is not the proxy cannot claim an address.
        check("203.0.113.9", &["198.51.100.1"], &["10.0.0.5"], "203.0.113.9");
        // Through the proxy: the address it appended.
        check("10.0.0.5", &["198.51.100.1"], &["10.0.0.5"], "198.51.100.1");
        // A client's own forged entry stays to the left of what the proxy appended.
        check("10.0.0.5", &["6.6.6.6, 198.51.100.1"], &["10.0.0.5"], "198.51.100.1");
        check("10.0.0.5", &["6.6.6.6", "198.51.100.1"], &["10.0.0.5"], "198.51.100.1");
        // Two proxies of ours in a row.
        check("10.0.0.5", &["198.51.100.1, 10.0.0.6"], &["10.0.0.5", "10.0.0.6"], "198.51.100.1");
        // Ports and IPv6 forms.
        check("10.0.0.5", &["198.51.100.1:4711"], &["10.0.0.5"], "198.51.100.1");
        check("10.0.0.5", &["[2001:db8::7]:4711"], &["10.0.0.5"], "2001:db8::7");
        check("10.0.0.5", &["2001:db8::7"], &["10.0.0.5"], "2001:db8::7");
        // The proxy sent no header, or garbage: the proxy itself.
        check("10.0.0.5", &[], &["10.0.0.5"], "10.0.0.5");
        check("10.0.0.5", &["unknown"], &["10.0.0.5"], "10.0.0.5");
        check("10.0.0.5", &["198.51.100.1, <script>"], &["10.0.0.5"], "10.0.0.5");
        // An IPv4 peer seen through a dual-stack socket.
        check("::ffff:10.0.0.5", &["198.51.100.1"], &["10.0.0.5"], "198.51.100.1");
    }
}
