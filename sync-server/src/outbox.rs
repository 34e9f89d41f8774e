//! Notifications to contractors: messages composed from notices, stored in
//! the outbox with the change that caused them, and delivered by one worker
//! per server (webhook: JSON POST; email: SMTP; the contractor's WeCom or
//! DingTalk group robot: their markdown message, DingTalk's signed), urgent
//! ones at once, the rest as a digest per contractor, retried with backoff.
//!
//! Every message carries a working link to the contractor's page, put in
//! only when it is sent (the stored body holds [`LINK_PLACEHOLDER`]), so the
//! database never holds a link's secret (see `links.rs`).
//!
//! Every message has a delivery key (the notice or digest it carries, and
//! the channel), sent as `Idempotency-Key` and in the body of a webhook and
//! as the Message-ID of an email. A message is marked `sending` before an
//! attempt and `sent` after it; on a graceful stop the worker finishes the
//! attempt in hand and records it, so nothing is sent twice across a
//! restart. After a crash in the middle of an attempt the message is sent
//! again with the same key, for the receiver to drop.

use crate::config::NotifySettings;
use crate::dispatch_store::{ContractorChannel, OutboxMessage};
use crate::AppState;
use std::collections::BTreeMap;
use walkthrough_core::dispatch::{retry_delay_secs, Notice, NoticeKind};
use walkthrough_core::model::Project;
use walkthrough_core::*;

/// Stands for the contractor's link in a stored message until it is sent.
pub const LINK_PLACEHOLDER: &str = "{{contractor_link}}";

/// The messages for `notices` of one project and contractor, one per
/// configured channel (the server's webhook and email, and the contractor's
/// group robot `channel`): `urgent` (one notice) or a digest.
#[allow(clippy::too_many_arguments)]
pub fn compose(
    settings: &NotifySettings,
    project: &Project,
    contractor: &ContractorId,
    channel: Option<&ContractorChannel>,
    key: &str,
    urgent: bool,
    notices: &[Notice],
    now: i64,
) -> Vec<OutboxMessage> {
    let name = project.contractors.get(contractor).map(|c| c.name.clone()).unwrap_or_default();
    let category = |c: &CategoryId| project.categories.get(c).map(|c| c.name.clone()).unwrap_or_default();
    let n = notices.iter().filter(|n| n.kind != NoticeKind::Withdrawn).count();
    let withdrawn = notices.len() - n;
    let subject = if n == 0 {
        format!(
            "【整改撤销】{}：{withdrawn} 项无需整改 / Withdrawn: {withdrawn} item(s) need no repair",
            project.name.zh
        )
    } else if urgent {
        format!("【紧急整改】{}：{n} 项 / Urgent rectification: {n} item(s)", project.name.zh)
    } else {
        format!("【整改通知】{}：{n} 项待整改 / Rectification: {n} item(s)", project.name.zh)
    };
    // Deadlines as the contractor reads them: in the project's zone.
    let zone = project.zone();
    let items: Vec<serde_json::Value> = notices
        .iter()
        .map(|n| {
            serde_json::json!({
                "defect": n.defect, "unit": n.unit, "building": n.building,
                "category": category(&n.category), "kind": n.kind, "attempt": n.attempt,
                "deadline": n.deadline.map(|d| d.to_rfc3339()),
                "deadline_local": n.deadline.map(|d| walkthrough_core::time::format_local(d, zone)),
            })
        })
        .collect();
    let mut text = format!("{}：\n", name.zh);
    if n > 0 {
        text.push_str(&format!(
            "您有 {n} 项整改任务，请打开整改链接查看照片与期限并回复。\nYou have {n} item(s) to rectify; open your rectification page for photos and deadlines.\n"
        ));
    }
    if withdrawn > 0 {
        text.push_str(&format!(
            "{withdrawn} 项已撤销（误记），已从您的清单移除，无需整改。\n{withdrawn} item(s) were withdrawn (recorded in error) and left your list; no repair is needed.\n"
        ));
    }
    text.push_str(&format!("整改链接 / Your page: {LINK_PLACEHOLDER}\n\n"));
    let mut lines = Vec::new();
    for n in notices {
        let deadline = n
            .deadline
            .map(|d| format!(" · 期限 deadline {}", walkthrough_core::time::format_local(d, zone)))
            .unwrap_or_default();
        let again = match n.kind {
            NoticeKind::BackAfterRecheck => "（复验未通过 / failed recheck）",
            NoticeKind::Withdrawn => "（已撤销，无需整改 / withdrawn, no repair needed）",
            NoticeKind::NewItem => "",
        };
        lines.push(format!(
            "{} {} · {} / {}{again}{deadline}",
            n.building,
            n.unit,
            category(&n.category).zh,
            category(&n.category).en
        ));
    }
    for l in &lines {
        text.push_str(&format!("- {l}\n"));
    }
    let mut out = Vec::new();
    let mut push = |channel: &str, recipient: String, body: String| {
        out.push(OutboxMessage {
            key: format!("{key}/{channel}"),
            project: project.id.clone(),
            contractor: contractor.clone(),
            channel: channel.to_owned(),
            recipient,
            subject: subject.clone(),
            body,
            status: "pending".into(),
            attempts: 0,
            next_attempt_at: now,
            last_error: None,
            created_at: now,
            sent_at: None,
        })
    };
    if let Some(url) = &settings.webhook_url {
        let payload = serde_json::json!({
            "delivery_key": format!("{key}/webhook"),
            "kind": if urgent { "urgent" } else { "digest" },
            "project": { "id": project.id, "name": project.name, "time_zone": project.time_zone },
            "contractor": { "id": contractor, "name": name },
            "subject": subject,
            "link": LINK_PLACEHOLDER,
            "items": items,
        });
        push("webhook", url.clone(), payload.to_string());
    }
    if let Some(c) = channel {
        // Both robots take markdown; a group reads the title first.
        let body = format!(
            "### {subject}\n\n{}\n\n{}\n\n[打开整改清单 / Open your rectification list]({LINK_PLACEHOLDER})",
            name.zh,
            lines.iter().map(|l| format!("- {l}")).collect::<Vec<_>>().join("\n")
        );
        let payload = match c.kind.as_str() {
            "dingtalk" => serde_json::json!({ "msgtype": "markdown", "markdown": { "title": subject, "text": body } }),
            _ => serde_json::json!({ "msgtype": "markdown", "markdown": { "content": body } }),
        };
        push(&c.kind, c.webhook.clone(), payload.to_string());
    }
    let email = project.contractors.get(contractor).map(|c| c.contact.email.trim().to_owned()).unwrap_or_default();
    if settings.smtp.is_some() && !email.is_empty() {
        push("email", email, text);
    }
    out
}

/// The messages to send at once for the urgent ones among `notices`.
pub fn urgent_messages(
    settings: &NotifySettings,
    project: &Project,
    channels: &[ContractorChannel],
    notices: &[Notice],
    now: i64,
) -> Vec<OutboxMessage> {
    notices
        .iter()
        .filter(|n| n.urgent)
        .flat_map(|n| {
            compose(
                settings,
                project,
                &n.contractor,
                channels.iter().find(|c| c.contractor == n.contractor),
                &format!("urgent/{}", n.key()),
                true,
                std::slice::from_ref(n),
                now,
            )
        })
        .collect()
}

/// How messages leave: webhooks over HTTP(S) and email over SMTP, both
/// with TLS verified against the system's roots plus `tls.ca_file`.
pub struct Senders {
    http: reqwest::Client,
    /// The SMTP relay, or why it cannot be used (said on each email).
    smtp: Option<Result<Smtp, String>>,
}

struct Smtp {
    transport: lettre::AsyncSmtpTransport<lettre::Tokio1Executor>,
    from: String,
    /// `host:port`, for errors.
    relay: String,
}

impl Senders {
    pub fn new(settings: &crate::config::Settings) -> Result<Self, String> {
        let ca_file = settings.tls.ca_file.as_deref();
        let tls = walkthrough_client::tls::client_config(ca_file)?;
        let http = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(15))
            .tls_backend_preconfigured(tls)
            .build()
            .map_err(|e| {
                format!("the webhook client cannot be set up: {}", walkthrough_client::tls::error_chain(&e))
            })?;
        let smtp = settings.notify.smtp.as_ref().map(|smtp| {
            smtp_transport(smtp, ca_file).map(|transport| Smtp {
                transport,
                from: smtp.from.clone(),
                relay: format!("{}:{}", smtp.host, smtp.port()),
            })
        });
        Ok(Self { http, smtp })
    }
}

/// The SMTP transport for `smtp`: STARTTLS required, TLS from the start, or
/// plain, as configured.
fn smtp_transport(
    smtp: &crate::config::SmtpSettings,
    ca_file: Option<&std::path::Path>,
) -> Result<lettre::AsyncSmtpTransport<lettre::Tokio1Executor>, String> {
    use crate::config::SmtpTls;
    use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
    let params = || -> Result<TlsParameters, String> {
        let mut b = TlsParameters::builder(smtp.host.clone());
        if let Some(path) = ca_file {
            let pem = std::fs::read(path).map_err(|e| format!("the CA file {} cannot be read: {e}", path.display()))?;
            // Checked here too, for a refusal in words rather than lettre's.
            walkthrough_client::tls::read_ca_file(path)?;
            let cert = Certificate::from_pem(&pem)
                .map_err(|e| format!("the CA file {} cannot be used: {e}", path.display()))?;
            b = b.add_root_certificate(cert);
        }
        b.build_rustls().map_err(|e| format!("TLS for SMTP cannot be set up: {e}"))
    };
    let tls = match smtp.tls {
        SmtpTls::Starttls => Tls::Required(params()?),
        SmtpTls::Tls => Tls::Wrapper(params()?),
        SmtpTls::None => Tls::None,
    };
    let mut builder = lettre::AsyncSmtpTransport::<lettre::Tokio1Executor>::builder_dangerous(&smtp.host)
        .port(smtp.port())
        .tls(tls)
        .timeout(Some(std::time::Duration::from_secs(15)));
    if let (Some(u), Some(p)) = (&smtp.username, &smtp.password) {
        builder = builder.credentials(lettre::transport::smtp::authentication::Credentials::new(u.clone(), p.clone()));
    }
    Ok(builder.build())
}

/// Run until `stop` turns true, finishing the attempt in hand.
pub async fn run(st: AppState, mut stop: tokio::sync::watch::Receiver<bool>) {
    let client = match Senders::new(&st.settings) {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "the outbox cannot start; no notifications will be sent");
            return;
        }
    };
    if let Some(Err(e)) = &client.smtp {
        tracing::error!(error = %e, "no email will be sent");
    }
    let poll = std::time::Duration::from_millis(st.settings.notify.poll_millis.max(10));
    while !*stop.borrow() {
        if let Err(e) = tick(&st, &client, &stop).await {
            tracing::error!(error = %format!("{e:#}"), "outbox");
        }
        tokio::select! {
            _ = stop.changed() => {}
            _ = tokio::time::sleep(poll) => {}
        }
    }
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> anyhow::Result<T> + Send + 'static) -> anyhow::Result<T> {
    tokio::task::spawn_blocking(f).await?
}

async fn tick(st: &AppState, client: &Senders, stop: &tokio::sync::watch::Receiver<bool>) -> anyhow::Result<()> {
    let now = chrono::Utc::now().timestamp();
    let s = st.clone();
    blocking(move || queue_digests(&s, now)).await?;
    let s = st.clone();
    let due = blocking(move || Ok(s.store.due_messages(now, 50)?)).await?;
    for m in due {
        if *stop.borrow() {
            break;
        }
        let (s, key) = (st.clone(), m.key.clone());
        blocking(move || Ok(s.store.mark_sending(&key)?)).await?;
        let result = deliver(st, client, &m).await;
        let s = st.clone();
        let attempts = m.attempts + 1;
        blocking(move || {
            let now = chrono::Utc::now().timestamp();
            match result {
                Ok(()) => s.store.mark_sent(&m.key, now)?,
                Err(e) => {
                    let notify = &s.settings.notify;
                    let give_up = attempts >= notify.max_attempts;
                    let next = now + retry_delay_secs(attempts - 1, notify.retry_base_seconds) as i64;
                    tracing::warn!(key = %m.key, attempts, error = %e, give_up, "notification not delivered");
                    s.store.mark_failed(&m.key, &e, next, give_up)?
                }
            }
            Ok(())
        })
        .await?;
    }
    Ok(())
}

/// Gather notices that waited long enough into one digest per project and contractor.
fn queue_digests(st: &AppState, now: i64) -> anyhow::Result<()> {
    let pending = st.store.pending_digest_notices()?;
    let mut groups: BTreeMap<(ProjectId, ContractorId), Vec<(i64, Notice)>> = BTreeMap::new();
    for (project, at, n) in pending {
        groups.entry((project, n.contractor.clone())).or_default().push((at, n));
    }
    let window = st.settings.notify.digest_minutes as i64 * 60;
    for ((project, contractor), notices) in groups {
        let oldest = notices.iter().map(|(at, _)| *at).min().unwrap_or(now);
        if oldest + window > now {
            continue;
        }
        let Some(model) = crate::sync::project_model(st, &project).map_err(|e| anyhow::anyhow!("{e}"))? else {
            continue;
        };
        let notices: Vec<Notice> = notices.into_iter().map(|(_, n)| n).collect();
        let digest = format!("digest/{}", notices[0].key());
        let channels = st.store.channels(&project)?;
        let channel = channels.iter().find(|c| c.contractor == contractor);
        let messages = compose(&st.settings.notify, &model, &contractor, channel, &digest, false, &notices, now);
        let keys: Vec<String> = notices.iter().map(|n| n.key()).collect();
        st.store.queue_digest(&digest, &keys, &messages)?;
    }
    Ok(())
}

/// Deliver one message, or say why not (a certificate the server does not
/// trust is said so). The contractor's live link goes in now.
pub async fn deliver(st: &AppState, senders: &Senders, m: &OutboxMessage) -> Result<(), String> {
    let mut m = m.clone();
    let mut secret = None;
    if m.body.contains(LINK_PLACEHOLDER) || m.channel == "dingtalk" {
        let (s, project, contractor) = (st.clone(), m.project.clone(), m.contractor.clone());
        let channel = m.channel.clone();
        let (url, sec) = tokio::task::spawn_blocking(move || {
            let url = crate::links::live_link_url(&s, &project, &contractor).map_err(|e| e.to_string())?;
            let sec = if channel == "dingtalk" {
                let channels = s.store.channels(&project).map_err(|e| e.to_string())?;
                channels.into_iter().find(|c| c.contractor == contractor).and_then(|c| c.secret)
            } else {
                None
            };
            Ok::<_, String>((url, sec))
        })
        .await
        .map_err(|e| e.to_string())??;
        m.body = m.body.replace(LINK_PLACEHOLDER, &url);
        secret = sec;
    }
    let m = &m;
    match m.channel.as_str() {
        "wecom" | "dingtalk" => robot(senders, m, secret.as_deref()).await,
        "webhook" => {
            let res = senders
                .http
                .post(&m.recipient)
                .header("content-type", "application/json")
                .header("idempotency-key", &m.key)
                .body(m.body.clone())
                .send()
                .await
                .map_err(|e| format!("webhook {}: {}", m.recipient, connection_failure(&e)))?;
            if res.status().is_success() {
                Ok(())
            } else {
                Err(format!("webhook {} answered {}", m.recipient, res.status()))
            }
        }
        "email" => match &senders.smtp {
            None => Err("no SMTP relay is configured".into()),
            Some(Err(e)) => Err(e.clone()),
            Some(Ok(smtp)) => send_email(smtp, m).await,
        },
        other => Err(format!("unknown channel {other}")),
    }
}

/// The robot's signature of `timestamp_ms` (DingTalk's 加签): Base64 of
/// HMAC-SHA256 over `"{timestamp}\n{secret}"` keyed by the secret.
pub fn dingtalk_sign(secret: &str, timestamp_ms: i64) -> String {
    use base64::Engine as _;
    use hmac::Mac as _;
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(format!("{timestamp_ms}\n{secret}").as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// POST to a WeCom or DingTalk group robot. Both answer 200 with
/// `{"errcode": 0}` on success and another code with `errmsg` on failure.
async fn robot(senders: &Senders, m: &OutboxMessage, secret: Option<&str>) -> Result<(), String> {
    let name = if m.channel == "dingtalk" { "DingTalk robot" } else { "WeCom robot" };
    let mut url =
        reqwest::Url::parse(&m.recipient).map_err(|e| format!("{name}: {:?} is not an address: {e}", m.recipient))?;
    if let Some(secret) = secret {
        let ts = chrono::Utc::now().timestamp_millis();
        url.query_pairs_mut().append_pair("timestamp", &ts.to_string()).append_pair("sign", &dingtalk_sign(secret, ts));
    }
    let req = senders.http.post(url).header("content-type", "application/json");
    let res = req.body(m.body.clone()).send().await.map_err(|e| format!("{name}: {}", connection_failure(&e)))?;
    let status = res.status();
    let text = res.text().await.unwrap_or_default();
    if !status.is_success() {
        return Err(format!("{name} answered {status}"));
    }
    let answer: serde_json::Value = serde_json::from_str(&text).map_err(|_| {
        format!("{name} answered something that is not its JSON: {:?}", text.chars().take(200).collect::<String>())
    })?;
    match answer["errcode"].as_i64() {
        Some(0) => Ok(()),
        code => Err(format!(
            "{name} refused the message (errcode {}): {}",
            code.map_or("none".into(), |c| c.to_string()),
            answer["errmsg"].as_str().unwrap_or("no reason given")
        )),
    }
}

/// Why a connection failed, in words.
fn connection_failure(e: &(dyn std::error::Error + 'static)) -> String {
    use walkthrough_client::tls::{tls_failure, TlsFailure};
    match tls_failure(e) {
        Some(TlsFailure::Untrusted(why)) => format!("the receiver's certificate is not trusted: {why}"),
        Some(TlsFailure::Handshake(why)) => why,
        None => walkthrough_client::tls::error_chain(e),
    }
}

async fn send_email(smtp: &Smtp, m: &OutboxMessage) -> Result<(), String> {
    use lettre::message::header::ContentType;
    use lettre::{AsyncTransport, Message};
    let from = smtp.from.as_str();
    let from: lettre::message::Mailbox =
        from.parse().map_err(|e| format!("the sender {from:?} is not an address: {e}"))?;
    let to: lettre::message::Mailbox =
        m.recipient.parse().map_err(|e| format!("{:?} is not an email address: {e}", m.recipient))?;
    let id: String = m.key.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '.' }).collect();
    let email = Message::builder()
        .from(from)
        .to(to)
        .subject(&m.subject)
        .message_id(Some(format!("<{id}@walkthrough>")))
        .header(ContentType::TEXT_PLAIN)
        .body(m.body.clone())
        .map_err(|e| format!("the email cannot be built: {e}"))?;
    smtp.transport.send(email).await.map(|_| ()).map_err(|e| format!("SMTP {}: {}", smtp.relay, connection_failure(&e)))
}
